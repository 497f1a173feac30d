//! Group `development`: key generation and validation, the `.env` doctor for self-hosted stacks, TypeScript
//! types from the database and the project URL and public keys for client apps.
//! Declarations only; the work is in `supabase::keys`, `supabase::env`, `supabase::public` and `typegen`.
//! Only generate_typescript_types reaches a database; no tool touches the network beyond it.

mod config;
mod keys;
mod types;

use crate::failure::Failure;
use crate::server::SupamcpServer;
use crate::supabase::env::{self, EnvFile};
use rmcp::handler::server::router::tool::ToolRouter;
use std::path::Path;

impl SupamcpServer {
    /// Every tool of the group.
    pub(crate) fn development_router() -> ToolRouter<SupamcpServer> {
        SupamcpServer::development_keys_router()
            + SupamcpServer::development_config_router()
            + SupamcpServer::development_fix_router()
            + SupamcpServer::development_types_router()
    }
}

/// The `.env` a call names: its text or its path, exactly one of them.
pub(crate) fn load_env(text: Option<&str>, path: Option<&str>) -> Result<EnvFile, Failure> {
    env::load(text, path.map(Path::new))
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
