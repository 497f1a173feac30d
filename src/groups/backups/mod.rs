//! Group `backups`: create, list, verify, restore and prune backups, and check point-in-time recovery readiness.
//! Declarations only; the work is in `crate::backup`.

mod create;
mod restore;

use crate::backup::key::{BackupKey, missing_key};
use crate::backup::process::{Event, EventSink};
use crate::backup::store::{Destination, Store};
use crate::failure::Failure;
use crate::progress::Progress;
use crate::secret::Secret;
use crate::server::SupamcpServer;
use rmcp::handler::server::router::tool::ToolRouter;
use std::sync::Arc;

impl SupamcpServer {
    pub(crate) fn backups_router() -> ToolRouter<SupamcpServer> {
        SupamcpServer::backups_create_router() + SupamcpServer::backups_restore_router()
    }

    /// The S3 variables read at start.
    fn s3_env(&self, name: &str) -> Option<String> {
        self.state.settings.backup_s3_env.get(name).map(|value| value.expose().to_owned())
    }

    /// The store a call names; without one the configured S3 bucket, else the configured directory. A local
    /// directory named by the call must lie inside the working directory unless allow_absolute_paths.
    pub(crate) async fn backup_store(&self, destination: Option<&Destination>) -> Result<Store, Failure> {
        if let Some(Destination::Local { directory: Some(directory) }) = destination {
            let raw = directory.display().to_string();
            let allow = self.state.settings.allow_absolute_paths;
            let confined = crate::fsutil::output_dir(&raw, "destination.directory", allow)?;
            let local = Destination::Local { directory: Some(confined) };
            return Destination::open(Some(&local), &self.state.settings.backup_dir, &|name| self.s3_env(name)).await;
        }
        Destination::open(destination, &self.state.settings.backup_dir, &|name| self.s3_env(name)).await
    }

    /// The stores a call reads: the one it names, else every configured one (S3 when configured, and the
    /// directory).
    pub(crate) async fn backup_stores(&self, destination: Option<&Destination>) -> Result<Vec<Store>, Failure> {
        match destination {
            Some(_) => Ok(vec![self.backup_store(destination).await?]),
            None => Destination::open_all(&self.state.settings.backup_dir, &|name| self.s3_env(name)).await,
        }
    }

    /// The store holding backup `id`: the one the call names, else the first configured store that has its
    /// manifest (the default store's error when none has).
    pub(crate) async fn store_holding(&self, destination: Option<&Destination>, id: &str) -> Result<Store, Failure> {
        let mut stores = self.backup_stores(destination).await?;
        if stores.len() > 1 {
            let mut found = None;
            for (index, store) in stores.iter().enumerate() {
                if crate::backup::read::manifest(store, id).await.is_ok() {
                    found = Some(index);
                    break;
                }
            }
            if let Some(index) = found {
                return Ok(stores.swap_remove(index));
            }
        }
        stores.into_iter().next().ok_or_else(|| {
            Failure::new(
                "no backup store",
                "no store is configured",
                "set SUPAMCP_BACKUP_DIR or SUPAMCP_BACKUP_S3_BUCKET",
            )
        })
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

/// A reply with the store it concerns: `destination` is `local` or `s3`, `location` the directory or
/// `s3://bucket/prefix`.
#[derive(serde::Serialize, schemars::JsonSchema)]
pub struct Located<T> {
    pub destination: String,
    pub location: String,
    #[serde(flatten)]
    pub report: T,
}

impl<T> Located<T> {
    pub fn new(store: &Store, report: T) -> Located<T> {
        Located { destination: store.kind().to_owned(), location: store.describe(), report }
    }
}

/// A backup's or restore's events as progress: tables (started, of the total) count, and the bytes within the
/// current table move the value on by a fraction that grows toward the next table.
pub(crate) fn progress_events(progress: Progress, verb: &'static str) -> EventSink {
    if !progress.is_listening() {
        return Arc::new(|_| {});
    }
    let state = std::sync::Mutex::new((0u64, 0u64, 0usize, 0usize, String::new()));
    Arc::new(move |event| {
        let mut state = state.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        let (bytes, at_table_start, done, total, table) = &mut *state;
        match event {
            Event::Bytes(now) => *bytes = now,
            Event::Table { name, done: d, total: t } => {
                (*done, *total, *table, *at_table_start) = (d, t, name, *bytes);
            }
        }
        let within = (*bytes - (*at_table_start).min(*bytes)) as f64 / (64u64 << 20) as f64;
        let value = *done as f64 + within / (1.0 + within);
        let known = (*total > 0).then_some(*total as f64);
        progress.report(value, known, || format!("{verb} {} MiB; table {done}/{total} ({table})", *bytes >> 20));
    })
}
