//! Group `knowledge`: Supabase docs search (`search_docs`, the official server's name and `graphql_query`
//! parameter) and the troubleshooting knowledge base (`explain_error`). Declarations only; the work is in
//! `knowledge`. Both tools answer offline from the base shipped in the binary; the tool list never depends
//! on the network.

mod docs;
mod explain;

use crate::failure::Failure;
use crate::knowledge::answer::ContentApi;
use crate::knowledge::{self, Base};
use crate::server::SupamcpServer;
use rmcp::handler::server::router::tool::ToolRouter;

impl SupamcpServer {
    /// Every tool of the group.
    pub(crate) fn knowledge_router() -> ToolRouter<SupamcpServer> {
        SupamcpServer::knowledge_docs_router() + SupamcpServer::knowledge_explain_router()
    }

    fn content_api(&self) -> ContentApi {
        let settings = &self.state.settings;
        ContentApi { url: settings.content_api_url.clone(), timeout: settings.content_api_timeout }
    }
}

/// The embedded base, or why it cannot be read (a build defect).
fn base() -> Result<&'static Base, Failure> {
    knowledge::base().map_err(|why| {
        Failure::new("the knowledge base is unavailable", why, "report this as a supamcp bug (the binary is damaged)")
    })
}

fn default_limit() -> usize {
    5
}

fn default_explain_limit() -> usize {
    3
}
