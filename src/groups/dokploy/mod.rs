//! Group `dokploy`: find, check, watch, repair and roll back Supabase stacks deployed with Dokploy.
//! Declarations only; the work is in `crate::dokploy` (client, checks, history, env planning) and
//! `crate::supabase` (the .env doctor and keys). Tools that change the remote are not read-only.

mod deploy;
mod domain;
mod env;
pub(crate) use env::Redeploy;
mod inspect;
mod logs;

use crate::dokploy::{Client, Compose};
use crate::failure::Failure;
use crate::server::SupamcpServer;
use crate::supabase::env::EnvFile;
use rmcp::handler::server::router::tool::ToolRouter;

impl SupamcpServer {
    /// Every tool of the group.
    pub(crate) fn dokploy_router() -> ToolRouter<SupamcpServer> {
        SupamcpServer::dokploy_inspect_router()
            + SupamcpServer::dokploy_env_router()
            + SupamcpServer::dokploy_logs_router()
            + SupamcpServer::dokploy_deploy_router()
            + SupamcpServer::dokploy_domain_router()
    }

    /// The client a call names: `server`, or the only configured one, or `default`.
    pub(crate) fn dokploy_client(&self, server: Option<&str>) -> Result<&Client, Failure> {
        let clients = &self.state.dokploy;
        let names = || clients.keys().cloned().collect::<Vec<_>>().join(", ");
        let chosen = match server {
            Some(name) => clients.get(name),
            None if clients.len() == 1 => clients.values().next(),
            None => clients.get("default"),
        };
        chosen.ok_or_else(|| match server {
            Some(name) => Failure::new(
                format!("Dokploy server '{name}' is not configured"),
                format!("configured servers: {}", names()),
                "pass one of the configured names as server, or add [dokploy.<name>] to the config file",
            ),
            None => Failure::new(
                "several Dokploy servers are configured",
                format!("the call names none and there is no 'default'; configured: {}", names()),
                "pass server with one of the configured names",
            ),
        })
    }

    /// The client and the compose (with its env parsed) a call names.
    pub(crate) async fn dokploy_target(
        &self,
        server: Option<&str>,
        compose_id: &str,
    ) -> Result<(&Client, Compose, EnvFile), Failure> {
        let client = self.dokploy_client(server)?;
        let (compose, env) = self.dokploy_compose(client, compose_id).await?;
        Ok((client, compose, env))
    }

    /// The compose a call names, with its env parsed.
    pub(crate) async fn dokploy_compose(
        &self,
        client: &Client,
        compose_id: &str,
    ) -> Result<(Compose, EnvFile), Failure> {
        let compose = client.compose_one(compose_id).await.map_err(|e| e.failure(client.name()))?;
        let env = crate::supabase::env::parse_text(compose.env_text(), &format!("the env of compose {compose_id}"))?;
        Ok((compose, env))
    }
}

fn default_wait_seconds() -> u64 {
    900
}

fn default_true() -> bool {
    true
}

fn default_tail() -> u32 {
    200
}

fn default_since() -> String {
    "all".to_owned()
}

fn default_max_connections() -> i64 {
    crate::supabase::env::DEFAULT_MAX_CONNECTIONS
}

fn default_lifetime_days() -> u32 {
    crate::supabase::keys::DEFAULT_LIFETIME_DAYS
}
