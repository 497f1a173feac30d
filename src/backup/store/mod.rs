//! Where archives and manifests live. `Store` dispatches to one backend: a local directory or an S3-compatible
//! bucket (`crate::s3::S3Store`: multipart uploads, streamed downloads). Keys are flat, relative
//! names such as `<id>.archive` and `<id>.manifest.json`. Every backend publishes a written object atomically
//! (nothing half-written is ever listed) and removes every trace of an aborted one.

pub mod local;

use crate::failure::Failure;
use crate::s3::{S3Config, S3Overrides, S3Store, S3Writer};
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
    S3(S3Store),
}

/// A streamed object being written.
pub enum Writer {
    Local(LocalWriter),
    S3(S3Writer),
}

impl From<crate::s3::ObjectEntry> for ObjectEntry {
    fn from(entry: crate::s3::ObjectEntry) -> ObjectEntry {
        ObjectEntry { key: entry.key, size: entry.size }
    }
}

impl Store {
    /// Where the store is, for replies (`/var/backups/supamcp`, `s3://bucket/prefix`); never a secret.
    pub fn describe(&self) -> String {
        match self {
            Store::Local(store) => store.root().display().to_string(),
            Store::S3(store) => {
                let config = store.config();
                if config.prefix.is_empty() {
                    format!("s3://{}", config.bucket)
                } else {
                    format!("s3://{}/{}", config.bucket, config.prefix)
                }
            }
        }
    }

    /// `local` or `s3`, for replies.
    pub fn kind(&self) -> &'static str {
        match self {
            Store::Local(_) => "local",
            Store::S3(_) => "s3",
        }
    }

    /// Fails fast, before any work, when the store cannot be used: for S3 a HeadBucket (missing bucket,
    /// wrong credentials, no permission, unreachable endpoint, each with its fix).
    pub async fn check(&self) -> Result<(), Failure> {
        match self {
            Store::Local(_) => Ok(()),
            Store::S3(store) => store.check().await,
        }
    }

    pub async fn writer(&self, key: &str) -> Result<Writer, Failure> {
        match self {
            Store::Local(store) => store.writer(key).await.map(Writer::Local),
            Store::S3(store) => {
                local::check_key(key)?;
                store.writer(key).await.map(Writer::S3)
            }
        }
    }

    pub async fn put(&self, key: &str, bytes: Vec<u8>) -> Result<(), Failure> {
        match self {
            Store::Local(store) => store.put(key, bytes).await,
            Store::S3(store) => {
                local::check_key(key)?;
                store.put(key, bytes).await
            }
        }
    }

    pub async fn get(&self, key: &str) -> Result<Vec<u8>, Failure> {
        match self {
            Store::Local(store) => store.get(key).await,
            Store::S3(store) => {
                local::check_key(key)?;
                store.get(key).await
            }
        }
    }

    pub async fn reader(&self, key: &str) -> Result<Pin<Box<dyn AsyncRead + Send>>, Failure> {
        match self {
            Store::Local(store) => store.reader(key).await,
            Store::S3(store) => {
                local::check_key(key)?;
                store.reader(key).await
            }
        }
    }

    /// Objects whose key starts with `prefix`, sorted by key. On S3 only flat names directly under the
    /// store's prefix count (objects in deeper "folders" are not backups of this store).
    pub async fn list(&self, prefix: &str) -> Result<Vec<ObjectEntry>, Failure> {
        match self {
            Store::Local(store) => store.list(prefix).await,
            Store::S3(store) => {
                let mut entries: Vec<ObjectEntry> = store
                    .list(prefix)
                    .await?
                    .into_iter()
                    .filter(|entry| local::check_key(&entry.key).is_ok())
                    .map(ObjectEntry::from)
                    .collect();
                entries.sort_by(|a, b| a.key.cmp(&b.key));
                Ok(entries)
            }
        }
    }

    pub async fn delete(&self, key: &str) -> Result<(), Failure> {
        match self {
            Store::Local(store) => store.delete(key).await,
            Store::S3(store) => {
                local::check_key(key)?;
                store.delete(key).await
            }
        }
    }
}

