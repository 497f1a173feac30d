//! `copy_database` and `check_compatibility`: move a database between configured instances.

use crate::failure::Failure;
use crate::migrate::compat::{self, CompatFinding};
use crate::migrate::copy::{Conflict, CopyOptions, CopyReport, copy_database};
use crate::server::SupamcpServer;
use crate::server::output::{IntoToolResult, schema_of, structured};
use crate::server::progress::Reporter;
use rmcp::handler::server::wrapper::Parameters;
use rmcp::model::CallToolResult;
use rmcp::service::RequestContext;
use rmcp::{ErrorData as McpError, RoleServer, schemars, tool, tool_router};
use serde::{Deserialize, Serialize};

#[derive(Debug, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct CopyDatabaseParams {
    /// The instance to copy from.
    pub source: String,
    /// The instance to copy into.
    pub target: String,
    /// Schemas to copy (default: all but Supabase's own).
    #[serde(default)]
    pub schemas: Vec<String>,
    /// Only these tables, as schema.table.
    #[serde(default)]
    pub tables: Vec<String>,
    /// Create the schema on the target first; false when it exists.
    #[serde(default = "default_true")]
    pub include_schema: bool,
    /// Also copy auth.users and auth.identities.
    #[serde(default)]
    pub include_auth: bool,
    /// Also copy storage metadata (not the files).
    #[serde(default)]
    pub include_storage: bool,
    /// Target tables that hold rows: fail, truncate, skip or merge (by primary key).
    #[serde(default)]
    pub conflict: Conflict,
    /// Tables copied at once.
    #[serde(default = "default_parallel")]
    pub parallel: usize,
    /// Report what would be copied; change nothing.
    #[serde(default)]
    pub dry_run: bool,
    /// Required unless dry_run: the copy writes into the target.
    #[serde(default)]
    pub confirm: bool,
}

fn default_true() -> bool {
    true
}

fn default_parallel() -> usize {
    4
}

#[derive(Debug, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct CompatibilityParams {
    /// The instance the data comes from.
    pub source: String,
    /// The instance it goes to.
    pub target: String,
    /// Schemas to check; default: every schema of the source that is not Supabase's own.
    #[serde(default)]
    pub schemas: Vec<String>,
}

#[derive(Debug, Serialize, schemars::JsonSchema)]
pub struct CompatibilityReply {
    pub compatible: bool,
    pub findings: Vec<CompatFinding>,
}

#[tool_router(router = migrations_copy_router, vis = "pub(crate)")]
impl SupamcpServer {
    /// Copy a database between configured instances (dev -> staging -> prod, cloud <-> self-hosted): schema, then every
    /// table from one consistent snapshot, verified by row count and checksum; a rerun resumes. Needs confirm unless
    /// dry_run.
    #[tool(
        annotations(title = "Copy database", read_only_hint = false, destructive_hint = true, idempotent_hint = false, open_world_hint = false),
        output_schema = schema_of::<CopyReport>()
    )]
    async fn copy_database(
        &self,
        Parameters(params): Parameters<CopyDatabaseParams>,
        context: RequestContext<RoleServer>,
    ) -> Result<CallToolResult, McpError> {
        let reporter = Reporter::new(&context);
        let steps = reporter.progress();
        let outcome = async move {
            if params.source == params.target {
                return Err(Failure::new(
                    "source and target are the same instance",
                    params.source.clone(),
                    "name two different instances",
                ));
            }
            let source = self.state.databases.get(Some(&params.source))?;
            let target = self.state.databases.get(Some(&params.target))?;
            if !params.confirm && !params.dry_run {
                return Err(Failure::new(
                    format!("copying into '{}' needs confirmation", params.target),
                    "the copy creates objects and writes rows in the target",
                    "run it with dry_run: true to see the plan, then call again with confirm: true",
                ));
            }
            let options = CopyOptions {
                schemas: params.schemas,
                tables: params.tables,
                include_schema: params.include_schema,
                include_auth: params.include_auth,
                include_storage: params.include_storage,
                conflict: params.conflict,
                parallel: params.parallel,
                dry_run: params.dry_run,
                journal_dir: self.state.settings.data_dir.join("copies"),
            };
            let progress = move |table: &str, done: usize, total: usize| {
                steps.report(done as f64, Some(total as f64), || format!("copied {table}"));
            };
            copy_database(&source, &target, &options, &progress).await
        }
        .await;
        reporter.finish().await;
        Ok(outcome.map(|report| structured(&report)).unwrap_or_else(IntoToolResult::into_result))
    }

    /// Check whether one instance's schema can be copied to another: server versions, extensions the source uses
    /// that the target lacks or cannot install, roles named by the source's policies that the target lacks.
    #[tool(
        annotations(title = "Check compatibility", read_only_hint = true, destructive_hint = false, idempotent_hint = true, open_world_hint = false),
        output_schema = schema_of::<CompatibilityReply>()
    )]
    async fn check_compatibility(
        &self,
        Parameters(params): Parameters<CompatibilityParams>,
    ) -> Result<CallToolResult, McpError> {
        let outcome = async {
            let source = self.state.databases.get(Some(&params.source))?.client().await?;
            let target = self.state.databases.get(Some(&params.target))?.client().await?;
            let schemas = if params.schemas.is_empty() { vec!["public".to_owned()] } else { params.schemas };
            let findings = compat::check(&**source, &**target, &schemas).await?;
            Ok::<_, Failure>(CompatibilityReply {
                compatible: !findings.iter().any(|f| f.severity == "critical"),
                findings,
            })
        }
        .await;
        Ok(outcome.map(|reply| structured(&reply)).unwrap_or_else(IntoToolResult::into_result))
    }
}
