//! What a backup covers and what a restore needs, read from the catalog: the server version, extensions, the
//! schemas a dump takes (Supabase's service schemas left out as the Supabase CLI's dump leaves them out), the
//! roles the objects name, and the per-table row counts and checksums (the checksum `copy_database` uses).

use super::manifest::{Extension, TableEntry};
use crate::failure::Failure;
use crate::migrate::copy::stream::stream_checksum;
use crate::migrate::copy::tables;
use crate::pg::catalog::query_failure;
use tokio_postgres::types::Type;

/// Schemas Supabase's services create and manage at run time (the Supabase CLI's dump leaves them out too):
/// left out of a default backup unless they hold an extension (whose `CREATE EXTENSION` needs the schema).
/// `auth`, `storage`, `extensions` and `supabase_migrations` stay in: they hold the users, bucket and object
/// rows, extension schemas and migration history the database needs to be whole again.
pub const SERVICE_SCHEMAS: &[&str] = &[
    "_analytics",
    "_realtime",
    "_supavisor",
    "etl",
    "pgbouncer",
    "realtime",
    "supabase_functions",
    "cron",
    "dbdev",
    "graphql",
    "graphql_public",
    "net",
    "pgmq",
    "pgsodium",
    "pgsodium_masks",
    "pgtle",
    "repack",
    "tiger",
    "tiger_data",
    "topology",
    "vault",
    "timescaledb_information",
    "timescaledb_experimental",
    "_timescaledb_cache",
    "_timescaledb_catalog",
    "_timescaledb_config",
    "_timescaledb_internal",
];

/// The server's version text and major number.
pub async fn server_version(client: &tokio_postgres::Client) -> Result<(String, u32), Failure> {
    let row = client
        .query_one("select current_setting('server_version'), current_setting('server_version_num')::int4", &[])
        .await
        .map_err(query_failure)?;
    let version: String = row.get(0);
    let number: i32 = row.get(1);
    Ok((version, u32::try_from(number / 10_000).unwrap_or(0)))
}

pub async fn extensions(client: &tokio_postgres::Client) -> Result<Vec<Extension>, Failure> {
    let rows = client
        .query(
            "select e.extname::text, e.extversion, n.nspname::text from pg_extension e \
             join pg_namespace n on n.oid = e.extnamespace where e.extname <> 'plpgsql' order by 1",
            &[],
        )
        .await
        .map_err(query_failure)?;
    Ok(rows.iter().map(|r| Extension { name: r.get(0), version: r.get(1), schema: r.get(2) }).collect())
}

/// The schemas a dump takes: `wanted` when given, else every user schema except the service schemas that hold no
/// extension. Returns (included, excluded).
pub async fn dump_schemas(
    client: &tokio_postgres::Client,
    wanted: &[String],
) -> Result<(Vec<String>, Vec<String>), Failure> {
    let rows = client
        .query(
            "select n.nspname::text, exists (select 1 from pg_extension e where e.extnamespace = n.oid) \
             from pg_namespace n where n.nspname not in ('information_schema', 'pg_catalog', 'pg_toast') \
             and n.nspname not like 'pg\\_temp\\_%' and n.nspname not like 'pg\\_toast\\_temp\\_%' order by 1",
            &[],
        )
        .await
        .map_err(query_failure)?;
    let all: Vec<(String, bool)> = rows.iter().map(|r| (r.get(0), r.get(1))).collect();
    if !wanted.is_empty() {
        if let Some(missing) = wanted.iter().find(|w| !all.iter().any(|(name, _)| name == *w)) {
            return Err(Failure::new(
                format!("schema {missing} does not exist"),
                "it is not in the database",
                "list the schemas with list_schemas and pass existing ones",
            ));
        }
        return Ok((wanted.to_vec(), Vec::new()));
    }
    let (excluded, included): (Vec<_>, Vec<_>) =
        all.into_iter().partition(|(name, has_extension)| !has_extension && SERVICE_SCHEMAS.contains(&name.as_str()));
    Ok((included.into_iter().map(|s| s.0).collect(), excluded.into_iter().map(|s| s.0).collect()))
}

