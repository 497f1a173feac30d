//! `S3Store`: one S3 client bound to a bucket and key prefix. Keys given to it are relative to the prefix;
//! large objects are written through [`S3Writer`](super::S3Writer) (multipart) and read as a stream.

use super::config::S3Config;
use super::error::{self, Op};
use super::writer::S3Writer;
use crate::failure::Failure;
use aws_sdk_s3::Client;
use aws_sdk_s3::config::retry::RetryConfig;
use aws_sdk_s3::config::timeout::TimeoutConfig;
use aws_sdk_s3::config::{
    BehaviorVersion, Credentials, Region, RequestChecksumCalculation, ResponseChecksumValidation,
};
use aws_sdk_s3::primitives::ByteStream;
use aws_smithy_http_client::tls::{Provider, rustls_provider::CryptoMode};
use std::pin::Pin;
use std::sync::Arc;
use std::time::Duration;
use tokio::io::AsyncRead;

/// The smallest part S3 accepts (every part but the last).
pub const MIN_PART_SIZE: usize = 5 * 1024 * 1024;

/// Tuning of an [`S3Store`]; [`S3Options::default`] suits backups.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct S3Options {
    /// Bytes per multipart part (at least [`MIN_PART_SIZE`]), growing after every thousand parts (see
    /// [`part_size_for`](super::part_size_for)); a writer holds at most two parts in memory.
    pub part_size: usize,
    /// Attempts per request, the first included: 5xx, throttling and broken connections are retried.
    pub max_attempts: u32,
    /// The first retry waits up to this long (jittered), each further one twice as long, at most 20 s.
    pub initial_backoff: Duration,
    /// Time allowed to open a connection.
    pub connect_timeout: Duration,
    /// Time allowed for one attempt of one request (a part's upload included) until its response starts.
    pub attempt_timeout: Duration,
}

impl Default for S3Options {
    fn default() -> Self {
        S3Options {
            part_size: 8 * 1024 * 1024,
            max_attempts: 4,
            initial_backoff: Duration::from_secs(1),
            connect_timeout: Duration::from_secs(10),
            attempt_timeout: Duration::from_secs(300),
        }
    }
}

/// The SDK's hyper client on rustls with ring (no aws-lc, no cmake); it speaks plain `http://` as well.
/// Trusted roots are the system's (rustls-native-certs), as for every AWS SDK.
pub fn https_client() -> aws_sdk_s3::config::SharedHttpClient {
    aws_smithy_http_client::Builder::new().tls_provider(Provider::Rustls(CryptoMode::Ring)).build_https()
}

/// An object under the store's prefix.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ObjectEntry {
    /// Relative to the store's prefix.
    pub key: String,
    pub size: u64,
}

/// A client for one bucket and prefix; cheap to clone.
#[derive(Clone)]
pub struct S3Store {
    pub(crate) client: Client,
    pub(crate) config: Arc<S3Config>,
    pub(crate) options: S3Options,
}

impl std::fmt::Debug for S3Store {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("S3Store").field("config", &self.config).field("options", &self.options).finish()
    }
}

impl S3Store {
    /// A client for `cfg` with the default options. No request is sent: problems show on the first call
    /// (or on [`S3Store::check`]).
    pub async fn connect(cfg: &S3Config) -> Result<S3Store, Failure> {
        S3Store::connect_with(cfg, S3Options::default()).await
    }

    /// A client for `cfg` with `options`.
    pub async fn connect_with(cfg: &S3Config, options: S3Options) -> Result<S3Store, Failure> {
        cfg.validate()?;
        let credentials = match (&cfg.access_key_id, &cfg.secret_access_key) {
            (Some(id), Some(secret)) => Credentials::new(
                id.expose(),
                secret.expose(),
                cfg.session_token.as_ref().map(|t| t.expose().to_owned()),
                None,
                "supamcp",
            ),
            _ => {
                return Err(Failure::new(
                    format!("no S3 credentials for {}", cfg.location()),
                    "AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY are not both set",
                    "set both (and AWS_SESSION_TOKEN for temporary credentials), or pass them per call",
                ));
            }
        };
        let options = S3Options { part_size: options.part_size.max(MIN_PART_SIZE), ..options };
        let mut builder = aws_sdk_s3::config::Builder::new()
            .behavior_version(BehaviorVersion::latest())
            .http_client(https_client())
            .region(Region::new(cfg.region.clone()))
            .credentials_provider(credentials)
            .force_path_style(cfg.path_style)
            // Checksums only where the API demands them: R2, B2, MinIO and older gateways reject or
            // mishandle the CRC32 trailers recent SDKs add by default. SigV4 still signs the payload hash.
            .request_checksum_calculation(RequestChecksumCalculation::WhenRequired)
            .response_checksum_validation(ResponseChecksumValidation::WhenRequired)
            .retry_config(
                RetryConfig::standard()
                    .with_max_attempts(options.max_attempts.max(1))
                    .with_initial_backoff(options.initial_backoff),
            )
            .timeout_config(
                TimeoutConfig::builder()
                    .connect_timeout(options.connect_timeout)
                    .operation_attempt_timeout(options.attempt_timeout)
                    .build(),
            );
        if let Some(endpoint) = &cfg.endpoint_url {
            builder = builder.endpoint_url(endpoint.trim_end_matches('/'));
        }
        Ok(S3Store { client: Client::from_conf(builder.build()), config: Arc::new(cfg.clone()), options })
    }

