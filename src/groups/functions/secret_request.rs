//! create_edge_function_secret, the official server's tool: the user types the secret's value into the
//! Supabase dashboard (its Edge Function secrets page, opened through URL-mode elicitation), so the value never
//! passes through the agent or supamcp. The tool then reads the secrets list to see whether the dashboard
//! updated the secret since the request. A secret updated in the last ten minutes counts as stored unless
//! `replace` asks again. Cloud projects only (a self-hosted stack takes values through set_function_secrets).

use crate::failure::Failure;
use crate::server::SupamcpServer;
use crate::server::output::schema_of;
use crate::supabase::functions::target::Target;
use chrono::{DateTime, Timelike, Utc};
use rmcp::handler::server::wrapper::Parameters;
use rmcp::model::{CallToolResult, ElicitationAction};
use rmcp::service::{ElicitationMode, RequestContext};
use rmcp::{ErrorData as McpError, RoleServer, schemars, tool, tool_router};
use serde::{Deserialize, Serialize};
use std::time::Duration;

/// A secret updated this recently counts as stored (the official server's window).
const RECENT_SECONDS: i64 = 600;
/// How long the user has to store the value.
const ELICITATION_TIMEOUT: Duration = Duration::from_secs(600);

#[derive(Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct SecretRequestParams {
    /// Cloud project ref or instance name.
    #[serde(default)]
    pub project_id: Option<String>,
    /// Instance naming a cloud project; default instance if omitted.
    #[serde(default)]
    pub instance: Option<String>,
    /// The secret's name (not SUPABASE_*).
    pub name: String,
    /// Ask for a new value even if the secret was updated in the last 10 minutes.
    #[serde(default)]
    pub replace: bool,
}

/// What became of the request.
#[derive(Debug, Default, Serialize, schemars::JsonSchema)]
pub struct SecretRequestReply {
    pub name: String,
    /// The dashboard reports an update of the secret (since the request, or within 10 minutes).
    pub stored: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub updated_seconds_ago: Option<i64>,
    /// stored, recently_stored, not_seen, declined, cancelled or unsupported_client.
    pub status: &'static str,
    /// The dashboard page where the value is entered.
    pub url: String,
    pub message: String,
}

