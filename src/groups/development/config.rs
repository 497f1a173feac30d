//! `validate_config`, `convert_protocols` and `validate_project_name`: the read-only half of the `.env`
//! doctor.

use super::{default_max_connections, load_env};
use crate::server::SupamcpServer;
use crate::server::output::{IntoToolResult, structured};
use crate::supabase::env::project::check_project_name;
use crate::supabase::env::url::{Protocol, UrlChange, convert_protocols};
use crate::supabase::env::{self, CheckOptions, redacted, unified_diff};
use rmcp::handler::server::wrapper::Parameters;
use rmcp::model::CallToolResult;
use rmcp::{ErrorData as McpError, schemars, tool, tool_router};
use serde::{Deserialize, Serialize};

#[derive(Debug, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ValidateConfigParams {
    /// The .env text to check.
    #[serde(default)]
    pub env_text: Option<String>,
    /// Path of the .env file to check (instead of env_text).
    #[serde(default)]
    pub path: Option<String>,
    /// The database's max_connections, for the pooler rules (default 100).
    #[serde(default = "default_max_connections")]
    pub max_connections: i64,
}

/// Target scheme of `convert_protocols`.
#[derive(Clone, Copy, Debug, Default, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum Scheme {
    Http,
    #[default]
    Https,
}

#[derive(Debug, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ConvertProtocolsParams {
    /// The .env text to convert.
    #[serde(default)]
    pub env_text: Option<String>,
    /// Path of the .env file to convert (read only; the file is not written).
    #[serde(default)]
    pub path: Option<String>,
    /// The scheme to convert to: "https" (default) or "http".
    #[serde(default)]
    pub to: Scheme,
    /// Also convert localhost/127.x URLs (default false: local URLs stay as they are).
    #[serde(default)]
    pub include_localhost: bool,
    /// Return the file with its secrets; default false redacts them.
    #[serde(default)]
    pub reveal: bool,
}

#[derive(Debug, Serialize)]
struct ConvertReply {
    changes: Vec<UrlChange>,
    revealed: bool,
    /// The converted file (secrets redacted unless reveal).
    text: String,
    diff: String,
}

#[derive(Debug, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ValidateProjectNameParams {
    /// The project, app or compose name to check.
    pub name: String,
}

#[tool_router(router = development_config_router, vis = "pub(crate)")]
impl SupamcpServer {
    /// Check a self-hosted Supabase/Dokploy .env for every known misconfiguration: broken, demo or expired keys,
    /// http or mismatched public URLs, default or weak secrets, passwords that break connection URLs, fake SMTP,
    /// missing variables, changed infrastructure values, pool sizes, JWT_EXPIRY, project names. Each finding has
    /// a rule id, severity, variable, current value (secrets redacted), expected value and fix. Offline.
    #[tool(annotations(
        title = "Validate .env",
        read_only_hint = true,
        destructive_hint = false,
        idempotent_hint = true,
        open_world_hint = false
    ))]
    async fn validate_config(
        &self,
        Parameters(params): Parameters<ValidateConfigParams>,
    ) -> Result<CallToolResult, McpError> {
        let file = match load_env(params.env_text.as_deref(), params.path.as_deref()) {
            Ok(file) => file,
            Err(failure) => return Ok(failure.into_result()),
        };
        let options = CheckOptions { max_connections: params.max_connections, ..CheckOptions::default() };
        Ok(structured(&env::check(&file, &options)))
    }

    /// Convert the public URL variables (SITE_URL, API_EXTERNAL_URL, SUPABASE_PUBLIC_URL,
    /// ADDITIONAL_REDIRECT_URLS) between http:// and https://, leaving every other line untouched and local URLs
    /// alone unless include_localhost. Returns the converted text and a diff; writes nothing.
    #[tool(annotations(
        title = "Convert URL protocols",
        read_only_hint = true,
        destructive_hint = false,
        idempotent_hint = true,
        open_world_hint = false
    ))]
    async fn convert_protocols(
        &self,
        Parameters(params): Parameters<ConvertProtocolsParams>,
    ) -> Result<CallToolResult, McpError> {
        let original = match load_env(params.env_text.as_deref(), params.path.as_deref()) {
            Ok(file) => file,
            Err(failure) => return Ok(failure.into_result()),
        };
        let to = match params.to {
            Scheme::Http => Protocol::Http,
            Scheme::Https => Protocol::Https,
        };
        let mut converted = original.clone();
        let changes = convert_protocols(&mut converted, to, params.include_localhost);
        let (before, after) = if params.reveal {
            (original.to_string(), converted.to_string())
        } else {
            (redacted(&original).to_string(), redacted(&converted).to_string())
        };
        let diff = unified_diff(&before, &after, ".env");
        Ok(structured(&ConvertReply { changes, revealed: params.reveal, text: after, diff }))
    }

    /// Check a project name (Dokploy app name, compose project, container prefix): lowercase letter first,
    /// only a-z, 0-9 and '-', at most 32 characters, not reserved. Returns the problems and a valid suggestion.
    #[tool(annotations(
        title = "Validate project name",
        read_only_hint = true,
        destructive_hint = false,
        idempotent_hint = true,
        open_world_hint = false
    ))]
    async fn validate_project_name(
        &self,
        Parameters(params): Parameters<ValidateProjectNameParams>,
    ) -> Result<CallToolResult, McpError> {
        Ok(structured(&check_project_name(&params.name)))
    }
}
