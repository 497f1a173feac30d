//! A stateful fake Storage API on 127.0.0.1:0 that follows `reference/supabase-services.md` §2: the routes under
//! `/storage/v1` (buckets, objects, list, move, copy, delete many, signed download and upload URLs, info), the
//! error rendering (HTTP 400 for every non-500 error with the real status as a string in the body's
//! `statusCode`; a real 403 for a bad key), bucket limits (`file_size_limit`, `allowed_mime_types` with
//! wildcards, the global limit), duplicates, non-empty bucket deletion refused, emptying queued and done later,
//! and signed URL tokens (HS256 JWTs with the object's `url` and `exp`) that it verifies.
//!
//! Bytes live in files under the fake's own directory, streamed in and out, so large transfers stay out of
//! memory. Resumable uploads follow tus 1.0.0 as the service's `/upload/resumable` does (create with
//! Upload-Length and Upload-Metadata, PATCH at the current Upload-Offset, HEAD for the offset). Faults: the
//! next requests fail with a 5xx, hang, a download is cut after N bytes, an upload is cut after N bytes, a
//! resumable part is cut or refused. Include it with `#[path = "../support/storage_fake/mod.rs"] mod storage_fake;`.
#![allow(dead_code, clippy::expect_used, clippy::unwrap_used, clippy::panic, clippy::result_large_err)]

mod mirror;
mod objects;
mod routes;
mod token;
mod tus;

use serde_json::Value;
use std::collections::{BTreeMap, VecDeque};
use std::path::PathBuf;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

/// The service-role key the fake accepts (a JWT in shape; the fake compares it as a string).
pub const SERVICE_KEY: &str =
    "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJyb2xlIjoic2VydmljZV9yb2xlIn0.fake-storage-service-signature";
/// The secret the fake signs URL tokens with.
pub const JWT_SECRET: &str = "storage-fake-jwt-secret-at-least-32-characters";

/// Injected faults; each counter is used up request by request.
#[derive(Debug, Default)]
pub struct Faults {
    /// Statuses (5xx) the next requests get, in order.
    pub fail_next: VecDeque<u16>,
    /// How many of the next requests wait `hang_for` before answering.
    pub hang_next: u32,
    pub hang_for: Duration,
    /// The next download sends this many bytes of the body, then breaks the connection.
    pub cut_download_after: Option<u64>,
    /// The next upload reads this many bytes of the body, then gives up with a 500 (the object is not stored).
    pub cut_upload_after: Option<u64>,
    /// The next resumable PATCH keeps this many bytes of its part, then breaks off with a 500.
    pub cut_patch_after: Option<u64>,
    /// The next N resumable PATCHes fail with a 500 before reading their part.
    pub fail_patches: u32,
    /// The two PATCH faults apply only to parts starting at or after this offset.
    pub patch_faults_from: u64,
}

/// A resumable (TUS) upload in progress.
#[derive(Clone, Debug)]
pub struct TusUpload {
    pub bucket: String,
    pub name: String,
    pub length: u64,
    pub offset: u64,
    pub content_type: String,
    pub cache_control: String,
    pub upsert: bool,
    pub user_metadata: Option<Value>,
    pub file: PathBuf,
}

/// A stored object.
#[derive(Clone, Debug)]
pub struct Object {
    pub id: String,
    pub size: u64,
    pub mimetype: String,
    pub cache_control: String,
    pub etag: String,
    pub created_at: String,
    pub updated_at: String,
    pub user_metadata: Option<Value>,
    /// The file holding the bytes.
    pub file: PathBuf,
}

/// Everything the fake remembers.
#[derive(Debug, Default)]
pub struct State {
    /// Buckets by id, as the API renders them.
    pub buckets: BTreeMap<String, Value>,
    /// Objects by (bucket, name).
    pub objects: BTreeMap<(String, String), Object>,
    /// Resumable uploads by id.
    pub uploads: BTreeMap<String, TusUpload>,
    /// `METHOD path` of every request, in order.
    pub requests: Vec<String>,
    /// Bytes of request bodies received by upload routes.
    pub upload_bytes: u64,
    pub faults: Faults,
    /// The global FILE_SIZE_LIMIT.
    pub global_limit: u64,
    /// How long a queued empty_bucket takes.
    pub empty_delay: Duration,
    pub next_file: u64,
}

