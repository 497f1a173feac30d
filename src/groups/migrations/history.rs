//! `list_migrations`, `create_migration`, `repair_migration_history`.

use super::diff::{DiffSource, compute};
use super::{default_directory, find_file};
use crate::failure::Failure;
use crate::migrate::files;
use crate::migrate::history::{self, AppliedMigration};
use crate::migrate::status::{self, StatusReport};
use crate::server::SupamcpServer;
use crate::server::output::{IntoToolResult, schema_of, structured};
use rmcp::handler::server::wrapper::Parameters;
use rmcp::model::CallToolResult;
use rmcp::{ErrorData as McpError, schemars, tool, tool_router};
use serde::{Deserialize, Serialize};
use std::path::PathBuf;

#[derive(Debug, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ListMigrationsParams {
    /// The migrations directory (the Supabase CLI's layout).
    #[serde(default = "default_directory")]
    pub directory: String,
    /// Instance to compare with; the default instance when omitted.
    #[serde(default)]
    pub instance: Option<String>,
}

#[derive(Debug, Serialize, schemars::JsonSchema)]
pub struct ListMigrationsReply {
    pub directory: String,
    #[serde(flatten)]
    pub status: StatusReport,
}

#[derive(Debug, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateMigrationParams {
    /// A short name, e.g. "add todos table" (becomes add_todos_table).
    pub name: String,
    /// The migration's SQL (or give from_diff instead).
    #[serde(default)]
    pub sql: Option<String>,
    /// Write the schema diff as the migration: DDL turning `target` (default instance) into `source` (an
    /// instance or a migrations directory). Refused when the diff is empty; destructive statements stay out
    /// unless allow_destructive (they are listed in the reply).
    #[serde(default)]
    pub from_diff: Option<FromDiff>,
    /// SQL that undoes it, written to <version>_<name>.down.sql for rollback_migration.
    #[serde(default)]
    pub down_sql: Option<String>,
    /// The migrations directory.
    #[serde(default = "default_directory")]
    pub directory: String,
}

#[derive(Debug, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct FromDiff {
    /// The instance whose schema is wanted.
    #[serde(default)]
    pub source: Option<String>,
    /// Or a migrations directory applied to a scratch database on the target's server (needs CREATEDB).
    #[serde(default)]
    pub source_migrations_dir: Option<String>,
    /// The instance the migration is for; the default instance when omitted. It is only read.
    #[serde(default)]
    pub target: Option<String>,
    /// Schemas to compare; default: every schema that is not PostgreSQL's or Supabase's own.
    #[serde(default)]
    pub schemas: Vec<String>,
    /// With no `schemas`: also compare Supabase's own schemas.
    #[serde(default)]
    pub include_internal: bool,
    /// Also write destructive statements (drops, data loss) into the migration.
    #[serde(default)]
    pub allow_destructive: bool,
}

#[derive(Debug, Serialize, schemars::JsonSchema)]
pub struct CreatedMigration {
    pub version: String,
    pub name: String,
    pub path: String,
    pub down_path: Option<String>,
    pub statements: usize,
    /// from_diff: destructive statements left out of the file (allow_destructive: false).
    pub held_back: Vec<String>,
    /// from_diff: what to check by hand.
    pub warnings: Vec<String>,
}

#[derive(Debug, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum RepairStatus {
    /// Record the versions as applied, with the statements of their local files.
    Applied,
    /// Remove the versions from the history.
    Reverted,
}

#[derive(Debug, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RepairParams {
    /// Versions to repair.
    pub versions: Vec<String>,
    /// applied or reverted, as `supabase migration repair --status`.
    pub status: RepairStatus,
    /// The migrations directory (needed for applied).
    #[serde(default = "default_directory")]
    pub directory: String,
    /// Instance to repair; the default instance when omitted.
    #[serde(default)]
    pub instance: Option<String>,
}

#[derive(Debug, Serialize, schemars::JsonSchema)]
pub struct RepairReply {
    pub marked_applied: Vec<String>,
    pub removed: u64,
}

