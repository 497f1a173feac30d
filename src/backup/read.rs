//! Reading a stored backup back: its manifest, the key it needs, a hash pass over the archive, and the archive
//! streamed decrypted and decompressed into any sink (pg_restore's stdin, a file, nothing) on a blocking thread.

use super::key::BackupKey;
use super::manifest::Manifest;
use super::pipeline::{CHANNEL_DEPTH, ChannelReader, READ_CHUNK, read_archive};
use super::process::cancelled;
use super::store::Store;
use crate::failure::Failure;
use sha2::{Digest, Sha256};
use std::io::Write;
use tokio::io::AsyncReadExt;
use tokio::sync::mpsc;
use tokio_util::sync::CancellationToken;

/// The manifest of backup `id`; a backup without one is incomplete and refused.
pub async fn manifest(store: &Store, id: &str) -> Result<Manifest, Failure> {
    let key = Manifest::key(id);
    let bytes = store.get(&key).await.map_err(|mut failure| {
        failure.what = format!("backup {id} is not a complete backup in {}", store.describe());
        failure.fix = "run list_backups to see the complete backups".to_owned();
        failure
    })?;
    Manifest::from_bytes(&key, &bytes)
}

/// The key `manifest`'s archive needs, checked against its key id.
pub fn key_for<'a>(manifest: &Manifest, key: Option<&'a BackupKey>) -> Result<Option<&'a BackupKey>, Failure> {
    if manifest.archive.encryption == "none" {
        return Ok(None);
    }
    let key = key.ok_or_else(|| super::key::missing_key(&format!("reading backup {}", manifest.id)))?;
    if let Some(expected) = &manifest.archive.key_id
        && key.id()? != *expected
    {
        return Err(Failure::new(
            "wrong backup key",
            format!("backup {} was encrypted with key {expected}, the given key is {}", manifest.id, key.id()?),
            "set SUPAMCP_BACKUP_KEY (or pass key) to the key the backup was made with",
        ));
    }
    Ok(Some(key))
}

fn mismatch(manifest: &Manifest, why: String) -> Failure {
    Failure::new(
        format!("the archive of backup {} does not match its manifest", manifest.id),
        why,
        "the archive was changed or damaged after it was written: use another backup",
    )
}

/// Streams the raw archive bytes through `each` and checks size and SHA-256 against the manifest.
async fn raw_pass(
    store: &Store,
    manifest: &Manifest,
    forward: Option<&mpsc::Sender<Result<Vec<u8>, Failure>>>,
    cancel: &CancellationToken,
) -> Result<(), Failure> {
    let mut reader = store.reader(&manifest.archive.key).await?;
    let mut hasher = Sha256::new();
    let mut size = 0u64;
    loop {
        let mut buffer = vec![0u8; READ_CHUNK];
        let n = tokio::select! {
            _ = cancel.cancelled() => return Err(cancelled()),
            n = reader.read(&mut buffer) => n.map_err(|e| Failure::new("cannot read the archive", e.to_string(), "check the store"))?,
        };
        if n == 0 {
            break;
        }
        buffer.truncate(n);
        hasher.update(&buffer);
        size += n as u64;
        if let Some(sender) = forward {
            // A closed channel means the reader stopped; its own error explains why.
            if sender.send(Ok(buffer)).await.is_err() {
                return Ok(());
            }
        }
    }
    if size != manifest.archive.size {
        return Err(mismatch(manifest, format!("it has {size} bytes, the manifest says {}", manifest.archive.size)));
    }
    let sha = hex::encode(hasher.finalize());
    if sha != manifest.archive.sha256 {
        return Err(mismatch(manifest, "its SHA-256 differs from the manifest's".to_owned()));
    }
    Ok(())
}

/// Checks the archive's size and SHA-256 against the manifest without decrypting it.
pub async fn check_hash(store: &Store, manifest: &Manifest, cancel: &CancellationToken) -> Result<(), Failure> {
    raw_pass(store, manifest, None, cancel).await
}

/// Streams the archive decrypted and decompressed into `sink` (written on a blocking thread); returns the
/// plain bytes. Each frame authenticates before its bytes reach the sink, and size and hash are checked at the end.
pub async fn stream_plain(
    store: &Store,
    manifest: &Manifest,
    key: Option<&BackupKey>,
    mut sink: Box<dyn Write + Send>,
    cancel: &CancellationToken,
) -> Result<u64, Failure> {
    let key = key_for(manifest, key)?.cloned();
    let compression = manifest.archive.compression;
    let (sender, receiver) = mpsc::channel::<Result<Vec<u8>, Failure>>(CHANNEL_DEPTH);
    let blocking = tokio::task::spawn_blocking(move || {
        let mut reader = ChannelReader::new(receiver);
        let plain = read_archive(&mut reader, compression, key.as_ref(), &mut sink)?;
        sink.flush().map_err(|e| super::frame::failure_of(e, "cannot write the restored stream"))?;
        Ok::<u64, Failure>(plain)
    });
    let fed = raw_pass(store, manifest, Some(&sender), cancel).await;
    drop(sender);
    let plain = blocking.await.map_err(|e| Failure::new("the archive reader stopped", e.to_string(), "retry"))?;
    // The feed fails only on its own (cancelled, unreadable, hash mismatch); it returns early without error when
    // the reader stopped, whose failure (bad frame, pg_restore gone) then explains why.
    fed?;
    plain
}
