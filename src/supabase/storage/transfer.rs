//! Streamed transfers between a local file and an object. Uploads read the file in 256 KiB chunks into the
//! request body (memory stays flat whatever the size) after `preflight.rs` checked the global and bucket limits,
//! so a refused file costs no byte on the wire. Downloads stream into `<file>.partial` (owner-only, through
//! `fsutil`), hash as they go and are renamed into place only when whole; a failure leaves no partial file.
//! Small text objects may be read into memory instead, for an inline reply.

use super::limits::is_text;
use super::pipelined_write::PipelinedWrite;
use super::{Storage, StorageError, check_bucket_id, clean_key, object_path};
use crate::failure::Failure;
use crate::supabase::gateway::GatewayReply;
use base64::Engine;
use futures_util::TryStreamExt;
use reqwest::Method;
use serde::Serialize;
use serde_json::Value;
use sha2::{Digest, Sha256};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::Duration;

const CHUNK: usize = 256 * 1024;
/// Files larger than this go through the resumable (TUS) endpoint, as storage-js recommends.
pub const RESUMABLE_OVER: u64 = 6 * 1024 * 1024;
/// How long a download may go without receiving a byte.
const IDLE: Duration = Duration::from_secs(60);
/// Error bodies read at most this much.
const ERROR_BODY: usize = 64 * 1024;

/// How an upload is sent.
#[derive(Clone, Debug, Default)]
pub struct UploadOptions {
    /// Content type; guessed from the file name when `None`.
    pub content_type: Option<String>,
    /// Cache-Control max-age in seconds (storage-js default 3600).
    pub cache_control: Option<u64>,
    /// Replace an existing object.
    pub upsert: bool,
    /// User metadata stored with the object.
    pub metadata: Option<serde_json::Map<String, Value>>,
    /// Where resumable uploads keep their state; `None` sends every file in one request.
    pub journal_dir: Option<PathBuf>,
    /// The global file size limit (bytes) and where it was read, when known: a larger file is refused before
    /// sending, as one over the bucket's limit is.
    pub global_limit: Option<(u64, String)>,
}

/// A finished upload.
#[derive(Clone, Debug, Serialize, schemars::JsonSchema)]
pub struct Upload {
    /// `bucket/path` as the service stored it.
    pub key: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    pub size: u64,
    pub content_type: String,
    /// SHA-256 (hex) of the bytes sent.
    pub sha256: String,
    /// The byte a resumable upload resumed at (an earlier call's upload continued).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub resumed_at: Option<u64>,
    /// The global file size limit checked before sending (null: not known here).
    pub global_limit: Option<u64>,
}

/// Where a download goes.
#[derive(Clone, Debug)]
pub enum DownloadTarget {
    /// A local file; an existing one is kept as `<file>.bak.<UTC timestamp>` when `replace`.
    File { path: PathBuf, replace: bool },
    /// Into memory, for a text object of at most `max` bytes.
    Inline { max: usize },
}

/// A finished download.
#[derive(Clone, Debug, Serialize, schemars::JsonSchema)]
pub struct Download {
    pub bytes: u64,
    /// SHA-256 (hex) of the bytes received.
    pub sha256: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub content_type: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub written_to: Option<String>,
    /// Where the file `written_to` replaced was moved.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub backup: Option<String>,
    /// The object's text (inline downloads only).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub text: Option<String>,
}

impl Storage {
    /// Uploads the local file `source` to `bucket/path`, streamed.
    pub async fn upload_file(
        &self,
        bucket: &str,
        path: &str,
        source: &Path,
        options: &UploadOptions,
    ) -> Result<Upload, Failure> {
        let bucket = check_bucket_id(bucket)?;
        let key = clean_key(path, "path")?;
        let (size, content_type) = self.preflight(bucket, &key, source, options).await?;
        let mut upload = if size > RESUMABLE_OVER
            && let Some(journal) = &options.journal_dir
        {
            self.upload_resumable(bucket, &key, source, options, size, &content_type, journal).await?
        } else {
            self.upload_whole(bucket, &key, source, options, size, content_type).await?
        };
        upload.global_limit = options.global_limit.as_ref().map(|(bytes, _)| *bytes);
        Ok(upload)
    }

