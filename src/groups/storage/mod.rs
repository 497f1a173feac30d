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
use crate::server::output::{reply_of, require_confirm};
use crate::supabase::gateway::Gateway;
use crate::supabase::storage::Storage;
use rmcp::handler::server::router::tool::ToolRouter;

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
