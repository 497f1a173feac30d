//! `restore_backup` and `verify_backup`.

use super::{Located, progress_events};
use crate::backup::read;
use crate::backup::restore::{self, RestoreOptions, RestoreReport, RestoreTarget};
use crate::backup::store::Destination;
use crate::backup::verify::{self, VerifyReport};
use crate::failure::Failure;
use crate::secret::Secret;
use crate::server::SupamcpServer;
use crate::server::output::{IntoToolResult, schema_of, structured};
use crate::server::progress::{Reporter, heartbeat};
use rmcp::handler::server::wrapper::Parameters;
use rmcp::model::CallToolResult;
use rmcp::service::RequestContext;
use rmcp::{ErrorData as McpError, RoleServer, schemars, tool, tool_router};
use serde::Deserialize;

#[derive(Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RestoreBackupParams {
    /// The backup id, as list_backups shows it.
    pub backup_id: String,
    /// Instance name; omit for the default instance.
    #[serde(default)]
    pub instance: Option<String>,
    /// Where to restore (default: a new database).
    #[serde(default = "default_target")]
    pub target: RestoreTarget,
    /// Needed for the existing_database and schema targets.
    #[serde(default)]
    pub confirm: bool,
    /// End other sessions on a database being replaced.
    #[serde(default)]
    pub terminate_connections: bool,
    /// Keep the replaced database as <name>_previous_<time>.
    #[serde(default)]
    pub keep_previous: bool,
    /// pg_restore jobs; above 1 a private temporary file holds the decrypted archive.
    #[serde(default = "default_jobs")]
    pub jobs: u32,
    /// Backup key for this call; default SUPAMCP_BACKUP_KEY.
    #[serde(default)]
    #[schemars(with = "Option<String>")]
    pub key: Option<Secret>,
    /// Where the backup is (default: the store holding it).
    #[serde(default)]
    pub destination: Option<Destination>,
}

fn default_jobs() -> u32 {
    1
}

fn default_target() -> RestoreTarget {
    RestoreTarget::NewDatabase { name: None }
}

#[derive(Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct VerifyBackupParams {
    /// The backup id, as list_backups shows it.
    pub backup_id: String,
    /// Backup key for this call; default SUPAMCP_BACKUP_KEY.
    #[serde(default)]
    #[schemars(with = "Option<String>")]
    pub key: Option<Secret>,
    /// Where the backup is (default: the store holding it).
    #[serde(default)]
    pub destination: Option<Destination>,
}

#[tool_router(router = backups_restore_router, vis = "pub(crate)")]
impl SupamcpServer {
    /// Restore a backup, checked before and after (checksums, versions, row counts). Into a new database by default;
    /// replacing the existing one needs confirm and takes a safety backup first.
    #[tool(
        annotations(title = "Restore backup", read_only_hint = false, destructive_hint = true, idempotent_hint = false, open_world_hint = false),
        output_schema = schema_of::<Located<RestoreReport>>()
    )]
    async fn restore_backup(
        &self,
        Parameters(params): Parameters<RestoreBackupParams>,
        context: RequestContext<RoleServer>,
    ) -> Result<CallToolResult, McpError> {
        let reporter = Reporter::new(&context);
        let outcome = async {
            let database = self.state.databases.get(params.instance.as_deref())?;
            let store = self.store_holding(params.destination.as_ref(), &params.backup_id).await?;
            let options = RestoreOptions {
                target: params.target,
                key: self.backup_key(params.key.as_ref())?,
                confirm: params.confirm,
                terminate_connections: params.terminate_connections,
                keep_previous: params.keep_previous,
                jobs: params.jobs.clamp(1, 16),
                scratch_dir: self.state.settings.data_dir.join("restore-tmp"),
            };
            let events = progress_events(reporter.progress(), "restored");
            let report = restore::restore(&database, &store, &params.backup_id, &options, events, &context.ct).await?;
            Ok::<_, Failure>(Located::new(&store, report))
        }
        .await;
        reporter.finish().await;
        Ok(outcome.map(|reply| structured(&reply)).unwrap_or_else(IntoToolResult::into_result))
    }

    /// Verify a backup without restoring it: checksums, decryption, decompression and the archive's table list against
    /// the manifest.
    #[tool(
        annotations(title = "Verify backup", read_only_hint = true, destructive_hint = false, idempotent_hint = true, open_world_hint = false),
        output_schema = schema_of::<Located<VerifyReport>>()
    )]
    async fn verify_backup(
        &self,
        Parameters(params): Parameters<VerifyBackupParams>,
        context: RequestContext<RoleServer>,
    ) -> Result<CallToolResult, McpError> {
        let outcome = heartbeat(&context, "verify_backup", async {
            let store = self.store_holding(params.destination.as_ref(), &params.backup_id).await?;
            let manifest = read::manifest(&store, &params.backup_id).await?;
            let key = if manifest.archive.encryption == "none" {
                None
            } else {
                Some(self.required_backup_key(params.key.as_ref(), "verifying an encrypted backup")?)
            };
            let report = verify::verify(&store, &params.backup_id, key.as_ref(), &context.ct).await?;
            Ok::<_, Failure>(Located::new(&store, report))
        })
        .await;
        Ok(outcome.map(|reply| structured(&reply)).unwrap_or_else(IntoToolResult::into_result))
    }
}
