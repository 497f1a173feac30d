//! `list_objects`, `get_object_info`, `move_object`, `copy_object`, `delete_objects`, `create_signed_url` and
//! `create_signed_upload_url`.

use super::{reply_of, require_confirm};
use crate::failure::Failure;
use crate::server::SupamcpServer;
use crate::server::output::schema_of;
use crate::supabase::storage::cursor;
use crate::supabase::storage::{DeleteReport, ListObjects, ObjectInfo, ObjectPage, SignedUpload, SignedUrl};
use rmcp::handler::server::wrapper::Parameters;
use rmcp::model::CallToolResult;
use rmcp::{ErrorData as McpError, schemars, tool, tool_router};
use serde::{Deserialize, Serialize};

/// Longest signed-URL lifetime accepted: one year.
const MAX_EXPIRY: u64 = 365 * 24 * 3600;

#[derive(Clone, Copy, Debug, Default, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum SortColumn {
    #[default]
    Name,
    UpdatedAt,
    CreatedAt,
    LastAccessedAt,
}

#[derive(Clone, Copy, Debug, Default, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum SortOrder {
    #[default]
    Asc,
    Desc,
}

#[derive(Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ListObjectsParams {
    /// Instance to use; the default instance when omitted.
    #[serde(default)]
    pub instance: Option<String>,
    /// Bucket id.
    pub bucket: String,
    /// Folder to list, e.g. "photos/2024" (default the bucket's root).
    #[serde(default)]
    pub prefix: Option<String>,
    /// Only names containing this text.
    #[serde(default)]
    pub search: Option<String>,
    /// Sort by name (default), updated_at, created_at or last_accessed_at.
    #[serde(default)]
    pub sort: Option<SortColumn>,
    /// asc (default) or desc.
    #[serde(default)]
    pub order: Option<SortOrder>,
    /// Entries per page (default 100, at most 1000).
    #[serde(default = "default_limit")]
    pub limit: u32,
    /// Entries to skip (or pass cursor).
    #[serde(default)]
    pub offset: Option<u32>,
    /// The previous reply's next_cursor: continues that listing.
    #[serde(default)]
    pub cursor: Option<String>,
}

fn default_limit() -> u32 {
    100
}

#[derive(Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ObjectParams {
    /// Instance to use; the default instance when omitted.
    #[serde(default)]
    pub instance: Option<String>,
    /// Bucket id.
    pub bucket: String,
    /// Object path inside the bucket.
    pub path: String,
}

#[derive(Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct TransferParams {
    /// Instance to use; the default instance when omitted.
    #[serde(default)]
    pub instance: Option<String>,
    /// Bucket of the source object.
    pub bucket: String,
    /// Source path inside the bucket.
    pub from: String,
    /// Destination path.
    pub to: String,
    /// Destination bucket (default the same bucket).
    #[serde(default)]
    pub to_bucket: Option<String>,
}

#[derive(Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct DeleteObjectsParams {
    /// Instance to use; the default instance when omitted.
    #[serde(default)]
    pub instance: Option<String>,
    /// Bucket id.
    pub bucket: String,
    /// Object paths to delete (exact paths, at most 1000).
    pub paths: Vec<String>,
    /// Must be true: deleted objects cannot be recovered.
    #[serde(default)]
    pub confirm: bool,
}

#[derive(Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct SignedUrlParams {
    /// Instance to use; the default instance when omitted.
    #[serde(default)]
    pub instance: Option<String>,
    /// Bucket id.
    pub bucket: String,
    /// Object paths to sign (one or many, at most 1000).
    pub paths: Vec<String>,
    /// Seconds the URLs stay valid (default 3600).
    #[serde(default = "default_expiry")]
    pub expires_in: u64,
}

fn default_expiry() -> u64 {
    3600
}

#[derive(Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct SignedUploadParams {
    /// Instance to use; the default instance when omitted.
    #[serde(default)]
    pub instance: Option<String>,
    /// Bucket id.
    pub bucket: String,
    /// Object path the app will upload to.
    pub path: String,
    /// Let the upload replace an existing object (default false).
    #[serde(default)]
    pub upsert: bool,
}

