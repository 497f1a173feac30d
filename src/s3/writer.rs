//! `S3Writer`: a streamed upload. Bytes fill one part buffer; a full part is sent in the background while
//! the next fills, so at most two parts are in memory. Small objects become one PutObject. Any failure, an
//! `abort` or a drop before `finish` aborts the multipart upload so no (invisible, billed) parts stay behind.

use super::error;
use super::store::S3Store;
use crate::failure::Failure;
use aws_sdk_s3::primitives::ByteStream;
use aws_sdk_s3::types::{CompletedMultipartUpload, CompletedPart};
use tokio::task::JoinHandle;

type PartTask = JoinHandle<Result<CompletedPart, Failure>>;

/// The most parts one multipart upload may have.
pub const MAX_PARTS: i32 = 10_000;

/// The size of part `number`: the base size for parts 1-1000, twice it for 1001-2000, ... ten times for
/// the last thousand, so an upload of unknown length reaches 55 000 x base (440 GiB with 8 MiB parts)
/// while memory stays at two parts of the current size.
pub fn part_size_for(base: usize, number: i32) -> usize {
    let thousand = usize::try_from((number.max(1) - 1) / 1000).unwrap_or(0);
    base.saturating_mul(thousand + 1)
}

/// An upload to one object; see the module documentation.
pub struct S3Writer {
    store: S3Store,
    key: String,
    buffer: Vec<u8>,
    total: u64,
    upload: Option<Upload>,
    /// Finished, aborted or failed: nothing more may be written, and drop has nothing to clean up.
    closed: bool,
}

struct Upload {
    id: String,
    done: Vec<CompletedPart>,
    in_flight: Option<PartTask>,
    next_number: i32,
}

impl S3Writer {
    pub(crate) fn new(store: S3Store, key: String) -> S3Writer {
        S3Writer { store, key, buffer: Vec::new(), total: 0, upload: None, closed: false }
    }

    /// The object's full key (with the store's prefix).
    pub fn key(&self) -> &str {
        &self.key
    }

    /// Appends `data`; sends a part whenever one is full. On failure the upload is aborted. Not cancel-safe
    /// (like `write_all`): after a cancelled call, part of `data` may be in; abort rather than go on.
    pub async fn write(&mut self, mut data: &[u8]) -> Result<(), Failure> {
        self.ensure_open("write")?;
        while !data.is_empty() {
            let part_size = part_size_for(self.store.options.part_size, self.next_number());
            if self.buffer.capacity() == 0 {
                self.buffer.reserve_exact(part_size);
            }
            let take = (part_size - self.buffer.len()).min(data.len());
            self.buffer.extend_from_slice(&data[..take]);
            self.total += take as u64;
            data = &data[take..];
            if self.buffer.len() >= part_size
                && let Err(failure) = self.ship_part().await
            {
                self.fail().await;
                return Err(failure);
            }
        }
        Ok(())
    }

    /// Completes the upload (CompleteMultipartUpload, or one PutObject when everything fit in one part)
    /// and returns the object's size. On failure the upload is aborted.
    pub async fn finish(mut self) -> Result<u64, Failure> {
        self.ensure_open("finish")?;
        if self.upload.is_none() {
            self.closed = true;
            let bytes = std::mem::take(&mut self.buffer);
            return self.store.put_full(&self.key, bytes).await.map(|()| self.total);
        }
        match self.complete().await {
            Ok(()) => {
                self.closed = true;
                Ok(self.total)
            }
            Err(failure) => {
                self.fail().await;
                Err(failure)
            }
        }
    }

    /// Abandons the upload: AbortMultipartUpload, after the part in flight has been stopped.
    pub async fn abort(mut self) -> Result<(), Failure> {
        self.closed = true;
        self.buffer = Vec::new();
        match self.upload.take() {
            Some(upload) => abort_upload(&self.store, &self.key, upload).await,
            None => Ok(()),
        }
    }

    /// The number the part being filled will get.
    fn next_number(&self) -> i32 {
        self.upload.as_ref().map_or(1, |u| u.next_number)
    }

    async fn complete(&mut self) -> Result<(), Failure> {
        if !self.buffer.is_empty() {
            self.ship_part().await?;
        }
        let Some(upload) = self.upload.as_mut() else { return Ok(()) };
        settle(&self.store, &self.key, upload).await?;
        let parts = CompletedMultipartUpload::builder().set_parts(Some(upload.done.clone())).build();
        let op = self.store.op("CompleteMultipartUpload", &self.key);
        let request = self.store.client.complete_multipart_upload().bucket(&self.store.config.bucket);
        match request.key(&self.key).upload_id(&upload.id).multipart_upload(parts).send().await {
            Ok(_) => Ok(()),
            Err(err) => Err(self.store.failure(&op, err)),
        }
    }

