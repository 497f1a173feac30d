//! list_branches, create_branch (with a confirm_cost_id for the branch cost, also in project-scoped mode),
//! delete_branch, merge_branch, reset_branch and rebase_branch (each needs confirm: true, follows its
//! workflow run and reports the run's log when it fails), and get_branch_diff, which the official server lacks.

use super::{CREATE_WAIT, RUN_WAIT};
use crate::failure::Failure;
use crate::server::SupamcpServer;
use crate::server::output::IntoToolResult;
use crate::server::output::{fenced_structured, reply_of, require_confirm, schema_of};
use crate::server::progress::Reporter;
use crate::supabase::management::branches::{BranchAction, BranchOutcome};
use crate::supabase::management::projects::{BRANCH_COST, check_confirmation};
use crate::supabase::management::types::Branch;
use rmcp::handler::server::wrapper::Parameters;
use rmcp::model::CallToolResult;
use rmcp::service::RequestContext;
use rmcp::{ErrorData as McpError, RoleServer, schemars, tool, tool_router};
use serde::{Deserialize, Serialize};
use serde_json::json;

/// Bytes of a branch diff carried in a reply.
const DIFF_BYTES: usize = 64 * 1024;

#[derive(Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ListBranchesParams {
    /// The project ref.
    pub project_id: String,
}

fn develop() -> String {
    "develop".to_owned()
}

#[derive(Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateBranchParams {
    /// The project ref.
    pub project_id: String,
    /// The branch name (default develop).
    #[serde(default = "develop")]
    pub name: String,
    /// The confirmation_id of confirm_cost for the branch cost.
    pub confirm_cost_id: String,
}

#[derive(Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct BranchParams {
    /// The branch id (list_branches gives it).
    pub branch_id: String,
    /// Must be true: this changes or removes the branch or its parent.
    #[serde(default)]
    pub confirm: bool,
}

#[derive(Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ResetBranchParams {
    /// The branch id (list_branches gives it).
    pub branch_id: String,
    /// Reset to this migration version; default: the branch's first migration.
    #[serde(default)]
    pub migration_version: Option<String>,
    /// Must be true: migrations after the version and their data are dropped.
    #[serde(default)]
    pub confirm: bool,
}

#[derive(Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct DiffParams {
    /// The branch id (list_branches gives it).
    pub branch_id: String,
    /// Schemas to compare; default public.
    #[serde(default)]
    pub schemas: Vec<String>,
}

#[derive(Serialize, schemars::JsonSchema)]
pub struct Branches {
    pub branches: Vec<Branch>,
}

#[derive(Serialize, schemars::JsonSchema)]
pub struct Deleted {
    pub branch_id: String,
    pub deleted: bool,
}

#[derive(Serialize, schemars::JsonSchema)]
pub struct BranchDiff {
    pub branch_id: String,
    /// The SQL that brings the parent's schema to the branch's.
    pub diff: String,
    /// Bytes of the full diff (the reply carries at most 64 KiB).
    pub bytes: usize,
}

impl SupamcpServer {
    async fn run_branch_action(
        &self,
        branch_id: &str,
        action: BranchAction,
        body: serde_json::Value,
        context: &RequestContext<RoleServer>,
    ) -> Result<CallToolResult, McpError> {
        let reporter = Reporter::new(context);
        let outcome = async {
            let progress = reporter.progress();
            self.management()?.branch_action(branch_id, action, body, RUN_WAIT, &progress).await
        };
        let outcome: Result<BranchOutcome, Failure> = outcome.await;
        reporter.finish().await;
        reply_of(outcome)
    }
}

