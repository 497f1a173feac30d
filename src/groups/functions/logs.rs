//! get_function_logs: a function's log rows, fenced as untrusted data and spilled to a file when large. Cloud:
//! the Management API's logs endpoint (function_logs or function_edge_logs, by function id, window of at most
//! 24 hours). Dokploy: the functions container's log, searched for the slug. A functions directory has no log
//! API: the error says where the log is.

use super::{SupamcpServer, TextSpill};
use crate::failure::Failure;
use crate::server::output::{IntoToolResult, fenced_structured, schema_of};
use crate::spill::{ColumnInfo, WrittenResult};
use crate::supabase::functions::logs::{DEFAULT_LIMIT, LogKind, cloud_sql, container_rows, since};
use crate::supabase::functions::target::Target;
use crate::supabase::functions::validate::check_slug;
use crate::supabase::management::logs::window;
use rmcp::handler::server::wrapper::Parameters;
use rmcp::model::CallToolResult;
use rmcp::{ErrorData as McpError, schemars, tool, tool_router};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

fn default_limit() -> u32 {
    DEFAULT_LIMIT
}

#[derive(Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct LogsParams {
    /// Cloud project ref or instance name.
    #[serde(default)]
    pub project_id: Option<String>,
    /// Configured instance (its functions target); default instance if omitted.
    #[serde(default)]
    pub instance: Option<String>,
    /// The function's slug; omitted: every function.
    #[serde(default)]
    pub function_slug: Option<String>,
    /// runtime (console output, boots, errors) or requests (status, timing); cloud only.
    #[serde(default)]
    pub kind: LogKind,
    /// Window start (ISO 8601); default 24 hours before the end.
    #[serde(default)]
    pub iso_timestamp_start: Option<String>,
    /// Window end (ISO 8601); default now. At most 24 hours after the start.
    #[serde(default)]
    pub iso_timestamp_end: Option<String>,
    /// Rows at most (1-1000).
    #[serde(default = "default_limit")]
    pub limit: u32,
}

#[derive(Debug, Serialize, schemars::JsonSchema)]
struct FunctionLogs {
    target: String,
    function_slug: Option<String>,
    /// function_logs or function_edge_logs (cloud), or the container the lines come from.
    source: String,
    iso_timestamp_start: String,
    iso_timestamp_end: String,
    /// {timestamp, event_message, attributes}; cloud newest first, Dokploy in log order. Only the first rows
    /// when the result spilled.
    #[schemars(with = "Vec<Map<String, Value>>")]
    rows: Vec<Value>,
    row_count: u64,
    /// Values cut to fit (each ends with a marker giving its full length).
    truncated_values: u64,
    spilled: Option<TextSpill>,
    note: Option<String>,
}

const COLUMNS: [&str; 3] = ["timestamp", "event_message", "attributes"];

