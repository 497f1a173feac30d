//! Read-only Dokploy tools: `dokploy_list_instances` (every Supabase compose on every configured
//! server with status, domain, last deployment and a health verdict), `dokploy_validate_config` (the
//! .env doctor on the live env plus the Dokploy-side checks) and `dokploy_monitor_health`.

use super::default_max_connections;
use crate::dokploy::VersionInfo;
use crate::dokploy::inspect::{Health, dokploy_checks, observe};
use crate::dokploy::listing::{ComposeEntry, list_server};
use crate::dokploy::ops::key_problems;
use crate::server::SupamcpServer;
use crate::server::output::{IntoToolResult, schema_of, structured};
use crate::supabase::env::{self, CheckOptions, Report};
use crate::supabase::finding::Finding;
use rmcp::handler::server::wrapper::Parameters;
use rmcp::model::CallToolResult;
use rmcp::{ErrorData as McpError, schemars, tool, tool_router};
use serde::{Deserialize, Serialize};

#[derive(Debug, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ListInstancesParams {
    /// Only this configured Dokploy server (default: all of them).
    #[serde(default)]
    pub server: Option<String>,
}

#[derive(Debug, Serialize, schemars::JsonSchema)]
struct ServerEntry {
    server: String,
    url: String,
    version: Option<VersionInfo>,
    /// Why the server could not be listed (the other servers are still listed).
    error: Option<String>,
}

#[derive(Debug, Serialize, schemars::JsonSchema)]
struct ListReply {
    servers: Vec<ServerEntry>,
    instances: Vec<ComposeEntry>,
}

#[derive(Debug, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ComposeParams {
    /// The compose's id (from dokploy_list_instances).
    pub compose_id: String,
    /// Configured Dokploy server (default: the only one).
    #[serde(default)]
    pub server: Option<String>,
    /// The database's max_connections, for the pooler rules (default 100).
    #[serde(default = "default_max_connections")]
    pub max_connections: i64,
}

#[derive(Debug, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct HealthParams {
    /// The compose's id (from dokploy_list_instances).
    pub compose_id: String,
    /// Configured Dokploy server (default: the only one).
    #[serde(default)]
    pub server: Option<String>,
}

#[derive(Debug, Serialize, schemars::JsonSchema)]
struct ValidateReply {
    compose_id: String,
    app_name: String,
    /// "clean", "info", "warning" or "critical": the worst finding of both checks.
    status: String,
    /// Findings of the Dokploy side: domain target and port, https flag vs URL schemes, certificate.
    dokploy: Vec<Finding>,
    /// The .env doctor's report on the live env (secrets redacted).
    env: Report,
}

#[derive(Debug, Serialize, schemars::JsonSchema)]
struct HealthReply {
    compose_id: String,
    app_name: String,
    #[serde(flatten)]
    health: Health,
    /// Configuration problems that break a running stack (keys, domain/URL mismatches).
    config: Vec<Finding>,
}

#[tool_router(router = dokploy_inspect_router, vis = "pub(crate)")]
impl SupamcpServer {
    /// List every Supabase compose on every configured Dokploy server (all projects and environments) with its
    /// status, public URL, last deployment and a quick health verdict (healthy, degraded, down, deploying,
    /// not_deployed). A server that cannot be reached is reported with its error; the others are still listed.
    #[tool(
        annotations(title = "List Dokploy Supabase instances", read_only_hint = true, destructive_hint = false, idempotent_hint = true, open_world_hint = true),
        output_schema = schema_of::<ListReply>()
    )]
    async fn dokploy_list_instances(
        &self,
        Parameters(params): Parameters<ListInstancesParams>,
    ) -> Result<CallToolResult, McpError> {
        if let Some(name) = params.server.as_deref()
            && let Err(failure) = self.dokploy_client(Some(name))
        {
            return Ok(failure.into_result());
        }
        let mut reply = ListReply { servers: Vec::new(), instances: Vec::new() };
        for (name, client) in &self.state.dokploy {
            if params.server.as_deref().is_some_and(|wanted| wanted != name) {
                continue;
            }
            let mut entry =
                ServerEntry { server: name.clone(), url: client.base_url().to_owned(), version: None, error: None };
            match list_server(client).await {
                Ok((version, instances)) => {
                    entry.version = Some(version);
                    reply.instances.extend(instances);
                }
                Err(e) => entry.error = Some(e.failure(name).text()),
            }
            reply.servers.push(entry);
        }
        Ok(structured(&reply))
    }

    /// Check a live Dokploy Supabase compose: the .env doctor on its env (broken or identical keys, http/https
    /// mismatches, fake SMTP, weak secrets ...) plus Dokploy-side checks (the domain must target service kong on
    /// port 8000; its https flag and certificate must match the URL schemes in the env). Secrets are redacted.
    #[tool(
        annotations(title = "Validate Dokploy Supabase config", read_only_hint = true, destructive_hint = false, idempotent_hint = true, open_world_hint = true),
        output_schema = schema_of::<ValidateReply>()
    )]
    async fn dokploy_validate_config(
        &self,
        Parameters(params): Parameters<ComposeParams>,
    ) -> Result<CallToolResult, McpError> {
        let (_, compose, file) = match self.dokploy_target(params.server.as_deref(), &params.compose_id).await {
            Ok(found) => found,
            Err(failure) => return Ok(failure.into_result()),
        };
        let options = CheckOptions { max_connections: params.max_connections, ..CheckOptions::default() };
        let report = env::check(&file, &options);
        let dokploy = dokploy_checks(&compose, &file);
        let worst = dokploy.iter().map(|f| f.severity).chain(report.findings.iter().map(|f| f.severity)).max();
        let status = worst.map_or("clean", |s| s.name()).to_owned();
        Ok(structured(&ValidateReply {
            compose_id: compose.compose_id,
            app_name: compose.app_name,
            status,
            dokploy,
            env: report,
        }))
    }

    /// Health of a Dokploy Supabase compose: compose status, every container's state and health check, restarts,
    /// the last deployment's result, and the configuration problems that break a running stack (keys, domain
    /// and URL mismatches). Issues come ranked by severity, each with a fix.
    #[tool(
        annotations(title = "Monitor Dokploy Supabase health", read_only_hint = true, destructive_hint = false, idempotent_hint = true, open_world_hint = true),
        output_schema = schema_of::<HealthReply>()
    )]
    async fn dokploy_monitor_health(
        &self,
        Parameters(params): Parameters<HealthParams>,
    ) -> Result<CallToolResult, McpError> {
        let (client, compose, file) = match self.dokploy_target(params.server.as_deref(), &params.compose_id).await {
            Ok(found) => found,
            Err(failure) => return Ok(failure.into_result()),
        };
        let health = match observe(client, &compose).await {
            Ok(health) => health,
            Err(e) => return Ok(e.failure(client.name()).into_result()),
        };
        let mut config = key_problems(&file);
        config.extend(
            dokploy_checks(&compose, &file)
                .into_iter()
                .filter(|f| f.severity == crate::supabase::finding::Severity::Critical),
        );
        config.sort_by_key(|f| std::cmp::Reverse(f.severity));
        Ok(structured(&HealthReply { compose_id: compose.compose_id, app_name: compose.app_name, health, config }))
    }
}