#[tool_router(router = functions_secret_request_router, vis = "pub(crate)")]
impl SupamcpServer {
    /// Creates or updates an Edge Function secret of a cloud project: the user enters the value in the Supabase
    /// dashboard, so it never passes through the AI client.
    #[tool(
        annotations(title = "Create Edge Function secret", read_only_hint = false, destructive_hint = false, idempotent_hint = true, open_world_hint = false),
        output_schema = schema_of::<SecretRequestReply>()
    )]
    async fn create_edge_function_secret(
        &self,
        Parameters(params): Parameters<SecretRequestParams>,
        context: RequestContext<RoleServer>,
    ) -> Result<CallToolResult, McpError> {
        let outcome = async {
            check_name(&params.name)?;
            let target = self.functions_target(params.project_id.as_deref(), params.instance.as_deref())?;
            let (api, reference) = match target {
                Target::Api { api, reference } if !api.is_studio() => (api, reference),
                _ => {
                    return Err(Failure::new(
                        "create_edge_function_secret works on cloud projects",
                        "the value is typed into the Supabase dashboard's secrets page, which a self-hosted stack \
                         does not have",
                        "use set_function_secrets on a self-hosted stack",
                    ));
                }
            };
            let url = api.dashboard_url(&format!("project/{reference}/functions/secrets"));
            let name = params.name.clone();
            let updated = |secrets: Vec<crate::supabase::functions::secrets::SecretDigest>| {
                secrets.into_iter().find(|s| s.name == name).and_then(|s| s.updated_at).and_then(|t| parse_time(&t))
            };
            let mut reply = SecretRequestReply { name: params.name.clone(), url: url.clone(), ..Default::default() };
            let now = Utc::now();
            if !params.replace
                && let Some(at) = updated(api.list_secrets(&reference).await?)
                && (0..=RECENT_SECONDS).contains(&(now - at).num_seconds())
            {
                let ago = (now - at).num_seconds();
                reply.stored = true;
                reply.updated_seconds_ago = Some(ago);
                reply.status = "recently_stored";
                reply.message = format!("The dashboard reports an update to {} {ago} seconds ago.", params.name);
                return Ok((reply, false));
            }
            let peer = &context.peer;
            let message = format!(
                "Add the value for secret {} in the Supabase dashboard. Only continue if you asked your AI client to \
                 store this secret. Return here and confirm once it is stored.",
                params.name
            );
            // The dashboard's timestamps may carry whole seconds only.
            let asked_at = now.with_nanosecond(0).unwrap_or(now);
            let answer = if peer.supported_elicitation_modes().contains(&ElicitationMode::Url) {
                let link = reqwest::Url::parse(&url)
                    .map_err(|e| Failure::new("cannot build the dashboard link", e.to_string(), "check --api-url"))?;
                let id = uuid::Uuid::new_v4().to_string();
                peer.elicit_url_with_timeout(message, link, id, Some(ELICITATION_TIMEOUT)).await.ok()
            } else {
                None
            };
            let declined = match answer {
                None => {
                    reply.status = "unsupported_client";
                    reply.message = format!(
                        "This client cannot open a page for the user. Ask the user to add the secret {} at {url} \
                         (Edge Functions > Secrets), then check with list_function_secrets.",
                        params.name
                    );
                    return Ok((reply, true));
                }
                Some(ElicitationAction::Accept) => None,
                Some(ElicitationAction::Decline) => Some("declined"),
                Some(_) => Some("cancelled"),
            };
            if let Some(status) = declined {
                reply.status = status;
                reply.message = "Not confirmed. If the value was already saved in the dashboard, it is stored.".into();
                return Ok((reply, false));
            }
            match updated(api.list_secrets(&reference).await?) {
                Some(at) if at >= asked_at => {
                    reply.stored = true;
                    reply.status = "stored";
                    reply.message = format!("The dashboard reports an update to {} since this request.", params.name);
                }
                _ => {
                    reply.status = "not_seen";
                    reply.message = format!(
                        "The user confirmed, but the dashboard reports no update to {} since this request: check with \
                         list_function_secrets, or call again.",
                        params.name
                    );
                }
            }
            Ok((reply, false))
        };
        Ok(match outcome.await {
            Ok((reply, is_error)) => {
                let mut result = crate::server::output::structured(&reply);
                result.is_error = Some(is_error);
                result
            }
            Err(failure) => crate::server::output::IntoToolResult::into_result(failure),
        })
    }
}

/// The official server's rules for a secret name: not blank, at most 256 characters, not SUPABASE_*.
fn check_name(name: &str) -> Result<(), Failure> {
    let why = if name.trim().is_empty() {
        "it is blank"
    } else if name.chars().count() > 256 {
        "it is longer than 256 characters"
    } else if name.starts_with("SUPABASE_") {
        "names starting with SUPABASE_ are reserved for the platform's own variables"
    } else {
        return Ok(());
    };
    Err(Failure::new(format!("cannot create secret '{name}'"), why, "choose another name, e.g. STRIPE_API_KEY"))
}

fn parse_time(text: &str) -> Option<DateTime<Utc>> {
    DateTime::parse_from_rfc3339(text).ok().map(|t| t.with_timezone(&Utc))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_follow_the_official_rules() {
        assert!(check_name("STRIPE_API_KEY").is_ok());
        assert!(check_name("  ").is_err());
        assert!(check_name("SUPABASE_URL").unwrap_err().why.contains("reserved"));
        assert!(check_name(&"A".repeat(257)).is_err());
    }
}
