//! `get_storage_config` and `update_storage_config`, with the official server's names and parameters: the
//! storage settings of a Supabase Cloud project through the Management API (global file size limit, image
//! transformation, S3 protocol). The work is in `supabase::storage::config`.

use super::{reply_of, require_confirm};
use crate::failure::Failure;
use crate::groups::project_config::ProjectConfigParams;
use crate::server::SupamcpServer;
use crate::server::output::schema_of;
use crate::supabase::management::ManagementApi;
use crate::supabase::storage::config::StorageConfig;
use rmcp::handler::server::wrapper::Parameters;
use rmcp::model::CallToolResult;
use rmcp::{ErrorData as McpError, schemars, tool, tool_router};
use serde::Deserialize;

#[derive(Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct UpdateConfigParams {
    /// Project ref; default the ref in the instance's https://<ref>.supabase.co URL.
    #[serde(default)]
    pub project_id: Option<String>,
    /// Instance whose URL names the project; the default instance when omitted.
    #[serde(default)]
    pub instance: Option<String>,
    /// The settings to change: fileSizeLimit (bytes), features.imageTransformation/s3Protocol.enabled.
    pub config: StorageConfig,
    /// Must be true: the limit applies to every bucket of the project.
    #[serde(default)]
    pub confirm: bool,
}

impl SupamcpServer {
    fn cloud_project(&self, given: Option<&str>, instance: Option<&str>) -> Result<(ManagementApi, String), Failure> {
        let self_hosted = "a self-hosted stack sets FILE_SIZE_LIMIT in its docker-compose.yml";
        ManagementApi::for_project(&self.state.settings, given, instance, self_hosted)
    }
}

#[tool_router(router = storage_config_router, vis = "pub(crate)")]
impl SupamcpServer {
    /// Read a Supabase Cloud project's storage config: the global file size limit and the image transformation
    /// and S3 protocol switches.
    #[tool(
        annotations(title = "Get storage config", read_only_hint = true, destructive_hint = false, idempotent_hint = true, open_world_hint = false),
        output_schema = schema_of::<StorageConfig>()
    )]
    async fn get_storage_config(
        &self,
        Parameters(params): Parameters<ProjectConfigParams>,
    ) -> Result<CallToolResult, McpError> {
        let outcome = async {
            let (api, reference) = self.cloud_project(params.project_id.as_deref(), params.instance.as_deref())?;
            api.storage_config(&reference).await
        };
        reply_of(outcome.await)
    }

    /// Change a Supabase Cloud project's storage config (global file size limit, image transformation, S3
    /// protocol). Needs confirm: true.
    #[tool(
        annotations(title = "Update storage config", read_only_hint = false, destructive_hint = true, idempotent_hint = true, open_world_hint = false),
        output_schema = schema_of::<StorageConfig>()
    )]
    async fn update_storage_config(
        &self,
        Parameters(params): Parameters<UpdateConfigParams>,
    ) -> Result<CallToolResult, McpError> {
        let outcome = async {
            require_confirm(params.confirm, "changing the project's storage config")?;
            let (api, reference) = self.cloud_project(params.project_id.as_deref(), params.instance.as_deref())?;
            api.update_storage_config(&reference, &params.config).await?;
            api.storage_config(&reference).await
        };
        reply_of(outcome.await)
    }
}
