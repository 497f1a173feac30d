//! The checks an upload passes before a byte is sent: the local file is a readable regular file, its content
//! type (given, or guessed from the extension), and the limits that would refuse it: the global file size limit
//! when the caller knows it, then the bucket's file_size_limit and allowed_mime_types. A refused file costs no
//! byte on the wire.

use super::Storage;
use super::limits::{guess_content_type, human, mime_allowed};
use super::transfer::{UploadOptions, unreadable};
use crate::failure::Failure;
use std::path::Path;

impl Storage {
    /// The file's size and content type, after the bucket's limits allowed them: a refused file costs no byte
    /// on the wire.
    pub(super) async fn preflight(
        &self,
        bucket: &str,
        key: &str,
        source: &Path,
        options: &UploadOptions,
    ) -> Result<(u64, String), Failure> {
        let what = format!("upload to '{bucket}/{key}'");
        let metadata = tokio::fs::metadata(source).await.map_err(|e| unreadable(&what, source, e))?;
        if !metadata.is_file() {
            return Err(unreadable(&what, source, std::io::Error::other("not a regular file")));
        }
        let size = metadata.len();
        let content_type = options.content_type.clone().unwrap_or_else(|| {
            let name = source.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_else(|| key.to_owned());
            guess_content_type(&name).to_owned()
        });
        if let Some((limit, source)) = options.global_limit.as_ref().filter(|(limit, _)| size > *limit) {
            return Err(Failure::new(
                format!("{what} refused before sending"),
                format!(
                    "the file is {size} bytes ({}), over the global file size limit of {limit} bytes ({}, {source})",
                    human(size),
                    human(*limit)
                ),
                "raise the global limit with update_storage_config (then the bucket's, if it has one), or upload a \
                 smaller file",
            ));
        }
        let target = self.get_bucket(bucket).await?;
        if let Some(limit) = target.file_size_limit.filter(|limit| size > *limit) {
            return Err(Failure::new(
                format!("{what} refused before sending"),
                format!(
                    "the file is {size} bytes ({}), over the bucket's file_size_limit of {limit} bytes ({})",
                    human(size),
                    human(limit)
                ),
                "raise the bucket's limit with update_bucket (the global limit still applies), or upload a smaller file",
            ));
        }
        if !mime_allowed(target.allowed_mime_types.as_deref(), &content_type) {
            return Err(Failure::new(
                format!("{what} refused before sending"),
                format!(
                    "content type {content_type} is not in the bucket's allowed_mime_types {:?}",
                    target.allowed_mime_types.unwrap_or_default()
                ),
                "pass the right content_type, or widen allowed_mime_types with update_bucket",
            ));
        }
        Ok((size, content_type))
    }
}
