//! The auth service's configuration and history: `get_auth_config` (the public settings and version GoTrue
//! reports), `get_auth_audit_log` (GoTrue's audit log, paginated, filtered by actor, action or type) and
//! `check_auth_triggers` (the triggers on auth.users and their risks, read from the database).

use super::{default_page, default_per_page, fenced};
use crate::failure::Failure;
use crate::server::SupamcpServer;
use crate::server::output::{IntoToolResult, schema_of, structured};
use crate::supabase::auth::AuditEntry;
use crate::supabase::auth::envconfig::{auth_env, auth_findings};
use crate::supabase::auth::listing::parse_bound;
use crate::supabase::auth::settings::AuthSettings;
use crate::supabase::auth::triggers::{AuthTriggerReport, auth_triggers};
use crate::supabase::auth::types::parse_time;
use crate::supabase::finding::Finding;
use rmcp::handler::server::wrapper::Parameters;
use rmcp::model::CallToolResult;
use rmcp::{ErrorData as McpError, schemars, tool, tool_router};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::path::Path;

#[derive(Debug, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct AuthConfigParams {
    /// Self-hosted: the stack's .env, to include its auth variables (secrets redacted) and findings.
    pub path: Option<String>,
    /// Self-hosted on Dokploy: the compose whose env to include (default: the instance's dokploy_compose_id).
    pub compose_id: Option<String>,
    /// Configured Dokploy server (default: the instance's, or the only one).
    pub server: Option<String>,
    /// Supabase Cloud: the project whose auth config to include (default: the instance's, with an access token).
    pub project_id: Option<String>,
    /// Configured instance (default: the default one).
    pub instance: Option<String>,
}

#[derive(Debug, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct TriggersParams {
    /// Configured instance (default: the default one).
    pub instance: Option<String>,
}

#[derive(Debug, Serialize, schemars::JsonSchema)]
struct AuthConfigReply {
    /// What the running auth service reports (GET /auth/v1/settings and /health).
    service: Option<AuthSettings>,
    /// Why the service could not be asked.
    service_error: Option<String>,
    /// The auth variables of the .env or the Dokploy compose's env (secrets as redacted hints).
    env: Option<BTreeMap<String, String>>,
    /// Why the instance's Dokploy compose env could not be read.
    env_error: Option<String>,
    /// Supabase Cloud: the project's auth config from the Management API (secrets as redacted hints).
    #[schemars(with = "Option<BTreeMap<String, String>>")]
    cloud: Option<serde_json::Value>,
    /// Why the cloud auth config could not be read.
    cloud_error: Option<String>,
    /// The .env doctor's findings about them (fake SMTP, SITE_URL ...).
    findings: Vec<Finding>,
}

#[derive(Debug, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct AuditLogParams {
    /// Page number, from 1 (newest first).
    #[serde(default = "default_page")]
    pub page: u32,
    /// Entries per page (default 50, at most 500).
    #[serde(default = "default_per_page")]
    pub per_page: u32,
    /// Only entries whose actor's email or name contains this.
    pub actor: Option<String>,
    /// Only this action (login, logout, user_signedup, user_deleted, user_modified, token_refreshed, ...).
    pub action: Option<String>,
    /// Only this log type (account, team, token, user).
    pub log_type: Option<String>,
    /// Only entries at or after this time on the page (RFC 3339 or YYYY-MM-DD).
    pub since: Option<String>,
    /// Only entries before this time on the page.
    pub until: Option<String>,
    /// Configured instance (default: the default one).
    pub instance: Option<String>,
}

#[derive(Debug, Serialize, schemars::JsonSchema)]
struct AuditLogReply {
    /// Newest first.
    entries: Vec<AuditEntry>,
    page: u32,
    per_page: u32,
    /// Entries matching the actor/action/type filter.
    total: Option<u64>,
}

impl SupamcpServer {
    /// The Dokploy compose whose env holds the auth settings: the one named, or the instance's; none when the
    /// call names a .env path, or when no Dokploy server is configured and none was named.
    fn auth_compose(&self, params: &AuthConfigParams) -> Option<(Option<String>, String)> {
        if params.path.is_some() {
            return None;
        }
        if let Some(id) = &params.compose_id {
            return Some((params.server.clone(), id.clone()));
        }
        let instance = self.state.settings.instance(params.instance.as_deref()).ok()?;
        let compose_id = instance.dokploy_compose_id.clone()?;
        Some((params.server.clone().or_else(|| instance.dokploy.clone()), compose_id))
    }
}

