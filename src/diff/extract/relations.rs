//! Tables with their columns, constraints, indexes, views and materialized views (with what their queries
//! use), and sequences: one query per kind over all the covered schemas.

use super::{flag, rows};
use crate::diff::model::{Catalog, Column, Constraint, Index, Sequence, Table, View};
use crate::failure::Failure;
use std::collections::{BTreeMap, BTreeSet};
use tokio_postgres::Client;

const TABLES: &str = "select quote_ident(n.nspname) || '.' || quote_ident(c.relname), c.relrowsecurity, \
    c.relforcerowsecurity from pg_class c join pg_namespace n on n.oid = c.relnamespace \
    where c.relkind = 'r' and not c.relispartition and n.nspname = any($1) and not exists (select 1 from pg_depend e \
    where e.classid = 'pg_class'::regclass and e.objid = c.oid and e.deptype = 'e') order by 1";

const COLUMNS: &str = "select quote_ident(n.nspname) || '.' || quote_ident(c.relname), quote_ident(a.attname), \
    format_type(a.atttypid, a.atttypmod), a.attnotnull, \
    case when a.attgenerated = '' then pg_get_expr(d.adbin, d.adrelid) end, \
    case when a.attgenerated <> '' then pg_get_expr(d.adbin, d.adrelid) end, a.attidentity::text, \
    case when a.attcollation <> t.typcollation and a.attcollation <> 0 \
      then quote_ident(cn.nspname) || '.' || quote_ident(co.collname) end, \
    coalesce(exists (select 1 from pg_depend dd join pg_proc p on p.oid = dd.refobjid \
      where dd.classid = 'pg_attrdef'::regclass and dd.objid = d.oid and dd.refclassid = 'pg_proc'::regclass \
      and p.pronamespace <> 'pg_catalog'::regnamespace), false) \
    from pg_attribute a join pg_class c on c.oid = a.attrelid join pg_namespace n on n.oid = c.relnamespace \
    join pg_type t on t.oid = a.atttypid left join pg_attrdef d on d.adrelid = a.attrelid and d.adnum = a.attnum \
    left join pg_collation co on co.oid = a.attcollation left join pg_namespace cn on cn.oid = co.collnamespace \
    where c.relkind = 'r' and not c.relispartition and a.attnum > 0 and not a.attisdropped and n.nspname = any($1) \
    order by 1, a.attnum";

const CONSTRAINTS: &str = "select quote_ident(n.nspname) || '.' || quote_ident(c.relname), quote_ident(k.conname), \
    k.contype::text, pg_get_constraintdef(k.oid) from pg_constraint k join pg_class c on c.oid = k.conrelid \
    join pg_namespace n on n.oid = c.relnamespace where c.relkind = 'r' and not c.relispartition \
    and k.contype in ('p', 'u', 'c', 'f', 'x') and k.conislocal and n.nspname = any($1)";

const INDEXES: &str = "select quote_ident(n.nspname) || '.' || quote_ident(ic.relname), \
    quote_ident(tn.nspname) || '.' || quote_ident(c.relname), pg_get_indexdef(i.indexrelid) \
    from pg_index i join pg_class ic on ic.oid = i.indexrelid join pg_namespace n on n.oid = ic.relnamespace \
    join pg_class c on c.oid = i.indrelid join pg_namespace tn on tn.oid = c.relnamespace \
    where c.relkind in ('r', 'm') and not c.relispartition and n.nspname = any($1) and not exists (select 1 \
    from pg_constraint k where k.conindid = i.indexrelid and k.contype in ('p', 'u', 'x')) and not exists \
    (select 1 from pg_depend e where e.classid = 'pg_class'::regclass and e.objid = c.oid and e.deptype = 'e')";

const VIEWS: &str = "select quote_ident(n.nspname) || '.' || quote_ident(c.relname), c.relkind = 'm', \
    pg_get_viewdef(c.oid), coalesce(c.reloptions, '{}')::text[] from pg_class c \
    join pg_namespace n on n.oid = c.relnamespace where c.relkind in ('v', 'm') and n.nspname = any($1) \
    and not exists (select 1 from pg_depend e where e.classid = 'pg_class'::regclass and e.objid = c.oid \
    and e.deptype = 'e')";

const VIEW_DEPS: &str = "select distinct quote_ident(vn.nspname) || '.' || quote_ident(v.relname), \
    case when d.refclassid = 'pg_class'::regclass then \
      (select quote_ident(rn.nspname) || '.' || quote_ident(r.relname) from pg_class r \
       join pg_namespace rn on rn.oid = r.relnamespace where r.oid = d.refobjid) \
    else d.refobjid::regprocedure::text end \
    from pg_depend d join pg_rewrite w on w.oid = d.objid join pg_class v on v.oid = w.ev_class \
    join pg_namespace vn on vn.oid = v.relnamespace where d.classid = 'pg_rewrite'::regclass \
    and d.refclassid in ('pg_class'::regclass, 'pg_proc'::regclass) and d.refobjid <> v.oid \
    and v.relkind in ('v', 'm') and vn.nspname = any($1)";

