//! The rows the Dokploy API returns, reduced to the fields supamcp reads. Unknown fields are ignored
//! (Dokploy adds columns between versions); absent ones take defaults. A compose's `env` holds every
//! secret of the stack, so it is a [`Secret`] and never reaches a log or a Debug print.

use crate::secret::Secret;
use serde::{Deserialize, Serialize};

/// `composeStatus`: `running` means a deployment is in progress, not that the containers are up.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Deserialize, Serialize, schemars::JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum ComposeStatus {
    #[default]
    Idle,
    Running,
    Done,
    Error,
    #[serde(other)]
    Unknown,
}

/// A deployment's status.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Deserialize, Serialize, schemars::JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum DeploymentStatus {
    #[default]
    Running,
    Done,
    Error,
    Cancelled,
    #[serde(other)]
    Unknown,
}

/// A compose as listed under a project or environment.
#[derive(Clone, Debug, Default, Deserialize, Serialize, schemars::JsonSchema)]
#[serde(rename_all = "camelCase", default)]
pub struct ComposeRef {
    pub compose_id: String,
    pub name: String,
    pub app_name: Option<String>,
    pub compose_status: ComposeStatus,
    pub server_id: Option<String>,
}

/// An environment (v0.25.0+) as nested in `project.all` / `project.one`, or returned by `environment.*`.
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct Environment {
    pub environment_id: String,
    pub name: String,
    pub is_default: bool,
    pub project_id: Option<String>,
    pub compose: Vec<ComposeRef>,
}

/// A project. Since v0.25.0 its composes are under `environments`; before, directly under `compose`.
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct Project {
    pub project_id: String,
    pub name: String,
    pub description: Option<String>,
    pub created_at: Option<String>,
    pub environments: Vec<Environment>,
    pub compose: Vec<ComposeRef>,
}

impl Project {
    /// Every compose of the project with the environment it lives in (`None` before v0.25).
    pub fn composes(&self) -> Vec<(Option<&Environment>, &ComposeRef)> {
        let nested = self.environments.iter().flat_map(|env| env.compose.iter().map(move |c| (Some(env), c)));
        nested.chain(self.compose.iter().map(|c| (None, c))).collect()
    }

    /// The environment services are created in: the default one, else the first.
    pub fn default_environment(&self) -> Option<&Environment> {
        self.environments.iter().find(|env| env.is_default).or_else(|| self.environments.first())
    }
}

/// What `project.create` made: the project, and its `production` environment since v0.25.0.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, schemars::JsonSchema)]
pub struct CreatedProject {
    pub project_id: String,
    pub name: String,
    pub environment_id: Option<String>,
}

/// Where a new compose goes: an environment (v0.25.0+) or, before, the project itself.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Parent {
    Environment(String),
    Project(String),
}

/// A compose service with its deployments, domains and (decrypted) env.
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct Compose {
    pub compose_id: String,
    pub name: String,
    pub app_name: String,
    pub description: Option<String>,
    pub env: Option<Secret>,
    pub compose_file: String,
    pub source_type: Option<String>,
    pub compose_type: Option<String>,
    pub compose_status: ComposeStatus,
    pub environment_id: Option<String>,
    pub project_id: Option<String>,
    pub server_id: Option<String>,
    pub created_at: Option<String>,
    pub deployments: Vec<Deployment>,
    pub domains: Vec<Domain>,
    /// Bind, volume and file mounts (`compose.one` includes them).
    pub mounts: Vec<Mount>,
}

impl Compose {
    /// The env text, empty when Dokploy has none.
    pub fn env_text(&self) -> &str {
        self.env.as_ref().map_or("", Secret::expose)
    }

    /// The newest deployment (the embedded list is not ordered, so this sorts by creation time).
    pub fn latest_deployment(&self) -> Option<&Deployment> {
        self.deployments.iter().max_by(|a, b| a.created_at.cmp(&b.created_at))
    }
}

/// One deployment of a compose.
#[derive(Clone, Debug, Default, Deserialize, Serialize, schemars::JsonSchema)]
#[serde(rename_all = "camelCase", default)]
pub struct Deployment {
    pub deployment_id: String,
    pub title: Option<String>,
    pub status: DeploymentStatus,
    pub log_path: Option<String>,
    pub created_at: String,
    pub started_at: Option<String>,
    pub finished_at: Option<String>,
    pub error_message: Option<String>,
}

/// A mount of a compose. A `file` mount is written to `/etc/dokploy/compose/<appName>/files/<filePath>`, which
/// the compose file references as `../files/<filePath>`.
#[derive(Clone, Debug, Default, Deserialize, Serialize, PartialEq, Eq)]
#[serde(rename_all = "camelCase", default)]
pub struct Mount {
    pub mount_id: String,
    /// bind, volume or file.
    #[serde(rename = "type")]
    pub kind: String,
    pub file_path: Option<String>,
    pub content: Option<String>,
    pub mount_path: Option<String>,
}

