//! `create_backup`, `list_backups`, `cleanup_backups` and `backup_readiness`.

use super::{Located, progress_events};
use crate::backup::compress::Compression;
use crate::backup::dump::{self, BackupOptions};
use crate::backup::listing::{self, CleanupReport, Listing};
use crate::backup::manifest::{BackupKind, Manifest};
use crate::backup::readiness::{self, Readiness};
use crate::backup::retention::Policy;
use crate::backup::store::Destination;
use crate::failure::Failure;
use crate::secret::Secret;
use crate::server::SupamcpServer;
use crate::server::output::{IntoToolResult, schema_of, structured};
use crate::server::progress::Reporter;
use rmcp::handler::server::wrapper::Parameters;
use rmcp::model::CallToolResult;
use rmcp::service::RequestContext;
use rmcp::{ErrorData as McpError, RoleServer, schemars, tool, tool_router};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

#[derive(Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateBackupParams {
    /// The instance to back up (default: the default instance).
    #[serde(default)]
    pub instance: Option<String>,
    /// full (default), schema_only or data_only.
    #[serde(default, rename = "type")]
    pub kind: BackupKind,
    /// Only these schemas (default: all but Supabase's service schemas; auth and storage included).
    #[serde(default)]
    pub schemas: Vec<String>,
    /// Only these tables, as schema.table.
    #[serde(default)]
    pub tables: Vec<String>,
    /// zstd (default, multi-threaded), gzip or none.
    #[serde(default)]
    pub compression: Compression,
    /// zstd 1-19 (default 3), gzip 1-9 (default 6).
    #[serde(default)]
    pub level: Option<i32>,
    /// Encrypt with AES-256-GCM (needs SUPAMCP_BACKUP_KEY or `key`).
    #[serde(default = "default_true")]
    pub encrypt: bool,
    /// Backup key (64 hex, base64 of 32 bytes, or a passphrase); default SUPAMCP_BACKUP_KEY.
    #[serde(default)]
    #[schemars(with = "Option<String>")]
    pub key: Option<Secret>,
    /// Default: the S3 bucket when SUPAMCP_BACKUP_S3_BUCKET is set, else the backup directory.
    #[serde(default)]
    pub destination: Option<Destination>,
    /// Free labels stored in the manifest.
    #[serde(default)]
    pub tags: BTreeMap<String, String>,
}

fn default_true() -> bool {
    true
}

#[derive(Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ListBackupsParams {
    /// Only the backups of this instance.
    #[serde(default)]
    pub instance: Option<String>,
    /// Where to look (default: every configured store).
    #[serde(default)]
    pub destination: Option<Destination>,
}

#[derive(Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct CleanupParams {
    /// Keep the newest N backups.
    #[serde(default)]
    pub keep_last: u32,
    /// Keep the newest backup of each of the last D days (UTC).
    #[serde(default)]
    pub daily: u32,
    /// Keep the newest backup of each of the last W ISO weeks.
    #[serde(default)]
    pub weekly: u32,
    /// Only the backups of this instance.
    #[serde(default)]
    pub instance: Option<String>,
    /// Report what would be deleted without deleting (default true).
    #[serde(default = "default_true")]
    pub dry_run: bool,
    /// Where the backups are (default: the configured store).
    #[serde(default)]
    pub destination: Option<Destination>,
}

#[derive(Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ReadinessParams {
    /// The instance to check (default: the default instance).
    #[serde(default)]
    pub instance: Option<String>,
}

#[derive(Serialize, schemars::JsonSchema)]
pub struct CreateBackupReply {
    pub id: String,
    /// `local` or `s3`.
    pub destination: String,
    /// The directory or `s3://bucket/prefix`.
    pub location: String,
    pub manifest: Manifest,
}

