//! Reads the catalog for the generator: one round of queries, pipelined on one connection, then sorted
//! with the English collation as the generator sorts its metadata.

use super::collate::compare;
use super::model::{Arg, ArgMode, Catalog, Column, Function, PgType, RelKind, Relation};
use super::viewdeps;
use crate::failure::Failure;
use crate::pg::catalog::query_failure;
use tokio_postgres::Client;

/// The schema condition: the included schemas, or every schema but the system ones when none is named.
const SCHEMA_FILTER: &str = "(case when cardinality($1::text[]) = 0 \
    then {ns} <> all (array['information_schema', 'pg_catalog', 'pg_toast']) else {ns} = any ($1::text[]) end)";

pub(crate) fn schema_filter(expression: &str) -> String {
    SCHEMA_FILTER.replace("{ns}", expression)
}

fn schemas_sql() -> String {
    format!(
        "select n.nspname::text from pg_namespace n where {} and not starts_with(n.nspname, 'pg_') \
         and (pg_has_role(n.nspowner, 'USAGE') or has_schema_privilege(n.oid, 'CREATE, USAGE'))",
        schema_filter("n.nspname")
    )
}

/// Whether the session may use the privileges of each relation owner: asked once per owner, not per
/// relation or column (`pg_has_role` is the costly part of the privilege checks).
const OWNERS: &str = "with owners as materialized (select s.owner, pg_has_role(s.owner, 'USAGE') as usable \
    from (select distinct relowner as owner from pg_class) s) ";

fn relations_sql() -> String {
    format!(
        "{OWNERS}select c.oid, n.nspname::text, c.relname::text, c.relkind::text, \
           case when c.relkind = 'v' then (pg_relation_is_updatable(c.oid, true) & 8) = 8 else false end, \
           case when c.relkind = 'v' then (pg_relation_is_updatable(c.oid, true) & 4) = 4 else false end \
         from pg_class c join pg_namespace n on n.oid = c.relnamespace join owners o on o.owner = c.relowner \
         where {} and c.relkind in ('r', 'p', 'f', 'v', 'm') \
           and (c.relkind not in ('r', 'p') or (not pg_is_other_temp_schema(n.oid) and ( \
             o.usable \
             or has_table_privilege(c.oid, 'SELECT, INSERT, UPDATE, DELETE, TRUNCATE, REFERENCES, TRIGGER') \
             or has_any_column_privilege(c.oid, 'SELECT, INSERT, UPDATE, REFERENCES'))))",
        schema_filter("n.nspname")
    )
}

fn columns_sql() -> String {
    format!(
        "{OWNERS}select c.oid, a.attname::text, coalesce(bt.typname, t.typname)::text, coalesce(nbt.nspname, nt.nspname)::text, \
           a.attidentity in ('a', 'd'), a.attidentity = 'a', a.attgenerated in ('s', 'v'), \
           not (a.attnotnull or (t.typtype = 'd' and t.typnotnull)), \
           c.relkind in ('r', 'p') or (c.relkind in ('v', 'f') and ( \
             pg_column_is_updatable(c.oid, a.attnum, false) \
             or exists (select from pg_trigger g where g.tgrelid = c.oid and not g.tgisinternal \
                        and g.tgtype & 64 <> 0 and g.tgtype & 20 <> 0) \
             or exists (select from pg_rewrite w where w.ev_class = c.oid and w.is_instead \
                        and w.ev_type in ('2', '3') and w.ev_qual::text = '<>'))), \
           a.atthasdef \
         from pg_attribute a \
           join pg_class c on c.oid = a.attrelid \
           join owners o on o.owner = c.relowner \
           join pg_namespace n on n.oid = c.relnamespace \
           join pg_type t on t.oid = a.atttypid \
           join pg_namespace nt on nt.oid = t.typnamespace \
           left join (pg_type bt join pg_namespace nbt on nbt.oid = bt.typnamespace) \
             on t.typtype = 'd' and bt.oid = t.typbasetype \
         where {} and a.attnum > 0 and not a.attisdropped and c.relkind in ('r', 'p', 'v', 'm', 'f') \
           and not pg_is_other_temp_schema(n.oid) \
           and (o.usable \
                or has_column_privilege(c.oid, a.attnum, 'SELECT, INSERT, UPDATE, REFERENCES'))",
        schema_filter("n.nspname")
    )
}

