//! `list_instances`: the configured instances and the Dokploy-hosted Supabase composes in one registry, each with
//! its environment tag, reachability, PostgreSQL version, GoTrue's version, migration head and drift against the
//! local migrations directory, and its newest backup.

use super::default_directory;
use crate::backup::listing::{self, BackupSummary};
use crate::backup::store::Destination;
use crate::dokploy::listing::{ComposeEntry, list_server};
use crate::failure::Failure;
use crate::migrate::files;
use crate::migrate::instances::{self, MigrationSummary};
use crate::server::SupamcpServer;
use crate::server::output::{fenced_reply_of, schema_of};
use crate::server::progress::heartbeat;
use crate::supabase::auth::AuthAdmin;
use crate::supabase::gateway::Gateway;
use chrono::{DateTime, Utc};
use rmcp::handler::server::wrapper::Parameters;
use rmcp::model::CallToolResult;
use rmcp::service::RequestContext;
use rmcp::{ErrorData as McpError, RoleServer, schemars, tool, tool_router};
use serde::{Deserialize, Serialize};
use std::path::PathBuf;
use std::time::Duration;

/// Rows kept in one reply (configured instances first, then Dokploy composes).
const MAX_ROWS: usize = 100;

fn default_true() -> bool {
    true
}

fn default_connect_timeout_ms() -> u64 {
    3000
}

#[derive(Debug, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ListInstancesParams {
    /// Only instances with this environment tag (dev, staging, prod ...).
    #[serde(default)]
    pub environment: Option<String>,
    /// The local migrations directory that drift is measured against.
    #[serde(default = "default_directory")]
    pub directory: String,
    /// Also list the Supabase composes of the configured Dokploy servers.
    #[serde(default = "default_true")]
    pub dokploy: bool,
    /// Look up each instance's newest backup in the backup stores.
    #[serde(default = "default_true")]
    pub backups: bool,
    /// How long each database may take to answer, in ms (100 to 30000).
    #[serde(default = "default_connect_timeout_ms")]
    pub connect_timeout_ms: u64,
}

#[derive(Debug, Serialize, schemars::JsonSchema)]
struct DatabaseState {
    /// Whether the instance has a database connection configured.
    configured: bool,
    /// null when not configured.
    reachable: Option<bool>,
    /// Why it could not be read.
    error: Option<String>,
    server_version: Option<String>,
    migrations: Option<MigrationSummary>,
}

#[derive(Debug, Serialize, schemars::JsonSchema)]
struct AuthState {
    /// Whether GoTrue answered /health through the instance's gateway.
    reachable: bool,
    /// GoTrue's version (e.g. v2.186.0).
    version: Option<String>,
    error: Option<String>,
}

#[derive(Debug, Serialize, schemars::JsonSchema)]
struct LastBackup {
    id: String,
    created_at: DateTime<Utc>,
    location: String,
    archive_bytes: u64,
}

#[derive(Debug, Serialize, schemars::JsonSchema)]
struct InstanceRow {
    /// The configured name, or server/app_name for a compose no instance points at.
    name: String,
    /// config, dokploy, or config+dokploy (an instance whose dokploy_compose_id names the compose).
    source: String,
    /// The config's `environment` tag, else the Dokploy environment's name.
    environment: Option<String>,
    is_default: bool,
    supabase_url: Option<String>,
    database: DatabaseState,
    /// The auth service behind supabase_url (null: no Supabase API configured).
    auth: Option<AuthState>,
    last_backup: Option<LastBackup>,
    dokploy: Option<ComposeEntry>,
}

#[derive(Debug, Serialize, schemars::JsonSchema)]
struct ListReply {
    instances: Vec<InstanceRow>,
    /// Rows before the 100-row cut.
    total: usize,
    truncated: bool,
    /// What could not be looked at (a Dokploy server, the backup stores, the migrations directory).
    notes: Vec<String>,
}

