//! S3-compatible object storage for backups (AWS S3, Cloudflare R2, Backblaze B2, MinIO): configuration
//! from the standard AWS variables, a store bound to a bucket and prefix, streamed multipart uploads with
//! bounded memory, streamed downloads, paginated listings, and errors that say what to fix.
//!
//! Built on `aws-sdk-s3` without `aws-config` (we read the variables ourselves) and with a rustls + ring
//! HTTPS client that also speaks plain `http://` to local stores. No rmcp here: this is a domain layer.

mod config;
mod error;
mod store;
mod writer;

pub use config::{DEFAULT_REGION, S3Config, S3Overrides, normalise_prefix};
pub use store::{MIN_PART_SIZE, ObjectEntry, S3Options, S3Store, https_client};
pub use writer::{MAX_PARTS, S3Writer, part_size_for};
