//! `get_realtime_config` and `update_realtime_config`: a Supabase Cloud project's Realtime settings through the
//! Management API (private_only, limits, presence, suspend); a change keeps the previous values owner-only in
//! the data directory. The work is in `supabase::management::realtime_config`.

use crate::failure::Failure;
use crate::groups::project_config::ProjectConfigParams;
use crate::server::SupamcpServer;
use crate::server::output::{IntoToolResult, fenced_structured, reply_of, require_confirm, schema_of};
use crate::supabase::management::realtime_config::{ConfigChange, RealtimeConfigPatch, plan};
use crate::supabase::management::{ManagementApi, keep_previous};
use crate::supabase::realtime::tenants::tenants;
use rmcp::handler::server::wrapper::Parameters;
use rmcp::model::CallToolResult;
use rmcp::{ErrorData as McpError, schemars, tool, tool_router};
use serde::{Deserialize, Serialize};
use serde_json::Value;

/// Where a self-hosted stack keeps these settings instead.
const SELF_HOSTED: &str = "a self-hosted stack has no such API: its Realtime limits are the tenant row Realtime \
                           seeds (_realtime.tenants; get_realtime_config reads it), which supamcp does not change";

#[derive(Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct UpdateConfigParams {
    /// Project ref; default the ref in the instance's https://<ref>.supabase.co URL.
    #[serde(default)]
    pub project_id: Option<String>,
    /// Instance whose URL names the project; the default instance when omitted.
    #[serde(default)]
    pub instance: Option<String>,
    /// The settings to change, e.g. {"private_only": true, "max_concurrent_users": 500}.
    pub config: RealtimeConfigPatch,
    /// Must be true: clients over the new limits are refused.
    #[serde(default)]
    pub confirm: bool,
}

#[derive(Serialize, schemars::JsonSchema)]
struct ConfigReply {
    /// The cloud project read.
    project_id: Option<String>,
    /// Cloud: the settings as the API returns them.
    #[schemars(schema_with = "optional_object_schema")]
    config: Option<Value>,
    /// Self-hosted: Realtime's tenant rows (_realtime.tenants) without their secrets.
    #[schemars(schema_with = "optional_array_schema")]
    tenants: Option<Vec<Value>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    note: Option<String>,
}

#[derive(Serialize, schemars::JsonSchema)]
struct UpdateReply {
    project_id: String,
    changes: Vec<ConfigChange>,
    /// The file holding the previous values (owner-only), to change them back.
    previous_saved_to: Option<String>,
    /// The settings after the change.
    #[schemars(schema_with = "object_schema")]
    config: Value,
}

fn object_schema(_: &mut schemars::SchemaGenerator) -> schemars::Schema {
    schemars::json_schema!({"type": "object"})
}

fn optional_object_schema(_: &mut schemars::SchemaGenerator) -> schemars::Schema {
    schemars::json_schema!({"type": ["object", "null"]})
}

fn optional_array_schema(_: &mut schemars::SchemaGenerator) -> schemars::Schema {
    schemars::json_schema!({"type": ["array", "null"], "items": {"type": "object"}})
}

impl SupamcpServer {
    fn realtime_project(
        &self,
        given: Option<&str>,
        instance: Option<&str>,
    ) -> Result<(ManagementApi, String), Failure> {
        ManagementApi::for_project(&self.state.settings, given, instance, SELF_HOSTED)
    }

    /// A self-hosted stack's tenant rows, when its database has them; `cloud` is why the cloud path did not apply.
    async fn self_hosted_realtime(&self, instance: Option<&str>, cloud: Failure) -> Result<CallToolResult, Failure> {
        let read = async {
            let database = self.state.databases.get(instance)?;
            let client = database.client().await?;
            tenants(&client).await
        };
        match read.await {
            Ok(Some(tenants)) => {
                let note = "self-hosted: Realtime's tenant rows, read only (Realtime caches them; the Management API \
                            settings exist on Supabase Cloud only)";
                let reply =
                    ConfigReply { project_id: None, config: None, tenants: Some(tenants), note: Some(note.into()) };
                let value = serde_json::to_value(&reply)
                    .map_err(|e| Failure::new("cannot encode the result", e.to_string(), "report this bug"))?;
                Ok(fenced_structured("realtime tenant list", value))
            }
            _ => Err(cloud),
        }
    }
}

#[tool_router(router = realtime_config_router, vis = "pub(crate)")]
impl SupamcpServer {
    /// Read Realtime's settings: a Supabase Cloud project's (private_only, connection pool, limits, presence,
    /// suspend), or on a self-hosted stack the tenant rows Realtime keeps in its database.
    #[tool(
        annotations(title = "Get realtime config", read_only_hint = true, destructive_hint = false, idempotent_hint = true, open_world_hint = true),
        output_schema = schema_of::<ConfigReply>()
    )]
    async fn get_realtime_config(
        &self,
        Parameters(params): Parameters<ProjectConfigParams>,
    ) -> Result<CallToolResult, McpError> {
        let instance = params.instance.as_deref();
        let (api, reference) = match self.realtime_project(params.project_id.as_deref(), instance) {
            Ok(found) => found,
            Err(cloud) if params.project_id.is_none() => {
                return Ok(self.self_hosted_realtime(instance, cloud).await.unwrap_or_else(|f| f.into_result()));
            }
            Err(cloud) => return Ok(cloud.into_result()),
        };
        let outcome = async {
            let config = api.realtime_config(&reference).await?;
            Ok(ConfigReply { project_id: Some(reference), config: Some(config), tenants: None, note: None })
        };
        reply_of(outcome.await)
    }

    /// Change a Supabase Cloud project's Realtime settings (private_only, limits, presence, suspend), keeping the
    /// previous values to change back. Needs confirm: true.
    #[tool(
        annotations(title = "Update realtime config", read_only_hint = false, destructive_hint = true, idempotent_hint = true, open_world_hint = true),
        output_schema = schema_of::<UpdateReply>()
    )]
    async fn update_realtime_config(
        &self,
        Parameters(params): Parameters<UpdateConfigParams>,
    ) -> Result<CallToolResult, McpError> {
        let outcome = async {
            require_confirm(params.confirm, "changing the project's realtime config")?;
            let (api, reference) = self.realtime_project(params.project_id.as_deref(), params.instance.as_deref())?;
            let current = api.realtime_config(&reference).await?;
            let change = plan(&current, &params.config)?;
            if change.body.is_empty() {
                return Ok(UpdateReply {
                    project_id: reference,
                    changes: Vec::new(),
                    previous_saved_to: None,
                    config: current,
                });
            }
            let saved = keep_previous(&self.state.settings.data_dir, "realtime", &reference, &change.previous)?;
            api.update_realtime_config(&reference, &change.body).await?;
            let config = api.realtime_config(&reference).await?;
            Ok(UpdateReply {
                project_id: reference,
                changes: change.changes,
                previous_saved_to: Some(saved.display().to_string()),
                config,
            })
        };
        reply_of(outcome.await)
    }
}
