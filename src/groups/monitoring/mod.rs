//! Group `monitoring`: advisors (security and performance lints), the CLI's `inspect db` reports, one-call
//! health checks of the database and the API, and the server log. Declarations only; the work is in
//! `pg::advisors`, `pg::inspect`, `pg::logs` and `health`.

pub(crate) mod analysis;
mod health;
mod stack;
mod timeline;

use crate::server::SupamcpServer;
use rmcp::handler::server::router::tool::ToolRouter;

impl SupamcpServer {
    /// Every tool of the group.
    pub(crate) fn monitoring_router() -> ToolRouter<SupamcpServer> {
        SupamcpServer::monitoring_analysis_router()
            + SupamcpServer::monitoring_health_router()
            + SupamcpServer::monitoring_stack_router()
            + SupamcpServer::monitoring_timeline_router()
    }
}
