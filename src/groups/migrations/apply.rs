//! `apply_migration`, `apply_pending`, `rollback_migration`.

use super::{
    applied_versions, default_directory, default_lock_timeout_ms, destructive_statements, find_file, timeouts,
};
use crate::failure::Failure;
use crate::migrate::runner::{self, ApplyOptions, ApplyReport};
use crate::migrate::{files, history, status};
use crate::server::SupamcpServer;
use crate::server::output::{IntoToolResult, schema_of, structured};
use rmcp::handler::server::wrapper::Parameters;
use rmcp::model::CallToolResult;
use rmcp::{ErrorData as McpError, schemars, tool, tool_router};
use serde::{Deserialize, Serialize};
use std::path::PathBuf;

#[derive(Debug, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ApplyMigrationParams {
    /// The migration file's version (or its file name); or give name + query instead.
    #[serde(default)]
    pub version: Option<String>,
    /// With query: write a new migration of this name (snake_case), apply it and record it, in one call.
    #[serde(default)]
    pub name: Option<String>,
    /// The SQL of the new migration named by name.
    #[serde(default)]
    pub query: Option<String>,
    /// Run it and roll back, reporting what each statement did.
    #[serde(default)]
    pub dry_run: bool,
    /// Needed when the migration drops, truncates or deletes.
    #[serde(default)]
    pub confirm: bool,
    /// lock_timeout in milliseconds.
    #[serde(default = "default_lock_timeout_ms")]
    pub lock_timeout_ms: u64,
    /// statement_timeout in milliseconds; the instance's default when omitted.
    #[serde(default)]
    pub statement_timeout_ms: Option<u64>,
    /// The migrations directory.
    #[serde(default = "default_directory")]
    pub directory: String,
    /// Instance name; omit for the default instance.
    #[serde(default)]
    pub instance: Option<String>,
}

#[derive(Debug, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ApplyPendingParams {
    /// Apply pending migrations up to and including this version; all when omitted.
    #[serde(default)]
    pub up_to: Option<String>,
    /// Also apply pending migrations older than the newest applied one (as the CLI's --include-all).
    #[serde(default)]
    pub include_all: bool,
    /// Required when a pending migration drops, truncates or deletes.
    #[serde(default)]
    pub confirm: bool,
    /// lock_timeout in milliseconds.
    #[serde(default = "default_lock_timeout_ms")]
    pub lock_timeout_ms: u64,
    /// statement_timeout in milliseconds; the instance's default when omitted.
    #[serde(default)]
    pub statement_timeout_ms: Option<u64>,
    /// The migrations directory.
    #[serde(default = "default_directory")]
    pub directory: String,
    /// Instance name; omit for the default instance.
    #[serde(default)]
    pub instance: Option<String>,
}

#[derive(Debug, Serialize, schemars::JsonSchema)]
pub struct PendingReply {
    pub applied: Vec<ApplyReport>,
    /// Pending migrations left, in order (after a failure, the failed one first).
    pub remaining: Vec<String>,
}

#[derive(Debug, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RollbackParams {
    /// The applied migration to revert (its down file runs).
    pub version: String,
    /// Run the down SQL in a transaction that is rolled back.
    #[serde(default)]
    pub dry_run: bool,
    /// Required unless dry_run: reverting usually drops objects and data.
    #[serde(default)]
    pub confirm: bool,
    /// lock_timeout in milliseconds.
    #[serde(default = "default_lock_timeout_ms")]
    pub lock_timeout_ms: u64,
    /// statement_timeout in milliseconds; the instance's default when omitted.
    #[serde(default)]
    pub statement_timeout_ms: Option<u64>,
    /// The migrations directory.
    #[serde(default = "default_directory")]
    pub directory: String,
    /// Instance name; omit for the default instance.
    #[serde(default)]
    pub instance: Option<String>,
}

pub(super) fn needs_confirm(file: &files::MigrationFile) -> Option<Failure> {
    let risky = destructive_statements(file);
    (!risky.is_empty()).then(|| {
        Failure::new(
            format!("migration {}_{} drops, truncates or deletes", file.version, file.name),
            format!("it holds: {}", risky.join(" | ")),
            "review it (dry_run: true shows what each statement does), then call again with confirm: true",
        )
    })
}

