//! list_function_secrets, set_function_secrets and delete_function_secrets: names and SHA-256 digests only,
//! never values; on cloud through the Management API, self-hosted in the functions directory's `.env` (a
//! copy of the old file first) with the restart the functions service needs to see them.

use super::TargetParams;
use crate::secret::Secret;
use crate::server::SupamcpServer;
use crate::server::output::{reply_of, require_confirm, schema_of};
use crate::supabase::functions::secrets::SecretDigest;
use crate::supabase::functions::target::SecretsChange;
use rmcp::handler::server::wrapper::Parameters;
use rmcp::model::CallToolResult;
use rmcp::{ErrorData as McpError, schemars, tool, tool_router};
use serde::{Deserialize, Serialize};

#[derive(Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct NewSecret {
    /// e.g. STRIPE_API_KEY (not SUPABASE_*).
    pub name: String,
    /// The value; never shown back.
    #[schemars(with = "String")]
    pub value: Secret,
}

#[derive(Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct SetParams {
    /// Cloud project ref or instance name.
    #[serde(default)]
    pub project_id: Option<String>,
    /// Configured instance (its functions target); default instance if omitted.
    #[serde(default)]
    pub instance: Option<String>,
    /// Secrets to create or replace.
    pub secrets: Vec<NewSecret>,
}

#[derive(Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct DeleteParams {
    /// Cloud project ref or instance name.
    #[serde(default)]
    pub project_id: Option<String>,
    /// Configured instance (its functions target); default instance if omitted.
    #[serde(default)]
    pub instance: Option<String>,
    /// Names to delete.
    pub names: Vec<String>,
    /// Must be true: functions reading them fail afterwards.
    #[serde(default)]
    pub confirm: bool,
}

#[derive(Serialize, schemars::JsonSchema)]
pub struct SecretList {
    pub target: String,
    pub secrets: Vec<SecretDigest>,
}

#[tool_router(router = functions_secrets_router, vis = "pub(crate)")]
impl SupamcpServer {
    /// List edge function secrets: names and SHA-256 digests of the values, never the values.
    #[tool(
        annotations(title = "List function secrets", read_only_hint = true, destructive_hint = false, idempotent_hint = true, open_world_hint = false),
        output_schema = schema_of::<SecretList>()
    )]
    async fn list_function_secrets(
        &self,
        Parameters(params): Parameters<TargetParams>,
    ) -> Result<CallToolResult, McpError> {
        let outcome = async {
            let target = self.functions_target(params.project_id.as_deref(), params.instance.as_deref())?;
            Ok(SecretList { secrets: target.list_secrets().await?, target: target.describe() })
        };
        reply_of(outcome.await)
    }

    /// Create or replace edge function secrets (read with Deno.env.get). Self-hosted: says when the
    /// functions service must restart.
    #[tool(
        annotations(title = "Set function secrets", read_only_hint = false, destructive_hint = false, idempotent_hint = true, open_world_hint = false),
        output_schema = schema_of::<SecretsChange>()
    )]
    async fn set_function_secrets(
        &self,
        Parameters(params): Parameters<SetParams>,
    ) -> Result<CallToolResult, McpError> {
        let outcome = async {
            let target = self.functions_target(params.project_id.as_deref(), params.instance.as_deref())?;
            let pairs: Vec<(String, Secret)> = params.secrets.into_iter().map(|s| (s.name, s.value)).collect();
            target.change_secrets(&pairs, &[]).await
        };
        reply_of(outcome.await)
    }

    /// Delete edge function secrets by name. Needs confirm: true.
    #[tool(
        annotations(title = "Delete function secrets", read_only_hint = false, destructive_hint = true, idempotent_hint = true, open_world_hint = false),
        output_schema = schema_of::<SecretsChange>()
    )]
    async fn delete_function_secrets(
        &self,
        Parameters(params): Parameters<DeleteParams>,
    ) -> Result<CallToolResult, McpError> {
        let outcome = async {
            require_confirm(params.confirm, &format!("deleting function secrets {}", params.names.join(", ")))?;
            let target = self.functions_target(params.project_id.as_deref(), params.instance.as_deref())?;
            target.change_secrets(&[], &params.names).await
        };
        reply_of(outcome.await)
    }
}
