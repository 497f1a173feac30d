//! `list_migrations`, `create_migration`, `repair_migration_history`.

use super::{default_directory, find_file};
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
    /// The migration's SQL.
    pub sql: String,
    /// SQL that undoes it, written to <version>_<name>.down.sql for rollback_migration.
    #[serde(default)]
    pub down_sql: Option<String>,
    /// The migrations directory.
    #[serde(default = "default_directory")]
    pub directory: String,
}

#[derive(Debug, Serialize, schemars::JsonSchema)]
pub struct CreatedMigration {
    pub version: String,
    pub name: String,
    pub path: String,
    pub down_path: Option<String>,
    pub statements: usize,
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
    /// with a version later than every existing one. It is not applied: use apply_migration.
    #[tool(
        annotations(title = "Create migration", read_only_hint = false, destructive_hint = false, idempotent_hint = false, open_world_hint = false),
        output_schema = schema_of::<CreatedMigration>()
    )]
    async fn create_migration(
        &self,
        Parameters(params): Parameters<CreateMigrationParams>,
    ) -> Result<CallToolResult, McpError> {
        let directory = PathBuf::from(&params.directory);
        Ok(match files::create(&directory, &params.name, &params.sql, params.down_sql.as_deref()) {
            Ok(file) => structured(&CreatedMigration {
                version: file.version,
                name: file.name,
                path: file.path.display().to_string(),
                down_path: file.down_path.map(|p| p.display().to_string()),
                statements: file.statements.len(),
            }),
            Err(failure) => failure.into_result(),
        })
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