impl SupamcpServer {
    /// The database state of configured instance `name`, within `limit`.
    async fn instance_state(
        &self,
        name: &str,
        migrations: Option<&[files::MigrationFile]>,
        limit: Duration,
    ) -> DatabaseState {
        let mut state =
            DatabaseState { configured: true, reachable: None, error: None, server_version: None, migrations: None };
        let read = async {
            let database = self.state.databases.get(Some(name))?;
            let client = database.client().await?;
            instances::probe(&**client).await
        };
        match tokio::time::timeout(limit, read).await {
            Ok(Ok(probe)) => {
                state.reachable = Some(true);
                state.server_version = Some(probe.server_version);
                state.migrations = migrations.map(|files| instances::summarize(files, &probe.applied));
            }
            Ok(Err(failure)) => {
                state.reachable = Some(false);
                state.error = Some(failure.text());
            }
            Err(_) => {
                state.reachable = Some(false);
                state.error = Some(format!("no answer within {} ms", limit.as_millis()));
            }
        }
        state
    }

    /// GoTrue's health and version through the gateway of configured instance `name`, within `limit`.
    async fn auth_state(&self, instance: &crate::config::Instance, limit: Duration) -> Option<AuthState> {
        instance.supabase_url.as_ref()?;
        let admin = match Gateway::for_instance(&self.state.settings, Some(&instance.name)).map(AuthAdmin::new) {
            Ok(admin) => admin,
            Err(failure) => return Some(AuthState { reachable: false, version: None, error: Some(failure.text()) }),
        };
        Some(match tokio::time::timeout(limit, admin.health()).await {
            Ok(Ok(health)) => AuthState {
                reachable: true,
                version: health.get("version").and_then(serde_json::Value::as_str).map(str::to_owned),
                error: None,
            },
            Ok(Err(failure)) => AuthState { reachable: false, version: None, error: Some(failure.text()) },
            Err(_) => AuthState {
                reachable: false,
                version: None,
                error: Some(format!("no answer within {} ms", limit.as_millis())),
            },
        })
    }

    /// The newest complete backup of every instance in the configured stores.
    async fn newest_backups(&self) -> Result<Vec<BackupSummary>, Failure> {
        let settings = &self.state.settings;
        let env = |name: &str| settings.backup_s3_env.get(name).map(|value| value.expose().to_owned());
        let stores = Destination::open_all(&settings.backup_dir, &env).await?;
        Ok(listing::listing(&stores, None).await?.backups)
    }

    async fn registry(&self, params: ListInstancesParams) -> Result<ListReply, Failure> {
        let limit = Duration::from_millis(params.connect_timeout_ms);
        if !(100..=30_000).contains(&params.connect_timeout_ms) {
            return Err(Failure::new(
                format!("connect_timeout_ms {} is out of range", params.connect_timeout_ms),
                "each database gets between 100 ms and 30 s to answer",
                "pass connect_timeout_ms between 100 and 30000 (default 3000)",
            ));
        }
        let wanted = params.environment.as_deref();
        let mut notes = Vec::new();
        let directory = PathBuf::from(&params.directory);
        let local = match files::list(&directory) {
            Ok(found) => {
                if !directory.is_dir() {
                    notes.push(format!(
                        "no migrations directory {}: every applied version counts as drift",
                        params.directory
                    ));
                }
                Some(found)
            }
            Err(failure) => {
                notes.push(format!("migrations directory not read: {}", failure.text()));
                None
            }
        };
        let settings = &self.state.settings;
        let configured: Vec<&crate::config::Instance> =
            settings.instances.values().filter(|i| instances::tag_matches(i.environment.as_deref(), wanted)).collect();
        let states = futures_util::future::join_all(configured.iter().map(|instance| async {
            if instance.database.is_none() {
                return DatabaseState {
                    configured: false,
                    reachable: None,
                    error: None,
                    server_version: None,
                    migrations: None,
                };
            }
            self.instance_state(&instance.name, local.as_deref(), limit).await
        }));
        let auth = futures_util::future::join_all(configured.iter().map(|instance| self.auth_state(instance, limit)));
        let (states, auth) = tokio::join!(states, auth);
        let mut rows: Vec<InstanceRow> = configured
            .iter()
            .zip(states.into_iter().zip(auth))
            .map(|(instance, (database, auth))| InstanceRow {
                name: instance.name.clone(),
                source: "config".to_owned(),
                environment: instance.environment.clone(),
                is_default: instance.name == settings.default_instance,
                supabase_url: instance.supabase_url.clone(),
                database,
                auth,
                last_backup: None,
                dokploy: None,
            })
            .collect();
        if params.dokploy {
            self.merge_dokploy(&mut rows, wanted, &mut notes).await;
        }
        if params.backups {
            match self.newest_backups().await {
                Ok(backups) => {
                    for row in &mut rows {
                        // Newest first: the first backup of the instance is its last one.
                        row.last_backup = backups.iter().find(|b| b.instance == row.name).map(|b| LastBackup {
                            id: b.id.clone(),
                            created_at: b.created_at,
                            location: b.location.clone(),
                            archive_bytes: b.archive_bytes,
                        });
                    }
                }
                Err(failure) => notes.push(format!("backups not listed: {}", failure.text())),
            }
        }
        let total = rows.len();
        rows.truncate(MAX_ROWS);
        Ok(ListReply { instances: rows, total, truncated: total > MAX_ROWS, notes })
    }

