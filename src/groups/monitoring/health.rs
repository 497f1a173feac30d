//! `health_check` (database and API side in one call) and `get_postgres_logs` (the server log).

use super::analysis::fenced;
use crate::failure::Failure;
use crate::health::api::{self, ApiHealth};
use crate::health::database::{self, DatabaseHealth};
use crate::health::{Alert, Severity, Thresholds, overall};
use crate::pg::logs::{self, LogFilter};
use crate::pg::timeout::{MAX_HTTP_TIMEOUT_MS, milliseconds};
use crate::server::SupamcpServer;
use crate::server::output::{IntoToolResult, schema_of};
use crate::spill::{ColumnInfo, WrittenResult, bound_rows, row_object};
use rmcp::handler::server::wrapper::Parameters;
use rmcp::model::CallToolResult;
use rmcp::{ErrorData as McpError, schemars, tool, tool_router};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use std::time::Instant;

#[derive(Debug, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct HealthCheckParams {
    /// Instance name; omit for the default instance.
    #[serde(default)]
    pub instance: Option<String>,
    /// Alert thresholds; any left out keep their defaults.
    #[serde(default)]
    pub thresholds: Option<Thresholds>,
    /// Probe Auth, REST, Storage and TLS when the instance has a public URL and anon key.
    #[serde(default = "default_true")]
    pub check_api: bool,
    /// Probe even when the certificate is not trusted (it is still reported).
    #[serde(default)]
    pub accept_invalid_certs: bool,
    /// Time limit per API request, in ms.
    #[serde(default = "default_api_timeout")]
    pub api_timeout_ms: u64,
}

pub(super) fn default_true() -> bool {
    true
}

pub(super) fn default_api_timeout() -> u64 {
    5000
}

#[derive(Debug, Serialize, schemars::JsonSchema)]
pub struct HealthReply {
    /// ok, warning or critical: the worst alert.
    pub status: &'static str,
    /// Critical first.
    pub alerts: Vec<Alert>,
    /// Absent when the database could not be reached (see alerts).
    pub database: Option<DatabaseHealth>,
    pub api: Option<ApiHealth>,
    /// Why the API side was not checked.
    pub api_skipped: Option<String>,
    pub elapsed_ms: f64,
}

#[derive(Debug, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct GetPostgresLogsParams {
    /// Instance name; omit for the default instance.
    #[serde(default)]
    pub instance: Option<String>,
    /// Lowest level: debug, info, notice, log, warning, error, fatal, panic.
    #[serde(default = "default_level")]
    pub min_level: String,
    /// Only entries of the last this many minutes.
    #[serde(default)]
    pub since_minutes: Option<f64>,
    /// Only entries containing this text (case-insensitive).
    #[serde(default)]
    pub contains: Option<String>,
    /// Newest entries returned at most.
    #[serde(default = "default_log_limit")]
    pub limit: usize,
    /// Bytes read from the end of the log at most.
    #[serde(default = "default_max_bytes")]
    pub max_bytes: i64,
}

fn default_level() -> String {
    "log".to_owned()
}

fn default_log_limit() -> usize {
    200
}

fn default_max_bytes() -> i64 {
    4 * 1024 * 1024
}

#[derive(Debug, Serialize, schemars::JsonSchema)]
pub struct LogSpill {
    /// Pass to read_result to page through the entries.
    pub handle: String,
    /// The same pages as an MCP resource (resources/read).
    pub uri: String,
    pub rows: u64,
    pub bytes: u64,
}

#[derive(Debug, Serialize, schemars::JsonSchema)]
pub struct LogsReply {
    /// The log file, relative to the data directory when log_directory is.
    pub file: String,
    pub file_bytes: i64,
    pub bytes_read: i64,
    pub scanned_entries: usize,
    pub matched: usize,
    /// Oldest first: the entries, or the first ones when the reply spilled to a file.
    pub entries: Vec<Map<String, Value>>,
    pub spilled: Option<LogSpill>,
}

const LOG_PREVIEW: usize = 50;