/// A running fake. Dropping the last clone stops the server and removes its files.
#[derive(Clone)]
pub struct Fake {
    pub url: String,
    state: Arc<Mutex<State>>,
    dir: Arc<tempfile::TempDir>,
    task: Arc<tokio::task::JoinHandle<()>>,
    mirror: Option<tokio::sync::mpsc::UnboundedSender<mirror::Mirror>>,
}

impl Drop for Fake {
    fn drop(&mut self) {
        if Arc::strong_count(&self.task) == 1 {
            self.task.abort();
        }
    }
}

pub(crate) struct Shared {
    pub state: Arc<Mutex<State>>,
    pub dir: PathBuf,
    pub base_url: String,
    pub mirror: Option<tokio::sync::mpsc::UnboundedSender<mirror::Mirror>>,
}

impl Shared {
    pub fn state(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// Writes the current buckets and objects to the database, when there is one.
    pub fn mirror(&self) {
        if let Some(sender) = &self.mirror {
            let _ = sender.send(mirror::snapshot(&self.state()));
        }
    }
}

impl Fake {
    pub async fn start() -> Fake {
        Fake::start_with(None).await
    }

    /// A fake that also writes storage.buckets and storage.objects rows to the database at `url` (a login that
    /// bypasses RLS, such as the fixture's supabase_admin).
    pub async fn with_database(url: &str) -> Fake {
        Fake::start_with(Some(url)).await
    }

    async fn start_with(database: Option<&str>) -> Fake {
        let mirror = match database {
            Some(url) => Some(mirror::start(url).await),
            None => None,
        };
        let dir = tempfile::tempdir().expect("fake storage dir");
        let state = State {
            global_limit: 52_428_800,
            empty_delay: Duration::from_millis(300),
            faults: Faults { hang_for: Duration::from_secs(5), ..Faults::default() },
            ..State::default()
        };
        let state = Arc::new(Mutex::new(state));
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind the fake");
        let address = listener.local_addr().expect("fake address");
        let url = format!("http://{address}");
        let shared = Arc::new(Shared {
            state: state.clone(),
            dir: dir.path().to_path_buf(),
            base_url: url.clone(),
            mirror: mirror.clone(),
        });
        let app = routes::router(shared);
        let task = tokio::spawn(async move {
            axum::serve(listener, app).await.expect("fake server");
        });
        Fake { url, state, dir: Arc::new(dir), task: Arc::new(task), mirror }
    }

    /// Waits until every change so far is written to the database (no-op without one).
    pub async fn synced(&self) {
        if let Some(sender) = &self.mirror {
            let (done, wait) = tokio::sync::oneshot::channel();
            if sender.send(mirror::Mirror::Marker(done)).is_ok() {
                let _ = wait.await;
            }
        }
    }

    /// The fake's state, for setting faults and reading what happened.
    pub fn state(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// How many requests matched `method` and a path starting with `prefix` (after `/storage/v1`).
    pub fn count(&self, method: &str, prefix: &str) -> usize {
        let wanted = format!("{method} {prefix}");
        self.state().requests.iter().filter(|r| r.starts_with(&wanted)).count()
    }

    /// The bytes of a stored object.
    pub fn bytes_of(&self, bucket: &str, name: &str) -> Option<Vec<u8>> {
        let file = self.state().objects.get(&(bucket.to_owned(), name.to_owned()))?.file.clone();
        std::fs::read(file).ok()
    }

    pub fn object(&self, bucket: &str, name: &str) -> Option<Object> {
        self.state().objects.get(&(bucket.to_owned(), name.to_owned())).cloned()
    }

    /// The environment that points supamcp at this fake.
    pub fn env(&self) -> Vec<(&'static str, String)> {
        vec![("SUPABASE_URL", self.url.clone()), ("SUPABASE_SERVICE_ROLE_KEY", SERVICE_KEY.to_owned())]
    }
}
