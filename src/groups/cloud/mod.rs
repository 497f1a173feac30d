//! Group `cloud`: Supabase Cloud through the Management API with a personal access token, with the official
//! server's tool and parameter names: organizations, projects, the cost confirmation, branches with their
//! workflow runs, logs by service, project health and backups. Declarations only; the work is in
//! `supabase::management`.

mod account;
mod branches;
mod logs;
mod projects;
pub(crate) mod through_api;

use crate::failure::Failure;
use crate::server::SupamcpServer;
use crate::supabase::management::ManagementApi;
use rmcp::handler::server::router::tool::ToolRouter;
use std::time::Duration;

/// Tools the official server drops with `--project-ref` (they act on the account); get_cost and confirm_cost
/// stay, so create_branch can be confirmed in project-scoped mode (the official server's issue #285).
pub const ACCOUNT_TOOLS: &[&str] = &[
    "list_organizations",
    "get_organization",
    "list_projects",
    "get_project",
    "create_project",
    "pause_project",
    "restore_project",
];

/// How long create_project waits for ACTIVE_HEALTHY and create_branch for a settled branch.
const CREATE_WAIT: Duration = Duration::from_secs(300);
/// How long merge/reset/rebase follow their workflow run.
const RUN_WAIT: Duration = Duration::from_secs(300);

impl SupamcpServer {
    /// Every tool of the group.
    pub(crate) fn cloud_router() -> ToolRouter<SupamcpServer> {
        SupamcpServer::cloud_account_router()
            + SupamcpServer::cloud_projects_router()
            + SupamcpServer::cloud_branches_router()
            + SupamcpServer::cloud_logs_router()
    }

    /// The Management API client of the configured token.
    fn management(&self) -> Result<ManagementApi, Failure> {
        ManagementApi::from_settings(&self.state.settings)
    }
}
