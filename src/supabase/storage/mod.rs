//! The Storage API client (no rmcp): buckets, objects, signed URLs, and streamed uploads and downloads, through
//! the instance's [`Gateway`] at `<API URL>/storage/v1/...`, the same code for cloud and self-hosted. Error
//! bodies are read here (`error.rs`: the body's `statusCode`, not the HTTP status, says what happened); bucket
//! limits (`limits.rs`: "50MB" sizes, MIME wildcards, content types by extension) are checked before a byte is
//! sent. Object rows are never written or deleted with SQL: only the service keeps rows and bytes together.

mod buckets;
pub mod config;
pub mod cursor;
mod error;
pub mod limits;
mod objects;
mod pipelined_write;
pub mod policies;
mod preflight;
mod resumable;
pub mod selfhosted;
mod transfer;

pub use buckets::{Bucket, BucketChange, BucketSpec, EmptyReport, ListBuckets};
pub use error::StorageError;
pub use objects::{DeleteReport, ListObjects, ObjectEntry, ObjectInfo, ObjectPage, SignedUpload, SignedUrl};
pub use transfer::{Download, DownloadTarget, Upload, UploadOptions};

use crate::failure::Failure;
use crate::supabase::gateway::{Gateway, GatewayReply};
use reqwest::{Method, RequestBuilder};
use serde::de::DeserializeOwned;
use std::time::Duration;

/// How often a reading call is tried when the service answers 5xx or the connection fails.
const READ_ATTEMPTS: u32 = 3;

/// The Storage API of one instance.
#[derive(Clone, Debug)]
pub struct Storage {
    gateway: Gateway,
}

impl Storage {
    pub fn new(gateway: Gateway) -> Storage {
        Storage { gateway }
    }

    pub fn gateway(&self) -> &Gateway {
        &self.gateway
    }

    /// A request to `/storage/v1/<rest>`; `rest` is already percent-encoded.
    fn request(&self, method: Method, rest: &str) -> Result<RequestBuilder, Failure> {
        self.gateway.request(method, &format!("/storage/v1/{rest}"))
    }

    /// The absolute URL of a path the service returned relative to `/storage/v1` (signed URLs).
    fn absolute(&self, relative: &str) -> String {
        format!("{}/storage/v1/{}", self.gateway.base_url(), relative.trim_start_matches('/'))
    }

    /// Sends a call that changes something (never retried) and reads its JSON reply.
    async fn write_json<T: DeserializeOwned>(&self, request: RequestBuilder, what: &str) -> Result<T, Failure> {
        let reply = self.gateway.send(request, what).await?;
        self.judge(&reply, what)?;
        self.decode(&reply, what)
    }

    /// Sends a reading call, retried on 5xx and transport failures (`build` makes each attempt's request).
    async fn read_json<T: DeserializeOwned>(
        &self,
        build: impl Fn() -> Result<RequestBuilder, Failure>,
        what: &str,
    ) -> Result<T, Failure> {
        let mut attempt = 1;
        loop {
            let outcome = self.gateway.send(build()?, what).await;
            let retry = match &outcome {
                Ok(reply) => reply.status.is_server_error(),
                Err(_) => true,
            };
            if !retry || attempt >= READ_ATTEMPTS {
                let reply = outcome?;
                self.judge(&reply, what)?;
                return self.decode(&reply, what);
            }
            tokio::time::sleep(Duration::from_millis(200 * u64::from(attempt))).await;
            attempt += 1;
        }
    }

    fn judge(&self, reply: &GatewayReply, what: &str) -> Result<(), Failure> {
        match StorageError::from_reply(reply) {
            None => Ok(()),
            Some(error) => Err(error.failure(what, self.gateway.instance())),
        }
    }

    fn decode<T: DeserializeOwned>(&self, reply: &GatewayReply, what: &str) -> Result<T, Failure> {
        serde_json::from_slice(&reply.body).map_err(|error| {
            Failure::new(
                format!("{what} on instance '{}': the reply is not the Storage API's", self.gateway.instance()),
                format!("{error} (HTTP {}, {} bytes)", reply.status.as_u16(), reply.body.len()),
                "check that SUPABASE_URL is the API gateway (Kong) and that it routes /storage/v1 to the storage service",
            )
        })
    }
}

/// One path segment percent-encoded as storage-js encodes it (`encodeURIComponent`).
pub fn encode_segment(segment: &str) -> String {
    let mut out = String::with_capacity(segment.len());
    for byte in segment.bytes() {
        if byte.is_ascii_alphanumeric() || b"-_.!~*'()".contains(&byte) {
            out.push(char::from(byte));
        } else {
            out.push_str(&format!("%{byte:02X}"));
        }
    }
    out
}

/// `<bucket>/<key>` with every segment encoded, for the object routes.
pub fn object_path(bucket: &str, key: &str) -> String {
    let mut out = encode_segment(bucket);
    for segment in key.split('/') {
        out.push('/');
        out.push_str(&encode_segment(segment));
    }
    out
}

/// An object key as the service stores it: no leading or trailing slash, no empty, `.` or `..` segment.
pub fn clean_key(raw: &str, param: &str) -> Result<String, Failure> {
    let key = raw.trim_matches('/');
    let bad = key.is_empty() || key.split('/').any(|s| s.is_empty() || s == "." || s == "..");
    if bad {
        return Err(Failure::new(
            format!("{param} '{raw}' is not an object path"),
            "object paths are folder/name segments without empty, '.' or '..' parts",
            format!("pass {param} like 'avatars/user-1/photo.png' (without the bucket name)"),
        ));
    }
    Ok(key.to_owned())
}

/// A bucket id as the service accepts it (non-empty, no slash).
pub fn check_bucket_id(raw: &str) -> Result<&str, Failure> {
    let id = raw.trim();
    if id.is_empty() || id.contains('/') || id.len() > 100 {
        return Err(Failure::new(
            format!("bucket '{raw}' is not a bucket id"),
            "bucket ids are one non-empty segment without '/' (at most 100 characters)",
            "pass the bucket id as list_storage_buckets shows it",
        ));
    }
    Ok(id)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_are_encoded_per_segment() {
        assert_eq!(object_path("b", "a dir/ü#?.png"), "b/a%20dir/%C3%BC%23%3F.png");
        assert_eq!(encode_segment("x(1)'~"), "x(1)'~");
    }

    #[test]
    fn keys_are_cleaned_or_refused() {
        assert_eq!(clean_key("/a/b.txt/", "path").unwrap(), "a/b.txt");
        for bad in ["", "/", "a//b", "a/../b", "./a"] {
            assert!(clean_key(bad, "path").is_err(), "{bad}");
        }
        assert!(check_bucket_id("a/b").is_err());
        assert_eq!(check_bucket_id(" avatars ").unwrap(), "avatars");
    }
}
