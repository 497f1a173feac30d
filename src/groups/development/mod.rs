//! Group `development`: key generation and validation and the `.env` doctor for self-hosted stacks.

use crate::server::SupamcpServer;
use rmcp::tool_router;

#[tool_router(router = development_router, vis = "pub(crate)", allow_empty)]
impl SupamcpServer {}
