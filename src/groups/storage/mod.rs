//! Group `storage`: buckets, objects, streamed uploads and downloads, and signed URLs through the Storage API
//! (`<API URL>/storage/v1`, service-role key), the same on cloud and self-hosted. Declarations only; the work
//! is in `supabase::storage`. Object rows are never written with SQL: the database is read (bucket usage,
//! policies) and policies are created as migrations through `migrate`.

mod buckets;
mod config;
mod objects;
mod policies;
mod transfer;

use crate::failure::Failure;
use crate::server::SupamcpServer;
use crate::server::output::{IntoToolResult, structured};
use crate::supabase::gateway::Gateway;
use crate::supabase::storage::Storage;
use rmcp::handler::server::router::tool::ToolRouter;
use rmcp::model::CallToolResult;
use serde::Serialize;

impl SupamcpServer {
    /// Every tool of the group.
    pub(crate) fn storage_router() -> ToolRouter<SupamcpServer> {
        SupamcpServer::storage_buckets_router()
            + SupamcpServer::storage_config_router()
            + SupamcpServer::storage_objects_router()
            + SupamcpServer::storage_policies_router()
            + SupamcpServer::storage_transfer_router()
    }

    /// The Storage API of `instance` (the default instance when `None`).
    fn storage(&self, instance: Option<&str>) -> Result<Storage, Failure> {
        Ok(Storage::new(Gateway::for_instance(&self.state.settings, instance)?))
    }
}

/// The confirmation a destructive tool needs.
fn require_confirm(confirm: bool, action: &str) -> Result<(), Failure> {
    if confirm {
        return Ok(());
    }
    Err(Failure::new(
        format!("{action} needs confirmation"),
        "it cannot be undone by supamcp and confirm is not true",
        "check what the call names, then call again with confirm: true",
    ))
}

/// A domain outcome as a tool result: the structured reply, or the failure's what/why/fix.
fn reply_of<T: Serialize>(outcome: Result<T, Failure>) -> Result<CallToolResult, rmcp::ErrorData> {
    Ok(outcome.map_or_else(IntoToolResult::into_result, |reply| structured(&reply)))
}
