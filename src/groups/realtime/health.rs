//! `realtime_health`: why change events or broadcasts do not arrive, from the database (wal_level, slot and
//! sender headroom, Realtime's slots, WAL retained by inactive slots, subscriptions, message partitions) and,
//! where the API is configured, Realtime answering through the gateway. The checks are `health::realtime`'s.

use crate::health::realtime::{self, RealtimeDatabase, RealtimeThresholds};
use crate::health::{Alert, Thresholds, overall};
use crate::server::SupamcpServer;
use crate::server::output::{IntoToolResult, fenced_structured, schema_of};
use crate::supabase::gateway::Gateway;
use crate::supabase::realtime::broadcast::{Ping, Realtime};
use rmcp::handler::server::wrapper::Parameters;
use rmcp::model::CallToolResult;
use rmcp::{ErrorData as McpError, schemars, tool, tool_router};
use serde::{Deserialize, Serialize};

#[derive(Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct HealthParams {
    /// Instance to use; the default instance when omitted.
    #[serde(default)]
    pub instance: Option<String>,
    /// WAL retained by an inactive slot, MiB, from which it is critical.
    #[serde(default = "default_slot_mb")]
    pub inactive_slot_critical_mb: f64,
    /// realtime.subscription rows from which to warn.
    #[serde(default = "default_subscription_rows")]
    pub subscription_rows_warning: i64,
    /// Also ping Realtime through the API gateway (when the instance has an API URL and key).
    #[serde(default = "default_true")]
    pub check_service: bool,
}

fn default_slot_mb() -> f64 {
    Thresholds::default().inactive_slot_critical_mb
}

fn default_subscription_rows() -> i64 {
    100_000
}

fn default_true() -> bool {
    true
}

#[derive(Serialize, schemars::JsonSchema)]
struct HealthReply {
    /// ok, warning or critical: the worst alert.
    status: &'static str,
    alerts: Vec<Alert>,
    database: RealtimeDatabase,
    /// Realtime's ping through the gateway.
    service: Option<Ping>,
    /// Why the service was not checked.
    #[serde(skip_serializing_if = "Option::is_none")]
    service_skipped: Option<String>,
}

#[tool_router(router = realtime_health_router, vis = "pub(crate)")]
impl SupamcpServer {
    /// Check what Realtime needs: wal_level, replication slot and sender headroom, Realtime's slots, WAL held by
    /// inactive slots, subscriptions, realtime.messages partitions, and the service through the gateway.
    #[tool(
        annotations(title = "Realtime health", read_only_hint = true, destructive_hint = false, idempotent_hint = true, open_world_hint = true),
        output_schema = schema_of::<HealthReply>()
    )]
    async fn realtime_health(&self, Parameters(params): Parameters<HealthParams>) -> Result<CallToolResult, McpError> {
        let service = async {
            if !params.check_service {
                return (None, Some("check_service is false".to_owned()));
            }
            match Gateway::for_instance(&self.state.settings, params.instance.as_deref()) {
                Ok(gateway) => (Some(Realtime::new(gateway).ping().await), None),
                Err(failure) => (None, Some(failure.text())),
            }
        };
        let thresholds =
            Thresholds { inactive_slot_critical_mb: params.inactive_slot_critical_mb, ..Thresholds::default() };
        let limits = RealtimeThresholds { subscription_rows_warning: params.subscription_rows_warning };
        let database = async {
            let database = self.state.databases.get(params.instance.as_deref())?;
            let client = database.client().await?;
            realtime::check(&**client, &thresholds, limits).await
        };
        let ((service, service_skipped), measured) = futures_util::join!(service, database);
        let (database, mut alerts) = match measured {
            Ok(parts) => parts,
            Err(failure) => return Ok(failure.into_result()),
        };
        if let Some(ping) = service.as_ref().filter(|ping| !ping.ok) {
            alerts.push(Alert {
                check: "realtime_service",
                severity: crate::health::Severity::Critical,
                message: format!(
                    "Realtime does not answer at {}: {}",
                    ping.url,
                    ping.error.clone().unwrap_or_default()
                ),
                value: 0.0,
                threshold: 1.0,
                unit: "up",
                fix: "check the realtime container (its logs) and the gateway's realtime route".to_owned(),
            });
        }
        alerts.sort_by_key(|alert| alert.severity);
        let reply = HealthReply { status: overall(&alerts), alerts, database, service, service_skipped };
        match serde_json::to_value(&reply) {
            Ok(value) => Ok(fenced_structured("realtime health report", value)),
            Err(e) => Ok(crate::failure::Failure::new("cannot encode the result", e.to_string(), "report this bug")
                .into_result()),
        }
    }
}
