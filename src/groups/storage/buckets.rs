//! `list_storage_buckets`, `get_bucket` (with object count and bytes from storage.objects when the instance
//! has a database), `create_bucket`, `update_bucket`, `empty_bucket` and `delete_bucket`.

use super::{reply_of, require_confirm};
use crate::failure::Failure;
use crate::server::SupamcpServer;
use crate::server::output::schema_of;
use crate::supabase::storage::limits::parse_size;
use crate::supabase::storage::{Bucket, BucketChange, BucketSpec, ListBuckets};
use rmcp::handler::server::wrapper::Parameters;
use rmcp::model::CallToolResult;
use rmcp::{ErrorData as McpError, schemars, tool, tool_router};
use serde::{Deserialize, Serialize};
use std::time::Duration;

/// A size as bytes or as text such as "50MB" (decimal units, as Storage reads them).
#[derive(Clone, Debug, Deserialize, schemars::JsonSchema)]
#[serde(untagged)]
pub enum SizeInput {
    Bytes(u64),
    Text(String),
}

impl SizeInput {
    fn bytes(&self) -> Result<u64, Failure> {
        match self {
            SizeInput::Bytes(bytes) => Ok(*bytes),
            SizeInput::Text(text) => parse_size(text),
        }
    }
}

#[derive(Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ListBucketsParams {
    /// Instance to use; the default instance when omitted.
    #[serde(default)]
    pub instance: Option<String>,
    /// Only buckets whose name contains this text.
    #[serde(default)]
    pub search: Option<String>,
    /// Most buckets to return (default all).
    #[serde(default)]
    pub limit: Option<u32>,
    /// Buckets to skip.
    #[serde(default)]
    pub offset: Option<u32>,
}

#[derive(Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct BucketParams {
    /// Instance to use; the default instance when omitted.
    #[serde(default)]
    pub instance: Option<String>,
    /// Bucket id.
    pub bucket: String,
}

#[derive(Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateBucketParams {
    /// Instance to use; the default instance when omitted.
    #[serde(default)]
    pub instance: Option<String>,
    /// Bucket id (also its name).
    pub bucket: String,
    /// Objects readable by anyone through /object/public URLs (default false).
    #[serde(default)]
    pub public: bool,
    /// Largest object, bytes or "50MB"; default the global limit.
    #[serde(default)]
    pub file_size_limit: Option<SizeInput>,
    /// Allowed content types, wildcards like "image/*"; default any.
    #[serde(default)]
    pub allowed_mime_types: Option<Vec<String>>,
}

#[derive(Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct UpdateBucketParams {
    /// Instance to use; the default instance when omitted.
    #[serde(default)]
    pub instance: Option<String>,
    /// Bucket id.
    pub bucket: String,
    /// Make the bucket public (true) or private (false).
    #[serde(default)]
    pub public: Option<bool>,
    /// New size limit, bytes or "50MB"; 0 removes the bucket's own limit.
    #[serde(default)]
    pub file_size_limit: Option<SizeInput>,
    /// New allowed content types; [] allows any.
    #[serde(default)]
    pub allowed_mime_types: Option<Vec<String>>,
}

#[derive(Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct DestroyBucketParams {
    /// Instance to use; the default instance when omitted.
    #[serde(default)]
    pub instance: Option<String>,
    /// Bucket id.
    pub bucket: String,
    /// Must be true: objects cannot be recovered.
    #[serde(default)]
    pub confirm: bool,
    /// empty_bucket: seconds to wait for the queued emptying (default 30, at most 300).
    #[serde(default = "default_wait")]
    pub wait_seconds: u64,
}

fn default_wait() -> u64 {
    30
}

#[derive(Serialize, schemars::JsonSchema)]
struct BucketsReply {
    buckets: Vec<Bucket>,
}

#[derive(Serialize, schemars::JsonSchema)]
struct BucketReply {
    bucket: Bucket,
    /// Objects and bytes from storage.objects; null without a database for the instance.
    usage: Option<Usage>,
    /// Why usage is missing.
    #[serde(skip_serializing_if = "Option::is_none")]
    usage_note: Option<String>,
}

#[derive(Serialize, schemars::JsonSchema)]
struct Usage {
    objects: i64,
    bytes: i64,
}

#[derive(Serialize, schemars::JsonSchema)]
struct DoneReply {
    bucket: String,
    /// The service's answer.
    message: String,
}