#[tool_router(router = cloud_branches_router, vis = "pub(crate)")]
impl SupamcpServer {
    /// List a project's development branches with their status (none when branching is off).
    #[tool(
        annotations(title = "List branches", read_only_hint = true, destructive_hint = false, idempotent_hint = true, open_world_hint = false),
        output_schema = schema_of::<Branches>()
    )]
    async fn list_branches(
        &self,
        Parameters(params): Parameters<ListBranchesParams>,
    ) -> Result<CallToolResult, McpError> {
        let outcome = async { Ok(Branches { branches: self.management()?.list_branches(&params.project_id).await? }) };
        reply_of(outcome.await)
    }

    /// Create a development branch of a project (its schema, no data). Needs confirm_cost_id: get_cost type
    /// branch, tell the user, then confirm_cost.
    #[tool(
        annotations(title = "Create branch", read_only_hint = false, destructive_hint = false, idempotent_hint = false, open_world_hint = false),
        output_schema = schema_of::<Branch>()
    )]
    async fn create_branch(
        &self,
        Parameters(params): Parameters<CreateBranchParams>,
        context: RequestContext<RoleServer>,
    ) -> Result<CallToolResult, McpError> {
        let reporter = Reporter::new(&context);
        let outcome = async {
            check_confirmation(&BRANCH_COST, &params.confirm_cost_id)?;
            let progress = reporter.progress();
            self.management()?.create_branch(&params.project_id, &params.name, CREATE_WAIT, &progress).await
        };
        let outcome = outcome.await;
        reporter.finish().await;
        reply_of(outcome)
    }

    /// Delete a development branch and its data. Needs confirm: true.
    #[tool(
        annotations(title = "Delete branch", read_only_hint = false, destructive_hint = true, idempotent_hint = false, open_world_hint = false),
        output_schema = schema_of::<Deleted>()
    )]
    async fn delete_branch(&self, Parameters(params): Parameters<BranchParams>) -> Result<CallToolResult, McpError> {
        let outcome = async {
            require_confirm(params.confirm, &format!("deleting branch {}", params.branch_id))?;
            self.management()?.delete_branch(&params.branch_id).await?;
            Ok(Deleted { branch_id: params.branch_id, deleted: true })
        };
        reply_of(outcome.await)
    }

    /// Merge a branch's migrations and functions into production and wait for the run. Needs confirm: true.
    #[tool(
        annotations(title = "Merge branch", read_only_hint = false, destructive_hint = true, idempotent_hint = false, open_world_hint = false),
        output_schema = schema_of::<BranchOutcome>()
    )]
    async fn merge_branch(
        &self,
        Parameters(params): Parameters<BranchParams>,
        context: RequestContext<RoleServer>,
    ) -> Result<CallToolResult, McpError> {
        if let Err(failure) =
            require_confirm(params.confirm, &format!("merging branch {} into production", params.branch_id))
        {
            return Ok(failure.into_result());
        }
        self.run_branch_action(&params.branch_id, BranchAction::Merge, json!({}), &context).await
    }

    /// Reset a branch's migrations (to a version, or all), dropping later changes and their data. Needs
    /// confirm: true.
    #[tool(
        annotations(title = "Reset branch", read_only_hint = false, destructive_hint = true, idempotent_hint = false, open_world_hint = false),
        output_schema = schema_of::<BranchOutcome>()
    )]
    async fn reset_branch(
        &self,
        Parameters(params): Parameters<ResetBranchParams>,
        context: RequestContext<RoleServer>,
    ) -> Result<CallToolResult, McpError> {
        if let Err(failure) = require_confirm(params.confirm, &format!("resetting branch {}", params.branch_id)) {
            return Ok(failure.into_result());
        }
        let body = match params.migration_version {
            Some(version) => json!({ "migration_version": version }),
            None => json!({}),
        };
        self.run_branch_action(&params.branch_id, BranchAction::Reset, body, &context).await
    }

    /// Rebase a branch on production: apply production's newer migrations to it. Needs confirm: true.
    #[tool(
        annotations(title = "Rebase branch", read_only_hint = false, destructive_hint = true, idempotent_hint = false, open_world_hint = false),
        output_schema = schema_of::<BranchOutcome>()
    )]
    async fn rebase_branch(
        &self,
        Parameters(params): Parameters<BranchParams>,
        context: RequestContext<RoleServer>,
    ) -> Result<CallToolResult, McpError> {
        if let Err(failure) = require_confirm(params.confirm, &format!("rebasing branch {}", params.branch_id)) {
            return Ok(failure.into_result());
        }
        self.run_branch_action(&params.branch_id, BranchAction::Rebase, json!({}), &context).await
    }

    /// Show the schema changes of a branch against its parent, as SQL.
    #[tool(
        annotations(title = "Get branch diff", read_only_hint = true, destructive_hint = false, idempotent_hint = true, open_world_hint = false),
        output_schema = schema_of::<BranchDiff>()
    )]
    async fn get_branch_diff(&self, Parameters(params): Parameters<DiffParams>) -> Result<CallToolResult, McpError> {
        let outcome = async {
            let diff = self.management()?.branch_diff(&params.branch_id, &params.schemas).await?;
            let bytes = diff.len();
            let mut cut = 0;
            let diff = match crate::spill::bound::clip_value(diff.into(), DIFF_BYTES, &mut cut) {
                serde_json::Value::String(text) => text,
                other => other.to_string(),
            };
            Ok::<_, Failure>(BranchDiff { branch_id: params.branch_id, diff, bytes })
        };
        Ok(match outcome.await {
            Ok(reply) => fenced_structured("branch diff", serde_json::to_value(&reply).unwrap_or_default()),
            Err(failure) => failure.into_result(),
        })
    }
}
