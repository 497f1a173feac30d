//! create_project (only with a confirm_cost_id matching the current cost; waits for ACTIVE_HEALTHY and
//! reports each status as progress), pause_project (confirm), restore_project, and what the official server
//! lacks: get_project_health, list_database_backups, restore_database_to_time (point-in-time recovery,
//! confirm) and get_network_security.

use super::CREATE_WAIT;
use crate::failure::Failure;
use crate::server::SupamcpServer;
use crate::server::output::{reply_of, require_confirm, schema_of};
use crate::server::progress::Reporter;
use crate::supabase::management::projects::{CreatedProject, check_confirmation};
use crate::supabase::management::recovery::PitrRestore;
use crate::supabase::management::types::{Backups, NetworkRestrictions, Project, ServiceHealth, SslEnforcement};
use rmcp::handler::server::wrapper::Parameters;
use rmcp::model::CallToolResult;
use rmcp::service::RequestContext;
use rmcp::{ErrorData as McpError, RoleServer, schemars, tool, tool_router};
use serde::{Deserialize, Serialize};

#[derive(Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateProjectParams {
    /// The project's name.
    pub name: String,
    /// An AWS region code, e.g. us-east-1 or eu-central-1.
    pub region: String,
    /// The organization to create it in.
    pub organization_id: String,
    /// The confirmation_id of confirm_cost for this project's cost.
    pub confirm_cost_id: String,
}

#[derive(Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ProjectParams {
    /// The project ref.
    pub project_id: String,
}

#[derive(Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct PauseParams {
    /// The project ref.
    pub project_id: String,
    /// Must be true: the project goes offline until restore_project.
    #[serde(default)]
    pub confirm: bool,
}

#[derive(Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct HealthParams {
    /// The project ref.
    pub project_id: String,
    /// Services to check; default all: auth, db, db_postgres_user, pooler, realtime, rest, storage.
    #[serde(default)]
    pub services: Vec<String>,
}

#[derive(Serialize, schemars::JsonSchema)]
pub struct ProjectState {
    pub project: Project,
    pub message: String,
}

#[derive(Serialize, schemars::JsonSchema)]
pub struct Health {
    pub project_id: String,
    pub healthy: bool,
    pub services: Vec<ServiceHealth>,
}

#[derive(Serialize, schemars::JsonSchema)]
pub struct NetworkSecurity {
    pub project_id: String,
    /// Who may reach the database (empty or absent lists: everyone).
    pub network_restrictions: NetworkRestrictions,
    /// Whether the database refuses connections without SSL.
    pub ssl_enforcement: SslEnforcement,
}

const SERVICES: [&str; 7] = ["auth", "db", "db_postgres_user", "pooler", "realtime", "rest", "storage"];

#[derive(Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RestoreToTimeParams {
    /// The project ref.
    pub project_id: String,
    /// The instant to take the database back to (ISO 8601), inside the window list_database_backups shows.
    pub recovery_time: String,
    /// Must be true: every change after recovery_time is lost and the project is offline meanwhile.
    #[serde(default)]
    pub confirm: bool,
}