/// The diff's script, the held-back statements and the warnings; refused when there is nothing to write.
async fn migration_from_diff(
    server: &SupamcpServer,
    from: FromDiff,
) -> Result<(String, Vec<String>, Vec<String>), Failure> {
    let source = DiffSource {
        source: from.source,
        source_migrations_dir: from.source_migrations_dir,
        target: from.target,
        schemas: from.schemas,
        include_internal: from.include_internal,
    };
    let options = crate::diff::DiffOptions { allow_destructive: from.allow_destructive };
    let (result, compared) = compute(server, &source, options).await?;
    let held_back: Vec<String> = result.held_back.iter().map(|s| s.sql.clone()).collect();
    if result.statements.is_empty() {
        let why = if held_back.is_empty() {
            format!("the schemas already match ({compared})")
        } else {
            format!("only destructive statements differ ({compared}): {}", held_back.join("; "))
        };
        let fix = if held_back.is_empty() {
            "nothing to migrate"
        } else {
            "pass from_diff.allow_destructive: true to write them, after checking no data is lost"
        };
        return Err(Failure::new("the diff is empty: no migration written", why, fix));
    }
    let header = format!("-- Generated by supamcp from the schema diff: {compared}\n\n");
    Ok((header + &result.script(), held_back, result.warnings))
}

#[tool_router(router = migrations_history_router, vis = "pub(crate)")]
impl SupamcpServer {
    /// Compare the migration files with the database's history (supabase_migrations.schema_migrations, as the
    /// Supabase CLI keeps it): applied, pending, and drift (a file edited after it was applied, an applied
    /// version with no file, a pending file older than the newest applied one).
    #[tool(
        annotations(title = "List migrations", read_only_hint = true, destructive_hint = false, idempotent_hint = true, open_world_hint = false),
        output_schema = schema_of::<ListMigrationsReply>()
    )]
    async fn list_migrations(
        &self,
        Parameters(params): Parameters<ListMigrationsParams>,
    ) -> Result<CallToolResult, McpError> {
        Ok(self
            .with_client(params.instance.as_deref(), |client| async move {
                let files = files::list(&PathBuf::from(&params.directory))?;
                let applied = history::read(&**client).await?;
                Ok(structured(&ListMigrationsReply {
                    directory: params.directory,
                    status: status::compare(&files, &applied),
                }))
            })
            .await)
    }

    /// Write a new migration file <UTC timestamp>_<name>.sql (and an optional .down.sql) in the CLI's layout,
    /// with a version later than every existing one, from SQL or from a schema diff (from_diff: the DDL that
    /// turns the target into the source). It is not applied: use apply_migration.
    #[tool(
        annotations(title = "Create migration", read_only_hint = false, destructive_hint = false, idempotent_hint = false, open_world_hint = false),
        output_schema = schema_of::<CreatedMigration>()
    )]
    async fn create_migration(
        &self,
        Parameters(params): Parameters<CreateMigrationParams>,
    ) -> Result<CallToolResult, McpError> {
        let outcome = async {
            let (sql, held_back, warnings) = match (params.sql, params.from_diff) {
                (Some(sql), None) => (sql, Vec::new(), Vec::new()),
                (None, Some(from)) => migration_from_diff(self, from).await?,
                _ => {
                    return Err(Failure::new(
                        "no single content for the migration",
                        "give either sql or from_diff, not both and not neither",
                        "pass sql: \"create table ...\" or from_diff: {source: \"dev\"}",
                    ));
                }
            };
            let directory = PathBuf::from(&params.directory);
            let file = files::create(&directory, &params.name, &sql, params.down_sql.as_deref())?;
            Ok(CreatedMigration {
                version: file.version,
                name: file.name,
                path: file.path.display().to_string(),
                down_path: file.down_path.map(|p| p.display().to_string()),
                statements: file.statements.len(),
                held_back,
                warnings,
            })
        }
        .await;
        Ok(outcome.map(|reply| structured(&reply)).unwrap_or_else(IntoToolResult::into_result))
    }

    /// Repair the migration history as `supabase migration repair` does: status applied records the versions
    /// with their local files' statements (without running them); reverted removes them from the history.
    #[tool(
        annotations(title = "Repair migration history", read_only_hint = false, destructive_hint = false, idempotent_hint = true, open_world_hint = false),
        output_schema = schema_of::<RepairReply>()
    )]
    async fn repair_migration_history(
        &self,
        Parameters(params): Parameters<RepairParams>,
    ) -> Result<CallToolResult, McpError> {
        Ok(self
            .with_client(params.instance.as_deref(), |client| async move {
                history::ensure(&**client).await?;
                let mut reply = RepairReply { marked_applied: Vec::new(), removed: 0 };
                match params.status {
                    RepairStatus::Applied => {
                        for version in &params.versions {
                            let file = find_file(&params.directory, version)?;
                            let row = AppliedMigration {
                                version: file.version.clone(),
                                name: file.name,
                                statements: file.statements,
                            };
                            history::upsert(&**client, &row).await?;
                            reply.marked_applied.push(file.version);
                        }
                    }
                    RepairStatus::Reverted => reply.removed = history::delete(&**client, &params.versions).await?,
                }
                Ok(structured(&reply))
            })
            .await)
    }
}
