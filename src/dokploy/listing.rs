//! Every Supabase compose on one Dokploy server, with status, public URL, last deployment and a quick health
//! verdict: what `dokploy_list_instances` lists and what `list_instances` merges into its registry.

use super::inspect::{assess, is_supabase};
use super::{Client, ComposeStatus, Deployment, DokployError, VersionInfo};
use serde::Serialize;

#[derive(Clone, Debug, Serialize, schemars::JsonSchema)]
pub struct ComposeEntry {
    pub server: String,
    pub project: String,
    pub project_id: String,
    /// The environment (Dokploy 0.25+), null before.
    pub environment: Option<String>,
    pub compose_id: String,
    pub name: String,
    pub app_name: String,
    pub status: ComposeStatus,
    /// The public URL from the kong domain, when there is one.
    pub url: Option<String>,
    pub last_deployment: Option<Deployment>,
    /// healthy, degraded, down, deploying or not_deployed.
    pub verdict: String,
    pub issues: usize,
}

/// The server's version and its Supabase composes (all projects and environments).
pub async fn list_server(client: &Client) -> Result<(VersionInfo, Vec<ComposeEntry>), DokployError> {
    let version = client.version().await?.clone();
    let mut out = Vec::new();
    for project in client.project_all().await? {
        for (environment, reference) in project.composes() {
            if !is_supabase(reference) {
                continue;
            }
            let compose = client.compose_one(&reference.compose_id).await?;
            let containers = client.docker_containers(&compose.app_name, compose.server_id.as_deref()).await?;
            let latest = client.deployment_all_by_compose(&compose.compose_id).await?.into_iter().next();
            let health = assess(&compose, &containers, latest.as_ref());
            let url = compose
                .domains
                .iter()
                .find(|d| d.service_name.as_deref() == Some("kong"))
                .map(|d| format!("{}://{}", if d.https { "https" } else { "http" }, d.host));
            out.push(ComposeEntry {
                server: client.name().to_owned(),
                project: project.name.clone(),
                project_id: project.project_id.clone(),
                environment: environment.map(|e| e.name.clone()),
                compose_id: compose.compose_id.clone(),
                name: compose.name.clone(),
                app_name: compose.app_name.clone(),
                status: compose.compose_status,
                url,
                last_deployment: latest,
                verdict: health.verdict,
                issues: health.issues.len(),
            });
        }
    }
    Ok((version, out))
}
