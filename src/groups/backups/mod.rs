//! Group `backups`: create, list, verify, restore and prune backups, and check point-in-time recovery readiness.
//! Declarations only; the work is in `crate::backup`.

mod create;
mod restore;

use crate::backup::key::{BackupKey, missing_key};
use crate::backup::process::{Event, EventSink};
use crate::backup::store::{Destination, Store};
use crate::failure::Failure;
use crate::secret::Secret;
use crate::server::SupamcpServer;
use rmcp::handler::server::router::tool::ToolRouter;
use rmcp::model::ProgressNotificationParam;
use rmcp::service::RequestContext;
use rmcp::{Peer, RoleServer};
use std::sync::Arc;

impl SupamcpServer {
    pub(crate) fn backups_router() -> ToolRouter<SupamcpServer> {
        SupamcpServer::backups_create_router() + SupamcpServer::backups_restore_router()
    }

    /// The store a call names, or the configured directory.
    pub(crate) fn backup_store(&self, destination: Option<&Destination>) -> Result<Store, Failure> {
        Destination::open(destination, &self.state.settings.backup_dir)
    }

    /// The call's key, else SUPAMCP_BACKUP_KEY; `None` when neither is set.
    pub(crate) fn backup_key(&self, given: Option<&Secret>) -> Result<Option<BackupKey>, Failure> {
        given.or(self.state.settings.backup_key.as_ref()).map(BackupKey::parse).transpose()
    }

    /// Like [`SupamcpServer::backup_key`], refusing when there is none.
    pub(crate) fn required_backup_key(&self, given: Option<&Secret>, action: &str) -> Result<BackupKey, Failure> {
        self.backup_key(given)?.ok_or_else(|| missing_key(action))
    }
}

/// Progress notifications for a backup or restore, when the client asked for them.
pub(crate) fn progress_sink(context: &RequestContext<RoleServer>, verb: &'static str) -> EventSink {
    let Some(token) = context.meta.get_progress_token() else {
        return Arc::new(|_| {});
    };
    let (sender, mut receiver) = tokio::sync::mpsc::unbounded_channel::<Event>();
    let peer: Peer<RoleServer> = context.peer.clone();
    tokio::spawn(async move {
        let (mut bytes, mut tables) = (0u64, String::new());
        let mut sent = 0f64;
        while let Some(event) = receiver.recv().await {
            match event {
                Event::Bytes(total) => bytes = total,
                Event::Table { name, done, total } => tables = format!("table {done}/{total} ({name})"),
            }
            sent += 1.0;
            let message = format!("{verb} {} MiB; {tables}", bytes >> 20);
            let _ =
                peer.notify_progress(ProgressNotificationParam::new(token.clone(), sent).with_message(message)).await;
        }
    });
    Arc::new(move |event| {
        let _ = sender.send(event);
    })
}