const SEQUENCES: &str = "select quote_ident(n.nspname) || '.' || quote_ident(c.relname), \
    format_type(s.seqtypid, null), s.seqstart, s.seqincrement, s.seqmin, s.seqmax, s.seqcache, s.seqcycle, \
    (select quote_ident(tn.nspname) || '.' || quote_ident(t.relname) || '.' || quote_ident(a.attname) \
     from pg_depend d join pg_class t on t.oid = d.refobjid join pg_namespace tn on tn.oid = t.relnamespace \
     join pg_attribute a on a.attrelid = t.oid and a.attnum = d.refobjsubid \
     where d.classid = 'pg_class'::regclass and d.objid = c.oid and d.refclassid = 'pg_class'::regclass \
     and d.deptype = 'a' limit 1) \
    from pg_class c join pg_sequence s on s.seqrelid = c.oid join pg_namespace n on n.oid = c.relnamespace \
    where c.relkind = 'S' and n.nspname = any($1) and not exists (select 1 from pg_depend e \
    where e.classid = 'pg_class'::regclass and e.objid = c.oid and e.deptype in ('e', 'i'))";

const UNSUPPORTED: &str = "select case when c.relkind = 'p' then 'partitioned table' \
      when c.relkind = 'f' then 'foreign table' when c.relispartition then 'partition' \
      else 'inheriting table' end || ' ' || quote_ident(n.nspname) || '.' || quote_ident(c.relname) \
    from pg_class c join pg_namespace n on n.oid = c.relnamespace where n.nspname = any($1) \
    and (c.relkind in ('p', 'f') or c.relispartition or (c.relkind = 'r' and exists (select 1 from pg_inherits i \
      where i.inhrelid = c.oid))) \
    union all select 'aggregate ' || p.oid::regprocedure::text from pg_proc p \
    join pg_namespace n on n.oid = p.pronamespace where p.prokind = 'a' and n.nspname = any($1) \
    and not exists (select 1 from pg_depend e where e.classid = 'pg_proc'::regclass and e.objid = p.oid \
      and e.deptype = 'e') order by 1";

#[derive(Default)]
pub(super) struct Relations {
    tables: BTreeMap<String, Table>,
    constraints: BTreeMap<String, Constraint>,
    indexes: BTreeMap<String, Index>,
    views: BTreeMap<String, View>,
    view_deps: BTreeMap<String, BTreeSet<String>>,
    sequences: BTreeMap<String, Sequence>,
    unsupported: Vec<String>,
}

impl Relations {
    pub(super) fn fill(self, catalog: &mut Catalog) {
        catalog.tables = self.tables;
        catalog.constraints = self.constraints;
        catalog.indexes = self.indexes;
        catalog.views = self.views;
        catalog.view_deps = self.view_deps;
        catalog.sequences = self.sequences;
        catalog.unsupported = self.unsupported;
    }
}

pub(super) async fn load(client: &Client, schemas: &[String]) -> Result<Relations, Failure> {
    let (tables, columns, constraints, indexes, views, deps, sequences, unsupported) = tokio::try_join!(
        rows(client, TABLES, schemas),
        rows(client, COLUMNS, schemas),
        rows(client, CONSTRAINTS, schemas),
        rows(client, INDEXES, schemas),
        rows(client, VIEWS, schemas),
        rows(client, VIEW_DEPS, schemas),
        rows(client, SEQUENCES, schemas),
        rows(client, UNSUPPORTED, schemas),
    )?;
    let mut out = Relations { unsupported: unsupported.iter().map(|r| r.get(0)).collect(), ..Relations::default() };
    for row in &tables {
        let key: String = row.get(0);
        let table = Table { key: key.clone(), columns: Vec::new(), rls_enabled: row.get(1), rls_forced: row.get(2) };
        out.tables.insert(key, table);
    }
    for row in &columns {
        let Some(table) = out.tables.get_mut(&row.get::<_, String>(0)) else { continue };
        let identity = flag(row, 6);
        table.columns.push(Column {
            name: row.get(1),
            data_type: row.get(2),
            not_null: row.get(3),
            default: row.get(4),
            generated: row.get(5),
            identity: matches!(identity, 'a' | 'd').then_some(identity),
            collation: row.get(7),
            default_calls_function: row.get(8),
        });
    }
    for row in &constraints {
        let constraint = Constraint { table: row.get(0), name: row.get(1), kind: flag(row, 2), definition: row.get(3) };
        if out.tables.contains_key(&constraint.table) {
            out.constraints.insert(format!("{}.{}", constraint.table, constraint.name), constraint);
        }
    }
    for row in &indexes {
        let index = Index { key: row.get(0), table: row.get(1), definition: row.get(2) };
        out.indexes.insert(index.key.clone(), index);
    }
    for row in &views {
        let definition: String = row.get(2);
        let view = View {
            key: row.get(0),
            materialized: row.get(1),
            definition: definition.trim().trim_end_matches(';').to_owned(),
            options: row.get(3),
        };
        out.views.insert(view.key.clone(), view);
    }
    for row in &deps {
        let (view, used): (String, Option<String>) = (row.get(0), row.get(1));
        if let Some(used) = used {
            out.view_deps.entry(view).or_default().insert(used);
        }
    }
    for row in &sequences {
        let sequence = Sequence {
            key: row.get(0),
            data_type: row.get(1),
            start: row.get(2),
            increment: row.get(3),
            min: row.get(4),
            max: row.get(5),
            cache: row.get(6),
            cycle: row.get(7),
            owned_by: row.get(8),
        };
        out.sequences.insert(sequence.key.clone(), sequence);
    }
    Ok(out)
}
