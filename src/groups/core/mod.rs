//! Group `core`: the database tools every agent needs (SQL, schema inspection, connections, stats,
//! spilled results, the audit log). Declarations only; the work is in `pg`, `spill` and `audit`.

mod connection;
pub(crate) mod schema;
pub(crate) mod sql;
mod stats;

use crate::server::SupamcpServer;
use rmcp::handler::server::router::tool::ToolRouter;

impl SupamcpServer {
    /// Every tool of the group.
    pub(crate) fn core_router() -> ToolRouter<SupamcpServer> {
        SupamcpServer::core_connection_router()
            + SupamcpServer::core_sql_router()
            + SupamcpServer::core_schema_router()
            + SupamcpServer::core_stats_router()
    }
}