    /// Each Supabase compose joins the instance whose dokploy_compose_id names it, or becomes a row of its own.
    async fn merge_dokploy(&self, rows: &mut Vec<InstanceRow>, wanted: Option<&str>, notes: &mut Vec<String>) {
        let settings = &self.state.settings;
        for (server, client) in &self.state.dokploy {
            let composes = match list_server(client).await {
                Ok((_, composes)) => composes,
                Err(e) => {
                    notes.push(format!("Dokploy server {server} not listed: {}", e.failure(server).text()));
                    continue;
                }
            };
            for compose in composes {
                let owner = settings.instances.values().find(|i| {
                    i.dokploy_compose_id.as_deref() == Some(compose.compose_id.as_str())
                        && i.dokploy.as_deref().is_none_or(|s| s == server)
                });
                if let Some(owner) = owner {
                    if let Some(row) = rows.iter_mut().find(|r| r.name == owner.name) {
                        row.source = "config+dokploy".to_owned();
                        row.supabase_url = row.supabase_url.take().or_else(|| compose.url.clone());
                        row.dokploy = Some(compose);
                    }
                    continue;
                }
                let environment = compose.environment.as_deref().map(str::to_ascii_lowercase);
                if !instances::tag_matches(environment.as_deref(), wanted) {
                    continue;
                }
                rows.push(InstanceRow {
                    name: format!("{server}/{}", compose.app_name),
                    source: "dokploy".to_owned(),
                    environment,
                    is_default: false,
                    supabase_url: compose.url.clone(),
                    database: DatabaseState {
                        configured: false,
                        reachable: None,
                        error: None,
                        server_version: None,
                        migrations: None,
                    },
                    auth: None,
                    last_backup: None,
                    dokploy: Some(compose),
                });
            }
        }
    }
}

#[tool_router(router = migrations_instances_router, vis = "pub(crate)")]
impl SupamcpServer {
    /// List every instance in one registry (configured ones and Supabase composes on Dokploy) with its environment
    /// tag, reachability, PostgreSQL version, migration head and drift against the local migrations, and newest
    /// backup. Filter by environment (dev, staging, prod).
    #[tool(
        annotations(title = "List instances", read_only_hint = true, destructive_hint = false, idempotent_hint = true, open_world_hint = true),
        output_schema = schema_of::<ListReply>()
    )]
    async fn list_instances(
        &self,
        Parameters(params): Parameters<ListInstancesParams>,
        context: RequestContext<RoleServer>,
    ) -> Result<CallToolResult, McpError> {
        let outcome = heartbeat(&context, "list_instances", self.registry(params)).await;
        // Migration names and drift details come from the databases: fenced as untrusted data.
        fenced_reply_of("instance registry", outcome)
    }
}