    /// Sends the file in one request.
    async fn upload_whole(
        &self,
        bucket: &str,
        key: &str,
        source: &Path,
        options: &UploadOptions,
        size: u64,
        content_type: String,
    ) -> Result<Upload, Failure> {
        let what = format!("upload to '{bucket}/{key}'");
        let file = tokio::fs::File::open(source).await.map_err(|e| unreadable(&what, source, e))?;
        let hasher = Arc::new(Mutex::new(Sha256::new()));
        let feed = hasher.clone();
        let stream = tokio_util::io::ReaderStream::with_capacity(file, CHUNK).inspect_ok(move |chunk| {
            if let Ok(mut hasher) = feed.lock() {
                hasher.update(chunk);
            }
        });
        let mut request = self
            .request(Method::POST, &format!("object/{}", object_path(bucket, key)))?
            .timeout(transfer_timeout(size))
            .header(reqwest::header::CONTENT_TYPE, &content_type)
            .header(reqwest::header::CONTENT_LENGTH, size)
            .header("cache-control", format!("max-age={}", options.cache_control.unwrap_or(3600)))
            .header("x-upsert", if options.upsert { "true" } else { "false" })
            .body(reqwest::Body::wrap_stream(stream));
        if let Some(user) = &options.metadata {
            let encoded = base64::engine::general_purpose::STANDARD.encode(Value::Object(user.clone()).to_string());
            request = request.header("x-metadata", encoded);
        }
        let reply: Value = self.write_json(request, &what).await?;
        let sha256 = hasher.lock().map(|h| hex::encode(h.clone().finalize())).unwrap_or_default();
        Ok(Upload {
            key: reply.get("Key").and_then(Value::as_str).map_or_else(|| format!("{bucket}/{key}"), str::to_owned),
            id: reply.get("Id").and_then(Value::as_str).map(str::to_owned),
            size,
            content_type,
            sha256,
            resumed_at: None,
            global_limit: None,
        })
    }

    /// Downloads `bucket/path` to `target`, streamed.
    pub async fn download(&self, bucket: &str, path: &str, target: &DownloadTarget) -> Result<Download, Failure> {
        let bucket = check_bucket_id(bucket)?;
        let key = clean_key(path, "path")?;
        let what = format!("download '{bucket}/{key}'");
        let request = self
            .request(Method::GET, &format!("object/{}", object_path(bucket, &key)))?
            .timeout(Duration::from_secs(24 * 3600));
        let gateway = self.gateway();
        let mut response = request.send().await.map_err(|e| gateway.transport_failure(&what, &e))?;
        let status = response.status();
        if !status.is_success() {
            let headers = response.headers().clone();
            let mut body = Vec::new();
            while let Ok(Some(chunk)) = response.chunk().await {
                body.extend_from_slice(&chunk);
                if body.len() > ERROR_BODY {
                    break;
                }
            }
            let reply = GatewayReply { status, headers, body: body.into() };
            return Err(StorageError::from_reply(&reply)
                .map(|error| error.failure(&what, gateway.instance()))
                .unwrap_or_else(|| Failure::new(&what, format!("HTTP {status}"), "retry")));
        }
        let expected = response.content_length();
        let content_type =
            response.headers().get(reqwest::header::CONTENT_TYPE).and_then(|v| v.to_str().ok()).map(str::to_owned);
        match target {
            DownloadTarget::Inline { max } => read_inline(&what, response, expected, content_type, *max, gateway).await,
            DownloadTarget::File { path, replace } => {
                let sink = FileSink::create(path)?;
                let outcome = sink.fill(&what, response, expected, gateway).await;
                match outcome {
                    Ok((sink, bytes, sha256)) => {
                        let backup = sink.commit(*replace)?;
                        Ok(Download {
                            bytes,
                            sha256,
                            content_type,
                            written_to: Some(path.display().to_string()),
                            backup: backup.map(|b| b.display().to_string()),
                            text: None,
                        })
                    }
                    Err(failure) => Err(failure),
                }
            }
        }
    }
}

/// The failure of a source file that cannot be read.
pub(super) fn unreadable(what: &str, source: &Path, error: std::io::Error) -> Failure {
    Failure::new(
        format!("{what}: cannot read {}", source.display()),
        error.to_string(),
        "pass the path of a readable regular file",
    )
}

/// 60 s plus one second per MB: a whole upload may take that long.
pub(super) fn transfer_timeout(size: u64) -> Duration {
    Duration::from_secs(60 + size / 1_000_000)
}

async fn next_chunk(
    what: &str,
    response: &mut reqwest::Response,
    gateway: &crate::supabase::gateway::Gateway,
) -> Result<Option<bytes::Bytes>, Failure> {
    match tokio::time::timeout(IDLE, response.chunk()).await {
        Ok(Ok(chunk)) => Ok(chunk),
        Ok(Err(error)) => Err(gateway.transport_failure(what, &error)),
        Err(_) => Err(Failure::new(
            format!("{what} stalled"),
            format!("no byte arrived for {} s", IDLE.as_secs()),
            "check the storage service and the network, then retry",
        )),
    }
}

fn short_read(what: &str, got: u64, expected: u64) -> Failure {
    Failure::new(
        format!("{what} was cut short"),
        format!("received {got} of {expected} bytes"),
        "retry; if it repeats, check the storage service's logs and any proxy in between",
    )
}