    /// Sends the full buffer as the next part, after the previous part has landed.
    async fn ship_part(&mut self) -> Result<(), Failure> {
        if self.upload.is_none() {
            self.upload = Some(self.create().await?);
        }
        let store = self.store.clone();
        let key = self.key.clone();
        let Some(upload) = self.upload.as_mut() else { return Ok(()) };
        settle(&store, &key, upload).await?;
        let number = upload.next_number;
        if number > MAX_PARTS {
            return Err(Failure::new(
                format!("S3 upload of s3://{}/{key} failed", store.config.bucket),
                format!("it needs more than {MAX_PARTS} parts, the most S3 allows"),
                "raise S3Options::part_size (each thousand parts already doubles, triples ... the base size)",
            ));
        }
        upload.next_number += 1;
        let body = std::mem::take(&mut self.buffer);
        let id = upload.id.clone();
        upload.in_flight = Some(tokio::spawn(async move { upload_part(&store, &key, &id, number, body).await }));
        Ok(())
    }

    async fn create(&self) -> Result<Upload, Failure> {
        let op = self.store.op("CreateMultipartUpload", &self.key);
        let request = self.store.client.create_multipart_upload().bucket(&self.store.config.bucket).key(&self.key);
        let output = request.send().await.map_err(|err| self.store.failure(&op, err))?;
        let Some(id) = output.upload_id() else {
            return Err(error::local(&op, "the store returned no upload id"));
        };
        Ok(Upload { id: id.to_owned(), done: Vec::new(), in_flight: None, next_number: 1 })
    }

    /// After a failure: abort, keeping the original error (the abort's own failure is logged).
    async fn fail(&mut self) {
        self.closed = true;
        self.buffer = Vec::new();
        if let Some(upload) = self.upload.take()
            && let Err(failure) = abort_upload(&self.store, &self.key, upload).await
        {
            tracing::warn!(key = %self.key, "could not abort the failed S3 upload: {failure}");
        }
    }

    fn ensure_open(&self, what: &str) -> Result<(), Failure> {
        if self.closed {
            return Err(Failure::new(
                format!("cannot {what} s3://{}/{}", self.store.config.bucket, self.key),
                "the upload was already finished, aborted or failed",
                "start a new upload",
            ));
        }
        Ok(())
    }
}

impl Drop for S3Writer {
    /// An unfinished upload is aborted in the background (when a tokio runtime is there to run it).
    fn drop(&mut self) {
        let Some(upload) = self.upload.take() else { return };
        if self.closed {
            return;
        }
        let (store, key) = (self.store.clone(), std::mem::take(&mut self.key));
        match tokio::runtime::Handle::try_current() {
            Ok(runtime) => {
                runtime.spawn(async move {
                    if let Err(failure) = abort_upload(&store, &key, upload).await {
                        tracing::warn!(key = %key, "could not abort the dropped S3 upload: {failure}");
                    }
                });
            }
            Err(_) => tracing::warn!(key = %key, "an unfinished S3 upload was dropped outside a runtime: not aborted"),
        }
    }
}

async fn upload_part(
    store: &S3Store,
    key: &str,
    id: &str,
    number: i32,
    body: Vec<u8>,
) -> Result<CompletedPart, Failure> {
    let name = format!("UploadPart (part {number})");
    let op = store.op(&name, key);
    let length = i64::try_from(body.len()).unwrap_or(i64::MAX);
    let request = store.client.upload_part().bucket(&store.config.bucket).key(key).upload_id(id);
    let output = request
        .part_number(number)
        .content_length(length)
        .body(ByteStream::from(body))
        .send()
        .await
        .map_err(|err| store.failure(&op, err))?;
    let Some(etag) = output.e_tag() else {
        return Err(error::local(&op, "the store returned no ETag for the part"));
    };
    Ok(CompletedPart::builder().part_number(number).e_tag(etag).build())
}

/// Waits for the part in flight and records it. The handle stays in place until the part is recorded, so
/// a caller's future dropped mid-wait (a timeout around `write`) loses no part: a gap in the part numbers
/// would complete into an object with a hole.
async fn settle(store: &S3Store, key: &str, upload: &mut Upload) -> Result<(), Failure> {
    let Some(task) = upload.in_flight.as_mut() else { return Ok(()) };
    let outcome = task.await;
    upload.in_flight = None;
    match outcome {
        Ok(part) => {
            upload.done.push(part?);
            Ok(())
        }
        Err(err) => Err(error::local(&store.op("UploadPart", key), format!("the part upload task ended: {err}"))),
    }
}

/// Stops the part in flight, then AbortMultipartUpload. An upload the store no longer knows counts as aborted.
async fn abort_upload(store: &S3Store, key: &str, upload: Upload) -> Result<(), Failure> {
    if let Some(task) = upload.in_flight {
        task.abort();
        let _ = task.await;
    }
    let op = store.op("AbortMultipartUpload", key);
    let request = store.client.abort_multipart_upload().bucket(&store.config.bucket).key(key);
    match request.upload_id(&upload.id).send().await {
        Ok(_) => Ok(()),
        Err(err) if err.as_service_error().is_some_and(|e| e.is_no_such_upload()) => Ok(()),
        Err(err) => Err(store.failure(&op, err)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parts_grow_every_thousand_and_reach_far() {
        let base = 8 * 1024 * 1024;
        assert_eq!(part_size_for(base, 1), base);
        assert_eq!(part_size_for(base, 1000), base);
        assert_eq!(part_size_for(base, 1001), 2 * base);
        assert_eq!(part_size_for(base, MAX_PARTS), 10 * base);
        let total: usize = (1..=MAX_PARTS).map(|n| part_size_for(base, n)).sum();
        assert_eq!(total, 55_000 * base);
    }
}
