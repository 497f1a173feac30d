//! Group `development`: key generation and validation, the `.env` doctor for self-hosted stacks, TypeScript
//! types from the database and the project URL and public keys for client apps.
//! Declarations only; the work is in `supabase::keys`, `supabase::env`, `supabase::public` and `typegen`.
//! Only generate_typescript_types reaches a database; no tool touches the network beyond it.

mod config;
mod keys;
pub(crate) mod types;

use crate::failure::Failure;
use crate::server::SupamcpServer;
use crate::supabase::env::{self, EnvFile};
use rmcp::handler::server::router::tool::ToolRouter;
use std::path::{Path, PathBuf};

impl SupamcpServer {
    /// Every tool of the group.
    pub(crate) fn development_router() -> ToolRouter<SupamcpServer> {
        SupamcpServer::development_keys_router()
            + SupamcpServer::development_config_router()
            + SupamcpServer::development_fix_router()
            + SupamcpServer::development_types_router()
    }

    /// The file `write_to` names, where a tool may write it (`fsutil::output_file`: inside the working directory
    /// unless allow_absolute_paths; an existing file only with `confirm`); `None` without write_to.
    pub(crate) fn write_target(&self, write_to: Option<&str>, confirm: bool) -> Result<Option<PathBuf>, Failure> {
        let allow = self.state.settings.allow_absolute_paths;
        write_to.map(|raw| crate::fsutil::output_file(raw, "write_to", confirm, allow)).transpose()
    }
}

/// The `.env` a call names: its text or its path, exactly one of them.
pub(crate) fn load_env(text: Option<&str>, path: Option<&str>) -> Result<EnvFile, Failure> {
    env::load(text, path.map(Path::new))
}

/// [`load_env`] for tools that return the file's text: a path must name a `.env`, nothing else is read.
pub(crate) fn load_env_strict(text: Option<&str>, path: Option<&str>) -> Result<EnvFile, Failure> {
    env::load_strict(text, path.map(Path::new))
}

/// `reveal: true` in read-only mode: refused rather than quietly redacted, so no caller mistakes redacted hints
/// for the real values (and writes them somewhere).
pub(crate) fn reveal_refused(tool: &str) -> Failure {
    Failure::new(
        format!("{tool} cannot reveal secrets in read-only mode"),
        "the server runs read-only (--read-only / SUPAMCP_READ_ONLY / read_only = true), and read-only mode never \
         returns secret values",
        "call again without reveal (secrets come back as redacted hints), or run supamcp without read-only mode \
         to get the values",
    )
}

fn default_true() -> bool {
    true
}

fn default_max_connections() -> i64 {
    env::DEFAULT_MAX_CONNECTIONS
}

fn default_lifetime_days() -> u32 {
    crate::supabase::keys::DEFAULT_LIFETIME_DAYS
}
