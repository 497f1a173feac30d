//! `list_storage_policies` (the RLS policies on storage.objects, read from pg_policies) and
//! `create_storage_policy` (a template written as a CLI-compatible migration with its down file, then applied
//! and recorded in the migration history, so it is versioned and reversible). Both need the instance's database.

use super::reply_of;
use crate::failure::Failure;
use crate::migrate::generated::{self, Generated};
use crate::migrate::runner::ApplyReport;
use crate::server::SupamcpServer;
use crate::server::output::{fenced_structured, schema_of};
use crate::supabase::storage::policies::{self, Custom, StoragePolicy, Template};
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
    /// Only policies whose expressions name this bucket; default all.
    #[serde(default)]
    pub bucket: Option<String>,
}

#[derive(Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct CreatePolicyParams {
    /// Instance to use; the default instance when omitted.
    #[serde(default)]
    pub instance: Option<String>,
    /// Bucket the policy applies to.
    pub bucket: String,
    /// public_read, authenticated_upload_own_folder (into the user-id folder), owner_update_delete or custom.
    pub template: Template,
    /// Policy name prefix (default the bucket id).
    #[serde(default)]
    pub name: Option<String>,
    /// custom: select, insert, update, delete or all.
    #[serde(default)]
    pub command: Option<String>,
    /// custom: roles (default public).
    #[serde(default)]
    pub roles: Vec<String>,
    /// custom: USING expression.
    #[serde(default)]
    pub using: Option<String>,
    /// custom: WITH CHECK expression.
    #[serde(default)]
    pub with_check: Option<String>,
    /// Migrations directory.
    #[serde(default = "default_directory")]
    pub directory: String,
}

fn default_directory() -> String {
    "supabase/migrations".to_owned()
}

#[derive(Serialize, schemars::JsonSchema)]
struct PoliciesReply {
    /// Whether row-level security is enabled on storage.objects.
    rls_enabled: bool,
    policies: Vec<StoragePolicy>,
}

#[derive(Serialize, schemars::JsonSchema)]
struct CreatePolicyReply {
    policies: Vec<String>,
    /// The migration file written (and its .down.sql).
    migration: String,
    sql: String,
    applied: ApplyReport,
}

#[tool_router(router = storage_policies_router, vis = "pub(crate)")]
impl SupamcpServer {
    /// List the row-level security policies on storage.objects, optionally only those for one bucket.
    #[tool(
        annotations(title = "List storage policies", read_only_hint = true, destructive_hint = false, idempotent_hint = true, open_world_hint = false),
        output_schema = schema_of::<PoliciesReply>()
    )]
    async fn list_storage_policies(
        &self,
        Parameters(params): Parameters<ListPoliciesParams>,
    ) -> Result<CallToolResult, McpError> {
        Ok(self
            .with_client(params.instance.as_deref(), |client| async move {
                let rls = crate::pg::catalog::policies::rls_enabled(&client, "storage.objects").await?;
                let policies = policies::list(&client, params.bucket.as_deref()).await?;
                let reply = PoliciesReply { rls_enabled: rls, policies };
                let value = serde_json::to_value(&reply)
                    .map_err(|e| Failure::new("cannot encode the result", e.to_string(), "report this bug"))?;
                Ok(fenced_structured("policy list", value))
            })
            .await)
    }

    /// Create storage.objects policies for a bucket from a template, written as a migration (with a down file)
    /// and applied.
    #[tool(
        annotations(title = "Create storage policy", read_only_hint = false, destructive_hint = false, idempotent_hint = false, open_world_hint = false),
        output_schema = schema_of::<CreatePolicyReply>()
    )]
    async fn create_storage_policy(
        &self,
        Parameters(params): Parameters<CreatePolicyParams>,
    ) -> Result<CallToolResult, McpError> {
        let outcome = async {
            let custom = Custom {
                command: params.command.clone().unwrap_or_default(),
                roles: params.roles.clone(),
                using: params.using.clone(),
                with_check: params.with_check.clone(),
            };
            let bucket = crate::supabase::storage::check_bucket_id(&params.bucket)?;
            let migration = policies::migration(bucket, params.template, params.name.as_deref(), &custom)?;
            let allow = self.state.settings.allow_absolute_paths;
            let directory = crate::fsutil::output_dir(&params.directory, "directory", allow)?;
            let database = self.state.databases.get(params.instance.as_deref())?;
            let generated =
                Generated { name: &format!("storage_policy_{bucket}"), up: &migration.up, down: &migration.down };
            match generated::write_and_apply(&database, &directory, generated, false).await {
                Ok(applied) => Ok(CreatePolicyReply {
                    policies: migration.names,
                    migration: applied.file.clone().unwrap_or_default(),
                    sql: migration.up,
                    applied,
                }),
                Err(mut failure) => {
                    if failure.why.contains("must be owner") {
                        failure.fix =
                            "storage.objects belongs to supabase_storage_admin: connect the instance as a role \
                             that may create policies on it (supabase_admin on a self-hosted stack) (the migration \
                             file was removed again)"
                                .to_owned();
                    }
                    Err(failure)
                }
            }
        };
        reply_of(outcome.await)
    }
}
