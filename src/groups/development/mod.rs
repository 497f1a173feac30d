//! Group `development`: key generation and validation and the `.env` doctor for self-hosted stacks.
//! Declarations only; the work is in `supabase::keys` and `supabase::env`. No tool touches the network.

mod config;
mod keys;

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
