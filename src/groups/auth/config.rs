//! `update_auth_config`: a self-hosted stack's auth settings changed where the stack keeps them: its `.env`
//! file (backed up first), or the env of its Dokploy compose (snapshot first, then a redeploy so GoTrue reads
//! it). Only the auth variables, values checked, the doctor's findings compared before and after. Supabase
//! Cloud's auth config (Management API) is not changed here.

use super::needs_confirm;
use crate::dokploy::history::SnapshotInfo;
use crate::failure::Failure;
use crate::groups::dokploy::Redeploy;
use crate::server::SupamcpServer;
use crate::server::output::{IntoToolResult, schema_of, structured};
use crate::supabase::auth::envconfig::{AuthEnvChange, AuthEnvPlan, RESTART_COMMAND, plan_update};
use crate::supabase::env::{backup_and_write, load_strict};
use crate::supabase::finding::Finding;
use rmcp::handler::server::wrapper::Parameters;
use rmcp::model::CallToolResult;
use rmcp::{ErrorData as McpError, schemars, tool, tool_router};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::path::Path;

#[derive(Debug, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct UpdateAuthConfigParams {
    /// Auth variables to set, e.g. {"DISABLE_SIGNUP": "true", "SITE_URL": "https://app.example.com"}.
    pub set: BTreeMap<String, String>,
    /// The self-hosted stack's .env file; or give compose_id.
    #[serde(default)]
    pub path: Option<String>,
    /// The stack's Dokploy compose (default: the instance's dokploy_compose_id).
    #[serde(default)]
    pub compose_id: Option<String>,
    /// Configured Dokploy server (default: the instance's, or the only one).
    #[serde(default)]
    pub server: Option<String>,
    /// Configured instance whose Dokploy compose to change (default: the default one).
    #[serde(default)]
    pub instance: Option<String>,
    /// Dokploy: redeploy so the auth service reads the new env (default true).
    #[serde(default = "default_true")]
    pub redeploy: bool,
    /// Dokploy: seconds to wait for the redeploy.
    #[serde(default = "default_wait_seconds")]
    pub wait_seconds: u64,
    /// Must be true: the settings are rewritten (the old ones are kept to roll back to).
    #[serde(default)]
    pub confirm: bool,
}

fn default_true() -> bool {
    true
}

fn default_wait_seconds() -> u64 {
    900
}

#[derive(Debug, Serialize, schemars::JsonSchema)]
struct UpdateAuthConfigReply {
    /// The .env changed (file target).
    path: Option<String>,
    /// The previous file, saved before writing.
    backup: Option<String>,
    /// The compose changed (Dokploy target).
    compose_id: Option<String>,
    /// The env before the change (dokploy_rollback restores it).
    snapshot: Option<SnapshotInfo>,
    /// Secrets as redacted hints.
    changes: Vec<AuthEnvChange>,
    /// Problems the change introduces.
    new_findings: Vec<Finding>,
    /// The redeploy that applied it (Dokploy, redeploy true).
    redeploy: Option<Redeploy>,
    /// What applies the change, when this call did not.
    apply_with: Option<String>,
}

/// Where the stack's auth settings live.
enum Target {
    File(String),
    Compose { server: Option<String>, compose_id: String },
}

impl SupamcpServer {
    fn auth_config_target(&self, params: &UpdateAuthConfigParams) -> Result<Target, Failure> {
        match (&params.path, &params.compose_id) {
            (Some(_), Some(_)) => Err(Failure::new(
                "both path and compose_id were given",
                "the settings live in one place: a .env file or a Dokploy compose's env",
                "pass only one of them",
            )),
            (Some(path), None) => Ok(Target::File(path.clone())),
            (None, Some(id)) => Ok(Target::Compose { server: params.server.clone(), compose_id: id.clone() }),
            (None, None) => {
                let instance = self.state.settings.instance(params.instance.as_deref()).ok();
                match instance.and_then(|i| i.dokploy_compose_id.clone().map(|id| (i.dokploy.clone(), id))) {
                    Some((server, compose_id)) => {
                        Ok(Target::Compose { server: params.server.clone().or(server), compose_id })
                    }
                    None => Err(Failure::new(
                        "no place to change the auth settings",
                        "neither path nor compose_id was given, and the instance names no Dokploy compose",
                        "pass path (the stack's .env) or compose_id (its Dokploy compose)",
                    )),
                }
            }
        }
    }