async fn read_inline(
    what: &str,
    mut response: reqwest::Response,
    expected: Option<u64>,
    content_type: Option<String>,
    max: usize,
    gateway: &crate::supabase::gateway::Gateway,
) -> Result<Download, Failure> {
    let kind = content_type.clone().unwrap_or_else(|| "application/octet-stream".to_owned());
    let refuse = |why: String| {
        Failure::new(format!("{what}: not returned inline"), why, "pass `to` with a file path to download it to a file")
    };
    if !is_text(&kind) {
        return Err(refuse(format!("the object is {kind}, and binary data is never returned inline")));
    }
    if let Some(length) = expected.filter(|length| *length > max as u64) {
        return Err(refuse(format!("the object is {length} bytes, over the {max}-byte inline limit")));
    }
    let mut body = Vec::new();
    while let Some(chunk) = next_chunk(what, &mut response, gateway).await? {
        body.extend_from_slice(&chunk);
        if body.len() > max {
            return Err(refuse(format!("the object is over the {max}-byte inline limit")));
        }
    }
    if let Some(length) = expected.filter(|length| *length != body.len() as u64) {
        return Err(short_read(what, body.len() as u64, length));
    }
    let sha256 = hex::encode(Sha256::digest(&body));
    let bytes = body.len() as u64;
    let text = String::from_utf8(body).map_err(|_| refuse("the object is not UTF-8 text".to_owned()))?;
    Ok(Download { bytes, sha256, content_type, written_to: None, backup: None, text: Some(text) })
}

/// `<target>.partial`, removed on drop unless committed.
struct FileSink {
    target: PathBuf,
    partial: PathBuf,
    file: Option<tokio::fs::File>,
    committed: bool,
}

impl FileSink {
    fn create(target: &Path) -> Result<FileSink, Failure> {
        let name = target.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_else(|| "download".into());
        let partial = target.with_file_name(format!("{name}.partial"));
        if let Some(parent) = target.parent().filter(|p| !p.as_os_str().is_empty()) {
            std::fs::create_dir_all(parent).map_err(|e| {
                crate::fsutil::io_failure("cannot create the download's directory", parent, &e, "to", "check the path")
            })?;
        }
        let file = crate::fsutil::create_replacing(&partial, "to")?;
        Ok(FileSink {
            target: target.to_path_buf(),
            partial,
            file: Some(tokio::fs::File::from_std(file)),
            committed: false,
        })
    }

    async fn fill(
        mut self,
        what: &str,
        mut response: reqwest::Response,
        expected: Option<u64>,
        gateway: &crate::supabase::gateway::Gateway,
    ) -> Result<(FileSink, u64, String), Failure> {
        let mut hasher = Sha256::new();
        let mut bytes = 0u64;
        let write_failure = |e: std::io::Error, path: &Path| {
            crate::fsutil::io_failure(
                format!("{what}: cannot write {}", path.display()),
                path,
                &e,
                "to",
                "check the disk",
            )
        };
        let Some(file) = self.file.take() else {
            return Err(Failure::new(what, "the partial file is gone", "retry"));
        };
        let mut writing = PipelinedWrite::start(file.into_std().await);
        let mut writer_stopped = false;
        while let Some(chunk) = next_chunk(what, &mut response, gateway).await? {
            hasher.update(&chunk);
            bytes += chunk.len() as u64;
            if writing.send(chunk).await.is_err() {
                writer_stopped = true;
                break;
            }
        }
        let written = writing.finish().await;
        written.map_err(|e| write_failure(e, &self.partial))?;
        if writer_stopped {
            return Err(Failure::new(what, "the file writer stopped without an error", "retry"));
        }
        if let Some(length) = expected.filter(|length| *length != bytes) {
            return Err(short_read(what, bytes, length));
        }
        Ok((self, bytes, hex::encode(hasher.finalize())))
    }

    /// Renames the partial file into place; an existing target is first moved to `.bak.<stamp>` when `replace`.
    fn commit(mut self, replace: bool) -> Result<Option<PathBuf>, Failure> {
        let rename_failure = |e: std::io::Error, path: &Path| {
            crate::fsutil::io_failure(
                format!("cannot move {} into place", path.display()),
                path,
                &e,
                "to",
                "check the directory",
            )
        };
        let backup = match std::fs::symlink_metadata(&self.target) {
            Ok(_) if !replace => {
                return Err(Failure::new(
                    format!("refusing to overwrite {}", self.target.display()),
                    "the file appeared while downloading",
                    "pass confirm: true to replace it, or choose a new file name",
                ));
            }
            Ok(_) => {
                let stamp = chrono::Utc::now().format("%Y%m%dT%H%M%S%.3fZ");
                let name = self.target.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
                let backup = self.target.with_file_name(format!("{name}.bak.{stamp}"));
                std::fs::rename(&self.target, &backup).map_err(|e| rename_failure(e, &self.target))?;
                Some(backup)
            }
            Err(_) => None,
        };
        std::fs::rename(&self.partial, &self.target).map_err(|e| rename_failure(e, &self.partial))?;
        self.committed = true;
        Ok(backup)
    }
}

impl Drop for FileSink {
    fn drop(&mut self) {
        if !self.committed {
            let _ = std::fs::remove_file(&self.partial);
        }
    }
}