impl SupamcpServer {
    /// The health_check report: the database and API sides at once, alerts critical first (stack_health
    /// ranks it with the rest of the stack).
    pub(super) async fn health_report(&self, params: &HealthCheckParams) -> Result<HealthReply, Failure> {
        let started = Instant::now();
        let thresholds = params.thresholds.clone().unwrap_or_default();
        let api_timeout = milliseconds("api_timeout_ms", params.api_timeout_ms, MAX_HTTP_TIMEOUT_MS)?;
        let instance = self
            .state
            .settings
            .instance(params.instance.as_deref())
            .map_err(|why| Failure::new("cannot check the instance", why, "pass a configured instance"))?;
        let database_side = async {
            let database = self.state.databases.get(params.instance.as_deref())?;
            let client = database.client().await?;
            database::check(&**client, &thresholds).await
        };
        let api_side = async {
            if !params.check_api {
                return Err("check_api is false".to_owned());
            }
            match (&instance.supabase_url, &instance.anon_key) {
                (Some(url), Some(key)) => {
                    Ok(api::check(url, key, api_timeout, params.accept_invalid_certs, &thresholds).await)
                }
                _ => Err(format!(
                    "instance '{}' has no public URL and anon key (SUPABASE_URL and SUPABASE_ANON_KEY, or --env-file \
                     with SUPABASE_PUBLIC_URL and ANON_KEY)",
                    instance.name
                )),
            }
        };
        let (database_result, api_result) = tokio::join!(database_side, api_side);
        let mut alerts = Vec::new();
        let database = match database_result {
            Ok((health, found)) => {
                alerts.extend(found);
                Some(health)
            }
            Err(failure) => {
                alerts.push(Alert {
                    check: "database",
                    severity: Severity::Critical,
                    message: format!("{}: {}", failure.what, failure.why),
                    value: 0.0,
                    threshold: 1.0,
                    unit: "reachable",
                    fix: failure.fix,
                });
                None
            }
        };
        let (api, api_skipped) = match api_result {
            Ok((health, found)) => {
                alerts.extend(found);
                (Some(health), None)
            }
            Err(why) => (None, Some(why)),
        };
        alerts.sort_by_key(|a| a.severity);
        Ok(HealthReply {
            status: overall(&alerts),
            alerts,
            database,
            api,
            api_skipped,
            elapsed_ms: (started.elapsed().as_secs_f64() * 10_000.0).round() / 10.0,
        })
    }
}

#[tool_router(router = monitoring_health_router, vis = "pub(crate)")]
impl SupamcpServer {
    /// Check the health of the database (connections, cache hits, wraparound, sequences, replication, long
    /// and blocked sessions) and of the API and its TLS certificate. Each alert has a severity, the value,
    /// the threshold and the fix.
    #[tool(
        annotations(title = "Health check", read_only_hint = true, destructive_hint = false, idempotent_hint = false, open_world_hint = true),
        output_schema = schema_of::<HealthReply>()
    )]
    async fn health_check(
        &self,
        Parameters(params): Parameters<HealthCheckParams>,
    ) -> Result<CallToolResult, McpError> {
        match self.health_report(&params).await {
            Ok(reply) => Ok(fenced("health report", &reply)),
            Err(failure) => Ok(failure.into_result()),
        }
    }

    /// Read the PostgreSQL server log, filtered by level, time window and text.
    #[tool(
        annotations(title = "Get PostgreSQL logs", read_only_hint = true, destructive_hint = false, idempotent_hint = false, open_world_hint = false),
        output_schema = schema_of::<LogsReply>()
    )]
    async fn get_postgres_logs(
        &self,
        Parameters(params): Parameters<GetPostgresLogsParams>,
    ) -> Result<CallToolResult, McpError> {
        let filter = LogFilter {
            min_level: params.min_level,
            since_minutes: params.since_minutes,
            contains: params.contains,
            max_bytes: params.max_bytes.clamp(1024, 256 * 1024 * 1024),
        };
        let limit = params.limit.clamp(1, 100_000);
        Ok(self
            .with_client(params.instance.as_deref(), |client| async move {
                let tail = logs::read(&**client, &filter).await?;
                let matched = tail.entries.len();
                let columns: Vec<ColumnInfo> = ["time", "pid", "level", "message", "detail"]
                    .iter()
                    .map(|name| ColumnInfo { name: (*name).to_owned(), type_name: "text".to_owned() })
                    .collect();
                let mut writer = self.state.spill.writer(LOG_PREVIEW);
                writer.start(columns);
                for entry in tail.entries.into_iter().skip(matched.saturating_sub(limit)) {
                    writer.push(vec![
                        entry.time.map(Value::String).unwrap_or(Value::Null),
                        entry.pid.map(Value::from).unwrap_or(Value::Null),
                        Value::String(entry.level),
                        Value::String(entry.message),
                        entry.detail.map(Value::String).unwrap_or(Value::Null),
                    ])?;
                }
                let (entries, spilled) = match writer.finish()? {
                    WrittenResult::Inline { columns, rows } => {
                        (rows.into_iter().map(|row| row_object(&columns, row)).collect(), None)
                    }
                    WrittenResult::Spilled(s) => {
                        tracing::info!(handle = %s.handle, path = %s.path.display(), "log entries spilled to a file");
                        let uri = crate::server::resources::result_uri(&s.handle, 0);
                        let info = LogSpill { handle: s.handle, uri, rows: s.rows, bytes: s.bytes };
                        let preview = bound_rows(&s.columns, s.preview, self.state.spill.page_budget());
                        (preview.rows, Some(info))
                    }
                };
                let reply = LogsReply {
                    file: tail.file,
                    file_bytes: tail.file_bytes,
                    bytes_read: tail.bytes_read,
                    scanned_entries: tail.scanned_entries,
                    matched,
                    entries,
                    spilled,
                };
                Ok(fenced("server log", &reply))
            })
            .await)
    }
}