/// Every type: enum labels only for enums, attributes only for composite types, `format_type` only for
/// row types (the one place the generator prints it).
const TYPES_SQL: &str = "select t.oid, t.typname::text, coalesce(n.nspname::text, ''), \
       case when t.typrelid <> 0 then format_type(t.oid, null) else '' end, \
       case when t.typtype = 'e' then coalesce((select array_agg(e.enumlabel::text order by e.enumsortorder) \
         from pg_enum e where e.enumtypid = t.oid), '{}') else '{}' end, \
       case when k.relkind = 'c' then coalesce((select array_agg(a.attname::text order by a.attnum) from pg_attribute a \
         where a.attrelid = k.oid and a.attnum > 0 and not a.attisdropped), '{}') else '{}' end, \
       case when k.relkind = 'c' then coalesce((select array_agg(a.atttypid order by a.attnum) from pg_attribute a \
         where a.attrelid = k.oid and a.attnum > 0 and not a.attisdropped), '{}') else '{}' end, \
       nullif(t.typrelid, 0) \
     from pg_type t left join pg_namespace n on n.oid = t.typnamespace left join pg_class k on k.oid = t.typrelid \
     where t.typrelid = 0 or k.relkind in ('c', 'r', 'v', 'm', 'p', 'f')";

fn functions_sql() -> String {
    format!(
        "select p.oid, n.nspname::text, p.proname::text, p.proargmodes::text[], p.proargnames, \
           coalesce(p.proallargtypes, p.proargtypes::oid[]), p.pronargs, p.pronargdefaults, \
           pg_get_function_arguments(p.oid), pg_get_function_identity_arguments(p.oid), p.prorettype, \
           pg_get_function_result(p.oid), nullif(rt.typrelid, 0), p.proretset, \
           case when p.proretset then nullif(p.prorows, 0) end \
         from pg_proc p join pg_namespace n on n.oid = p.pronamespace left join pg_type rt on rt.oid = p.prorettype \
         where {} and p.prokind = 'f' and pg_get_function_result(p.oid) not in ('trigger', 'event_trigger')",
        schema_filter("n.nspname")
    )
}

/// Reads everything the generator needs about `schemas` (every non-system schema when empty).
pub async fn introspect(client: &Client, schemas: &[String]) -> Result<Catalog, Failure> {
    let param: Vec<&str> = schemas.iter().map(String::as_str).collect();
    let (s_sql, r_sql, c_sql, f_sql) = (schemas_sql(), relations_sql(), columns_sql(), functions_sql());
    let (schema_rows, relation_rows, column_rows, type_rows, function_rows, relationships) = futures_util::try_join!(
        async { client.query(&s_sql, &[&param]).await.map_err(query_failure) },
        async { client.query(&r_sql, &[&param]).await.map_err(query_failure) },
        async { client.query(&c_sql, &[&param]).await.map_err(query_failure) },
        async { client.query(TYPES_SQL, &[]).await.map_err(query_failure) },
        async { client.query(&f_sql, &[&param]).await.map_err(query_failure) },
        viewdeps::relationships(client, &param),
    )?;
    let mut catalog = Catalog {
        schemas: schema_rows.iter().map(|r| r.get::<_, String>(0)).collect(),
        relations: relation_rows.iter().map(relation).collect(),
        columns: column_rows.iter().map(column).collect(),
        types: type_rows.iter().map(pg_type).collect(),
        functions: function_rows.iter().map(function).collect(),
        relationships,
    };
    sort(&mut catalog);
    Ok(catalog)
}

fn relation(row: &tokio_postgres::Row) -> Relation {
    let kind = match row.get::<_, String>(3).as_str() {
        "f" => RelKind::Foreign,
        "v" => RelKind::View,
        "m" => RelKind::Materialized,
        _ => RelKind::Table,
    };
    Relation {
        id: row.get(0),
        schema: row.get(1),
        name: row.get(2),
        kind,
        insert_enabled: row.get(4),
        update_enabled: row.get(5),
    }
}

