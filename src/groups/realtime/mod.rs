//! Group `realtime`: which tables stream Postgres Changes, channel authorization on realtime.messages,
//! replication health, a test broadcast and the cloud settings. Declarations only; the work is in
//! `supabase::realtime`, `health::realtime` and `supabase::management::realtime_config`. Publication and
//! policy changes are generated migrations (`migrate::generated`): recorded, reversible, dry run available.

mod broadcast;
mod config;
mod health;
mod policies;
mod tables;

use crate::failure::Failure;
use crate::migrate::generated::{self, Generated};
use crate::migrate::runner::ApplyReport;
use crate::pg::pool::Database;
use crate::server::SupamcpServer;
use rmcp::handler::server::router::tool::ToolRouter;
use serde::Serialize;

impl SupamcpServer {
    /// Every tool of the group.
    pub(crate) fn realtime_router() -> ToolRouter<SupamcpServer> {
        SupamcpServer::realtime_tables_router()
            + SupamcpServer::realtime_policies_router()
            + SupamcpServer::realtime_health_router()
            + SupamcpServer::realtime_broadcast_router()
            + SupamcpServer::realtime_config_router()
    }
}

fn default_directory() -> String {
    "supabase/migrations".to_owned()
}

/// A generated migration's plan and what became of it.
#[derive(Serialize, schemars::JsonSchema)]
pub(crate) struct GeneratedReply<T> {
    #[serde(flatten)]
    plan: T,
    /// The migration file kept (null after a dry run or when nothing changes).
    migration: Option<String>,
    /// The apply (or its dry run); null when nothing changes.
    applied: Option<ApplyReport>,
    #[serde(skip_serializing_if = "Option::is_none")]
    note: Option<String>,
}

/// Writes and applies `up`/`down` as migration `name` in `directory` unless `up` is empty.
#[allow(clippy::too_many_arguments)]
async fn generated_reply<T>(
    server: &SupamcpServer,
    database: &Database,
    directory: &str,
    name: &str,
    up: &str,
    down: &str,
    dry_run: bool,
    plan: T,
) -> Result<GeneratedReply<T>, Failure> {
    if up.is_empty() {
        let note = Some("nothing to change: the tables are already as asked".to_owned());
        return Ok(GeneratedReply { plan, migration: None, applied: None, note });
    }
    let allow = server.state.settings.allow_absolute_paths;
    let directory = crate::fsutil::output_dir(directory, "directory", allow)?;
    let applied = generated::write_and_apply(database, &directory, Generated { name, up, down }, dry_run).await?;
    let note = dry_run.then(|| "dry run: applied and rolled back, no file kept; call again without dry_run".to_owned());
    Ok(GeneratedReply { plan, migration: applied.file.clone(), applied: Some(applied), note })
}