    fn update_auth_file(&self, path: &str, set: &BTreeMap<String, String>) -> Result<UpdateAuthConfigReply, Failure> {
        let allow = self.state.settings.allow_absolute_paths;
        let target = crate::fsutil::output_file(path, "path", true, allow)?;
        let file = load_strict(None, Some(Path::new(path)))?;
        let plan = plan_update(&file, set)?;
        let backup = if plan.changes.is_empty() {
            None
        } else {
            backup_and_write(&target, &plan.updated.to_string())?.map(|p| p.display().to_string())
        };
        Ok(UpdateAuthConfigReply {
            path: Some(target.display().to_string()),
            backup,
            compose_id: None,
            snapshot: None,
            apply_with: (!plan.changes.is_empty()).then(|| RESTART_COMMAND.to_owned()),
            changes: plan.changes,
            new_findings: plan.new_findings,
            redeploy: None,
        })
    }

    async fn update_auth_compose(
        &self,
        server: Option<&str>,
        compose_id: &str,
        params: &UpdateAuthConfigParams,
    ) -> Result<UpdateAuthConfigReply, Failure> {
        let (client, compose, env) = self.dokploy_target(server, compose_id).await?;
        let AuthEnvPlan { updated, changes, new_findings } = plan_update(&env, &params.set)?;
        let mut reply = UpdateAuthConfigReply {
            path: None,
            backup: None,
            compose_id: Some(compose.compose_id.clone()),
            snapshot: None,
            changes,
            new_findings,
            redeploy: None,
            apply_with: None,
        };
        if reply.changes.is_empty() {
            return Ok(reply);
        }
        reply.snapshot = Some(self.snapshot(client, &compose, "before update_auth_config")?);
        client
            .compose_set_env(&compose.compose_id, &updated.to_string())
            .await
            .map_err(|e| e.failure(client.name()))?;
        if params.redeploy {
            let title = "supamcp: auth settings";
            reply.redeploy =
                Some(self.redeploy_and_wait(client, &compose.compose_id, title, params.wait_seconds).await?);
        } else {
            reply.apply_with =
                Some("redeploy the compose (dokploy_update_env with redeploy: true, or Dokploy's UI)".into());
        }
        Ok(reply)
    }
}

#[tool_router(router = auth_config_router, vis = "pub(crate)")]
impl SupamcpServer {
    /// Change a self-hosted stack's auth settings (site URL, redirect URLs, signup, autoconfirm, anonymous users,
    /// JWT expiry, SMTP, Google/GitHub/Azure OAuth) in its .env or its Dokploy compose, keeping the old settings to
    /// roll back to. Needs confirm: true.
    #[tool(
        annotations(title = "Update auth config", read_only_hint = false, destructive_hint = true, idempotent_hint = true, open_world_hint = true),
        output_schema = schema_of::<UpdateAuthConfigReply>()
    )]
    async fn update_auth_config(
        &self,
        Parameters(params): Parameters<UpdateAuthConfigParams>,
    ) -> Result<CallToolResult, McpError> {
        let outcome = async {
            let target = self.auth_config_target(&params)?;
            if !params.confirm {
                return Err(needs_confirm(
                    "changing the auth settings",
                    "the stack's env is rewritten and the auth service must be recreated to apply it",
                ));
            }
            match target {
                Target::File(path) => self.update_auth_file(&path, &params.set),
                Target::Compose { server, compose_id } => {
                    self.update_auth_compose(server.as_deref(), &compose_id, &params).await
                }
            }
        }
        .await;
        Ok(outcome.map_or_else(IntoToolResult::into_result, |reply| structured(&reply)))
    }
}
