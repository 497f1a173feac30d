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
    /// The instance whose server receives the restore (default: the default instance).
    #[serde(default)]
    pub instance: Option<String>,
    /// {"new_database": {"name": ...}} (default: a new database named <database>_restored_<time>),
    /// "existing_database" (replaces the instance's database: needs confirm), or {"schema": {"name": ...}}
    /// (one schema of the backup into the instance's database, where it must not exist: needs confirm).
    #[serde(default = "default_target")]
    pub target: RestoreTarget,
    /// Required for existing_database and schema targets: a safety backup of the database is taken first.
    #[serde(default)]
    pub confirm: bool,
    /// When replacing a database: end the other sessions on it (Supabase's services hold some).
    #[serde(default)]
    pub terminate_connections: bool,
    /// When replacing a database: keep the old one, renamed <name>_previous_<time>, instead of dropping it.
    #[serde(default)]
    pub keep_previous: bool,
    /// pg_restore jobs (default 1: the decrypted stream is piped, nothing plain touches the disk). Above 1 the
    /// decrypted archive is written to an owner-only temporary file in the data directory, removed afterwards,
    /// because parallel pg_restore needs a seekable file.
    #[serde(default = "default_jobs")]
    pub jobs: u32,
    /// Backup key for this call; default SUPAMCP_BACKUP_KEY.
    #[serde(default)]
    #[schemars(with = "Option<String>")]
    pub key: Option<Secret>,
    /// Where the backup is; default: the configured S3 bucket or directory that holds it.
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
    /// Where the backup is; default: the configured S3 bucket or directory that holds it.
    #[serde(default)]
    pub destination: Option<Destination>,
}

#[tool_router(router = backups_restore_router, vis = "pub(crate)")]
impl SupamcpServer {
    /// Restore a backup with checks before and after: manifest and archive SHA-256, the key, server version,
    /// extensions and roles on the target; then pg_restore fed the decrypted stream; then every table's row count
    /// and checksum against the manifest. Into a new database by default (dropped again on failure). Replacing the
    /// existing database needs confirm: a safety backup is taken, the restore goes into a scratch database that
    /// replaces the original by rename only after it passed the checks. Data-only backups and single schemas go
    /// into the existing database in one transaction. The archive is streamed from the directory or S3 bucket
    /// that holds the backup (or the one `destination` names).
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

    /// Verify a backup without restoring it: size and SHA-256 against the manifest, every encrypted frame
    /// authenticated, the whole stream decompressed, and pg_restore --list reading the pg_dump archive inside with
    /// data for every table of the manifest. Streams the archive from the directory or S3 bucket that holds it.
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
