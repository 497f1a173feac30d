//! get_logs and query_logs with the official server's parameters: the newest rows (at most 100) of one
//! service's logs (api, branch-action, postgres, edge-function, edge-function-runtime, auth, storage,
//! realtime), or the rows of your own SQL over the project's unified `logs` table (ClickHouse dialect), in a
//! window of at most 24 hours. Rows are fenced as untrusted data; a large result spills to a file that
//! read_result pages through.

use crate::failure::Failure;
use crate::groups::core::sql::SpillInfo;
use crate::server::SupamcpServer;
use crate::server::output::{IntoToolResult, fenced_structured, schema_of};
use crate::supabase::management::logs::{LogService, iso, window};
use rmcp::handler::server::wrapper::Parameters;
use rmcp::model::CallToolResult;
use rmcp::{ErrorData as McpError, schemars, tool, tool_router};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

#[derive(Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct GetLogsParams {
    /// The project ref.
    pub project_id: String,
    /// The service whose logs to read.
    pub service: LogService,
    /// Window start (ISO 8601); default 24 hours before the end.
    #[serde(default)]
    pub iso_timestamp_start: Option<String>,
    /// Window end (ISO 8601); default now. At most 24 hours after the start.
    #[serde(default)]
    pub iso_timestamp_end: Option<String>,
}

#[derive(Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct QueryLogsParams {
    /// The project ref.
    pub project_id: String,
    /// ClickHouse SQL over the `logs` table: filter by `source` (edge_logs, postgres_logs, auth_logs,
    /// function_edge_logs...; `select distinct source from logs` lists them), nested fields as
    /// `log_attributes['key']`.
    pub sql: String,
    /// Window start (ISO 8601); default 24 hours before the end.
    #[serde(default)]
    pub iso_timestamp_start: Option<String>,
    /// Window end (ISO 8601); default now. At most 24 hours after the start.
    #[serde(default)]
    pub iso_timestamp_end: Option<String>,
}

/// Log rows in a window.
#[derive(Debug, Serialize, schemars::JsonSchema)]
pub struct LogRows {
    /// The service read (get_logs).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub service: Option<LogService>,
    pub iso_timestamp_start: String,
    pub iso_timestamp_end: String,
    /// The rows as the logs endpoint returns them (the preview when spilled).
    pub rows: Vec<Map<String, Value>>,
    /// Rows in the result.
    pub row_count: u64,
    /// Values cut to fit the reply (each ends with a marker giving its full length).
    pub truncated_values: u64,
    /// Where the whole result went when it was too large for the reply.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub spilled: Option<SpillInfo>,
}

#[tool_router(router = cloud_logs_router, vis = "pub(crate)")]
impl SupamcpServer {
    /// Get the newest log rows (at most 100) of one service of a cloud project, within the last 24 hours or a
    /// window you give. Use it to debug a failing request, function or login.
    #[tool(
        annotations(title = "Get logs", read_only_hint = true, destructive_hint = false, idempotent_hint = true, open_world_hint = false),
        output_schema = schema_of::<LogRows>()
    )]
    async fn get_logs(&self, Parameters(params): Parameters<GetLogsParams>) -> Result<CallToolResult, McpError> {
        let outcome = async {
            let (start, end) =
                window(params.iso_timestamp_start.as_deref(), params.iso_timestamp_end.as_deref(), chrono::Utc::now())?;
            let rows = self.management()?.get_logs(&params.project_id, params.service, start, end).await?;
            self.log_rows(Some(params.service), rows, start, end)
        };
        Ok(outcome.await.unwrap_or_else(IntoToolResult::into_result))
    }

    /// Run your own SQL over a cloud project's logs (one `logs` table, ClickHouse dialect, filter by `source`)
    /// within at most 24 hours: counts, error rates, one request's trail across services.
    #[tool(
        annotations(title = "Query logs", read_only_hint = true, destructive_hint = false, idempotent_hint = true, open_world_hint = false),
        output_schema = schema_of::<LogRows>()
    )]
    async fn query_logs(&self, Parameters(params): Parameters<QueryLogsParams>) -> Result<CallToolResult, McpError> {
        let outcome = async {
            if params.sql.trim().is_empty() {
                return Err(Failure::new(
                    "query_logs needs a query",
                    "sql is empty",
                    "pass SQL such as: select timestamp, event_message from logs where source = 'postgres_logs' \
                     order by timestamp desc limit 20",
                ));
            }
            let (start, end) =
                window(params.iso_timestamp_start.as_deref(), params.iso_timestamp_end.as_deref(), chrono::Utc::now())?;
            let what = format!("query the logs of project {}", params.project_id);
            let rows = self.management()?.query_logs(&params.project_id, &params.sql, start, end, &what).await?;
            self.log_rows(None, rows, start, end)
        };
        Ok(outcome.await.unwrap_or_else(IntoToolResult::into_result))
    }
}

impl SupamcpServer {
    /// The fenced reply for log rows: inline when small, else spilled with a preview.
    fn log_rows(
        &self,
        service: Option<LogService>,
        rows: Vec<Value>,
        start: chrono::DateTime<chrono::Utc>,
        end: chrono::DateTime<chrono::Utc>,
    ) -> Result<CallToolResult, Failure> {
        let bounded = self.json_rows(rows, None)?;
        let reply = LogRows {
            service,
            iso_timestamp_start: iso(start),
            iso_timestamp_end: iso(end),
            rows: bounded.rows,
            row_count: bounded.row_count,
            truncated_values: bounded.truncated_values,
            spilled: bounded.spilled,
        };
        let value = serde_json::to_value(&reply)
            .map_err(|e| Failure::new("cannot encode the log rows", e.to_string(), "report this as a bug"))?;
        Ok(fenced_structured("log rows", value))
    }
}
