//! Extensions, types (enums, composite types, domains), functions and procedures, and triggers.

use super::rows;
use crate::diff::model::{Catalog, CompositeType, Domain, EnumType, Extension, Function, Trigger};
use crate::failure::Failure;
use std::collections::BTreeMap;
use tokio_postgres::Client;

/// Database-wide: every extension but plpgsql, whatever the schema filter ($1 unused but typed).
const EXTENSIONS: &str = "select quote_ident(e.extname), quote_ident(n.nspname), e.extversion \
    from pg_extension e join pg_namespace n on n.oid = e.extnamespace \
    where e.extname <> 'plpgsql' and $1::text[] is not null";

const NOT_EXTENSION_TYPE: &str = "not exists (select 1 from pg_depend e where e.classid = 'pg_type'::regclass \
    and e.objid = t.oid and e.deptype = 'e')";

const ENUMS: &str = "select quote_ident(n.nspname) || '.' || quote_ident(t.typname), \
    array_agg(e.enumlabel::text order by e.enumsortorder) from pg_type t \
    join pg_namespace n on n.oid = t.typnamespace join pg_enum e on e.enumtypid = t.oid \
    where n.nspname = any($1) and ";

const COMPOSITES: &str = "select quote_ident(n.nspname) || '.' || quote_ident(t.typname), \
    array_agg(quote_ident(a.attname) order by a.attnum), \
    array_agg(format_type(a.atttypid, a.atttypmod) || case when a.attcollation <> at.typcollation \
      then ' COLLATE ' || a.attcollation::regcollation::text else '' end order by a.attnum) \
    from pg_type t join pg_class c on c.oid = t.typrelid join pg_namespace n on n.oid = t.typnamespace \
    join pg_attribute a on a.attrelid = c.oid and a.attnum > 0 and not a.attisdropped \
    join pg_type at on at.oid = a.atttypid \
    where t.typtype = 'c' and c.relkind = 'c' and n.nspname = any($1) and ";

const DOMAINS: &str = "select quote_ident(n.nspname) || '.' || quote_ident(t.typname), \
    format_type(t.typbasetype, t.typtypmod) || case when t.typcollation <> bt.typcollation \
      then ' COLLATE ' || t.typcollation::regcollation::text else '' end, \
    t.typnotnull, pg_get_expr(t.typdefaultbin, 0), \
    coalesce((select array_agg(quote_ident(k.conname) order by k.conname) from pg_constraint k \
      where k.contypid = t.oid and k.contype = 'c'), '{}'), \
    coalesce((select array_agg(pg_get_constraintdef(k.oid) order by k.conname) from pg_constraint k \
      where k.contypid = t.oid and k.contype = 'c'), '{}') \
    from pg_type t join pg_namespace n on n.oid = t.typnamespace join pg_type bt on bt.oid = t.typbasetype \
    where t.typtype = 'd' and n.nspname = any($1) and ";

const FUNCTIONS: &str = "select p.oid::regprocedure::text, p.prokind = 'p', pg_get_function_arguments(p.oid), \
    pg_get_function_result(p.oid), pg_get_functiondef(p.oid) \
    from pg_proc p join pg_namespace n on n.oid = p.pronamespace \
    where p.prokind in ('f', 'p') and n.nspname = any($1) and not exists (select 1 from pg_depend e \
    where e.classid = 'pg_proc'::regclass and e.objid = p.oid and e.deptype = 'e')";

/// Triggers on the covered tables, and on Supabase's own tables (`auth.users`) when they call a covered function.
const TRIGGERS: &str = "select quote_ident(n.nspname) || '.' || quote_ident(c.relname), quote_ident(t.tgname), \
    pg_get_triggerdef(t.oid) from pg_trigger t join pg_class c on c.oid = t.tgrelid \
    join pg_namespace n on n.oid = c.relnamespace join pg_proc f on f.oid = t.tgfoid \
    join pg_namespace fn on fn.oid = f.pronamespace \
    where not t.tgisinternal and (n.nspname = any($1) or fn.nspname = any($1)) \
    and c.relkind in ('r', 'v', 'm') and not c.relispartition";

#[derive(Default)]
pub(super) struct Objects {
    extensions: BTreeMap<String, Extension>,
    enums: BTreeMap<String, EnumType>,
    composites: BTreeMap<String, CompositeType>,
    domains: BTreeMap<String, Domain>,
    functions: BTreeMap<String, Function>,
    triggers: BTreeMap<String, Trigger>,
}

impl Objects {
    pub(super) fn fill(self, catalog: &mut Catalog) {
        catalog.extensions = self.extensions;
        catalog.enums = self.enums;
        catalog.composites = self.composites;
        catalog.domains = self.domains;
        catalog.functions = self.functions;
        catalog.triggers = self.triggers;
    }
}

pub(super) async fn load(client: &Client, schemas: &[String]) -> Result<Objects, Failure> {
    let enums_sql = format!("{ENUMS}{NOT_EXTENSION_TYPE} group by 1");
    let composites_sql = format!("{COMPOSITES}{NOT_EXTENSION_TYPE} group by 1");
    let domains_sql = format!("{DOMAINS}{NOT_EXTENSION_TYPE}");
    let (extensions, enums, composites, domains, functions, triggers) = tokio::try_join!(
        rows(client, EXTENSIONS, schemas),
        rows(client, &enums_sql, schemas),
        rows(client, &composites_sql, schemas),
        rows(client, &domains_sql, schemas),
        rows(client, FUNCTIONS, schemas),
        rows(client, TRIGGERS, schemas),
    )?;
    let mut out = Objects::default();
    for row in &extensions {
        let extension = Extension { name: row.get(0), schema: row.get(1), version: row.get(2) };
        out.extensions.insert(extension.name.clone(), extension);
    }
    for row in &enums {
        let value = EnumType { key: row.get(0), labels: row.get(1) };
        out.enums.insert(value.key.clone(), value);
    }
    for row in &composites {
        let names: Vec<String> = row.get(1);
        let types: Vec<String> = row.get(2);
        let value = CompositeType { key: row.get(0), attributes: names.into_iter().zip(types).collect() };
        out.composites.insert(value.key.clone(), value);
    }
    for row in &domains {
        let names: Vec<String> = row.get(4);
        let definitions: Vec<String> = row.get(5);
        let value = Domain {
            key: row.get(0),
            base_type: row.get(1),
            not_null: row.get(2),
            default: row.get(3),
            checks: names.into_iter().zip(definitions).collect(),
        };
        out.domains.insert(value.key.clone(), value);
    }
    for row in &functions {
        let value = Function {
            key: row.get(0),
            procedure: row.get(1),
            arguments: row.get(2),
            result: row.get(3),
            definition: row.get(4),
        };
        out.functions.insert(value.key.clone(), value);
    }
    for row in &triggers {
        let value = Trigger { table: row.get(0), name: row.get(1), definition: row.get(2) };
        out.triggers.insert(format!("{}.{}", value.table, value.name), value);
    }
    Ok(out)
}