#[tool_router(router = backups_create_router, vis = "pub(crate)")]
impl SupamcpServer {
    /// Back up a database, compressed and encrypted, to a directory or an S3 bucket, with a manifest of per-table row
    /// counts and checksums: full, schema only or data only, all or some schemas or tables.
    #[tool(
        annotations(title = "Create backup", read_only_hint = false, destructive_hint = false, idempotent_hint = false, open_world_hint = false),
        output_schema = schema_of::<CreateBackupReply>()
    )]
    async fn create_backup(
        &self,
        Parameters(params): Parameters<CreateBackupParams>,
        context: RequestContext<RoleServer>,
    ) -> Result<CallToolResult, McpError> {
        let reporter = Reporter::new(&context);
        let outcome = async {
            let database = self.state.databases.get(params.instance.as_deref())?;
            let store = self.backup_store(params.destination.as_ref()).await?;
            store.check().await?;
            let key = if params.encrypt {
                Some(self.required_backup_key(params.key.as_ref(), "an encrypted backup")?)
            } else {
                None
            };
            let options = BackupOptions {
                kind: params.kind,
                schemas: params.schemas,
                tables: params.tables,
                compression: params.compression,
                level: params.level,
                key,
                tags: params.tags,
            };
            let events = progress_events(reporter.progress(), "dumped");
            let manifest = dump::create(&database, &store, &options, events, &context.ct).await?;
            Ok::<_, Failure>(CreateBackupReply {
                id: manifest.id.clone(),
                destination: store.kind().to_owned(),
                location: store.describe(),
                manifest,
            })
        }
        .await;
        reporter.finish().await;
        Ok(outcome.map(|reply| structured(&reply)).unwrap_or_else(IntoToolResult::into_result))
    }

    /// List the backups, newest first, with size, type and row totals; incomplete ones are listed apart.
    #[tool(
        annotations(title = "List backups", read_only_hint = true, destructive_hint = false, idempotent_hint = true, open_world_hint = false),
        output_schema = schema_of::<Listing>()
    )]
    async fn list_backups(
        &self,
        Parameters(params): Parameters<ListBackupsParams>,
    ) -> Result<CallToolResult, McpError> {
        let outcome = async {
            let stores = self.backup_stores(params.destination.as_ref()).await?;
            listing::listing(&stores, params.instance.as_deref()).await
        }
        .await;
        Ok(outcome.map(|reply| structured(&reply)).unwrap_or_else(IntoToolResult::into_result))
    }

    /// Delete old backups by a retention policy (keep the last N, and the newest per day and per week, per instance).
    /// Dry run by default.
    #[tool(
        annotations(title = "Clean up backups", read_only_hint = false, destructive_hint = true, idempotent_hint = true, open_world_hint = false),
        output_schema = schema_of::<Located<CleanupReport>>()
    )]
    async fn cleanup_backups(&self, Parameters(params): Parameters<CleanupParams>) -> Result<CallToolResult, McpError> {
        let outcome = async {
            let store = self.backup_store(params.destination.as_ref()).await?;
            let policy = Policy { keep_last: params.keep_last, daily: params.daily, weekly: params.weekly };
            let report =
                listing::cleanup(&store, params.instance.as_deref(), &policy, params.dry_run, chrono::Utc::now())
                    .await?;
            Ok::<_, Failure>(Located::new(&store, report))
        }
        .await;
        Ok(outcome.map(|reply| structured(&reply)).unwrap_or_else(IntoToolResult::into_result))
    }

    /// Check point-in-time recovery readiness: wal_level, archive_mode and archive_command, WAL senders and the
    /// role's replication right, with what is missing and how to fix it. Logical backups need none of it.
    #[tool(
        annotations(title = "Backup readiness", read_only_hint = true, destructive_hint = false, idempotent_hint = true, open_world_hint = false),
        output_schema = schema_of::<Readiness>()
    )]
    async fn backup_readiness(
        &self,
        Parameters(params): Parameters<ReadinessParams>,
    ) -> Result<CallToolResult, McpError> {
        let outcome = async {
            let client = self.state.databases.get(params.instance.as_deref())?.client().await?;
            readiness::check(&client).await
        }
        .await;
        Ok(outcome.map(|reply| structured(&reply)).unwrap_or_else(IntoToolResult::into_result))
    }
}
