//! `upload_object` (a local file streamed to an object, resumable over 6 MB, refused before a byte is sent
//! when the bucket's limits forbid it) and `download_object` (streamed to a local file with its SHA-256, or a small text object
//! returned inline, fenced as untrusted data).

use super::reply_of;
use crate::failure::Failure;
use crate::server::SupamcpServer;
use crate::server::output::{IntoToolResult, fenced_structured, schema_of};
use crate::supabase::storage::{Download, DownloadTarget, Upload, UploadOptions};
use rmcp::handler::server::wrapper::Parameters;
use rmcp::model::CallToolResult;
use rmcp::{ErrorData as McpError, schemars, tool, tool_router};
use serde::Deserialize;
use std::collections::BTreeMap;

/// Largest object returned inline (text only).
const INLINE_MAX: usize = 64 * 1024;

#[derive(Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct UploadParams {
    /// Instance to use; the default instance when omitted.
    #[serde(default)]
    pub instance: Option<String>,
    /// Bucket id.
    pub bucket: String,
    /// Object path inside the bucket, e.g. "user-1/avatar.png".
    pub path: String,
    /// Local file to upload (inside the working directory unless allow_absolute_paths).
    pub file: String,
    /// Content type; guessed from the file extension when omitted.
    #[serde(default)]
    pub content_type: Option<String>,
    /// Cache-Control max-age in seconds (default 3600).
    #[serde(default)]
    pub cache_control: Option<u64>,
    /// Replace an existing object (default false: an existing path is refused).
    #[serde(default)]
    pub upsert: bool,
    /// User metadata stored with the object.
    #[serde(default)]
    pub metadata: Option<BTreeMap<String, String>>,
}

#[derive(Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct DownloadParams {
    /// Instance to use; the default instance when omitted.
    #[serde(default)]
    pub instance: Option<String>,
    /// Bucket id.
    pub bucket: String,
    /// Object path inside the bucket.
    pub path: String,
    /// Local file to write (inside the working directory unless allow_absolute_paths); omitted: a text object
    /// up to 64 KiB is returned inline.
    #[serde(default)]
    pub to: Option<String>,
    /// Replace an existing `to` file (it is kept as <file>.bak.<timestamp>).
    #[serde(default)]
    pub confirm: bool,
}

#[tool_router(router = storage_transfer_router, vis = "pub(crate)")]
impl SupamcpServer {
    /// Upload a local file to a bucket, streamed; files over 6 MB go in resumable parts, and calling again after
    /// an interruption resumes. The content type is guessed from the extension unless given; files over the global or
    /// the bucket's size limit, or of a type the bucket refuses, are rejected before sending.
    #[tool(
        annotations(title = "Upload storage object", read_only_hint = false, destructive_hint = false, idempotent_hint = false, open_world_hint = false),
        output_schema = schema_of::<Upload>()
    )]
    async fn upload_object(&self, Parameters(params): Parameters<UploadParams>) -> Result<CallToolResult, McpError> {
        let outcome = async {
            let allow = self.state.settings.allow_absolute_paths;
            let source = crate::fsutil::output_dir(&params.file, "file", allow).map_err(reading_refused)?;
            let storage = self.storage(params.instance.as_deref())?;
            let global_limit = self.global_file_size_limit(params.instance.as_deref()).await;
            let options = UploadOptions {
                content_type: params.content_type.clone(),
                cache_control: params.cache_control,
                upsert: params.upsert,
                metadata: params
                    .metadata
                    .as_ref()
                    .map(|m| m.iter().map(|(k, v)| (k.clone(), serde_json::Value::String(v.clone()))).collect()),
                journal_dir: Some(self.state.settings.data_dir.join("storage-uploads")),
                global_limit,
            };
            storage.upload_file(&params.bucket, &params.path, &source, &options).await
        };
        reply_of(outcome.await)
    }

    /// Download an object to a local file, streamed, written whole or not at all, with its SHA-256. Without
    /// `to`, a text object up to 64 KiB is returned inline.
    #[tool(
        annotations(title = "Download storage object", read_only_hint = false, destructive_hint = false, idempotent_hint = true, open_world_hint = false),
        output_schema = schema_of::<Download>()
    )]
    async fn download_object(
        &self,
        Parameters(params): Parameters<DownloadParams>,
    ) -> Result<CallToolResult, McpError> {
        let outcome = async {
            let allow = self.state.settings.allow_absolute_paths;
            let target = match params.to.as_deref() {
                Some(raw) => DownloadTarget::File {
                    path: crate::fsutil::output_file(raw, "to", params.confirm, allow)?,
                    replace: params.confirm,
                },
                None => DownloadTarget::Inline { max: INLINE_MAX },
            };
            let storage = self.storage(params.instance.as_deref())?;
            storage.download(&params.bucket, &params.path, &target).await
        };
        match outcome.await {
            Ok(download) if download.text.is_some() => match serde_json::to_value(&download) {
                Ok(value) => Ok(fenced_structured("object text", value)),
                Err(e) => Ok(Failure::new("cannot encode the result", e.to_string(), "report this bug").into_result()),
            },
            other => reply_of(other),
        }
    }
}

/// The confinement failure of `output_dir`, reworded for a file that is read.
fn reading_refused(failure: Failure) -> Failure {
    Failure::new(failure.what.replace("refusing to write", "refusing to read"), failure.why, failure.fix)
}
