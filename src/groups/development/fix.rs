//! `fix_config`: corrects a `.env` (broken keys and secrets regenerated, healthy ones kept), returns the
//! file and a unified diff, and with `write_to` writes it after backing up the old file.

use super::{default_lifetime_days, default_max_connections, load_env};
use crate::server::SupamcpServer;
use crate::server::output::{IntoToolResult, structured};
use crate::supabase::env::{self, CheckOptions, FixOptions, backup_and_write, redacted, unified_diff};
use crate::supabase::finding::Finding;
use rmcp::handler::server::wrapper::Parameters;
use rmcp::model::CallToolResult;
use rmcp::{ErrorData as McpError, schemars, tool, tool_router};
use serde::{Deserialize, Serialize};
use std::path::Path;

#[derive(Debug, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct FixConfigParams {
    /// The .env text to fix.
    #[serde(default)]
    pub env_text: Option<String>,
    /// Path of the .env file to fix (read; written only when write_to names it).
    #[serde(default)]
    pub path: Option<String>,
    /// Write the fixed file here; an existing file is first copied to <write_to>.bak.<UTC timestamp>.
    #[serde(default)]
    pub write_to: Option<String>,
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

#[derive(Debug, Serialize)]
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
    /// Fix a self-hosted Supabase/Dokploy .env: regenerate broken or demo keys and default or weak secrets (healthy
    /// ones are kept), restore infrastructure values, switch public URLs to https, add required variables. Returns
    /// the file, a unified diff, what is left for a human and the follow-up steps; secrets are redacted unless
    /// reveal. With write_to it writes the file after saving a timestamped backup of the old one.
    #[tool(annotations(
        title = "Fix .env",
        read_only_hint = false,
        destructive_hint = false,
        idempotent_hint = false,
        open_world_hint = false
    ))]
    async fn fix_config(&self, Parameters(params): Parameters<FixConfigParams>) -> Result<CallToolResult, McpError> {
        let original = match load_env(params.env_text.as_deref(), params.path.as_deref()) {
            Ok(file) => file,
            Err(failure) => return Ok(failure.into_result()),
        };
        let options = FixOptions {
            check: CheckOptions { max_connections: params.max_connections, ..CheckOptions::default() },
            lifetime_days: params.lifetime_days,
        };
        let outcome = env::fix(&original, &options);
        let mut backup = None;
        if let Some(target) = &params.write_to {
            match backup_and_write(Path::new(target), &outcome.fixed.to_string()) {
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
            written_to: params.write_to,
            backup,
        };
        Ok(structured(&reply))
    }
}