impl Writer {
    pub async fn write(&mut self, data: &[u8]) -> Result<(), Failure> {
        match self {
            Writer::Local(writer) => writer.write(data).await,
            Writer::S3(writer) => writer.write(data).await,
        }
    }

    /// Publishes the object atomically and returns its size.
    pub async fn finish(self) -> Result<u64, Failure> {
        match self {
            Writer::Local(writer) => writer.finish().await,
            Writer::S3(writer) => writer.finish().await,
        }
    }

    /// Removes every trace of the object.
    pub async fn abort(self) -> Result<(), Failure> {
        match self {
            Writer::Local(writer) => writer.abort().await,
            Writer::S3(writer) => writer.abort().await,
        }
    }
}

/// The environment variables an S3 destination is configured from (read once at start, see `Settings`).
pub const S3_VARIABLES: [&str; 10] = [
    "AWS_ACCESS_KEY_ID",
    "AWS_SECRET_ACCESS_KEY",
    "AWS_SESSION_TOKEN",
    "AWS_REGION",
    "AWS_DEFAULT_REGION",
    "AWS_ENDPOINT_URL",
    "AWS_ENDPOINT_URL_S3",
    "SUPAMCP_BACKUP_S3_BUCKET",
    "SUPAMCP_BACKUP_S3_PREFIX",
    "SUPAMCP_BACKUP_S3_PATH_STYLE",
];

/// Where backups live.
#[derive(Clone, Debug, serde::Deserialize, schemars::JsonSchema)]
#[serde(tag = "kind", rename_all = "snake_case", deny_unknown_fields)]
pub enum Destination {
    /// A local directory.
    Local {
        /// Default SUPAMCP_BACKUP_DIR; must be inside the working directory.
        #[serde(default)]
        directory: Option<std::path::PathBuf>,
    },
    /// An S3-compatible bucket; fields override the AWS_* / SUPAMCP_BACKUP_S3_* variables.
    S3(S3Overrides),
}

async fn open_s3(config: &S3Config) -> Result<Store, Failure> {
    S3Store::connect(config).await.map(Store::S3)
}

impl Destination {
    /// The store `destination` names; without one, the configured S3 bucket, else the configured directory.
    /// `env` answers the S3 variables.
    pub async fn open(
        destination: Option<&Destination>,
        configured_dir: &std::path::Path,
        env: &(dyn Fn(&str) -> Option<String> + Sync),
    ) -> Result<Store, Failure> {
        match destination {
            Some(Destination::Local { directory: Some(directory) }) => {
                Ok(Store::Local(LocalStore::new(directory.clone())))
            }
            Some(Destination::Local { directory: None }) => {
                Ok(Store::Local(LocalStore::new(configured_dir.to_path_buf())))
            }
            Some(Destination::S3(overrides)) => match S3Config::resolve(env, overrides)? {
                Some(config) => open_s3(&config).await,
                None => Err(Failure::new(
                    "no S3 bucket for this backup destination",
                    "SUPAMCP_BACKUP_S3_BUCKET is not set and the destination names no bucket",
                    "set SUPAMCP_BACKUP_S3_BUCKET (with AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY, and AWS_ENDPOINT_URL \
                     for R2/B2/MinIO), or pass {\"kind\": \"s3\", \"bucket\": \"...\"}",
                )),
            },
            None => match S3Config::from_lookup(env)? {
                Some(config) => open_s3(&config).await,
                None => Ok(Store::Local(LocalStore::new(configured_dir.to_path_buf()))),
            },
        }
    }

    /// Every configured store: the directory, and the S3 bucket when one is configured (default first).
    pub async fn open_all(
        configured_dir: &std::path::Path,
        env: &(dyn Fn(&str) -> Option<String> + Sync),
    ) -> Result<Vec<Store>, Failure> {
        let local = Store::Local(LocalStore::new(configured_dir.to_path_buf()));
        match S3Config::from_lookup(env)? {
            Some(config) => Ok(vec![open_s3(&config).await?, local]),
            None => Ok(vec![local]),
        }
    }
}