fn column(row: &tokio_postgres::Row) -> Column {
    Column {
        table_id: row.get(0),
        name: row.get(1),
        format: row.get(2),
        type_schema: row.get(3),
        is_identity: row.get(4),
        identity_always: row.get(5),
        is_generated: row.get(6),
        is_nullable: row.get(7),
        is_updatable: row.get(8),
        has_default: row.get(9),
    }
}

fn pg_type(row: &tokio_postgres::Row) -> PgType {
    let names: Vec<String> = row.get(5);
    let type_ids: Vec<u32> = row.get(6);
    PgType {
        id: row.get(0),
        name: row.get(1),
        schema: row.get(2),
        format: row.get(3),
        enums: row.get(4),
        attributes: names.into_iter().zip(type_ids).collect(),
        relation_id: row.get(7),
    }
}

fn function(row: &tokio_postgres::Row) -> Function {
    let modes: Option<Vec<String>> = row.get(3);
    let names: Option<Vec<String>> = row.get(4);
    let types: Vec<u32> = row.get(5);
    let in_count = usize::try_from(row.get::<_, i16>(6)).unwrap_or(0);
    let defaults = usize::try_from(row.get::<_, i16>(7)).unwrap_or(0);
    // Defaults are assigned by position over all arguments, as the generator's catalog query does.
    let first_default = in_count.saturating_sub(defaults);
    let args = types
        .iter()
        .enumerate()
        .map(|(i, type_id)| Arg {
            mode: match modes.as_ref().and_then(|m| m.get(i)).map(String::as_str) {
                None | Some("i") => ArgMode::In,
                Some("o") => ArgMode::Out,
                Some("b") => ArgMode::InOut,
                Some("v") => ArgMode::Variadic,
                Some(_) => ArgMode::Table,
            },
            name: names.as_ref().and_then(|n| n.get(i)).cloned().unwrap_or_default(),
            type_id: *type_id,
            has_default: i >= first_default && i < in_count,
        })
        .collect();
    Function {
        id: row.get(0),
        schema: row.get(1),
        name: row.get(2),
        args,
        argument_types: row.get(8),
        identity_argument_types: row.get(9),
        return_type_id: row.get(10),
        return_type: row.get(11),
        return_type_relation_id: row.get(12),
        returns_set: row.get(13),
        rows: row.get(14),
    }
}

/// Orders every collection as the generator does: by schema, then name, with the English collation.
pub fn sort(catalog: &mut Catalog) {
    catalog.schemas.sort_by(|a, b| compare(a, b));
    catalog
        .relations
        .sort_by(|a, b| compare(&a.schema, &b.schema).then_with(|| compare(&a.name, &b.name)).then(a.id.cmp(&b.id)));
    catalog
        .types
        .sort_by(|a, b| compare(&a.schema, &b.schema).then_with(|| compare(&a.name, &b.name)).then(a.id.cmp(&b.id)));
    catalog.columns.sort_by(|a, b| a.table_id.cmp(&b.table_id).then_with(|| compare(&a.name, &b.name)));
    catalog.functions.sort_by(|a, b| {
        compare(&a.schema, &b.schema)
            .then_with(|| compare(&a.name, &b.name))
            .then_with(|| compare(&a.identity_argument_types, &b.identity_argument_types))
            .then(a.id.cmp(&b.id))
    });
    for function in &mut catalog.functions {
        function.args.sort_by(|a, b| compare(&a.name, &b.name));
    }
    catalog.relationships.sort_by(|a, b| {
        compare(&a.foreign_key_name, &b.foreign_key_name)
            .then_with(|| compare(&a.referenced_relation, &b.referenced_relation))
            .then_with(|| compare(&json_list(&a.referenced_columns), &json_list(&b.referenced_columns)))
    });
}

/// A list of names as `JSON.stringify` writes it, the generator's tie-break for relationships.
pub(crate) fn json_list(names: &Option<Vec<String>>) -> String {
    serde_json::to_string(names).unwrap_or_default()
}
