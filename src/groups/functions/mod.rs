//! Group `functions`: edge functions with the official server's tool names and parameters (list, get,
//! deploy) and what it lacks (delete, rollback, invoke, secrets), on the target the configuration gives:
//! Supabase Cloud through the Management API, a self-hosted stack's functions directory, or a stack on Dokploy
//! (the instance's dokploy_compose_id: functions as compose file mounts). Declarations
//! only; the work is in `supabase::functions`.

mod deploy;
mod invoke;
mod logs;
mod read;
mod secret_request;
mod secrets;

use crate::dokploy::history::History as Snapshots;
use crate::failure::Failure;
use crate::server::SupamcpServer;
use crate::spill::{ColumnInfo, WrittenResult};
use crate::supabase::functions::compose::ComposeFunctions;
use crate::supabase::functions::history::History;
use crate::supabase::functions::local::FunctionsDir;
use crate::supabase::functions::target::Target;
use crate::supabase::management::ManagementApi;
use rmcp::handler::server::router::tool::ToolRouter;
use serde::Serialize;
use serde_json::Value;

/// The parameters that name a target and nothing else.
#[derive(serde::Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct TargetParams {
    /// Cloud project ref or instance name.
    #[serde(default)]
    pub project_id: Option<String>,
    /// Configured instance (its functions target); default instance if omitted.
    #[serde(default)]
    pub instance: Option<String>,
}

/// Where a spilled text went: read_result pages through it.
#[derive(Debug, Serialize, schemars::JsonSchema)]
pub struct TextSpill {
    /// Handle for read_result.
    pub handle: String,
    /// The same pages as an MCP resource.
    pub uri: String,
    pub rows: u64,
}

impl SupamcpServer {
    /// Every tool of the group.
    pub(crate) fn functions_router() -> ToolRouter<SupamcpServer> {
        SupamcpServer::functions_read_router()
            + SupamcpServer::functions_deploy_router()
            + SupamcpServer::functions_invoke_router()
            + SupamcpServer::functions_secrets_router()
            + SupamcpServer::functions_secret_request_router()
            + SupamcpServer::functions_logs_router()
    }

    fn function_history(&self) -> History {
        History::new(&self.state.settings.data_dir)
    }

    /// The target a call names: a `project_id` that is no configured instance is a cloud project; otherwise
    /// the instance (named, the one `project_id` names, or the default) with its functions directory, or its
    /// cloud project when it has none.
    fn functions_target(&self, project_id: Option<&str>, instance: Option<&str>) -> Result<Target<'_>, Failure> {
        let settings = &self.state.settings;
        let project_id = project_id.filter(|p| !p.is_empty());
        let instance = match project_id {
            Some(project) => match settings.instance_for_project(instance, project) {
                Ok(name) => Some(name),
                Err(_) if settings.access_token.is_some() && instance.is_none() => {
                    let api = ManagementApi::from_settings(settings)?;
                    return Ok(Target::Api { api, reference: project.to_owned() });
                }
                Err(failure) => return Err(failure),
            },
            None => instance.map(str::to_owned),
        };
        let config = settings.instance(instance.as_deref()).ok();
        if let Some(config) = config {
            if let Some(dir) = &config.functions_dir {
                let (instance, gateway) = (config.name.clone(), config.supabase_url.clone());
                return Ok(Target::Directory { instance, dir: FunctionsDir::open(dir)?, gateway });
            }
            if let Some(compose_id) = &config.dokploy_compose_id {
                let client = self.dokploy_client(config.dokploy.as_deref())?;
                let functions = ComposeFunctions { client, compose_id, gateway: config.supabase_url.as_deref() };
                return Ok(Target::Dokploy { functions, snapshots: Snapshots::new(&settings.data_dir) });
            }
            if let (Some(url), Some(password)) = (&config.supabase_url, &config.dashboard_password) {
                let user = config.dashboard_username.as_deref().unwrap_or("supabase");
                let api = ManagementApi::studio(url, user, password)?;
                return Ok(Target::Api { api, reference: "default".to_owned() });
            }
            if let (Some(reference), Some(_)) = (config.project_ref(), &settings.access_token) {
                return Ok(Target::Api { api: ManagementApi::from_settings(settings)?, reference });
            }
        }
        if let (Some(reference), None) = (&settings.project_ref, &instance) {
            return Ok(Target::Api { api: ManagementApi::from_settings(settings)?, reference: reference.clone() });
        }
        Err(Failure::new(
            "no place to manage edge functions",
            match config {
                Some(config) => {
                    format!(
                        "instance '{}' has no functions_dir, dokploy_compose_id or Studio login and names no cloud \
                         project",
                        config.name
                    )
                }
                None => "no instance is selected and no project_id was given".to_owned(),
            },
            "pass project_id (a cloud project ref, with SUPABASE_ACCESS_TOKEN set), or set functions_dir for a \
             self-hosted instance (SUPAMCP_FUNCTIONS_DIR or functions_dir in the config file: the stack's \
             volumes/functions directory), dokploy_compose_id for a stack on Dokploy, or DASHBOARD_USERNAME and \
             DASHBOARD_PASSWORD with SUPABASE_URL to deploy through self-hosted Studio",
        ))
    }

    /// `text` whole when it fits the spill threshold; otherwise its lines go to a spill file (rows
    /// `[label, line]`) and the handle comes back.
    fn bounded_text(&self, pieces: &[(&str, &str)]) -> Result<Option<TextSpill>, Failure> {
        let total: usize = pieces.iter().map(|(_, text)| text.len()).sum();
        if total <= self.state.spill.threshold_bytes {
            return Ok(None);
        }
        let mut writer = self.state.spill.writer(0);
        writer.start(vec![
            ColumnInfo { name: "file".into(), type_name: "text".into() },
            ColumnInfo { name: "line".into(), type_name: "text".into() },
        ]);
        for (label, text) in pieces {
            for line in text.lines() {
                writer.push(vec![Value::String((*label).to_owned()), Value::String(line.to_owned())])?;
            }
        }
        let rows = writer.rows_written();
        Ok(match writer.finish()? {
            WrittenResult::Inline { .. } => None,
            WrittenResult::Spilled(s) => {
                let uri = crate::server::resources::result_uri(&s.handle, 0);
                Some(TextSpill { handle: s.handle, uri, rows })
            }
        })
    }
}