#[tool_router(router = cloud_projects_router, vis = "pub(crate)")]
impl SupamcpServer {
    /// Create a Supabase Cloud project and wait until it is ready. Needs confirm_cost_id: get_cost, tell the
    /// user, then confirm_cost.
    #[tool(
        annotations(title = "Create project", read_only_hint = false, destructive_hint = false, idempotent_hint = false, open_world_hint = false),
        output_schema = schema_of::<CreatedProject>()
    )]
    async fn create_project(
        &self,
        Parameters(params): Parameters<CreateProjectParams>,
        context: RequestContext<RoleServer>,
    ) -> Result<CallToolResult, McpError> {
        let reporter = Reporter::new(&context);
        let outcome = async {
            let api = self.management()?;
            let cost = api.next_project_cost(&params.organization_id).await?;
            check_confirmation(&cost, &params.confirm_cost_id)?;
            let progress = reporter.progress();
            api.create_project(&params.name, &params.region, &params.organization_id, CREATE_WAIT, &progress).await
        };
        let outcome = outcome.await;
        reporter.finish().await;
        reply_of(outcome)
    }

    /// Pause a project: it goes offline (data kept) until restore_project. Needs confirm: true.
    #[tool(
        annotations(title = "Pause project", read_only_hint = false, destructive_hint = true, idempotent_hint = true, open_world_hint = false),
        output_schema = schema_of::<ProjectState>()
    )]
    async fn pause_project(&self, Parameters(params): Parameters<PauseParams>) -> Result<CallToolResult, McpError> {
        let outcome = async {
            require_confirm(params.confirm, &format!("pausing project {}", params.project_id))?;
            let api = self.management()?;
            api.pause_project(&params.project_id).await?;
            let project = api.get_project(&params.project_id).await?;
            Ok(ProjectState { project, message: "Pausing: restore_project brings it back.".to_owned() })
        };
        reply_of(outcome.await)
    }

    /// Restore a paused project with its data; get_project shows ACTIVE_HEALTHY when it is back.
    #[tool(
        annotations(title = "Restore project", read_only_hint = false, destructive_hint = false, idempotent_hint = true, open_world_hint = false),
        output_schema = schema_of::<ProjectState>()
    )]
    async fn restore_project(&self, Parameters(params): Parameters<ProjectParams>) -> Result<CallToolResult, McpError> {
        let outcome = async {
            let api = self.management()?;
            api.restore_project(&params.project_id).await?;
            let project = api.get_project(&params.project_id).await?;
            Ok(ProjectState {
                project,
                message: "Restoring: get_project shows ACTIVE_HEALTHY when it is back.".to_owned(),
            })
        };
        reply_of(outcome.await)
    }

    /// Check the health of a cloud project's services (database, auth, REST, realtime, storage, pooler).
    #[tool(
        annotations(title = "Get project health", read_only_hint = true, destructive_hint = false, idempotent_hint = true, open_world_hint = false),
        output_schema = schema_of::<Health>()
    )]
    async fn get_project_health(
        &self,
        Parameters(params): Parameters<HealthParams>,
    ) -> Result<CallToolResult, McpError> {
        let outcome = async {
            let services: Vec<String> = if params.services.is_empty() {
                SERVICES.iter().map(|s| (*s).to_owned()).collect()
            } else {
                params.services
            };
            let services = self.management()?.project_health(&params.project_id, &services).await?;
            let healthy = services.iter().all(|s| s.healthy);
            Ok(Health { project_id: params.project_id, healthy, services })
        };
        reply_of(outcome.await)
    }

    /// List a cloud project's database backups and its point-in-time recovery window.
    #[tool(
        annotations(title = "List database backups", read_only_hint = true, destructive_hint = false, idempotent_hint = true, open_world_hint = false),
        output_schema = schema_of::<Backups>()
    )]
    async fn list_database_backups(
        &self,
        Parameters(params): Parameters<ProjectParams>,
    ) -> Result<CallToolResult, McpError> {
        let outcome = async { self.management()?.list_backups(&params.project_id).await };
        reply_of(outcome.await)
    }

    /// Take a cloud project's database back to an instant (point-in-time recovery) and wait for it. Every change
    /// after that instant is lost; needs confirm: true and the PITR add-on.
    #[tool(
        annotations(title = "Restore database to a point in time", read_only_hint = false, destructive_hint = true, idempotent_hint = false, open_world_hint = false),
        output_schema = schema_of::<PitrRestore>()
    )]
    async fn restore_database_to_time(
        &self,
        Parameters(params): Parameters<RestoreToTimeParams>,
        context: RequestContext<RoleServer>,
    ) -> Result<CallToolResult, McpError> {
        let reporter = Reporter::new(&context);
        let outcome = async {
            let target = chrono::DateTime::parse_from_rfc3339(&params.recovery_time)
                .map(|t| t.with_timezone(&chrono::Utc))
                .map_err(|e| {
                    Failure::new(
                        format!("recovery_time '{}' is not a timestamp", params.recovery_time),
                        e.to_string(),
                        "give an ISO 8601 instant such as 2026-01-31T12:00:00Z",
                    )
                })?;
            require_confirm(
                params.confirm,
                &format!("restoring project {} to {} (every later change is lost)", params.project_id, target),
            )?;
            let progress = reporter.progress();
            self.management()?.restore_to_time(&params.project_id, target, CREATE_WAIT, &progress).await
        };
        let outcome = outcome.await;
        reporter.finish().await;
        reply_of(outcome)
    }

    /// Read a cloud project's network restrictions (allowed address ranges) and SSL enforcement.
    #[tool(
        annotations(title = "Get network security", read_only_hint = true, destructive_hint = false, idempotent_hint = true, open_world_hint = false),
        output_schema = schema_of::<NetworkSecurity>()
    )]
    async fn get_network_security(
        &self,
        Parameters(params): Parameters<ProjectParams>,
    ) -> Result<CallToolResult, McpError> {
        let outcome = async {
            let api = self.management()?;
            let network_restrictions = api.network_restrictions(&params.project_id).await?;
            let ssl_enforcement = api.ssl_enforcement(&params.project_id).await?;
            Ok(NetworkSecurity { project_id: params.project_id, network_restrictions, ssl_enforcement })
        };
        reply_of(outcome.await)
    }
}
