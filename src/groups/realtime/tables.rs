//! `list_realtime_tables`, `enable_realtime` and `disable_realtime`: the tables of the `supabase_realtime`
//! publication (what streams Postgres Changes, with what old rows carry and who may see them), changed through
//! a generated migration with its down file, applied and recorded (or rolled back with dry_run).

use super::{GeneratedReply, generated_reply};
use crate::failure::Failure;
use crate::server::SupamcpServer;
use crate::server::output::{fenced_structured, reply_of, require_confirm, schema_of};
use crate::supabase::realtime::tables::{self, Change, PublicationReport};
use rmcp::handler::server::wrapper::Parameters;
use rmcp::model::CallToolResult;
use rmcp::{ErrorData as McpError, schemars, tool, tool_router};
use serde::Deserialize;

#[derive(Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ListTablesParams {
    /// Instance to use; the default instance when omitted.
    #[serde(default)]
    pub instance: Option<String>,
}

#[derive(Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct EnableParams {
    /// Instance to use; the default instance when omitted.
    #[serde(default)]
    pub instance: Option<String>,
    /// Tables as name or schema.name (public by default).
    pub tables: Vec<String>,
    /// Also set REPLICA IDENTITY FULL, so UPDATE/DELETE events carry the whole old row.
    #[serde(default)]
    pub replica_identity_full: bool,
    /// Run the migration and roll it back; no file is kept.
    #[serde(default)]
    pub dry_run: bool,
    /// Migrations directory.
    #[serde(default = "super::default_directory")]
    pub directory: String,
}

#[derive(Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct DisableParams {
    /// Instance to use; the default instance when omitted.
    #[serde(default)]
    pub instance: Option<String>,
    /// Tables as name or schema.name (public by default).
    pub tables: Vec<String>,
    /// Also set the replica identity back to default.
    #[serde(default)]
    pub reset_replica_identity: bool,
    /// Run the migration and roll it back; no file is kept.
    #[serde(default)]
    pub dry_run: bool,
    /// Required unless dry_run: subscribers stop receiving the tables' changes.
    #[serde(default)]
    pub confirm: bool,
    /// Migrations directory.
    #[serde(default = "super::default_directory")]
    pub directory: String,
}

impl SupamcpServer {
    async fn change_publication(
        &self,
        instance: Option<&str>,
        names: &[String],
        change: Change,
        dry_run: bool,
        directory: &str,
    ) -> Result<GeneratedReply<tables::PublicationPlan>, Failure> {
        let database = self.state.databases.get(instance)?;
        let plan = {
            let client = database.client().await?;
            tables::plan(&client, names, change).await?
        };
        let name = match change {
            Change::Enable { .. } => "enable_realtime",
            Change::Disable { .. } => "disable_realtime",
        };
        let (up, down) = (plan.up.clone(), plan.down.clone());
        generated_reply(self, &database, directory, name, &up, &down, dry_run, plan).await.map_err(|mut failure| {
            if failure.why.contains("must be owner") {
                failure.fix = format!(
                    "ALTER PUBLICATION needs the owner of the publication and of the tables (supabase_admin or \
                     postgres on Supabase): connect the instance as that role; {}",
                    failure.fix
                );
            }
            failure
        })
    }
}

#[tool_router(router = realtime_tables_router, vis = "pub(crate)")]
impl SupamcpServer {
    /// List the tables that stream Postgres Changes (publication supabase_realtime) with replica identity, RLS,
    /// SELECT policy count and the columns old rows carry. Use it when a client gets no or empty change events.
    #[tool(
        annotations(title = "List realtime tables", read_only_hint = true, destructive_hint = false, idempotent_hint = true, open_world_hint = false),
        output_schema = schema_of::<PublicationReport>()
    )]
    async fn list_realtime_tables(
        &self,
        Parameters(params): Parameters<ListTablesParams>,
    ) -> Result<CallToolResult, McpError> {
        Ok(self
            .with_client(params.instance.as_deref(), |client| async move {
                let report = tables::list(&client).await?;
                let value = serde_json::to_value(&report)
                    .map_err(|e| Failure::new("cannot encode the result", e.to_string(), "report this bug"))?;
                Ok(fenced_structured("realtime table list", value))
            })
            .await)
    }

    /// Add tables to Realtime's publication (created if missing), optionally with REPLICA IDENTITY FULL, as a
    /// migration with a down file, applied and recorded; dry_run rolls it back.
    #[tool(
        annotations(title = "Enable realtime", read_only_hint = false, destructive_hint = false, idempotent_hint = true, open_world_hint = false),
        output_schema = schema_of::<GeneratedReply<tables::PublicationPlan>>()
    )]
    async fn enable_realtime(&self, Parameters(params): Parameters<EnableParams>) -> Result<CallToolResult, McpError> {
        let change = Change::Enable { full_identity: params.replica_identity_full };
        let instance = params.instance.as_deref();
        reply_of(self.change_publication(instance, &params.tables, change, params.dry_run, &params.directory).await)
    }

    /// Take tables out of Realtime's publication, optionally resetting their replica identity, as a migration with
    /// a down file. Needs confirm: true unless dry_run.
    #[tool(
        annotations(title = "Disable realtime", read_only_hint = false, destructive_hint = true, idempotent_hint = true, open_world_hint = false),
        output_schema = schema_of::<GeneratedReply<tables::PublicationPlan>>()
    )]
    async fn disable_realtime(
        &self,
        Parameters(params): Parameters<DisableParams>,
    ) -> Result<CallToolResult, McpError> {
        let outcome = async {
            if !params.dry_run {
                require_confirm(params.confirm, "taking tables out of Realtime")?;
            }
            let change = Change::Disable { reset_identity: params.reset_replica_identity };
            let instance = params.instance.as_deref();
            self.change_publication(instance, &params.tables, change, params.dry_run, &params.directory).await
        };
        reply_of(outcome.await)
    }
}
