//! `dokploy_manage_domain`: add or change the kong domain of a Supabase compose (host, https, certificate),
//! move the public URL variables with it, redeploy, and check the live TLS certificate (days to expiry,
//! a warning under 7 days) where the domain is reachable.

use super::env::Redeploy;
use super::{default_true, default_wait_seconds};
use crate::dokploy::domain::retarget_urls;
use crate::dokploy::history::SnapshotInfo;
use crate::dokploy::tls::{CertificateCheck, check};
use crate::dokploy::{Domain, DomainSpec};
use crate::failure::Failure;
use crate::server::SupamcpServer;
use crate::server::output::{IntoToolResult, schema_of, structured};
use crate::server::progress::heartbeat;
use crate::supabase::env::url::UrlChange;
use rmcp::handler::server::wrapper::Parameters;
use rmcp::model::CallToolResult;
use rmcp::service::RequestContext;
use rmcp::{ErrorData as McpError, RoleServer, schemars, tool, tool_router};
use serde::{Deserialize, Serialize};
use std::time::Duration;

#[derive(Debug, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ManageDomainParams {
    /// The compose's id (from dokploy_list_instances).
    pub compose_id: String,
    /// Host name, e.g. db.example.com (DNS to the Dokploy server).
    pub host: String,
    /// Serve over https with a certificate (default true).
    #[serde(default = "default_true")]
    pub https: bool,
    /// Configured Dokploy server (default: the only one).
    #[serde(default)]
    pub server: Option<String>,
    /// Required when an existing domain changes host: clients using the old URL stop working.
    #[serde(default)]
    pub confirm: bool,
    /// Redeploy so the change takes effect.
    #[serde(default = "default_true")]
    pub redeploy: bool,
    /// Seconds to wait for the redeploy to finish.
    #[serde(default = "default_wait_seconds")]
    pub wait_seconds: u64,
    /// Check the live TLS certificate afterwards.
    #[serde(default = "default_true")]
    pub check_certificate: bool,
}

#[derive(Debug, Serialize, schemars::JsonSchema)]
struct ManageDomainReply {
    compose_id: String,
    domain: Domain,
    previous_host: Option<String>,
    url_changes: Vec<UrlChange>,
    snapshot: SnapshotInfo,
    redeploy: Option<Redeploy>,
    certificate: Option<CertificateCheck>,
}

impl SupamcpServer {
    async fn manage_domain(&self, params: ManageDomainParams) -> Result<ManageDomainReply, Failure> {
        let client = self.dokploy_client(params.server.as_deref())?;
        let host = params.host.trim().to_ascii_lowercase();
        if !crate::dokploy::wizard::valid_host(&host) {
            return Err(Failure::new(
                format!("'{}' is not a host name", params.host),
                "the domain must be a bare DNS name such as db.example.com",
                "pass the host name only (no scheme, port or path)",
            ));
        }
        let (compose, file) = self.dokploy_compose(client, &params.compose_id).await?;
        let current = compose.domains.iter().find(|d| d.service_name.as_deref() == Some("kong")).cloned();
        let previous_host = current.as_ref().map(|d| d.host.clone());
        if previous_host.as_deref().is_some_and(|old| old != host) && !params.confirm {
            return Err(Failure::new(
                "the domain was not changed",
                format!(
                    "the stack is served on {}; moving it to {host} breaks clients that use the old URL",
                    previous_host.unwrap_or_default()
                ),
                "call again with confirm: true",
            ));
        }
        let mut updated = file.clone();
        let url_changes = retarget_urls(&mut updated, previous_host.as_deref(), &host, params.https);
        let snapshot = self.snapshot(client, &compose, "before dokploy_manage_domain")?;
        let spec = DomainSpec::kong(&host, params.https);
        let dokploy = |e: crate::dokploy::DokployError| e.failure(client.name());
        let domain = match &current {
            Some(domain) => client.domain_update(&domain.domain_id, &spec).await.map_err(dokploy)?,
            None => client.domain_create(&compose.compose_id, &spec).await.map_err(dokploy)?,
        };
        if !url_changes.is_empty() {
            client.compose_set_env(&compose.compose_id, &updated.to_string()).await.map_err(dokploy)?;
        }
        let redeploy = if params.redeploy {
            Some(
                self.redeploy_and_wait(client, &compose.compose_id, "supamcp: domain change", params.wait_seconds)
                    .await?,
            )
        } else {
            None
        };
        let certificate = if params.check_certificate && params.https {
            Some(check(&host, 443, Duration::from_secs(10)).await)
        } else {
            None
        };
        Ok(ManageDomainReply {
            compose_id: compose.compose_id,
            domain,
            previous_host,
            url_changes,
            snapshot,
            redeploy,
            certificate,
        })
    }
}

#[tool_router(router = dokploy_domain_router, vis = "pub(crate)")]
impl SupamcpServer {
    /// Set the https domain of a Dokploy Supabase stack and the URLs that must match it, then redeploy and check the
    /// certificate. A snapshot is taken first; changing an existing host needs confirm.
    #[tool(
        annotations(title = "Manage Dokploy domain", read_only_hint = false, destructive_hint = true, idempotent_hint = true, open_world_hint = true),
        output_schema = schema_of::<ManageDomainReply>()
    )]
    async fn dokploy_manage_domain(
        &self,
        Parameters(params): Parameters<ManageDomainParams>,
        context: RequestContext<RoleServer>,
    ) -> Result<CallToolResult, McpError> {
        let outcome = heartbeat(&context, "dokploy_manage_domain", self.manage_domain(params)).await;
        Ok(outcome.map_or_else(IntoToolResult::into_result, |reply| structured(&reply)))
    }
}
