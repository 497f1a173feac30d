//! MFA factors of a user: `list_user_factors` and `delete_user_factor` (confirmed; the factor's sessions drop
//! to aal1). GoTrue never returns a factor's secret.

use super::needs_confirm;
use crate::failure::Failure;
use crate::server::SupamcpServer;
use crate::server::output::{IntoToolResult, schema_of, structured};
use crate::supabase::auth::Factor;
use rmcp::handler::server::wrapper::Parameters;
use rmcp::model::CallToolResult;
use rmcp::{ErrorData as McpError, schemars, tool, tool_router};
use serde::{Deserialize, Serialize};

#[derive(Debug, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct FactorsParams {
    /// The user's id (UUID).
    pub user_id: String,
    /// Configured instance (default: the default one).
    pub instance: Option<String>,
}

#[derive(Debug, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct DeleteFactorParams {
    /// The user's id (UUID).
    pub user_id: String,
    /// The factor's id (from list_user_factors).
    pub factor_id: String,
    /// Must be true.
    #[serde(default)]
    pub confirm: bool,
    /// Configured instance (default: the default one).
    pub instance: Option<String>,
}

#[derive(Debug, Serialize, schemars::JsonSchema)]
struct FactorsReply {
    user_id: String,
    factors: Vec<Factor>,
}

#[derive(Debug, Serialize, schemars::JsonSchema)]
struct DeletedFactor {
    user_id: String,
    deleted: Factor,
    note: String,
}

#[tool_router(router = auth_factors_router, vis = "pub(crate)")]
impl SupamcpServer {
    /// List a Supabase Auth user's MFA factors (TOTP, phone, WebAuthn) with their status; secrets are never shown.
    #[tool(
        annotations(title = "List user MFA factors", read_only_hint = true, destructive_hint = false, idempotent_hint = true, open_world_hint = true),
        output_schema = schema_of::<FactorsReply>()
    )]
    async fn list_user_factors(
        &self,
        Parameters(params): Parameters<FactorsParams>,
    ) -> Result<CallToolResult, McpError> {
        let outcome = async {
            let factors = self.auth_admin(params.instance.as_deref())?.list_factors(&params.user_id).await?;
            Ok::<_, Failure>(FactorsReply { user_id: params.user_id, factors })
        }
        .await;
        Ok(outcome.map_or_else(IntoToolResult::into_result, |reply| structured(&reply)))
    }

    /// Delete one MFA factor of a Supabase Auth user (e.g. a lost authenticator); the user's sessions that used it
    /// drop to aal1. Needs confirm: true.
    #[tool(
        annotations(title = "Delete user MFA factor", read_only_hint = false, destructive_hint = true, idempotent_hint = false, open_world_hint = true),
        output_schema = schema_of::<DeletedFactor>()
    )]
    async fn delete_user_factor(
        &self,
        Parameters(params): Parameters<DeleteFactorParams>,
    ) -> Result<CallToolResult, McpError> {
        let outcome = async {
            if !params.confirm {
                return Err(needs_confirm("deleting the MFA factor", "the user must enroll it again"));
            }
            let admin = self.auth_admin(params.instance.as_deref())?;
            let deleted = admin.delete_factor(&params.user_id, &params.factor_id).await?;
            Ok(DeletedFactor {
                user_id: params.user_id,
                deleted,
                note: "sessions verified with this factor are now aal1".to_owned(),
            })
        }
        .await;
        Ok(outcome.map_or_else(IntoToolResult::into_result, |reply| structured(&reply)))
    }
}
