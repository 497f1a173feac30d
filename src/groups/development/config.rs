//! The `.env` doctor's tools: `validate_config`, `convert_protocols` and `validate_project_name` (read-only),
//! and `fix_config`, which corrects a file (broken keys and secrets regenerated, healthy ones kept), returns it
//! with a unified diff, and with `write_to` writes it after backing up the old file.

use super::{default_lifetime_days, default_max_connections, load_env, load_env_strict, reveal_refused};
use crate::server::SupamcpServer;
use crate::server::output::{IntoToolResult, structured};
use crate::supabase::env::project::check_project_name;
use crate::supabase::env::url::{Protocol, UrlChange, convert_protocols};
use crate::supabase::env::{self, CheckOptions, FixOptions, backup_and_write, redacted, unified_diff};
use crate::supabase::finding::Finding;
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
    /// Path of the .env file to convert (read only; the file is not written). Only a .env is read: a file with
    /// lines that are not KEY=value, comments or blank is refused.
    #[serde(default)]
    pub path: Option<String>,
    /// The scheme to convert to: "https" (default) or "http".
    #[serde(default)]
    pub to: Scheme,
    /// Also convert localhost/127.x URLs (default false: local URLs stay as they are).
    #[serde(default)]
    pub include_localhost: bool,
    /// Return the file with its secrets; default false redacts them. Refused in read-only mode.
    #[serde(default)]
    pub reveal: bool,
}

#[derive(Debug, Serialize, schemars::JsonSchema)]
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
    /// Check a self-hosted Supabase .env for known misconfigurations (broken or demo keys, weak secrets, wrong URLs,
    /// fake SMTP, missing variables...), each finding with its fix.
    #[tool(
        annotations(title = "Validate .env",
        read_only_hint = true,
        destructive_hint = false,
        idempotent_hint = true,
        open_world_hint = false),
        output_schema = crate::server::output::schema_of::<crate::supabase::env::Report>()
    )]
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
    /// alone unless include_localhost. Returns the converted text and a diff; writes nothing. A path must name a
    /// .env; secrets are redacted unless reveal (refused in read-only mode).
    #[tool(
        annotations(title = "Convert URL protocols",
        read_only_hint = true,
        destructive_hint = false,
        idempotent_hint = true,
        open_world_hint = false),
        output_schema = crate::server::output::schema_of::<ConvertReply>()
    )]
    async fn convert_protocols(
        &self,
        Parameters(params): Parameters<ConvertProtocolsParams>,
    ) -> Result<CallToolResult, McpError> {
        if params.reveal && self.state.settings.read_only {
            return Ok(reveal_refused("convert_protocols").into_result());
        }
        let original = match load_env_strict(params.env_text.as_deref(), params.path.as_deref()) {
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
    #[tool(
        annotations(title = "Validate project name",
        read_only_hint = true,
        destructive_hint = false,
        idempotent_hint = true,
        open_world_hint = false),
        output_schema = crate::server::output::schema_of::<crate::supabase::env::project::NameCheck>()
    )]
    async fn validate_project_name(
        &self,
        Parameters(params): Parameters<ValidateProjectNameParams>,
    ) -> Result<CallToolResult, McpError> {
        Ok(structured(&check_project_name(&params.name)))
    }
}

#[derive(Debug, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct FixConfigParams {
    /// The .env text to fix.
    #[serde(default)]
    pub env_text: Option<String>,
    /// Path of the .env file to fix (only read).
    #[serde(default)]
    pub path: Option<String>,
    /// Write the fixed file here, inside the working directory (mode 0600).
    #[serde(default)]
    pub write_to: Option<String>,
    /// Replace an existing write_to file (a .bak copy is kept).
    #[serde(default)]
    pub confirm: bool,
    /// Return the fixed file and diff with secrets; default false redacts them.
    #[serde(default)]
    pub reveal: bool,
    /// The database's max_connections, for the pooler rules (default 100).
    #[serde(default = "default_max_connections")]
    pub max_connections: i64,
    /// Lifetime of regenerated keys in days (default 1826, five years).
    #[serde(default = "default_lifetime_days")]
    pub lifetime_days: u32,
}

#[derive(Debug, Serialize, schemars::JsonSchema)]
struct FixReply {
    changes: Vec<env::Change>,
    remaining: Vec<Finding>,
    follow_up: Vec<String>,
    revealed: bool,
    /// The fixed file (secrets redacted unless reveal).
    text: String,
    /// Unified diff from the old file to the fixed one (secrets redacted unless reveal).
    diff: String,
    written_to: Option<String>,
    backup: Option<String>,
}

#[tool_router(router = development_fix_router, vis = "pub(crate)")]
impl SupamcpServer {
    /// Fix a self-hosted Supabase .env: regenerate broken keys and weak secrets, restore required values, switch URLs
    /// to https. Returns the fixed file and a diff; optionally writes it.
    #[tool(
        annotations(title = "Fix .env",
        read_only_hint = false,
        destructive_hint = false,
        idempotent_hint = false,
        open_world_hint = false),
        output_schema = crate::server::output::schema_of::<FixReply>()
    )]
    async fn fix_config(&self, Parameters(params): Parameters<FixConfigParams>) -> Result<CallToolResult, McpError> {
        let original = match load_env_strict(params.env_text.as_deref(), params.path.as_deref()) {
            Ok(file) => file,
            Err(failure) => return Ok(failure.into_result()),
        };
        let target = match self.write_target(params.write_to.as_deref(), params.confirm) {
            Ok(target) => target,
            Err(failure) => return Ok(failure.into_result()),
        };
        let options = FixOptions {
            check: CheckOptions { max_connections: params.max_connections, ..CheckOptions::default() },
            lifetime_days: params.lifetime_days,
        };
        let outcome = env::fix(&original, &options);
        let mut backup = None;
        if let Some(target) = &target {
            match backup_and_write(target, &outcome.fixed.to_string()) {
                Ok(saved) => backup = saved.map(|p| p.display().to_string()),
                Err(failure) => return Ok(failure.into_result()),
            }
        }
        let (before, after) = if params.reveal {
            (original.to_string(), outcome.fixed.to_string())
        } else {
            (redacted(&original).to_string(), redacted(&outcome.fixed).to_string())
        };
        let reply = FixReply {
            diff: unified_diff(&before, &after, ".env"),
            text: after,
            changes: outcome.changes,
            remaining: outcome.remaining,
            follow_up: outcome.follow_up,
            revealed: params.reveal,
            written_to: target.map(|p| p.display().to_string()),
            backup,
        };
        Ok(structured(&reply))
    }
}
