//! `update_auth_config`: a self-hosted stack's auth settings changed in its `.env` (only the auth variables,
//! values checked, the old file backed up, the doctor's findings compared before and after), with the command
//! that applies it. Supabase Cloud's auth config (Management API) is not changed here.

use super::needs_confirm;
use crate::failure::Failure;
use crate::server::SupamcpServer;
use crate::server::output::{IntoToolResult, schema_of, structured};
use crate::supabase::auth::envconfig::{AuthEnvChange, RESTART_COMMAND, plan_update};
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
    /// The self-hosted stack's .env file.
    pub path: String,
    /// Auth variables to set, e.g. {"DISABLE_SIGNUP": "true", "SITE_URL": "https://app.example.com"}.
    pub set: BTreeMap<String, String>,
    /// Must be true: the .env is rewritten (the old one is backed up).
    #[serde(default)]
    pub confirm: bool,
}

#[derive(Debug, Serialize, schemars::JsonSchema)]
struct UpdateAuthConfigReply {
    path: String,
    /// The previous file, saved before writing.
    backup: Option<String>,
    /// Secrets as redacted hints.
    changes: Vec<AuthEnvChange>,
    /// Problems the change introduces.
    new_findings: Vec<Finding>,
    /// Run where the compose file is, so the auth service reads the new values.
    apply_with: String,
}

#[tool_router(router = auth_config_router, vis = "pub(crate)")]
impl SupamcpServer {
    /// Change a self-hosted stack's auth settings in its .env (site URL, redirect URLs, signup, autoconfirm,
    /// anonymous users, JWT expiry, SMTP, Google/GitHub/Azure OAuth). Backs up the file and says how to apply it.
    /// Needs confirm: true.
    #[tool(
        annotations(title = "Update auth config", read_only_hint = false, destructive_hint = true, idempotent_hint = true, open_world_hint = false),
        output_schema = schema_of::<UpdateAuthConfigReply>()
    )]
    async fn update_auth_config(
        &self,
        Parameters(params): Parameters<UpdateAuthConfigParams>,
    ) -> Result<CallToolResult, McpError> {
        let outcome = async {
            if !params.confirm {
                return Err(needs_confirm(
                    "changing the auth settings",
                    "the .env is rewritten and the auth service must be recreated to apply it",
                ));
            }
            let allow = self.state.settings.allow_absolute_paths;
            let target = crate::fsutil::output_file(&params.path, "path", true, allow)?;
            let file = load_strict(None, Some(Path::new(&params.path)))?;
            let plan = plan_update(&file, &params.set)?;
            let backup = if plan.changes.is_empty() {
                None
            } else {
                backup_and_write(&target, &plan.updated.to_string())?.map(|p| p.display().to_string())
            };
            Ok::<_, Failure>(UpdateAuthConfigReply {
                path: target.display().to_string(),
                backup,
                changes: plan.changes,
                new_findings: plan.new_findings,
                apply_with: format!("{RESTART_COMMAND} (on Dokploy: redeploy the compose)"),
            })
        }
        .await;
        Ok(outcome.map_or_else(IntoToolResult::into_result, |reply| structured(&reply)))
    }
}