#[derive(Serialize, schemars::JsonSchema)]
struct ListObjectsReply {
    bucket: String,
    prefix: String,
    #[serde(flatten)]
    page: ObjectPage,
    /// Pass as cursor for the next page; null when this was the last.
    next_cursor: Option<String>,
}

#[derive(Serialize, schemars::JsonSchema)]
struct TransferReply {
    /// `bucket/path` of the object now.
    key: String,
}

#[derive(Serialize, schemars::JsonSchema)]
struct SignedUrlsReply {
    /// Seconds the URLs stay valid.
    expires_in: u64,
    urls: Vec<SignedUrl>,
}

fn check_count(paths: &[String]) -> Result<(), Failure> {
    if paths.is_empty() || paths.len() > 1000 {
        return Err(Failure::new(
            format!("{} paths given", paths.len()),
            "one call takes 1 to 1000 paths",
            "pass between 1 and 1000 object paths",
        ));
    }
    Ok(())
}

#[tool_router(router = storage_objects_router, vis = "pub(crate)")]
impl SupamcpServer {
    /// List the objects and folders directly inside a bucket folder, paged (compact rows: name, size, mimetype,
    /// updated_at, owner). Pass the reply's next_cursor as cursor for the next page.
    #[tool(
        annotations(title = "List storage objects", read_only_hint = true, destructive_hint = false, idempotent_hint = true, open_world_hint = false),
        output_schema = schema_of::<ListObjectsReply>()
    )]
    async fn list_objects(
        &self,
        Parameters(params): Parameters<ListObjectsParams>,
    ) -> Result<CallToolResult, McpError> {
        let outcome = async {
            let storage = self.storage(params.instance.as_deref())?;
            let sort_column = match params.sort.unwrap_or_default() {
                SortColumn::Name => "name",
                SortColumn::UpdatedAt => "updated_at",
                SortColumn::CreatedAt => "created_at",
                SortColumn::LastAccessedAt => "last_accessed_at",
            };
            let order = params.order.unwrap_or_default();
            let given = ListObjects {
                prefix: params.prefix.clone().unwrap_or_default(),
                limit: params.limit,
                offset: params.offset.unwrap_or(0),
                search: params.search.clone(),
                sort_column: Some(sort_column.to_owned()),
                sort_order: Some(if matches!(order, SortOrder::Desc) { "desc" } else { "asc" }.to_owned()),
            };
            let options = match params.cursor.as_deref() {
                Some(token) => {
                    let explicit = cursor::Explicit {
                        prefix: params.prefix.is_some(),
                        search: params.search.is_some(),
                        sort: params.sort.is_some(),
                        order: params.order.is_some(),
                        offset: params.offset.is_some(),
                    };
                    cursor::resume(token, &params.bucket, &given, &explicit)?
                }
                None => given,
            };
            let page = storage.list_objects(&params.bucket, &options).await?;
            let next_cursor = page.next_offset.map(|next| cursor::encode(&params.bucket, &options, next));
            Ok(ListObjectsReply {
                bucket: params.bucket.clone(),
                prefix: options.prefix.trim_matches('/').to_owned(),
                page,
                next_cursor,
            })
        };
        reply_of(outcome.await)
    }

    /// Show one object's size, content type, ETag, dates and user metadata.
    #[tool(
        annotations(title = "Get storage object info", read_only_hint = true, destructive_hint = false, idempotent_hint = true, open_world_hint = false),
        output_schema = schema_of::<ObjectInfo>()
    )]
    async fn get_object_info(&self, Parameters(params): Parameters<ObjectParams>) -> Result<CallToolResult, McpError> {
        let outcome = async {
            let storage = self.storage(params.instance.as_deref())?;
            storage.object_info(&params.bucket, &params.path).await
        };
        reply_of(outcome.await)
    }

    /// Move or rename an object, within its bucket or to another bucket.
    #[tool(
        annotations(title = "Move storage object", read_only_hint = false, destructive_hint = false, idempotent_hint = false, open_world_hint = false),
        output_schema = schema_of::<TransferReply>()
    )]
    async fn move_object(&self, Parameters(params): Parameters<TransferParams>) -> Result<CallToolResult, McpError> {
        let outcome = async {
            let storage = self.storage(params.instance.as_deref())?;
            let target = params.to_bucket.as_deref();
            storage.move_object(&params.bucket, &params.from, &params.to, target).await?;
            let key = format!("{}/{}", target.unwrap_or(&params.bucket), params.to.trim_matches('/'));
            Ok(TransferReply { key })
        };
        reply_of(outcome.await)
    }

    /// Copy an object, within its bucket or to another bucket.
    #[tool(
        annotations(title = "Copy storage object", read_only_hint = false, destructive_hint = false, idempotent_hint = false, open_world_hint = false),
        output_schema = schema_of::<TransferReply>()
    )]
    async fn copy_object(&self, Parameters(params): Parameters<TransferParams>) -> Result<CallToolResult, McpError> {
        let outcome = async {
            let storage = self.storage(params.instance.as_deref())?;
            let key =
                storage.copy_object(&params.bucket, &params.from, &params.to, params.to_bucket.as_deref()).await?;
            Ok(TransferReply { key })
        };
        reply_of(outcome.await)
    }

    /// Delete objects by path; reports which were deleted and which did not exist. Needs confirm: true.
    #[tool(
        annotations(title = "Delete storage objects", read_only_hint = false, destructive_hint = true, idempotent_hint = true, open_world_hint = false),
        output_schema = schema_of::<DeleteReport>()
    )]
    async fn delete_objects(
        &self,
        Parameters(params): Parameters<DeleteObjectsParams>,
    ) -> Result<CallToolResult, McpError> {
        let outcome = async {
            check_count(&params.paths)?;
            require_confirm(
                params.confirm,
                &format!("deleting {} objects in '{}'", params.paths.len(), params.bucket),
            )?;
            let storage = self.storage(params.instance.as_deref())?;
            storage.delete_objects(&params.bucket, &params.paths).await
        };
        reply_of(outcome.await)
    }

    /// Create signed download URLs (absolute) for one or many objects of a private bucket, valid expires_in
    /// seconds; anyone holding a URL can download the object until then.
    #[tool(
        annotations(title = "Create signed URLs", read_only_hint = true, destructive_hint = false, idempotent_hint = false, open_world_hint = false),
        output_schema = schema_of::<SignedUrlsReply>()
    )]
    async fn create_signed_url(
        &self,
        Parameters(params): Parameters<SignedUrlParams>,
    ) -> Result<CallToolResult, McpError> {
        let outcome = async {
            check_count(&params.paths)?;
            if params.expires_in == 0 || params.expires_in > MAX_EXPIRY {
                return Err(Failure::new(
                    format!("expires_in {} is out of range", params.expires_in),
                    "signed URLs last 1 second to 1 year",
                    "pass expires_in in seconds, e.g. 3600",
                ));
            }
            let storage = self.storage(params.instance.as_deref())?;
            let urls = storage.sign_urls(&params.bucket, &params.paths, params.expires_in).await?;
            Ok(SignedUrlsReply { expires_in: params.expires_in, urls })
        };
        reply_of(outcome.await)
    }

    /// Create a signed upload URL and token so an app can upload one object without the service key (valid 2
    /// hours; storage-js uploadToSignedUrl).
    #[tool(
        annotations(title = "Create signed upload URL", read_only_hint = false, destructive_hint = false, idempotent_hint = false, open_world_hint = false),
        output_schema = schema_of::<SignedUpload>()
    )]
    async fn create_signed_upload_url(
        &self,
        Parameters(params): Parameters<SignedUploadParams>,
    ) -> Result<CallToolResult, McpError> {
        let outcome = async {
            let storage = self.storage(params.instance.as_deref())?;
            storage.sign_upload(&params.bucket, &params.path, params.upsert).await
        };
        reply_of(outcome.await)
    }
}
