//! `supabase_migrations.schema_migrations`, created and used exactly as the Supabase CLI does: the table
//! `(version text primary key, statements text[], name text)` and its sibling `seed_files`, written with
//! only those three columns, so extra columns some platforms add are tolerated.

use crate::failure::Failure;
use crate::pg::catalog::query_failure;
use tokio_postgres::GenericClient;
use tokio_postgres::types::{ToSql, Type};

/// The CLI's DDL, run as one batch under a 4 s lock timeout.
const CREATE_HISTORY: &str = "SET lock_timeout = '4s';
CREATE SCHEMA IF NOT EXISTS supabase_migrations;
CREATE TABLE IF NOT EXISTS supabase_migrations.schema_migrations (version text NOT NULL PRIMARY KEY);
ALTER TABLE supabase_migrations.schema_migrations ADD COLUMN IF NOT EXISTS statements text[];
ALTER TABLE supabase_migrations.schema_migrations ADD COLUMN IF NOT EXISTS name text;
CREATE TABLE IF NOT EXISTS supabase_migrations.seed_files (path text NOT NULL PRIMARY KEY, hash text NOT NULL);
RESET lock_timeout;";

/// One applied migration, as the history holds it.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, schemars::JsonSchema)]
pub struct AppliedMigration {
    pub version: String,
    pub name: String,
    pub statements: Vec<String>,
}

/// Creates the history table if it is missing (idempotent).
pub async fn ensure(client: &impl GenericClient) -> Result<(), Failure> {
    client.batch_execute(CREATE_HISTORY).await.map_err(|e| {
        let mut failure = query_failure(e);
        failure.what = "cannot create supabase_migrations.schema_migrations".to_owned();
        failure
    })
}

/// Every applied migration, ordered by version as the CLI reads them. No table: none applied.
pub async fn read(client: &impl GenericClient) -> Result<Vec<AppliedMigration>, Failure> {
    let exists = client
        .query_typed_one("select to_regclass('supabase_migrations.schema_migrations') is not null", &[])
        .await
        .map_err(query_failure)?;
    if !exists.get::<_, bool>(0) {
        return Ok(Vec::new());
    }
    let rows = client
        .query_typed(
            "select version, coalesce(name, ''), coalesce(statements, '{}') from supabase_migrations.schema_migrations",
            &[],
        )
        .await
        .map_err(query_failure)?;
    let mut applied: Vec<AppliedMigration> =
        rows.iter().map(|r| AppliedMigration { version: r.get(0), name: r.get(1), statements: r.get(2) }).collect();
    applied.sort_by(|a, b| super::files::version_order(&a.version, &b.version));
    Ok(applied)
}

/// Records `migration` as applied (inside the caller's transaction).
pub async fn insert(client: &impl GenericClient, migration: &AppliedMigration) -> Result<(), Failure> {
    let sql = "insert into supabase_migrations.schema_migrations (version, name, statements) values ($1, $2, $3)";
    client.execute_typed(sql, &params(migration)).await.map_err(query_failure).map(|_| ())
}

/// Records `migration` as applied, replacing an existing row (the CLI's `repair --status applied`).
pub async fn upsert(client: &impl GenericClient, migration: &AppliedMigration) -> Result<(), Failure> {
    let sql = "insert into supabase_migrations.schema_migrations (version, name, statements) values ($1, $2, $3) \
               on conflict (version) do update set name = excluded.name, statements = excluded.statements";
    client.execute_typed(sql, &params(migration)).await.map_err(query_failure).map(|_| ())
}

/// Removes the rows of `versions` (the CLI's `repair --status reverted`); returns how many went.
pub async fn delete(client: &impl GenericClient, versions: &[String]) -> Result<u64, Failure> {
    let sql = "delete from supabase_migrations.schema_migrations where version = any($1)";
    client.execute_typed(sql, &[(&versions, Type::TEXT_ARRAY)]).await.map_err(query_failure)
}

fn params(migration: &AppliedMigration) -> [(&(dyn ToSql + Sync), Type); 3] {
    [(&migration.version, Type::TEXT), (&migration.name, Type::TEXT), (&migration.statements, Type::TEXT_ARRAY)]
}
