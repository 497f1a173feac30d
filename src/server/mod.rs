//! The MCP server: shared state, the tool router assembled once from the enabled groups, and the
//! `ServerHandler` that adds the read-only refusal and the audit log around every call.

mod completion;
mod handler;
pub mod http;
pub(crate) mod json_rows;
pub mod oauth;
pub mod output;
pub mod progress;
pub mod project_id;
pub mod prompts;
mod registry;
pub mod resources;
pub mod schema_portable;
pub mod shutdown;
pub mod stdio;
mod stdio_checks;

pub use registry::{GroupStatus, ListedGroups, ToolCatalog};

use crate::audit::AuditLog;
use crate::config::Settings;
use crate::failure::Failure;
use crate::pg::pool::Databases;
use crate::spill::SpillStore;
use output::IntoToolResult;
use rmcp::handler::server::router::tool::ToolRouter;
use rmcp::model::CallToolResult;
use std::sync::Arc;

/// Everything the tools share.
pub struct ServerState {
    pub settings: Settings,
    pub databases: Databases,
    pub spill: SpillStore,
    pub audit: AuditLog,
    /// One Dokploy client per configured server, by name.
    pub dokploy: std::collections::BTreeMap<String, crate::dokploy::Client>,
    /// The tool calls running now, for the drain on SIGTERM/SIGINT.
    pub in_flight: Arc<shutdown::InFlight>,
}

/// The rmcp service. Cheap to clone: the state and the router are shared.
#[derive(Clone)]
pub struct SupamcpServer {
    pub(crate) state: Arc<ServerState>,
    catalog: Arc<ToolCatalog>,
    /// The groups this session lists in full (`enable_tool_group`).
    listed: Arc<ListedGroups>,
}

impl SupamcpServer {
    /// Builds the server and its tool router from `settings`. Group selection is resolved here, once.
    pub fn new(settings: Settings) -> Result<SupamcpServer, String> {
        // Older versions left the data directory 0755: make an existing one private now. A symlinked or foreign
        // one is only reported here; every write into it refuses it with the same reason.
        if let Err(failure) =
            crate::fsutil::tighten_existing_dir(&settings.data_dir, "the data directory (--data-dir, SUPAMCP_DATA_DIR)")
        {
            tracing::warn!("{failure}");
        }
        let spill =
            SpillStore::new(settings.data_dir.join("results"), settings.spill_threshold_bytes, settings.spill_max_age);
        let audit = AuditLog::new(settings.data_dir.join("audit.jsonl"));
        let databases = Databases::new(&settings);
        let catalog = ToolCatalog::build(&settings)?;
        let dokploy = crate::dokploy::clients(&settings).map_err(|failure| failure.text())?;
        let state = ServerState { settings, databases, spill, audit, dokploy, in_flight: Arc::default() };
        let listed = Arc::new(ListedGroups::new(catalog.initially_listed()));
        Ok(SupamcpServer { state: Arc::new(state), catalog: Arc::new(catalog), listed })
    }

    /// A handler for one more client (an HTTP session or request): the same state and tools, its own list of
    /// enabled groups.
    pub fn session(&self) -> SupamcpServer {
        let listed = Arc::new(ListedGroups::new(self.catalog.initially_listed()));
        SupamcpServer { state: self.state.clone(), catalog: self.catalog.clone(), listed }
    }

    pub fn catalog(&self) -> &ToolCatalog {
        &self.catalog
    }

    /// The groups this session lists in full.
    pub fn listed_groups(&self) -> std::collections::BTreeSet<crate::groups::Group> {
        self.listed.current()
    }

    /// Lists `group` in full or stops listing it; true when the list changed.
    pub(crate) fn set_group_listed(&self, group: crate::groups::Group, listed: bool) -> bool {
        self.listed.set(group, listed)
    }

    pub fn state(&self) -> &ServerState {
        &self.state
    }

    fn router(&self) -> &ToolRouter<SupamcpServer> {
        &self.catalog.router
    }

    /// Runs `work` with a pooled connection of the instance; any failure becomes the tool's error result.
    /// The one way group tools get a database connection.
    pub(crate) async fn with_client<F, Fut>(&self, instance: Option<&str>, work: F) -> CallToolResult
    where
        F: FnOnce(deadpool_postgres::Object) -> Fut,
        Fut: std::future::Future<Output = Result<CallToolResult, Failure>>,
    {
        let outcome = async {
            let database = self.state.databases.get(instance)?;
            let client = database.client().await?;
            work(client).await
        }
        .await;
        outcome.unwrap_or_else(IntoToolResult::into_result)
    }
}
