//! Catalog queries behind the schema tools: schemas, tables, one table in depth, extensions. Every query is
//! parameterised and returns typed rows; Supabase-internal schemas are known here.

pub mod cells;
pub mod describe;
pub mod policies;
mod schema_doc;

pub use describe::{TableDetail, describe_table};
pub use schema_doc::{SchemaDocument, schema_document, schema_exists};

use crate::failure::Failure;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use tokio_postgres::GenericClient;
use tokio_postgres::types::{ToSql, Type};

/// Schemas that belong to Supabase itself or to PostgreSQL, hidden unless asked for.
pub const INTERNAL_SCHEMAS: &[&str] = &[
    "auth",
    "storage",
    "realtime",
    "_realtime",
    "extensions",
    "graphql",
    "graphql_public",
    "vault",
    "pgsodium",
    "pgsodium_masks",
    "pgbouncer",
    "supabase_functions",
    "supabase_migrations",
    "supabase_subscription_mgmt",
    "net",
    "cron",
    "_analytics",
    "_supavisor",
    "pgtle",
    "pg_catalog",
    "information_schema",
    "tiger",
    "topology",
];

/// Excludes PostgreSQL's own toast and temp schemas in every listing.
const SYSTEM_SCHEMA_FILTER: &str =
    "n.nspname not in ('pg_catalog', 'information_schema') and n.nspname !~ '^pg_(toast|temp)'";

fn internal_list() -> Vec<String> {
    INTERNAL_SCHEMAS.iter().map(|s| (*s).to_owned()).collect()
}

pub fn query_failure(e: tokio_postgres::Error) -> Failure {
    super::sql_errors::sql_failure(&e, None, std::time::Duration::ZERO)
}

#[derive(Debug, Serialize, JsonSchema)]
pub struct SchemaRow {
    pub name: String,
    pub owner: String,
    pub tables: i64,
    pub internal: bool,
    pub comment: Option<String>,
}

pub async fn list_schemas(client: &impl GenericClient, include_internal: bool) -> Result<Vec<SchemaRow>, Failure> {
    let sql = format!(
        "select n.nspname::text, pg_get_userbyid(n.nspowner)::text, \
         (select count(*) from pg_class c where c.relnamespace = n.oid and c.relkind in ('r','p','f')), \
         n.nspname = any($1), obj_description(n.oid, 'pg_namespace') \
         from pg_namespace n where {SYSTEM_SCHEMA_FILTER} and ($2 or not n.nspname = any($1)) order by 1"
    );
    let internal = internal_list();
    let rows = client
        .query_typed(&sql, &[(&internal as &(dyn ToSql + Sync), Type::TEXT_ARRAY), (&include_internal, Type::BOOL)])
        .await
        .map_err(query_failure)?;
    Ok(rows
        .iter()
        .map(|r| SchemaRow { name: r.get(0), owner: r.get(1), tables: r.get(2), internal: r.get(3), comment: r.get(4) })
        .collect())
}

#[derive(Debug, Serialize, Deserialize, JsonSchema)]
pub struct TableRow {
    pub schema: String,
    pub name: String,
    /// table, partitioned table or foreign table.
    pub kind: String,
    pub rls_enabled: bool,
    pub estimated_rows: Option<i64>,
    pub size_bytes: i64,
    pub comment: Option<String>,
}

pub struct TableFilter {
    /// Only these schemas; `None` for every schema (internal ones only with `include_internal`).
    pub schemas: Option<Vec<String>>,
    pub include_internal: bool,
    /// A case-insensitive substring of the table name.
    pub name_contains: Option<String>,
    pub limit: i64,
    pub offset: i64,
}

/// The table list query; its columns are named as [`TableRow`]'s fields (plus `total`), so the same SQL
/// serves a connection (read by position) and the Management API (read by name).
pub fn list_tables_sql() -> String {
    format!(
        "select n.nspname::text as schema, c.relname::text as name, \
           case c.relkind when 'p' then 'partitioned table' when 'f' then 'foreign table' else 'table' end as kind, \
           c.relrowsecurity as rls_enabled, \
           case when c.reltuples < 0 then null else c.reltuples::int8 end as estimated_rows, \
           pg_total_relation_size(c.oid) as size_bytes, obj_description(c.oid, 'pg_class') as comment, \
           count(*) over () as total \
         from pg_class c join pg_namespace n on n.oid = c.relnamespace \
         where c.relkind in ('r','p','f') and not c.relispartition and {SYSTEM_SCHEMA_FILTER} \
           and ($1::text[] is null or n.nspname = any($1)) \
           and ($1::text[] is not null or $2 or not n.nspname = any($3)) \
           and ($4::text is null or strpos(lower(c.relname), lower($4)) > 0) \
         order by 1, 2 limit $5 offset $6"
    )
}

/// The values of [`list_tables_sql`]'s parameters, as JSON (for the Management API).
pub fn list_tables_parameters(filter: &TableFilter) -> Vec<serde_json::Value> {
    serde_json::json!([
        filter.schemas,
        filter.include_internal,
        internal_list(),
        filter.name_contains,
        filter.limit,
        filter.offset
    ])
    .as_array()
    .cloned()
    .unwrap_or_default()
}

pub async fn list_tables(client: &impl GenericClient, filter: &TableFilter) -> Result<(Vec<TableRow>, i64), Failure> {
    let sql = list_tables_sql();
    let internal = internal_list();
    let rows = client
        .query_typed(
            &sql,
            &[
                (&filter.schemas as &(dyn ToSql + Sync), Type::TEXT_ARRAY),
                (&filter.include_internal, Type::BOOL),
                (&internal, Type::TEXT_ARRAY),
                (&filter.name_contains, Type::TEXT),
                (&filter.limit, Type::INT8),
                (&filter.offset, Type::INT8),
            ],
        )
        .await
        .map_err(query_failure)?;
    let total = rows.first().map(|r| r.get::<_, i64>(7)).unwrap_or(0);
    let tables = rows
        .iter()
        .map(|r| TableRow {
            schema: r.get(0),
            name: r.get(1),
            kind: r.get(2),
            rls_enabled: r.get(3),
            estimated_rows: r.get(4),
            size_bytes: r.get(5),
            comment: r.get(6),
        })
        .collect();
    Ok((tables, total))
}

#[derive(Debug, Serialize, Deserialize, JsonSchema)]
pub struct ExtensionRow {
    pub name: String,
    pub installed_version: Option<String>,
    pub default_version: Option<String>,
    pub schema: Option<String>,
    pub comment: Option<String>,
}

/// The extension list query ($1: include the available ones); columns named as [`ExtensionRow`]'s fields.
pub const LIST_EXTENSIONS_SQL: &str = "select a.name::text as name, e.extversion::text as installed_version, \
       a.default_version::text as default_version, n.nspname::text as schema, a.comment as comment \
     from pg_available_extensions a \
     left join pg_extension e on e.extname = a.name \
     left join pg_namespace n on n.oid = e.extnamespace \
     where $1 or e.oid is not null order by (e.oid is null), a.name";

/// Installed extensions, and with `include_available` those the server could install.
pub async fn list_extensions(
    client: &impl GenericClient,
    include_available: bool,
) -> Result<Vec<ExtensionRow>, Failure> {
    let rows =
        client.query_typed(LIST_EXTENSIONS_SQL, &[(&include_available, Type::BOOL)]).await.map_err(query_failure)?;
    Ok(rows
        .iter()
        .map(|r| ExtensionRow {
            name: r.get(0),
            installed_version: r.get(1),
            default_version: r.get(2),
            schema: r.get(3),
            comment: r.get(4),
        })
        .collect())
}
