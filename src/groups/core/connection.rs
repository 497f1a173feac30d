//! `test_connection`: connects to an instance and reports the server and who enforces read-only SQL on it,
//! or diagnoses why it cannot connect.

use crate::failure::Failure;
use crate::pg::diagnose;
use crate::pg::readonly_login::Enforcement;
use crate::server::SupamcpServer;
use crate::server::output::{IntoToolResult, schema_of, structured};
use rmcp::handler::server::wrapper::Parameters;
use rmcp::model::CallToolResult;
use rmcp::{ErrorData as McpError, schemars, tool, tool_router};
use serde::{Deserialize, Serialize};
use std::time::Instant;

#[derive(Debug, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct TestConnectionParams {
    /// Instance name; omit for the default instance.
    #[serde(default)]
    pub instance: Option<String>,
}

#[derive(Debug, Serialize, schemars::JsonSchema)]
pub struct ConnectionReport {
    pub instance: String,
    /// The connection with its password redacted.
    pub target: String,
    pub ok: bool,
    pub latency_ms: f64,
    pub server_version: Option<String>,
    pub current_user: Option<String>,
    pub database: Option<String>,
    pub ssl: Option<bool>,
    /// Connected through Supavisor in transaction mode (port 6543): no session state between calls.
    pub transaction_pooler: bool,
    /// refused, unknown_host, auth_failed, tls_required, tls_unsupported, too_many_connections, ...
    pub failure_kind: Option<String>,
    pub failure: Option<String>,
    pub configured_instances: Vec<String>,
    /// Who enforces read-only SQL (read-only mode, `read_only: true`): "database" on a login PostgreSQL
    /// restricts, "supamcp" when only the guard and the read-only transaction do.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub read_only_enforcement: Option<Enforcement>,
    /// Why the configured read-only login cannot be used (read-only SQL is refused until it is fixed).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub read_only_problem: Option<String>,
}

#[tool_router(router = core_connection_router, vis = "pub(crate)")]
impl SupamcpServer {
    /// Connect to a database instance and report server version, user, database, TLS and pooler mode; when
    /// the connection fails, say why (refused, unknown host, wrong password, TLS, too many connections, ...)
    /// and how to fix it.
    #[tool(
        annotations(title = "Test connection", read_only_hint = true, destructive_hint = false, idempotent_hint = true, open_world_hint = false),
        output_schema = schema_of::<ConnectionReport>()
    )]
    async fn test_connection(
        &self,
        Parameters(params): Parameters<TestConnectionParams>,
    ) -> Result<CallToolResult, McpError> {
        let database = match self.state.databases.get(params.instance.as_deref()) {
            Ok(database) => database,
            Err(failure) => return Ok(failure.into_result()),
        };
        let started = Instant::now();
        let mut report = ConnectionReport {
            instance: database.instance.name.clone(),
            target: database.spec.redacted(),
            ok: false,
            latency_ms: 0.0,
            server_version: None,
            current_user: None,
            database: None,
            ssl: None,
            transaction_pooler: database.transaction_pooler(),
            failure_kind: None,
            failure: None,
            configured_instances: self.state.databases.names(),
            read_only_enforcement: None,
            read_only_problem: None,
        };
        let outcome: Result<(), (diagnose::FailureKind, Failure)> = async {
            let client = database.client_diagnosed().await?;
            let row = client
                .query_typed_one(
                    "select current_setting('server_version'), current_user::text, current_database()::text, \
                     coalesce((select ssl from pg_stat_ssl where pid = pg_backend_pid()), false)",
                    &[],
                )
                .await
                .map_err(|e| diagnose::explain(&database.spec, &e))?;
            report.server_version = Some(row.get(0));
            report.current_user = Some(row.get(1));
            report.database = Some(row.get(2));
            report.ssl = Some(row.get(3));
            Ok(())
        }
        .await;
        report.latency_ms = started.elapsed().as_secs_f64() * 1000.0;
        match outcome {
            Ok(()) => {
                report.ok = true;
                match database.read_only_client().await {
                    Ok(read_only) => {
                        report.read_only_enforcement = Some(read_only.enforcement);
                        crate::pg::pool::release_clean(read_only.client, database.transaction_pooler()).await;
                    }
                    Err(failure) => report.read_only_problem = Some(failure.text()),
                }
            }
            Err((kind, failure)) => {
                report.failure_kind = Some(kind.name().to_owned());
                report.failure = Some(failure.text());
            }
        }
        // A failed connection is an error result that still carries the structured report.
        let failed = !report.ok;
        let mut result = structured(&report);
        if failed {
            result.is_error = Some(true);
        }
        Ok(result)
    }
}
