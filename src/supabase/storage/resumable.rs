//! Resumable uploads through the service's TUS endpoint (`/storage/v1/upload/resumable`, tus 1.0.0), for files
//! over 6 MB: create the upload (bucket, object, content type, cache control and metadata in Upload-Metadata),
//! then PATCH 6 MiB parts from the file at the server's offset. A failed part is retried after asking the
//! server where it stands (HEAD); the upload's URL is kept in a journal in the data directory, so a call that
//! gives up leaves an upload the next call for the same file resumes instead of restarting. Parts are streamed
//! from the file (memory stays flat); the SHA-256 covers the whole file, read again behind the parts.

use super::transfer::{Upload, UploadOptions, transfer_timeout, unreadable};
use super::{Storage, StorageError};
use crate::failure::Failure;
use crate::supabase::gateway::GatewayReply;
use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use reqwest::Method;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use sha2::{Digest, Sha256};
use std::path::{Path, PathBuf};
use std::time::Duration;
use tokio::io::{AsyncReadExt, AsyncSeekExt};

/// The part size the service expects (storage-js and the docs use 6 MiB).
const PART: u64 = 6 * 1024 * 1024;
/// Failed parts in a row before the call gives up (the journal keeps the upload for the next call).
const ATTEMPTS: u32 = 4;

#[derive(Serialize, Deserialize)]
struct Journal {
    location: String,
    size: u64,
}

impl Storage {
    /// Uploads `source` (already checked against the bucket) through the TUS endpoint.
    #[allow(clippy::too_many_arguments)]
    pub(super) async fn upload_resumable(
        &self,
        bucket: &str,
        key: &str,
        source: &Path,
        options: &UploadOptions,
        size: u64,
        content_type: &str,
        journal_dir: &Path,
    ) -> Result<Upload, Failure> {
        let what = format!("upload to '{bucket}/{key}'");
        crate::fsutil::ensure_dir(journal_dir, "--data-dir")?;
        let journal = journal_dir.join(journal_name(self.gateway().base_url(), bucket, key, source, size));
        let saved: Option<Journal> = std::fs::read(&journal)
            .ok()
            .and_then(|bytes| serde_json::from_slice(&bytes).ok())
            .filter(|j: &Journal| j.size == size);
        let mut resumed_at = None;
        let (location, mut offset) = match saved {
            Some(saved) => match self.tus_offset(&saved.location, &what).await {
                Ok(offset) => {
                    resumed_at = Some(offset);
                    (saved.location, offset)
                }
                Err(_) => (self.tus_create(bucket, key, options, size, content_type, &what, &journal).await?, 0),
            },
            None => (self.tus_create(bucket, key, options, size, content_type, &what, &journal).await?, 0),
        };
        // Parts are streamed from the file; a second handle reads forward behind them to hash what the
        // server accepted.
        let mut hashed = tokio::fs::File::open(source).await.map_err(|e| unreadable(&what, source, e))?;
        let mut hasher = Sha256::new();
        hash_next(&mut hashed, offset, &mut hasher).await.map_err(|e| unreadable(&what, source, e))?;
        let mut failures = 0;
        while offset < size {
            let length = PART.min(size - offset);
            let mut file = tokio::fs::File::open(source).await.map_err(|e| unreadable(&what, source, e))?;
            file.seek(std::io::SeekFrom::Start(offset)).await.map_err(|e| unreadable(&what, source, e))?;
            let part =
                reqwest::Body::wrap_stream(tokio_util::io::ReaderStream::with_capacity(file.take(length), 256 * 1024));
            let server_offset = match self.tus_patch(&location, offset, length, part, &what).await {
                Ok(next) => {
                    failures = 0;
                    next
                }
                Err(failure) => {
                    failures += 1;
                    if failures >= ATTEMPTS {
                        return Err(Failure::new(
                            failure.what,
                            format!("{} (gave up at byte {offset} of {size})", failure.why),
                            format!("{}; calling upload_object again with the same file resumes there", failure.fix),
                        ));
                    }
                    tokio::time::sleep(Duration::from_millis(300 * u64::from(failures))).await;
                    match self.tus_offset(&location, &what).await {
                        Ok(next) => next,
                        Err(_) => continue,
                    }
                }
            };
            if server_offset < offset || server_offset > offset + length {
                return Err(Failure::new(
                    format!("{what}: the server reports offset {server_offset}"),
                    format!("supamcp had sent up to byte {offset} and the part ended at {}", offset + length),
                    "retry the upload; if it repeats, delete the journal in the data directory's storage-uploads",
                ));
            }
            hash_next(&mut hashed, server_offset - offset, &mut hasher)
                .await
                .map_err(|e| unreadable(&what, source, e))?;
            offset = server_offset;
        }
        let _ = std::fs::remove_file(&journal);
        Ok(Upload {
            key: format!("{bucket}/{key}"),
            id: None,
            size,
            content_type: content_type.to_owned(),
            sha256: hex::encode(hasher.finalize()),
            resumed_at,
            global_limit: None,
        })
    }