    /// The configuration this store was made from.
    pub fn config(&self) -> &S3Config {
        &self.config
    }

    /// HeadBucket: the bucket exists and the credentials may use it.
    pub async fn check(&self) -> Result<(), Failure> {
        let op = Op { name: "HeadBucket", object: format!("s3://{}", self.config.bucket) };
        match self.client.head_bucket().bucket(&self.config.bucket).send().await {
            Ok(_) => Ok(()),
            Err(err) => Err(self.failure(&op, err)),
        }
    }

    /// A multipart upload to `key` (relative to the prefix), started when the first part is full.
    pub async fn writer(&self, key: &str) -> Result<S3Writer, Failure> {
        Ok(S3Writer::new(self.clone(), self.full_key(key)?))
    }

    /// One PutObject of `bytes` to `key`: for small objects such as manifests.
    pub async fn put(&self, key: &str, bytes: Vec<u8>) -> Result<(), Failure> {
        let full = self.full_key(key)?;
        self.put_full(&full, bytes).await
    }

    pub(crate) async fn put_full(&self, full: &str, bytes: Vec<u8>) -> Result<(), Failure> {
        let op = self.op("PutObject", full);
        let length = i64::try_from(bytes.len()).unwrap_or(i64::MAX);
        let request = self.client.put_object().bucket(&self.config.bucket).key(full);
        match request.content_length(length).body(ByteStream::from(bytes)).send().await {
            Ok(_) => Ok(()),
            Err(err) => Err(self.failure(&op, err)),
        }
    }

    /// The whole object at `key`, in memory: for small objects only; use [`S3Store::reader`] for archives.
    pub async fn get(&self, key: &str) -> Result<Vec<u8>, Failure> {
        let full = self.full_key(key)?;
        let op = self.op("GetObject", &full);
        let output = self.get_object(&op, &full).await?;
        match output.body.collect().await {
            Ok(bytes) => Ok(bytes.to_vec()),
            Err(err) => Err(error::local(&op, format!("the download broke off: {err}"))),
        }
    }

    /// The object at `key` as a stream: memory stays bounded whatever its size.
    pub async fn reader(&self, key: &str) -> Result<Pin<Box<dyn AsyncRead + Send>>, Failure> {
        let full = self.full_key(key)?;
        let op = self.op("GetObject", &full);
        let output = self.get_object(&op, &full).await?;
        Ok(Box::pin(output.body.into_async_read()))
    }

    async fn get_object(
        &self,
        op: &Op<'_>,
        full: &str,
    ) -> Result<aws_sdk_s3::operation::get_object::GetObjectOutput, Failure> {
        match self.client.get_object().bucket(&self.config.bucket).key(full).send().await {
            Ok(output) => Ok(output),
            Err(err) => Err(self.failure(op, err)),
        }
    }

    /// Every object whose key (relative to the store's prefix) starts with `prefix`, across all pages of
    /// ListObjectsV2, in key order.
    pub async fn list(&self, prefix: &str) -> Result<Vec<ObjectEntry>, Failure> {
        let base = self.base();
        let full_prefix = format!("{base}{}", prefix.trim_start_matches('/'));
        let op = self.op("ListObjectsV2", &full_prefix);
        let mut pages =
            self.client.list_objects_v2().bucket(&self.config.bucket).prefix(&full_prefix).into_paginator().send();
        let mut entries = Vec::new();
        while let Some(page) = pages.next().await {
            let page = page.map_err(|err| self.failure(&op, err))?;
            for object in page.contents() {
                let Some(key) = object.key().and_then(|k| k.strip_prefix(base.as_str())) else { continue };
                let size = object.size().and_then(|s| u64::try_from(s).ok()).unwrap_or(0);
                entries.push(ObjectEntry { key: key.to_owned(), size });
            }
        }
        Ok(entries)
    }

    /// DeleteObject of `key`; deleting a missing key succeeds, as in S3.
    pub async fn delete(&self, key: &str) -> Result<(), Failure> {
        let full = self.full_key(key)?;
        let op = self.op("DeleteObject", &full);
        match self.client.delete_object().bucket(&self.config.bucket).key(&full).send().await {
            Ok(_) => Ok(()),
            Err(err) => Err(self.failure(&op, err)),
        }
    }

    /// `prefix/` or `""`.
    fn base(&self) -> String {
        if self.config.prefix.is_empty() { String::new() } else { format!("{}/", self.config.prefix) }
    }

    /// `key` under the store's prefix.
    pub(crate) fn full_key(&self, key: &str) -> Result<String, Failure> {
        let key = key.trim_start_matches('/');
        if key.is_empty() {
            return Err(Failure::new(
                format!("empty S3 object key under {}", self.config.location()),
                "an object needs a name",
                "pass a key such as backups/2026-01-01.tar",
            ));
        }
        Ok(format!("{}{key}", self.base()))
    }

    pub(crate) fn op<'a>(&self, name: &'a str, full_key: &str) -> Op<'a> {
        Op { name, object: format!("s3://{}/{full_key}", self.config.bucket) }
    }

    pub(crate) fn failure<E>(&self, op: &Op<'_>, err: aws_sdk_s3::error::SdkError<E, error::Response>) -> Failure
    where
        E: aws_sdk_s3::error::ProvideErrorMetadata + std::error::Error + 'static,
    {
        error::failure(&self.config, op, self.options.max_attempts, err)
    }
}
