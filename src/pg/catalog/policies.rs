//! The row-level security of one table: whether RLS is on, and its policies as pg_policies shows them
//! (optionally only those whose expressions contain a text). Storage reads storage.objects through it and
//! Realtime realtime.messages.

use super::query_failure;
use crate::failure::Failure;
use schemars::JsonSchema;
use serde::Serialize;

/// A policy as PostgreSQL shows it.
#[derive(Clone, Debug, Serialize, JsonSchema)]
pub struct TablePolicy {
    pub name: String,
    /// SELECT, INSERT, UPDATE, DELETE or ALL.
    pub command: String,
    pub roles: Vec<String>,
    pub permissive: bool,
    /// The USING expression.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub using: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub with_check: Option<String>,
}

/// The policies on `schema.table`, only those whose USING or WITH CHECK text is LIKE `pattern` when given.
pub async fn table_policies(
    client: &tokio_postgres::Client,
    schema: &str,
    table: &str,
    pattern: Option<&str>,
) -> Result<Vec<TablePolicy>, Failure> {
    let rows = client
        .query(
            "select policyname::text, cmd::text, roles::text[], permissive = 'PERMISSIVE', qual, with_check \
             from pg_catalog.pg_policies where schemaname = $1 and tablename = $2 \
             and ($3::text is null or coalesce(qual, '') || ' ' || coalesce(with_check, '') like $3) \
             order by policyname",
            &[&schema, &table, &pattern],
        )
        .await
        .map_err(query_failure)?;
    rows.iter()
        .map(|row| {
            Ok(TablePolicy {
                name: row.try_get(0)?,
                command: row.try_get(1)?,
                roles: row.try_get(2)?,
                permissive: row.try_get(3)?,
                using: row.try_get(4)?,
                with_check: row.try_get(5)?,
            })
        })
        .collect::<Result<_, tokio_postgres::Error>>()
        .map_err(query_failure)
}

/// Whether row-level security is on for `relation` (`schema.table`); false when it does not exist.
pub async fn rls_enabled(client: &tokio_postgres::Client, relation: &str) -> Result<bool, Failure> {
    let row = client
        .query_opt("select relrowsecurity from pg_catalog.pg_class where oid = to_regclass($1)", &[&relation])
        .await
        .map_err(query_failure)?;
    row.map(|row| row.try_get(0)).transpose().map_err(query_failure).map(|rls| rls.unwrap_or(false))
}

/// One policy to create: `roles` is SQL text (`public`, `authenticated`, quoted names).
#[derive(Clone, Debug)]
pub struct NewPolicy {
    pub name: String,
    pub command: String,
    pub roles: String,
    pub using: Option<String>,
    pub with_check: Option<String>,
}

/// The migration of generated policies: the up SQL, the down SQL and the policy names.
#[derive(Clone, Debug)]
pub struct PolicyMigration {
    pub up: String,
    pub down: String,
    pub names: Vec<String>,
}

/// CREATE POLICY statements for `policies` on `table` (SQL text, e.g. `storage.objects`), and the DROP POLICY
/// IF EXISTS statements that undo them.
pub fn policy_migration(table: &str, policies: Vec<NewPolicy>) -> PolicyMigration {
    let mut migration = PolicyMigration { up: String::new(), down: String::new(), names: Vec::new() };
    for policy in policies {
        let name = crate::pg::ident::quote_ident(&policy.name);
        migration.up.push_str(&format!("create policy {name} on {table} for {} to {}", policy.command, policy.roles));
        if let Some(using) = &policy.using {
            migration.up.push_str(&format!("\n  using ({using})"));
        }
        if let Some(check) = &policy.with_check {
            migration.up.push_str(&format!("\n  with check ({check})"));
        }
        migration.up.push_str(";\n");
        migration.down.push_str(&format!("drop policy if exists {name} on {table};\n"));
        migration.names.push(policy.name);
    }
    migration
}
