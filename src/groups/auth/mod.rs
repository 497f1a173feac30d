//! Group `auth`: Supabase Auth (GoTrue) users, MFA factors, links, invites, sessions, settings and the auth
//! audit log. Declarations only; the work is in `crate::supabase::auth` (the admin API through the instance's
//! gateway with the service-role key; sign-out through SQL, as GoTrue has no admin endpoint for it).

mod config;
mod factors;
mod links;
mod manage;
mod settings;
mod users;

use crate::failure::Failure;
use crate::server::SupamcpServer;
use crate::supabase::auth::AuthAdmin;
use crate::supabase::gateway::Gateway;
use rmcp::handler::server::router::tool::ToolRouter;
use rmcp::schemars;
use serde_json::{Map, Value};

impl SupamcpServer {
    /// Every tool of the group.
    pub(crate) fn auth_router() -> ToolRouter<SupamcpServer> {
        SupamcpServer::auth_users_router()
            + SupamcpServer::auth_manage_router()
            + SupamcpServer::auth_links_router()
            + SupamcpServer::auth_factors_router()
            + SupamcpServer::auth_settings_router()
            + SupamcpServer::auth_config_router()
    }

    /// The GoTrue admin API of `instance` (the default one when `None`).
    pub(crate) fn auth_admin(&self, instance: Option<&str>) -> Result<AuthAdmin, Failure> {
        Gateway::for_instance(&self.state.settings, instance).map(AuthAdmin::new)
    }
}

/// The refusal of a destructive call without `confirm: true`.
fn needs_confirm(what: &str, consequence: &str) -> Failure {
    Failure::new(format!("{what} was not confirmed"), consequence.to_owned(), "call again with confirm: true")
}

/// A structured reply whose text copy is fenced as untrusted `kind` (user data comes from end users).
fn fenced<T: serde::Serialize>(kind: &str, value: &T) -> rmcp::model::CallToolResult {
    use crate::server::output::{IntoToolResult, fenced_structured};
    match serde_json::to_value(value) {
        Ok(json) => fenced_structured(kind, json),
        Err(e) => Failure::new("cannot encode the result", e.to_string(), "report this as a supamcp bug").into_result(),
    }
}

/// The JSON schema of a free-form metadata object (keys to any JSON value).
fn metadata_schema(_: &mut schemars::SchemaGenerator) -> schemars::Schema {
    schemars::json_schema!({"type": "object"})
}

/// Optional metadata as the tools accept it.
type Metadata = Option<Map<String, Value>>;

fn default_page() -> u32 {
    1
}

fn default_per_page() -> u32 {
    50
}
