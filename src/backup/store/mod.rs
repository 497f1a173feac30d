//! Where archives and manifests live. `Store` dispatches to one backend: a local directory today; the S3 store
//! (`crate::s3::S3Store`, same method names and signatures) is added as another arm. Keys are flat, relative
//! names such as `<id>.archive` and `<id>.manifest.json`. Every backend publishes a written object atomically
//! (nothing half-written is ever listed) and removes every trace of an aborted one.

pub mod local;

use crate::failure::Failure;
pub use local::{LocalStore, LocalWriter};
use std::pin::Pin;
use tokio::io::AsyncRead;

/// One object of a listing.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ObjectEntry {
    pub key: String,
    pub size: u64,
}

/// A backup store.
pub enum Store {
    Local(LocalStore),
}

/// A streamed object being written.
pub enum Writer {
    Local(LocalWriter),
}

impl Store {
    /// Where the store is, for replies (`/var/backups/supamcp`).
    pub fn describe(&self) -> String {
        match self {
            Store::Local(store) => store.root().display().to_string(),
        }
    }

    pub async fn writer(&self, key: &str) -> Result<Writer, Failure> {
        match self {
            Store::Local(store) => store.writer(key).await.map(Writer::Local),
        }
    }

    pub async fn put(&self, key: &str, bytes: Vec<u8>) -> Result<(), Failure> {
        match self {
            Store::Local(store) => store.put(key, bytes).await,
        }
    }

    pub async fn get(&self, key: &str) -> Result<Vec<u8>, Failure> {
        match self {
            Store::Local(store) => store.get(key).await,
        }
    }

    pub async fn reader(&self, key: &str) -> Result<Pin<Box<dyn AsyncRead + Send>>, Failure> {
        match self {
            Store::Local(store) => store.reader(key).await,
        }
    }

    pub async fn list(&self, prefix: &str) -> Result<Vec<ObjectEntry>, Failure> {
        match self {
            Store::Local(store) => store.list(prefix).await,
        }
    }

    pub async fn delete(&self, key: &str) -> Result<(), Failure> {
        match self {
            Store::Local(store) => store.delete(key).await,
        }
    }
}

impl Writer {
    pub async fn write(&mut self, data: &[u8]) -> Result<(), Failure> {
        match self {
            Writer::Local(writer) => writer.write(data).await,
        }
    }

    /// Publishes the object atomically and returns its size.
    pub async fn finish(self) -> Result<u64, Failure> {
        match self {
            Writer::Local(writer) => writer.finish().await,
        }
    }

    /// Removes every trace of the object.
    pub async fn abort(self) -> Result<(), Failure> {
        match self {
            Writer::Local(writer) => writer.abort().await,
        }
    }
}

/// Where a call's backups live (default: the configured directory). Grows an
/// `S3 { bucket, prefix, endpoint, region, path_style }` variant.
#[derive(Clone, Debug, PartialEq, Eq, serde::Deserialize, schemars::JsonSchema)]
#[serde(tag = "kind", rename_all = "snake_case", deny_unknown_fields)]
pub enum Destination {
    /// A local directory.
    Local {
        /// The directory; default SUPAMCP_BACKUP_DIR, else backups/ in the data directory.
        #[serde(default)]
        directory: Option<std::path::PathBuf>,
    },
}

impl Destination {
    /// The store `destination` names (the configured directory when `None`).
    pub fn open(destination: Option<&Destination>, configured_dir: &std::path::Path) -> Result<Store, Failure> {
        match destination {
            Some(Destination::Local { directory: Some(directory) }) => {
                Ok(Store::Local(LocalStore::new(directory.clone())))
            }
            Some(Destination::Local { directory: None }) | None => {
                Ok(Store::Local(LocalStore::new(configured_dir.to_path_buf())))
            }
        }
    }
}