#[tool_router(router = storage_buckets_router, vis = "pub(crate)")]
impl SupamcpServer {
    /// List the storage buckets with their public flag, size limit and allowed content types.
    #[tool(
        annotations(title = "List storage buckets", read_only_hint = true, destructive_hint = false, idempotent_hint = true, open_world_hint = false),
        output_schema = schema_of::<BucketsReply>()
    )]
    async fn list_storage_buckets(
        &self,
        Parameters(params): Parameters<ListBucketsParams>,
    ) -> Result<CallToolResult, McpError> {
        let outcome = async {
            let storage = self.storage(params.instance.as_deref())?;
            let options = ListBuckets {
                limit: params.limit,
                offset: params.offset,
                search: params.search.clone(),
                ..Default::default()
            };
            Ok(BucketsReply { buckets: storage.list_buckets(&options).await? })
        };
        reply_of(outcome.await)
    }

    /// Show one bucket: its settings, and its object count and total bytes (read from storage.objects when the
    /// instance has a database).
    #[tool(
        annotations(title = "Get storage bucket", read_only_hint = true, destructive_hint = false, idempotent_hint = true, open_world_hint = false),
        output_schema = schema_of::<BucketReply>()
    )]
    async fn get_bucket(&self, Parameters(params): Parameters<BucketParams>) -> Result<CallToolResult, McpError> {
        let outcome = async {
            let storage = self.storage(params.instance.as_deref())?;
            let bucket = storage.get_bucket(&params.bucket).await?;
            let (usage, usage_note) = match self.bucket_usage(params.instance.as_deref(), &bucket.id).await {
                Ok(usage) => (Some(usage), None),
                Err(failure) => (None, Some(failure.text())),
            };
            Ok(BucketReply { bucket, usage, usage_note })
        };
        reply_of(outcome.await)
    }

    /// Create a storage bucket, public or private, with an optional size limit ("50MB") and allowed content
    /// types ("image/*").
    #[tool(
        annotations(title = "Create storage bucket", read_only_hint = false, destructive_hint = false, idempotent_hint = false, open_world_hint = false),
        output_schema = schema_of::<BucketReply>()
    )]
    async fn create_bucket(
        &self,
        Parameters(params): Parameters<CreateBucketParams>,
    ) -> Result<CallToolResult, McpError> {
        let outcome = async {
            let storage = self.storage(params.instance.as_deref())?;
            let spec = BucketSpec {
                id: params.bucket.clone(),
                public: params.public,
                file_size_limit: params.file_size_limit.as_ref().map(SizeInput::bytes).transpose()?,
                allowed_mime_types: params.allowed_mime_types.clone().filter(|types| !types.is_empty()),
            };
            let id = storage.create_bucket(&spec).await?;
            Ok(BucketReply { bucket: storage.get_bucket(&id).await?, usage: None, usage_note: None })
        };
        reply_of(outcome.await)
    }

    /// Change a bucket's public flag, size limit or allowed content types.
    #[tool(
        annotations(title = "Update storage bucket", read_only_hint = false, destructive_hint = false, idempotent_hint = true, open_world_hint = false),
        output_schema = schema_of::<BucketReply>()
    )]
    async fn update_bucket(
        &self,
        Parameters(params): Parameters<UpdateBucketParams>,
    ) -> Result<CallToolResult, McpError> {
        let outcome = async {
            let storage = self.storage(params.instance.as_deref())?;
            let limit = params.file_size_limit.as_ref().map(SizeInput::bytes).transpose()?;
            let change = BucketChange {
                public: params.public,
                file_size_limit: limit.map(|bytes| (bytes > 0).then_some(bytes)),
                allowed_mime_types: params.allowed_mime_types.clone().map(|types| (!types.is_empty()).then_some(types)),
            };
            storage.update_bucket(&params.bucket, &change).await?;
            Ok(BucketReply { bucket: storage.get_bucket(&params.bucket).await?, usage: None, usage_note: None })
        };
        reply_of(outcome.await)
    }

    /// Delete every object in a bucket (queued by the service; waits and reports whether it is empty). Needs
    /// confirm: true.
    #[tool(
        annotations(title = "Empty storage bucket", read_only_hint = false, destructive_hint = true, idempotent_hint = true, open_world_hint = false),
        output_schema = schema_of::<crate::supabase::storage::EmptyReport>()
    )]
    async fn empty_bucket(
        &self,
        Parameters(params): Parameters<DestroyBucketParams>,
    ) -> Result<CallToolResult, McpError> {
        let outcome = async {
            require_confirm(params.confirm, &format!("emptying bucket '{}'", params.bucket))?;
            let storage = self.storage(params.instance.as_deref())?;
            let wait = Duration::from_secs(params.wait_seconds.min(300));
            storage.empty_bucket(&params.bucket, wait).await
        };
        reply_of(outcome.await)
    }

    /// Delete an empty bucket (empty it first with empty_bucket). Needs confirm: true.
    #[tool(
        annotations(title = "Delete storage bucket", read_only_hint = false, destructive_hint = true, idempotent_hint = false, open_world_hint = false),
        output_schema = schema_of::<DoneReply>()
    )]
    async fn delete_bucket(
        &self,
        Parameters(params): Parameters<DestroyBucketParams>,
    ) -> Result<CallToolResult, McpError> {
        let outcome = async {
            require_confirm(params.confirm, &format!("deleting bucket '{}'", params.bucket))?;
            let storage = self.storage(params.instance.as_deref())?;
            let message = storage.delete_bucket(&params.bucket).await?;
            Ok(DoneReply { bucket: params.bucket.clone(), message })
        };
        reply_of(outcome.await)
    }
}

impl SupamcpServer {
    /// Objects and bytes of a bucket from storage.objects (read-only).
    async fn bucket_usage(&self, instance: Option<&str>, bucket: &str) -> Result<Usage, Failure> {
        let database = self.state.databases.get(instance)?;
        let client = database.client().await?;
        let row = client
            .query_one(
                "select count(*)::int8, coalesce(sum((metadata->>'size')::int8), 0)::int8 \
                 from storage.objects where bucket_id = $1",
                &[&bucket],
            )
            .await
            .map_err(crate::pg::catalog::query_failure)?;
        let objects = row.try_get(0).map_err(crate::pg::catalog::query_failure)?;
        let bytes = row.try_get(1).map_err(crate::pg::catalog::query_failure)?;
        Ok(Usage { objects, bytes })
    }
}