#[tool_router(router = auth_settings_router, vis = "pub(crate)")]
impl SupamcpServer {
    /// Supabase Auth's settings: enabled providers, signup, autoconfirm, SAML and the GoTrue version as the
    /// service reports them, plus the auth variables of a self-hosted .env or Dokploy compose (with their problems)
    /// or a cloud project's auth config.
    #[tool(
        annotations(title = "Get auth config", read_only_hint = true, destructive_hint = false, idempotent_hint = true, open_world_hint = true),
        output_schema = schema_of::<AuthConfigReply>()
    )]
    async fn get_auth_config(
        &self,
        Parameters(params): Parameters<AuthConfigParams>,
    ) -> Result<CallToolResult, McpError> {
        let service = async { self.auth_admin(params.instance.as_deref())?.auth_settings().await }.await;
        let file = match (params.path.as_deref(), self.auth_compose(&params)) {
            (Some(path), _) => Some(crate::supabase::env::load_strict(None, Some(Path::new(path)))),
            (None, Some((server, compose_id))) => {
                Some(self.dokploy_target(server.as_deref(), &compose_id).await.map(|(_, _, env)| env))
            }
            (None, None) => None,
        };
        let named = params.path.is_some() || params.compose_id.is_some();
        let (env, findings, env_error) = match file {
            Some(Err(failure)) if named => return Ok(failure.into_result()),
            Some(Err(failure)) => (None, Vec::new(), Some(failure.text())),
            Some(Ok(file)) => (Some(auth_env(&file)), auth_findings(&file), None),
            None => (None, Vec::new(), None),
        };
        let cloud_ref = params.project_id.clone().or_else(|| {
            let instance = self.state.settings.instance(params.instance.as_deref()).ok()?;
            instance.project_ref().filter(|_| self.state.settings.access_token.is_some())
        });
        let cloud = match &cloud_ref {
            Some(reference) => Some(
                async {
                    let api = crate::supabase::management::ManagementApi::from_settings(&self.state.settings)?;
                    api.auth_config(reference).await
                }
                .await
                .map(|config| crate::supabase::management::auth_config::redacted(&config)),
            ),
            None => None,
        };
        if let (Some(Err(failure)), true) = (&cloud, params.project_id.is_some()) {
            return Ok(failure.clone().into_result());
        }
        let (cloud, cloud_error) = match cloud {
            Some(Ok(config)) => (Some(config), None),
            Some(Err(failure)) => (None, Some(failure.text())),
            None => (None, None),
        };
        if let (Err(failure), None, None) = (&service, &env, &cloud) {
            return Ok(failure.clone().into_result());
        }
        let (service, service_error) = match service {
            Ok(settings) => (Some(settings), None),
            Err(failure) => (None, Some(failure.text())),
        };
        Ok(structured(&AuthConfigReply { service, service_error, env, env_error, cloud, cloud_error, findings }))
    }

    /// Supabase Auth's audit log (sign-ins, sign-ups, deletions, token refreshes ...), newest first, paginated,
    /// filtered by actor, action or log type and a time range.
    #[tool(
        annotations(title = "Get auth audit log", read_only_hint = true, destructive_hint = false, idempotent_hint = true, open_world_hint = true),
        output_schema = schema_of::<AuditLogReply>()
    )]
    async fn get_auth_audit_log(
        &self,
        Parameters(params): Parameters<AuditLogParams>,
    ) -> Result<CallToolResult, McpError> {
        let outcome = async {
            let scopes = [("author", &params.actor), ("action", &params.action), ("type", &params.log_type)];
            let given: Vec<String> = scopes
                .iter()
                .filter_map(|(scope, value)| value.as_ref().filter(|v| !v.is_empty()).map(|v| format!("{scope}:{v}")))
                .collect();
            if given.len() > 1 {
                return Err(Failure::new(
                    "read the auth audit log",
                    "GoTrue filters by one of actor, action or log_type at a time",
                    "pass only one of them",
                ));
            }
            let since = params.since.as_deref().map(|v| parse_bound(v, "since")).transpose()?;
            let until = params.until.as_deref().map(|v| parse_bound(v, "until")).transpose()?;
            let per_page = params.per_page.clamp(1, 500);
            let admin = self.auth_admin(params.instance.as_deref())?;
            let (mut entries, total) = admin.audit(params.page.max(1), per_page, given.into_iter().next()).await?;
            entries.retain(|entry| {
                let time = entry.created_at.as_deref().and_then(parse_time);
                since.is_none_or(|s| time.is_some_and(|t| t >= s)) && until.is_none_or(|u| time.is_some_and(|t| t < u))
            });
            Ok(AuditLogReply { entries, page: params.page.max(1), per_page, total })
        }
        .await;
        Ok(outcome.map_or_else(IntoToolResult::into_result, |reply| fenced("auth audit log", &reply)))
    }

    /// List the triggers on auth.users with each function's risks (no exception handling, SECURITY DEFINER without
    /// search_path, writes GoTrue's role cannot make): the top cause of "Database error saving new user".
    #[tool(
        annotations(title = "Check auth triggers", read_only_hint = true, destructive_hint = false, idempotent_hint = true, open_world_hint = false),
        output_schema = schema_of::<AuthTriggerReport>()
    )]
    async fn check_auth_triggers(
        &self,
        Parameters(params): Parameters<TriggersParams>,
    ) -> Result<CallToolResult, McpError> {
        Ok(self
            .with_client(params.instance.as_deref(), |client| async move {
                Ok(fenced("trigger list", &auth_triggers(&**client).await?))
            })
            .await)
    }
}
