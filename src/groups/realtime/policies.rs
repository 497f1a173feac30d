//! `list_realtime_policies` (RLS on realtime.messages: who may receive and send on private channels) and
//! `create_realtime_policy` (a template written as a migration with its down file, applied and recorded).

use super::{GeneratedReply, generated_reply};
use crate::failure::Failure;
use crate::pg::catalog::policies::{TablePolicy, rls_enabled, table_policies};
use crate::server::SupamcpServer;
use crate::server::output::{fenced_structured, reply_of, schema_of};
use crate::supabase::realtime::policies::{self, Membership, Template};
use rmcp::handler::server::wrapper::Parameters;
use rmcp::model::CallToolResult;
use rmcp::{ErrorData as McpError, schemars, tool, tool_router};
use serde::{Deserialize, Serialize};

#[derive(Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ListPoliciesParams {
    /// Instance to use; the default instance when omitted.
    #[serde(default)]
    pub instance: Option<String>,
}

#[derive(Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct CreatePolicyParams {
    /// Instance to use; the default instance when omitted.
    #[serde(default)]
    pub instance: Option<String>,
    /// topic_members_read (needs membership_table), own_topic_send (topic = topic_prefix + user id) or presence.
    pub template: Template,
    /// Policy name prefix.
    #[serde(default = "default_name")]
    pub name: String,
    /// Table listing topic members, as name or schema.name.
    #[serde(default)]
    pub membership_table: Option<String>,
    /// Its user id column.
    #[serde(default = "default_user_column")]
    pub member_user_column: String,
    /// Its topic column.
    #[serde(default = "default_topic_column")]
    pub member_topic_column: String,
    /// own_topic_send: the topic is this prefix followed by the user id.
    #[serde(default = "default_topic_prefix")]
    pub topic_prefix: String,
    /// Run the migration and roll it back; no file is kept.
    #[serde(default)]
    pub dry_run: bool,
    /// Migrations directory.
    #[serde(default = "super::default_directory")]
    pub directory: String,
}

fn default_name() -> String {
    "realtime".to_owned()
}

fn default_user_column() -> String {
    "user_id".to_owned()
}

fn default_topic_column() -> String {
    "topic".to_owned()
}

fn default_topic_prefix() -> String {
    "user:".to_owned()
}

#[derive(Serialize, schemars::JsonSchema)]
struct PoliciesReply {
    /// Row-level security on realtime.messages (private channels are checked against it).
    rls_enabled: bool,
    policies: Vec<TablePolicy>,
    /// Private channels someone may join: receive needs a SELECT policy, send and presence an INSERT policy.
    can_receive: bool,
    can_send: bool,
}

#[derive(Serialize, schemars::JsonSchema)]
struct PolicyPlan {
    policies: Vec<String>,
    up: String,
    down: String,
}

#[tool_router(router = realtime_policies_router, vis = "pub(crate)")]
impl SupamcpServer {
    /// List the RLS policies on realtime.messages that authorize private channels (SELECT: receive broadcast and
    /// presence; INSERT: send and track).
    #[tool(
        annotations(title = "List realtime policies", read_only_hint = true, destructive_hint = false, idempotent_hint = true, open_world_hint = false),
        output_schema = schema_of::<PoliciesReply>()
    )]
    async fn list_realtime_policies(
        &self,
        Parameters(params): Parameters<ListPoliciesParams>,
    ) -> Result<CallToolResult, McpError> {
        Ok(self
            .with_client(params.instance.as_deref(), |client| async move {
                let rls = rls_enabled(&client, "realtime.messages").await?;
                let policies = table_policies(&client, "realtime", "messages", None).await?;
                let allows = |command: &str| policies.iter().any(|p| p.command == command || p.command == "ALL");
                let reply = PoliciesReply {
                    rls_enabled: rls,
                    can_receive: allows("SELECT"),
                    can_send: allows("INSERT"),
                    policies,
                };
                let value = serde_json::to_value(&reply)
                    .map_err(|e| Failure::new("cannot encode the result", e.to_string(), "report this bug"))?;
                Ok(fenced_structured("realtime policy list", value))
            })
            .await)
    }

    /// Create channel authorization policies on realtime.messages from a template, as a migration with a down
    /// file, applied and recorded; dry_run rolls it back.
    #[tool(
        annotations(title = "Create realtime policy", read_only_hint = false, destructive_hint = false, idempotent_hint = false, open_world_hint = false),
        output_schema = schema_of::<GeneratedReply<PolicyPlan>>()
    )]
    async fn create_realtime_policy(
        &self,
        Parameters(params): Parameters<CreatePolicyParams>,
    ) -> Result<CallToolResult, McpError> {
        let outcome = async {
            let membership = params.membership_table.as_ref().map(|table| Membership {
                table: table.clone(),
                user_column: params.member_user_column.clone(),
                topic_column: params.member_topic_column.clone(),
            });
            let migration =
                policies::migration(params.template, &params.name, membership.as_ref(), &params.topic_prefix)?;
            let database = self.state.databases.get(params.instance.as_deref())?;
            let plan = PolicyPlan { policies: migration.names, up: migration.up.clone(), down: migration.down.clone() };
            let name = format!("realtime_policy_{}", params.name);
            generated_reply(
                self,
                &database,
                &params.directory,
                &name,
                &migration.up,
                &migration.down,
                params.dry_run,
                plan,
            )
            .await
            .map_err(|mut failure| {
                if failure.why.contains("must be owner") {
                    failure.fix = format!(
                        "realtime.messages belongs to supabase_realtime_admin: connect the instance as a role that \
                             may create policies on it (supabase_admin on a self-hosted stack); {}",
                        failure.fix
                    );
                }
                failure
            })
        };
        reply_of(outcome.await)
    }
}
