//! get_logs with the official server's parameters: the newest rows of one service's logs (api, branch-action,
//! postgres, edge-function, edge-function-runtime, auth, storage, realtime) in a window of at most 24 hours,
//! fenced as untrusted data and bounded in bytes.

use crate::failure::Failure;
use crate::server::SupamcpServer;
use crate::server::output::{IntoToolResult, fenced_structured, schema_of};
use crate::supabase::management::logs::{LogRows, LogService, window};
use rmcp::handler::server::wrapper::Parameters;
use rmcp::model::CallToolResult;
use rmcp::{ErrorData as McpError, schemars, tool, tool_router};
use serde::Deserialize;

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
            serde_json::to_value(&rows)
                .map_err(|e| Failure::new("cannot encode the log rows", e.to_string(), "report this as a bug"))
        };
        Ok(match outcome.await {
            Ok(value) => fenced_structured("log rows", value),
            Err(failure) => failure.into_result(),
        })
    }
}