#[tool_router(router = migrations_apply_router, vis = "pub(crate)")]
impl SupamcpServer {
    /// Apply one migration file (version), or write and apply a new one (name + query), recording it in the
    /// history, all or nothing; dry_run rolls it back. Migrations that drop, truncate or delete need confirm: true.
    #[tool(
        annotations(title = "Apply migration", read_only_hint = false, destructive_hint = true, idempotent_hint = false, open_world_hint = false),
        output_schema = schema_of::<ApplyReport>()
    )]
    async fn apply_migration(
        &self,
        Parameters(params): Parameters<ApplyMigrationParams>,
    ) -> Result<CallToolResult, McpError> {
        let version = match (params.version.as_deref(), params.name.as_deref(), params.query.as_deref()) {
            (Some(version), None, None) => version.to_owned(),
            (None, Some(name), Some(query)) => {
                let inline = super::apply_inline::InlineMigration { name, query, params: &params };
                return Ok(inline.run(self).await.map(|r| structured(&r)).unwrap_or_else(IntoToolResult::into_result));
            }
            _ => return Ok(super::apply_inline::mode_failure().into_result()),
        };
        let outcome = async {
            let database = self.state.databases.get(params.instance.as_deref())?;
            let file = find_file(&params.directory, &version)?;
            if applied_versions(&database).await?.contains(&file.version) {
                return Err(Failure::new(
                    format!("migration {} is applied already", file.version),
                    "the history records it",
                    "create a new migration for further changes; repair_migration_history with reverted if the record is wrong",
                ));
            }
            if let Some(refusal) = needs_confirm(&file).filter(|_| !params.confirm && !params.dry_run) {
                return Err(refusal);
            }
            let (lock_timeout, statement_timeout) =
                timeouts(params.lock_timeout_ms, params.statement_timeout_ms, database.statement_timeout())?;
            runner::apply(&database, &file, ApplyOptions { dry_run: params.dry_run, lock_timeout, statement_timeout }).await
        }
        .await;
        Ok(outcome.map(|report| structured(&report)).unwrap_or_else(IntoToolResult::into_result))
    }

    /// Apply every pending migration in order (or up to a version), each in its own transaction, stopping at
    /// the first failure with nothing of that migration left behind. Pending files older than the newest
    /// applied one need include_all.
    #[tool(
        annotations(title = "Apply pending migrations", read_only_hint = false, destructive_hint = true, idempotent_hint = false, open_world_hint = false),
        output_schema = schema_of::<PendingReply>()
    )]
    async fn apply_pending(
        &self,
        Parameters(params): Parameters<ApplyPendingParams>,
    ) -> Result<CallToolResult, McpError> {
        let outcome = async {
            let database = self.state.databases.get(params.instance.as_deref())?;
            let local = files::list(&PathBuf::from(&params.directory))?;
            let client = database.client().await?;
            let applied = history::read(&**client).await?;
            drop(client);
            let report = status::compare(&local, &applied);
            if let Some(old) = report.drift.iter().find(|d| d.kind == "out_of_order").filter(|_| !params.include_all) {
                return Err(Failure::new(
                    "a pending migration is older than the newest applied one",
                    old.detail.clone(),
                    "pass include_all: true to apply it too, or give it a newer version",
                ));
            }
            let pending: Vec<&files::MigrationFile> = local
                .iter()
                .filter(|f| report.pending.contains(&f.version))
                .filter(|f| params.up_to.as_deref().is_none_or(|up_to| files::version_order(&f.version, up_to).is_le()))
                .collect();
            if !params.confirm
                && let Some(refusal) = pending.iter().find_map(|f| needs_confirm(f))
            {
                return Err(refusal);
            }
            let (lock_timeout, statement_timeout) =
                timeouts(params.lock_timeout_ms, params.statement_timeout_ms, database.statement_timeout())?;
            let options = ApplyOptions { dry_run: false, lock_timeout, statement_timeout };
            let mut reply =
                PendingReply { applied: Vec::new(), remaining: pending.iter().map(|f| f.version.clone()).collect() };
            for file in pending {
                match runner::apply(&database, file, options).await {
                    Ok(done) => {
                        reply.remaining.retain(|v| *v != done.version);
                        reply.applied.push(done);
                    }
                    Err(mut failure) => {
                        let done: Vec<&str> = reply.applied.iter().map(|a| a.version.as_str()).collect();
                        failure.why = format!(
                            "{}; applied before it: {}; left pending: {}",
                            failure.why,
                            if done.is_empty() { "none".to_owned() } else { done.join(", ") },
                            reply.remaining.join(", ")
                        );
                        return Err(failure);
                    }
                }
            }
            Ok(reply)
        }
        .await;
        Ok(outcome.map(|reply| structured(&reply)).unwrap_or_else(IntoToolResult::into_result))
    }

    /// Revert an applied migration: run its down file (<version>_<name>.down.sql) and remove its history row,
    /// in one transaction. Refuses when there is no down SQL. Needs confirm: true unless dry_run.
    #[tool(
        annotations(title = "Roll back migration", read_only_hint = false, destructive_hint = true, idempotent_hint = false, open_world_hint = false),
        output_schema = schema_of::<ApplyReport>()
    )]
    async fn rollback_migration(
        &self,
        Parameters(params): Parameters<RollbackParams>,
    ) -> Result<CallToolResult, McpError> {
        let outcome = async {
            let database = self.state.databases.get(params.instance.as_deref())?;
            let file = find_file(&params.directory, &params.version)?;
            if !applied_versions(&database).await?.contains(&file.version) {
                return Err(Failure::new(
                    format!("migration {} is not applied", file.version),
                    "the history has no row for it",
                    "run list_migrations to see what is applied",
                ));
            }
            if !params.confirm && !params.dry_run {
                return Err(Failure::new(
                    format!("rolling back {}_{} needs confirmation", file.version, file.name),
                    "its down SQL usually drops objects and the data in them",
                    "run it with dry_run: true first, then call again with confirm: true",
                ));
            }
            let (lock_timeout, statement_timeout) =
                timeouts(params.lock_timeout_ms, params.statement_timeout_ms, database.statement_timeout())?;
            runner::revert(&database, &file, ApplyOptions { dry_run: params.dry_run, lock_timeout, statement_timeout })
                .await
        }
        .await;
        Ok(outcome.map(|report| structured(&report)).unwrap_or_else(IntoToolResult::into_result))
    }
}