const ROLES: &str = "select distinct rolname::text from pg_roles where oid in ( \
      select nspowner from pg_namespace where nspname = any($1) \
      union select c.relowner from pg_class c join pg_namespace n on n.oid = c.relnamespace where n.nspname = any($1) \
      union select p.proowner from pg_proc p join pg_namespace n on n.oid = p.pronamespace where n.nspname = any($1) \
      union select t.typowner from pg_type t join pg_namespace n on n.oid = t.typnamespace where n.nspname = any($1) \
      union select (aclexplode(c.relacl)).grantee from pg_class c join pg_namespace n on n.oid = c.relnamespace \
            where n.nspname = any($1) and c.relacl is not null \
      union select (aclexplode(n.nspacl)).grantee from pg_namespace n where n.nspname = any($1) and n.nspacl is not null \
      union select unnest(p.polroles) from pg_policy p join pg_class c on c.oid = p.polrelid \
            join pg_namespace n on n.oid = c.relnamespace where n.nspname = any($1)) \
    order by 1";

/// Roles that own, are granted or are named by policies on the objects of `schemas`.
pub async fn roles(client: &tokio_postgres::Client, schemas: &[String]) -> Result<Vec<String>, Failure> {
    let rows = client.query_typed(ROLES, &[(&schemas, Type::TEXT_ARRAY)]).await.map_err(query_failure)?;
    Ok(rows.iter().map(|r| r.get(0)).collect())
}

/// Which of `roles` `client`'s server lacks.
pub async fn missing_roles(client: &tokio_postgres::Client, roles: &[String]) -> Result<Vec<String>, Failure> {
    let rows = client
        .query_typed("select rolname::text from pg_roles where rolname = any($1)", &[(&roles, Type::TEXT_ARRAY)])
        .await
        .map_err(query_failure)?;
    let present: Vec<String> = rows.iter().map(|r| r.get(0)).collect();
    Ok(roles.iter().filter(|r| !present.contains(r)).cloned().collect())
}

/// Session settings that make text COPY output the same on every server: run inside the transaction that reads.
pub const STABLE_TEXT: &str = "SET LOCAL timezone = 'UTC'; SET LOCAL datestyle = 'ISO, MDY'; \
    SET LOCAL intervalstyle = 'postgres'; SET LOCAL extra_float_digits = 1; SET LOCAL bytea_output = 'hex'";

/// Row counts and checksums of the tables of `schemas` (or only `only`, as `schema.table`), read by `client` in
/// whatever snapshot its transaction holds. `progress` is told each table's name after it is done.
pub async fn checksums(
    client: &tokio_postgres::Client,
    schemas: &[String],
    only: &[String],
    progress: &(dyn Fn(&str) + Send + Sync),
) -> Result<Vec<TableEntry>, Failure> {
    let mut entries = Vec::new();
    for table in tables::list(client, schemas, only).await? {
        let checksum = stream_checksum(client, &table, false).await?;
        progress(&table.label());
        entries.push(TableEntry {
            schema: table.schema,
            name: table.name,
            rows: checksum.rows,
            checksum: checksum.sum,
        });
    }
    Ok(entries)
}

/// The tables of a manifest whose rows or checksum differ on `client` (each as a sentence).
pub async fn compare(client: &tokio_postgres::Client, expected: &[TableEntry]) -> Result<Vec<String>, Failure> {
    let schemas: Vec<String> = expected.iter().map(|t| t.schema.clone()).collect();
    let names: Vec<String> = expected.iter().map(|t| format!("{}.{}", t.schema, t.name)).collect();
    client
        .batch_execute(&format!("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY; {STABLE_TEXT}"))
        .await
        .map_err(query_failure)?;
    let found = checksums(client, &schemas, &names, &|_| {}).await;
    let _ = client.batch_execute("ROLLBACK").await;
    let found = found?;
    let mut differences = Vec::new();
    for table in expected {
        match found.iter().find(|f| f.schema == table.schema && f.name == table.name) {
            None => differences.push(format!("{}.{} is missing", table.schema, table.name)),
            Some(f) if f.rows != table.rows => differences
                .push(format!("{}.{} has {} rows, the backup {}", table.schema, table.name, f.rows, table.rows)),
            Some(f) if f.checksum != table.checksum => {
                differences.push(format!("{}.{}: content checksum differs from the backup's", table.schema, table.name))
            }
            Some(_) => {}
        }
    }
    Ok(differences)
}
