//! Server state tools: `database_stats`, `monitor_connections` and `read_audit_log`.

use crate::audit::AuditEntry;
use crate::failure::Failure;
use crate::pg::activity::{self, ConnectionReport, DatabaseStats};
use crate::server::SupamcpServer;
use crate::server::output::{IntoToolResult, schema_of, structured};
use rmcp::handler::server::wrapper::Parameters;
use rmcp::model::CallToolResult;
use rmcp::{ErrorData as McpError, schemars, tool, tool_router};
use serde::{Deserialize, Serialize};

#[derive(Debug, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct InstanceParams {
    /// Instance name; omit for the default instance.
    #[serde(default)]
    pub instance: Option<String>,
}

#[derive(Debug, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ReadAuditLogParams {
    /// Newest entries to return (default 50, at most 1000).
    #[serde(default = "default_audit_limit")]
    pub limit: usize,
    /// Only calls of this tool.
    #[serde(default)]
    pub tool: Option<String>,
}

fn default_audit_limit() -> usize {
    50
}

#[derive(Debug, Serialize, schemars::JsonSchema)]
pub struct AuditReply {
    pub path: String,
    /// Oldest first.
    pub entries: Vec<AuditEntry>,
}

#[tool_router(router = core_stats_router, vis = "pub(crate)")]
impl SupamcpServer {
    /// Database statistics: size, table and index cache hit ratios, commits and rollbacks, deadlocks, temp
    /// files, connections against max_connections, uptime, and the longest running transaction.
    #[tool(
        annotations(title = "Database statistics", read_only_hint = true, destructive_hint = false, idempotent_hint = true, open_world_hint = false),
        output_schema = schema_of::<DatabaseStats>()
    )]
    async fn database_stats(&self, Parameters(params): Parameters<InstanceParams>) -> Result<CallToolResult, McpError> {
        Ok(self
            .with_client(params.instance.as_deref(), |client| async move {
                Ok(structured(&activity::database_stats(&**client).await?))
            })
            .await)
    }

    /// Client connections grouped by Supabase service (Supavisor, Realtime, PostgREST, Auth, Storage,
    /// Studio/postgres-meta, Analytics, ...), by role and by state, against max_connections; alerts at 75 %
    /// and 90 % with a concrete fix (e.g. lower POOLER_DEFAULT_POOL_SIZE to N).
    #[tool(
        annotations(title = "Monitor connections", read_only_hint = true, destructive_hint = false, idempotent_hint = true, open_world_hint = false),
        output_schema = schema_of::<ConnectionReport>()
    )]
    async fn monitor_connections(
        &self,
        Parameters(params): Parameters<InstanceParams>,
    ) -> Result<CallToolResult, McpError> {
        Ok(self
            .with_client(params.instance.as_deref(), |client| async move {
                Ok(structured(&activity::connection_report(&**client).await?))
            })
            .await)
    }

    /// Recent entries of the audit log: every call of a tool that can change something, with time, instance,
    /// arguments (secrets redacted), outcome and duration.
    #[tool(
        annotations(title = "Read audit log", read_only_hint = true, destructive_hint = false, idempotent_hint = true, open_world_hint = false),
        output_schema = schema_of::<AuditReply>()
    )]
    async fn read_audit_log(
        &self,
        Parameters(params): Parameters<ReadAuditLogParams>,
    ) -> Result<CallToolResult, McpError> {
        let audit = &self.state.audit;
        Ok(match audit.recent(params.limit.clamp(1, 1000), params.tool.as_deref()) {
            Ok(entries) => structured(&AuditReply { path: audit.path().display().to_string(), entries }),
            Err(e) => Failure::new("cannot read the audit log", e.to_string(), "check the data directory permissions")
                .into_result(),
        })
    }
}
