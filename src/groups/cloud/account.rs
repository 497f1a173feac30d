//! list_organizations, get_organization, list_projects, get_project, get_cost and confirm_cost, with the
//! official server's parameters. get_cost applies its local rule; confirm_cost hashes the cost the user
//! accepted into the confirm_cost_id that create_project and create_branch require.

use crate::failure::Failure;
use crate::server::SupamcpServer;
use crate::server::output::{reply_of, schema_of};
use crate::supabase::management::projects::{BRANCH_COST, Cost, CostType, Recurrence};
use crate::supabase::management::types::{Organization, OrganizationDetail, Project};
use rmcp::handler::server::wrapper::Parameters;
use rmcp::model::CallToolResult;
use rmcp::{ErrorData as McpError, schemars, tool, tool_router};
use serde::{Deserialize, Serialize};

#[derive(Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct NoParams {}

#[derive(Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct IdParams {
    /// The organization slug or the project ref.
    pub id: String,
}

#[derive(Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct GetCostParams {
    /// project or branch.
    #[serde(rename = "type")]
    pub kind: CostType,
    /// The organization the project would belong to (needed for type project).
    #[serde(default)]
    pub organization_id: Option<String>,
}

#[derive(Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ConfirmCostParams {
    /// project or branch.
    #[serde(rename = "type")]
    pub kind: CostType,
    /// hourly or monthly, as get_cost said.
    pub recurrence: Recurrence,
    /// The amount get_cost gave, in US dollars.
    pub amount: f64,
}

#[derive(Serialize, schemars::JsonSchema)]
pub struct Organizations {
    pub organizations: Vec<Organization>,
}

#[derive(Serialize, schemars::JsonSchema)]
pub struct Projects {
    pub projects: Vec<Project>,
}

#[derive(Serialize, schemars::JsonSchema)]
pub struct CostReply {
    pub cost: Cost,
    /// What to tell the user before confirm_cost.
    pub message: String,
}

#[derive(Serialize, schemars::JsonSchema)]
pub struct Confirmation {
    /// Pass it as confirm_cost_id to create_project or create_branch.
    pub confirmation_id: String,
}

#[tool_router(router = cloud_account_router, vis = "pub(crate)")]
impl SupamcpServer {
    /// List the Supabase organizations the access token's account belongs to.
    #[tool(
        annotations(title = "List organizations", read_only_hint = true, destructive_hint = false, idempotent_hint = true, open_world_hint = false),
        output_schema = schema_of::<Organizations>()
    )]
    async fn list_organizations(&self, Parameters(_): Parameters<NoParams>) -> Result<CallToolResult, McpError> {
        let outcome = async { Ok(Organizations { organizations: self.management()?.list_organizations().await? }) };
        reply_of(outcome.await)
    }

    /// Get an organization's details, including its plan.
    #[tool(
        annotations(title = "Get organization", read_only_hint = true, destructive_hint = false, idempotent_hint = true, open_world_hint = false),
        output_schema = schema_of::<OrganizationDetail>()
    )]
    async fn get_organization(&self, Parameters(params): Parameters<IdParams>) -> Result<CallToolResult, McpError> {
        let outcome = async { self.management()?.get_organization(&params.id).await };
        reply_of(outcome.await)
    }

    /// List every Supabase Cloud project of the account, with its status and region.
    #[tool(
        annotations(title = "List projects", read_only_hint = true, destructive_hint = false, idempotent_hint = true, open_world_hint = false),
        output_schema = schema_of::<Projects>()
    )]
    async fn list_projects(&self, Parameters(_): Parameters<NoParams>) -> Result<CallToolResult, McpError> {
        let outcome = async { Ok(Projects { projects: self.management()?.list_projects().await? }) };
        reply_of(outcome.await)
    }

    /// Get a project's details and status (ACTIVE_HEALTHY, COMING_UP, INACTIVE when paused...).
    #[tool(
        annotations(title = "Get project", read_only_hint = true, destructive_hint = false, idempotent_hint = true, open_world_hint = false),
        output_schema = schema_of::<Project>()
    )]
    async fn get_project(&self, Parameters(params): Parameters<IdParams>) -> Result<CallToolResult, McpError> {
        let outcome = async { self.management()?.get_project(&params.id).await };
        reply_of(outcome.await)
    }

    /// Get the cost of a new project or branch. Tell the user the cost and get their agreement, then call
    /// confirm_cost.
    #[tool(
        annotations(title = "Get cost", read_only_hint = true, destructive_hint = false, idempotent_hint = true, open_world_hint = false),
        output_schema = schema_of::<CostReply>()
    )]
    async fn get_cost(&self, Parameters(params): Parameters<GetCostParams>) -> Result<CallToolResult, McpError> {
        let outcome = async {
            let cost = match params.kind {
                CostType::Branch => BRANCH_COST,
                CostType::Project => {
                    if self.state.settings.project_ref.is_some() {
                        return Err(Failure::new(
                            "the cost of a new project is not available here",
                            "supamcp is scoped to one project (--project-ref) and creates no projects",
                            "ask for type branch, or restart supamcp without --project-ref",
                        ));
                    }
                    let organization = params.organization_id.as_deref().ok_or_else(|| {
                        Failure::new(
                            "the cost of a new project needs its organization",
                            "organization_id is missing",
                            "pass organization_id (list_organizations gives them)",
                        )
                    })?;
                    self.management()?.next_project_cost(organization).await?
                }
            };
            Ok(CostReply { message: cost.sentence(), cost })
        };
        reply_of(outcome.await)
    }

    /// Confirm that the user accepted a cost; returns the confirmation id create_project or create_branch
    /// requires.
    #[tool(
        annotations(title = "Confirm cost", read_only_hint = true, destructive_hint = false, idempotent_hint = true, open_world_hint = false),
        output_schema = schema_of::<Confirmation>()
    )]
    async fn confirm_cost(
        &self,
        Parameters(params): Parameters<ConfirmCostParams>,
    ) -> Result<CallToolResult, McpError> {
        let cost = Cost { kind: params.kind, recurrence: params.recurrence, amount: params.amount };
        reply_of(Ok::<_, Failure>(Confirmation { confirmation_id: cost.confirmation_id() }))
    }
}