impl SupamcpServer {
    async fn function_logs(&self, params: LogsParams) -> Result<FunctionLogs, Failure> {
        let slug = params.function_slug.filter(|s| !s.is_empty());
        if let Some(slug) = &slug {
            check_slug(slug)?;
        }
        let now = chrono::Utc::now();
        let (start, end) = window(params.iso_timestamp_start.as_deref(), params.iso_timestamp_end.as_deref(), now)?;
        let target = self.functions_target(params.project_id.as_deref(), params.instance.as_deref())?;
        let (source, rows, truncated_values, note) = match &target {
            Target::Api { api, .. } if api.is_studio() => {
                return Err(Failure::new(
                    "self-hosted Studio has no function log route supamcp reads",
                    "the edge runtime writes its log to the functions container's output",
                    "run `docker compose logs functions` where the stack runs, or configure the instance's \
                     dokploy_compose_id when it runs on Dokploy",
                ));
            }
            Target::Api { api, reference } => {
                let id = match &slug {
                    Some(slug) => Some(api.function_id(reference, slug).await?),
                    None => None,
                };
                let sql = cloud_sql(params.kind, id.as_deref(), params.limit)?;
                let (rows, cut) = api.function_logs(reference, sql, start, end).await?;
                (params.kind.source().to_owned(), rows, cut, None)
            }
            Target::Dokploy { functions, .. } => {
                let (container, text) = functions.read_logs(params.limit, &since(start, now), slug.as_deref()).await?;
                let (rows, cut) = container_rows(&text, end);
                let mut note = String::from("the functions container logs every function together");
                if slug.is_some() {
                    note.push_str(
                        "; only lines naming the slug are here (requests served, boot errors, stack traces): omit \
                         function_slug for console output",
                    );
                }
                if params.kind == LogKind::Requests {
                    note.push_str("; kind applies to cloud only");
                }
                (format!("container {container}"), rows, cut, Some(note))
            }
            Target::Directory { dir, .. } => {
                return Err(Failure::new(
                    "a functions directory has no log to read through supamcp",
                    format!(
                        "{} holds the code; the edge runtime writes its log to the functions container's output",
                        dir.root().display()
                    ),
                    "run `docker compose logs functions` where the stack runs, or configure the instance's \
                     dokploy_compose_id when it runs on Dokploy",
                ));
            }
        };
        let (rows, row_count, spilled) = self.spill_rows(rows)?;
        Ok(FunctionLogs {
            target: target.describe(),
            function_slug: slug,
            source,
            iso_timestamp_start: start.to_rfc3339_opts(chrono::SecondsFormat::Millis, true),
            iso_timestamp_end: end.to_rfc3339_opts(chrono::SecondsFormat::Millis, true),
            rows,
            row_count,
            truncated_values,
            spilled,
            note,
        })
    }

    /// The rows whole when they fit the spill threshold; otherwise a file, the first rows and its handle.
    fn spill_rows(&self, rows: Vec<Value>) -> Result<(Vec<Value>, u64, Option<TextSpill>), Failure> {
        let mut writer = self.state.spill.writer(20);
        writer.start(COLUMNS.iter().map(|c| ColumnInfo { name: (*c).to_owned(), type_name: "text".into() }).collect());
        for row in rows {
            writer.push(COLUMNS.iter().map(|c| row.get(*c).cloned().unwrap_or(Value::Null)).collect())?;
        }
        let count = writer.rows_written();
        let object = |values: Vec<Value>| Value::Object(COLUMNS.iter().map(|c| (*c).to_owned()).zip(values).collect());
        Ok(match writer.finish()? {
            WrittenResult::Inline { rows, .. } => (rows.into_iter().map(object).collect(), count, None),
            WrittenResult::Spilled(s) => {
                let uri = crate::server::resources::result_uri(&s.handle, 0);
                let note = TextSpill { handle: s.handle, uri, rows: s.rows };
                (s.preview.into_iter().map(object).collect(), count, Some(note))
            }
        })
    }
}

#[tool_router(router = functions_logs_router, vis = "pub(crate)")]
impl SupamcpServer {
    /// Read an edge function's logs: console output and errors, or requests with status and timing (cloud), or
    /// the functions container's log on Dokploy. Newest rows of a window of at most 24 hours.
    #[tool(
        annotations(title = "Get function logs", read_only_hint = true, destructive_hint = false, idempotent_hint = true, open_world_hint = false),
        output_schema = schema_of::<FunctionLogs>()
    )]
    async fn get_function_logs(&self, Parameters(params): Parameters<LogsParams>) -> Result<CallToolResult, McpError> {
        let outcome = async {
            let reply = self.function_logs(params).await?;
            serde_json::to_value(&reply)
                .map_err(|e| Failure::new("cannot encode the log rows", e.to_string(), "report this as a bug"))
        };
        Ok(match outcome.await {
            Ok(value) => fenced_structured("function log rows", value),
            Err(failure) => failure.into_result(),
        })
    }
}
