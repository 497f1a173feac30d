//! `update_auth_config`: a self-hosted stack's auth settings changed where the stack keeps them: its `.env`
//! file (backed up first), or the env of its Dokploy compose (snapshot first, then a redeploy so GoTrue reads
//! it), or on Supabase Cloud through the Management API (previous values kept in the data directory). Only the
//! auth settings, values checked, the doctor's findings compared before and after on self-hosted stacks.

use super::needs_confirm;
use crate::dokploy::history::SnapshotInfo;
use crate::failure::Failure;
use crate::groups::dokploy::Redeploy;
use crate::groups::stack_config::{ConfigTarget, TargetChoice};
use crate::server::SupamcpServer;
use crate::server::output::{IntoToolResult, schema_of, structured};
use crate::supabase::auth::envconfig::{AuthEnvChange, AuthEnvPlan, RESTART_COMMAND, plan_update};
use crate::supabase::env::load_strict;
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
    /// Supabase Cloud: the project ref (default: the ref in the instance's URL, with an access token configured).
    #[serde(default)]
    pub project_id: Option<String>,
    /// Configured instance whose stack to change (default: the default one).
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
    /// The cloud project changed (Management API target).
    project_id: Option<String>,
    /// Cloud: the file holding the previous values of the changed fields (owner-only), to change them back.
    previous_saved_to: Option<String>,
    /// What applies the change, when this call did not.
    apply_with: Option<String>,
}

impl SupamcpServer {
    fn update_auth_file(&self, path: &str, set: &BTreeMap<String, String>) -> Result<UpdateAuthConfigReply, Failure> {
        let allow = self.state.settings.allow_absolute_paths;
        let target = crate::fsutil::output_file(path, "path", true, allow)?;
        let file = load_strict(None, Some(Path::new(path)))?;
        let plan = plan_update(&file, set)?;
        let written = if plan.changes.is_empty() {
            None
        } else {
            Some(self.write_stack_file(path, "path", &plan.updated.to_string())?)
        };
        Ok(UpdateAuthConfigReply {
            path: Some(target.display().to_string()),
            backup: written.and_then(|w| w.backup),
            compose_id: None,
            snapshot: None,
            apply_with: (!plan.changes.is_empty()).then(|| RESTART_COMMAND.to_owned()),
            changes: plan.changes,
            new_findings: plan.new_findings,
            redeploy: None,
            project_id: None,
            previous_saved_to: None,
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
        let text = (!changes.is_empty()).then(|| updated.to_string());
        let applied = self
            .apply_to_compose(
                client,
                &compose,
                text.as_deref(),
                None,
                params.redeploy,
                params.wait_seconds,
                "auth settings",
            )
            .await?;
        Ok(UpdateAuthConfigReply {
            path: None,
            backup: None,
            compose_id: Some(compose.compose_id.clone()),
            snapshot: applied.snapshot,
            changes,
            new_findings,
            redeploy: applied.redeploy,
            apply_with: applied.apply_with,
            project_id: None,
            previous_saved_to: None,
        })
    }
}

impl SupamcpServer {
    async fn update_auth_cloud(
        &self,
        reference: &str,
        set: &BTreeMap<String, String>,
    ) -> Result<UpdateAuthConfigReply, Failure> {
        use crate::supabase::management::auth_config::plan;
        use crate::supabase::management::keep_previous;
        let api = crate::supabase::management::ManagementApi::from_settings(&self.state.settings)?;
        let current = api.auth_config(reference).await?;
        let patch = plan(&current, set)?;
        let shown = |v: &serde_json::Value| match v {
            serde_json::Value::String(text) => text.clone(),
            other => other.to_string(),
        };
        let changes = patch
            .changes
            .iter()
            .map(|(name, before, after)| AuthEnvChange {
                variable: name.clone(),
                before: Some(shown(before)),
                after: shown(after),
            })
            .collect();
        let mut reply = UpdateAuthConfigReply {
            path: None,
            backup: None,
            compose_id: None,
            snapshot: None,
            changes,
            new_findings: Vec::new(),
            redeploy: None,
            apply_with: None,
            project_id: Some(reference.to_owned()),
            previous_saved_to: None,
        };
        if patch.body.is_empty() {
            return Ok(reply);
        }
        let saved = keep_previous(&self.state.settings.data_dir, "auth", reference, &patch.previous)?;
        reply.previous_saved_to = Some(saved.display().to_string());
        api.update_auth_config(reference, &patch.body).await?;
        Ok(reply)
    }
}

#[tool_router(router = auth_config_router, vis = "pub(crate)")]
impl SupamcpServer {
    /// Change auth settings (site URL, redirect URLs, signup, autoconfirm, anonymous users, JWT expiry, SMTP, OAuth)
    /// in a self-hosted .env or Dokploy compose, or a cloud project's auth config, keeping the old settings to roll
    /// back to. Needs confirm: true.
    #[tool(
        annotations(title = "Update auth config", read_only_hint = false, destructive_hint = true, idempotent_hint = true, open_world_hint = true),
        output_schema = schema_of::<UpdateAuthConfigReply>()
    )]
    async fn update_auth_config(
        &self,
        Parameters(params): Parameters<UpdateAuthConfigParams>,
    ) -> Result<CallToolResult, McpError> {
        let outcome = async {
            let target = self.config_target(&TargetChoice {
                path: params.path.as_deref(),
                compose_id: params.compose_id.as_deref(),
                server: params.server.as_deref(),
                project_id: params.project_id.as_deref(),
                instance: params.instance.as_deref(),
            })?;
            if !params.confirm {
                return Err(needs_confirm(
                    "changing the auth settings",
                    "the stack's env is rewritten and the auth service must be recreated to apply it",
                ));
            }
            match target {
                ConfigTarget::File(path) => self.update_auth_file(&path, &params.set),
                ConfigTarget::Compose { server, compose_id } => {
                    self.update_auth_compose(server.as_deref(), &compose_id, &params).await
                }
                ConfigTarget::Cloud(reference) => self.update_auth_cloud(&reference, &params.set).await,
            }
        }
        .await;
        Ok(outcome.map_or_else(IntoToolResult::into_result, |reply| structured(&reply)))
    }
}