impl Mount {
    /// A file mount's path relative to the compose's files directory, without a leading `/` or `./`.
    pub fn relative_file_path(&self) -> Option<&str> {
        let path = self.file_path.as_deref().filter(|_| self.kind == "file")?;
        Some(path.trim_start_matches("./").trim_start_matches('/'))
    }
}

/// A domain routed by Traefik to one service of a compose.
#[derive(Clone, Debug, Default, Deserialize, Serialize, PartialEq, Eq, schemars::JsonSchema)]
#[serde(rename_all = "camelCase", default)]
pub struct Domain {
    pub domain_id: String,
    pub host: String,
    pub https: bool,
    pub port: Option<u16>,
    pub path: Option<String>,
    pub service_name: Option<String>,
    pub domain_type: Option<String>,
    pub certificate_type: Option<String>,
    pub compose_id: Option<String>,
    pub enabled: Option<bool>,
}

/// The fields of `domain.create` / `domain.update` supamcp sets.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct DomainSpec {
    pub host: String,
    pub https: bool,
    pub certificate_type: String,
    pub port: u16,
    pub path: String,
    pub service_name: String,
    pub domain_type: String,
}

impl DomainSpec {
    /// Supabase's public entry point: kong on port 8000, https with Let's Encrypt unless `https` is false.
    pub fn kong(host: &str, https: bool) -> DomainSpec {
        DomainSpec {
            host: host.to_owned(),
            https,
            certificate_type: if https { "letsencrypt" } else { "none" }.to_owned(),
            port: 8000,
            path: "/".to_owned(),
            service_name: "kong".to_owned(),
            domain_type: "compose".to_owned(),
        }
    }
}

/// A container of a compose, from `docker.getContainersByAppNameMatch`.
#[derive(Clone, Debug, Default, Deserialize, Serialize, PartialEq, Eq, schemars::JsonSchema)]
#[serde(rename_all = "camelCase", default)]
pub struct Container {
    pub container_id: String,
    /// `<appName>-<service>-1`.
    pub name: String,
    /// Docker state: running, exited, restarting, created ...
    pub state: String,
    /// Docker status text such as "Up 5 minutes (healthy)".
    pub status: String,
}

impl Container {
    /// The compose service, from the name `<appName>-<service>-<n>`.
    pub fn service(&self, app_name: &str) -> String {
        let rest = self.name.trim_start_matches('/').strip_prefix(app_name).unwrap_or(&self.name);
        let rest = rest.trim_start_matches(['-', '_']);
        match rest.rsplit_once(['-', '_']) {
            Some((service, index)) if index.chars().all(|c| c.is_ascii_digit()) => service.to_owned(),
            _ => rest.to_owned(),
        }
    }

    /// The health in the status text: healthy, unhealthy, starting, or none.
    pub fn health(&self) -> &'static str {
        if self.status.contains("(unhealthy)") {
            "unhealthy"
        } else if self.status.contains("(healthy)") {
            "healthy"
        } else if self.status.contains("health: starting") {
            "starting"
        } else {
            "none"
        }
    }
}

/// A remote server Dokploy deploys to.
#[derive(Clone, Debug, Default, Deserialize, Serialize, schemars::JsonSchema)]
#[serde(rename_all = "camelCase", default)]
pub struct Server {
    pub server_id: String,
    pub name: String,
    pub ip_address: Option<String>,
    pub server_status: Option<String>,
}

/// A template of `compose.templates`.
#[derive(Clone, Debug, Default, Deserialize, Serialize, schemars::JsonSchema)]
#[serde(rename_all = "camelCase", default)]
pub struct Template {
    pub id: String,
    pub name: String,
    pub version: Option<String>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn container_service_and_health() {
        let container = Container {
            name: "shop-supabase-k3x9qa-kong-1".into(),
            status: "Up 5 minutes (unhealthy)".into(),
            ..Container::default()
        };
        assert_eq!(container.service("shop-supabase-k3x9qa"), "kong");
        assert_eq!(container.health(), "unhealthy");
    }

    #[test]
    fn projects_list_composes_of_both_shapes() {
        let new: Project = serde_json::from_str(
            r#"{"projectId":"p","name":"a","environments":[{"environmentId":"e","name":"production","isDefault":true,"compose":[{"composeId":"c","name":"supabase","composeStatus":"done"}]}]}"#,
        )
        .unwrap_or_default();
        let old: Project = serde_json::from_str(
            r#"{"projectId":"p","name":"a","compose":[{"composeId":"c","name":"s","composeStatus":"weird"}]}"#,
        )
        .unwrap_or_default();
        assert_eq!(new.composes()[0].1.compose_status, ComposeStatus::Done);
        assert_eq!(old.composes()[0].1.compose_status, ComposeStatus::Unknown);
        assert!(old.composes()[0].0.is_none());
    }

    #[test]
    fn compose_debug_hides_the_env() {
        let compose: Compose =
            serde_json::from_str(r#"{"composeId":"c","env":"JWT_SECRET=topsecretvalue"}"#).unwrap_or_default();
        assert_eq!(compose.env_text(), "JWT_SECRET=topsecretvalue");
        assert!(!format!("{compose:?}").contains("topsecretvalue"));
    }
}