    #[allow(clippy::too_many_arguments)]
    async fn tus_create(
        &self,
        bucket: &str,
        key: &str,
        options: &UploadOptions,
        size: u64,
        content_type: &str,
        what: &str,
        journal: &Path,
    ) -> Result<String, Failure> {
        let b64 = |text: &str| STANDARD.encode(text);
        let mut metadata = format!(
            "bucketName {},objectName {},contentType {},cacheControl {}",
            b64(bucket),
            b64(key),
            b64(content_type),
            b64(&options.cache_control.unwrap_or(3600).to_string())
        );
        if let Some(user) = &options.metadata {
            metadata.push_str(&format!(",metadata {}", b64(&Value::Object(user.clone()).to_string())));
        }
        let request = self
            .gateway()
            .request(Method::POST, "/storage/v1/upload/resumable")?
            .header("tus-resumable", "1.0.0")
            .header("upload-length", size)
            .header("upload-metadata", metadata)
            .header("x-upsert", if options.upsert { "true" } else { "false" })
            .header(reqwest::header::CONTENT_LENGTH, 0);
        let reply = self.gateway().send(request, what).await?;
        self.tus_judge(&reply, what)?;
        let location = header(&reply, "location").ok_or_else(|| {
            Failure::new(
                format!("{what}: the resumable upload was not created"),
                "the service answered without a Location header",
                "check that the gateway routes /storage/v1/upload/resumable to the storage service",
            )
        })?;
        let path = path_of(&location);
        let saved = serde_json::to_vec(&Journal { location: path.clone(), size }).unwrap_or_default();
        crate::fsutil::write_atomic(journal, &saved, "--data-dir")?;
        Ok(path)
    }

    async fn tus_offset(&self, location: &str, what: &str) -> Result<u64, Failure> {
        let request = self.gateway().request(Method::HEAD, location)?.header("tus-resumable", "1.0.0");
        let reply = self.gateway().send(request, what).await?;
        self.tus_judge(&reply, what)?;
        offset_of(&reply, what)
    }

    async fn tus_patch(
        &self,
        location: &str,
        offset: u64,
        length: u64,
        part: reqwest::Body,
        what: &str,
    ) -> Result<u64, Failure> {
        let request = self
            .gateway()
            .request(Method::PATCH, location)?
            .timeout(transfer_timeout(length))
            .header(reqwest::header::CONTENT_LENGTH, length)
            .header("tus-resumable", "1.0.0")
            .header("upload-offset", offset)
            .header(reqwest::header::CONTENT_TYPE, "application/offset+octet-stream")
            .body(part);
        let reply = self.gateway().send(request, what).await?;
        self.tus_judge(&reply, what)?;
        offset_of(&reply, what)
    }

    fn tus_judge(&self, reply: &GatewayReply, what: &str) -> Result<(), Failure> {
        match StorageError::from_reply(reply) {
            None => Ok(()),
            Some(error) => Err(error.failure(what, self.gateway().instance())),
        }
    }
}

fn header(reply: &GatewayReply, name: &str) -> Option<String> {
    reply.headers.get(name).and_then(|v| v.to_str().ok()).map(str::to_owned)
}

fn offset_of(reply: &GatewayReply, what: &str) -> Result<u64, Failure> {
    header(reply, "upload-offset").and_then(|v| v.trim().parse().ok()).ok_or_else(|| {
        Failure::new(
            format!("{what}: the service did not say how much it has"),
            format!("HTTP {} without an Upload-Offset header", reply.status.as_u16()),
            "check that the gateway passes the tus headers through",
        )
    })
}

/// The path (and query) of the upload's URL: sent to our gateway whatever host the service named.
fn path_of(location: &str) -> String {
    match reqwest::Url::parse(location) {
        Ok(url) => match url.query() {
            Some(query) => format!("{}?{query}", url.path()),
            None => url.path().to_owned(),
        },
        Err(_) => location.to_owned(),
    }
}

/// One journal per (gateway, object, local file, size).
fn journal_name(base: &str, bucket: &str, key: &str, source: &Path, size: u64) -> PathBuf {
    let absolute = std::path::absolute(source).unwrap_or_else(|_| source.to_path_buf());
    let identity = format!("{base}\n{bucket}\n{key}\n{}\n{size}", absolute.display());
    PathBuf::from(format!("{}.json", &hex::encode(Sha256::digest(identity.as_bytes()))[..32]))
}

/// Hashes the next `length` bytes of `file`.
async fn hash_next(file: &mut tokio::fs::File, length: u64, hasher: &mut Sha256) -> std::io::Result<()> {
    let mut left = length;
    let mut buffer = vec![0u8; 1 << 20];
    while left > 0 {
        let want = usize::try_from(left.min(buffer.len() as u64)).unwrap_or(buffer.len());
        let read = file.read(&mut buffer[..want]).await?;
        if read == 0 {
            return Err(std::io::Error::new(std::io::ErrorKind::UnexpectedEof, "the file shrank"));
        }
        hasher.update(&buffer[..read]);
        left -= read as u64;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn locations_keep_their_path_and_journals_their_identity() {
        assert_eq!(
            path_of("https://x.supabase.co/storage/v1/upload/resumable/abc?x=1"),
            "/storage/v1/upload/resumable/abc?x=1"
        );
        let a = journal_name("http://h", "b", "k", Path::new("/f"), 1);
        assert_ne!(a, journal_name("http://h", "b", "k", Path::new("/f"), 2));
        assert!(a.to_string_lossy().ends_with(".json"));
    }
}
