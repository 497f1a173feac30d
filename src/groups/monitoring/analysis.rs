//! `get_advisors` (our security and performance lints, with the platform's beside them for a cloud project)
//! and `inspect_db` (the Supabase CLI's reports).

use crate::failure::Failure;
use crate::pg::advisors::{self, AdvisorOptions, Category, DEFAULT_API_SCHEMAS, Finding, Level};
use crate::pg::inspect::{self, Report};
use crate::server::SupamcpServer;
use crate::server::output::{IntoToolResult, fenced_structured, schema_of};
use crate::supabase::management::ManagementApi;
use rmcp::handler::server::wrapper::Parameters;
use rmcp::model::CallToolResult;
use rmcp::{ErrorData as McpError, schemars, tool, tool_router};
use serde::{Deserialize, Serialize};

#[derive(Clone, Copy, Debug, Default, Deserialize, schemars::JsonSchema, PartialEq, Eq)]
#[serde(rename_all = "lowercase")]
pub enum AdvisorType {
    Security,
    Performance,
    /// Both security and performance.
    #[default]
    #[serde(alias = "both")]
    All,
}

#[derive(Debug, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct GetAdvisorsParams {
    /// Instance name; omit for the default instance.
    #[serde(default)]
    pub instance: Option<String>,
    /// security, performance or all.
    #[serde(default, rename = "type")]
    pub kind: AdvisorType,
    /// Schemas PostgREST exposes (PGRST_DB_SCHEMAS).
    #[serde(default = "default_api_schemas")]
    pub api_schemas: Vec<String>,
    /// Wasted bytes from which a table counts as bloated.
    #[serde(default = "default_bloat_bytes")]
    pub bloat_min_wasted_bytes: i64,
    /// Rows from which a table counts as large (sequential-scan lint).
    #[serde(default = "default_large_rows")]
    pub large_table_rows: i64,
    /// Findings returned at most, most severe first (at most 5000).
    #[serde(default = "default_findings_limit")]
    pub limit: usize,
}

fn default_findings_limit() -> usize {
    200
}

fn default_api_schemas() -> Vec<String> {
    DEFAULT_API_SCHEMAS.iter().map(|s| (*s).to_owned()).collect()
}

fn default_bloat_bytes() -> i64 {
    10 * 1024 * 1024
}

fn default_large_rows() -> i64 {
    100_000
}

#[derive(Debug, Default, Serialize, schemars::JsonSchema)]
pub struct Summary {
    pub errors: usize,
    pub warnings: usize,
    pub info: usize,
}

#[derive(Debug, Serialize, schemars::JsonSchema)]
pub struct AdvisorsReply {
    /// Ranked: errors first, then warnings, then info.
    pub findings: Vec<Finding>,
    /// Counts of all findings, also those past `limit`.
    pub summary: Summary,
    /// True when `limit` left findings out.
    pub truncated: bool,
    /// The lints that ran.
    pub lints: Vec<String>,
    pub api_schemas: Vec<String>,
    /// `database`: supamcp's lints over the catalog; `management_api`: the platform's lints of a cloud project
    /// reached without a database URL.
    pub source: &'static str,
    /// The platform's own lints of this Supabase Cloud project, beside ours (an access token is configured
    /// and the instance is a cloud project).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub platform: Option<PlatformAdvisors>,
}

/// The Management API's advisors for the same project.
#[derive(Debug, Serialize, schemars::JsonSchema)]
pub struct PlatformAdvisors {
    pub findings: Vec<Finding>,
    pub summary: Summary,
    pub truncated: bool,
    /// Why the platform's lints could not be read (ours above are complete regardless).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
}

/// Counts `findings` by level, then keeps the first `limit`; true when some were left out.
pub(crate) fn ranked(mut findings: Vec<Finding>, limit: usize) -> (Vec<Finding>, Summary, bool) {
    let mut summary = Summary::default();
    for finding in &findings {
        match finding.level {
            Level::Error => summary.errors += 1,
            Level::Warn => summary.warnings += 1,
            Level::Info => summary.info += 1,
        }
    }
    let truncated = findings.len() > limit;
    findings.truncate(limit);
    (findings, summary, truncated)
}

/// The platform's findings for a cloud project, all or nothing: on failure its reason.
pub(crate) async fn platform_advisors(
    api: &ManagementApi,
    reference: &str,
    kind: AdvisorType,
    limit: usize,
) -> Result<PlatformAdvisors, Failure> {
    let security = async {
        if kind == AdvisorType::Performance {
            Ok(Vec::new())
        } else {
            api.advisors(reference, Category::Security).await
        }
    };
    let performance = async {
        if kind == AdvisorType::Security {
            Ok(Vec::new())
        } else {
            api.advisors(reference, Category::Performance).await
        }
    };
    let (security, performance) = tokio::join!(security, performance);
    let mut findings = security?;
    findings.extend(performance?);
    advisors::rank(&mut findings);
    let (findings, summary, truncated) = ranked(findings, limit);
    Ok(PlatformAdvisors { findings, summary, truncated, error: None })
}

#[derive(Clone, Copy, Debug, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "kebab-case")]
pub enum ReportName {
    DbStats,
    TableStats,
    IndexStats,
    Bloat,
    Blocking,
    Locks,
    LongRunningQueries,
    Outliers,
    Calls,
    ReplicationSlots,
    RoleStats,
    VacuumStats,
    TrafficProfile,
}

impl ReportName {
    fn name(self) -> &'static str {
        inspect::REPORTS[self as usize]
    }
}

#[derive(Debug, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct InspectDbParams {
    /// Instance name; omit for the default instance.
    #[serde(default)]
    pub instance: Option<String>,
    /// The report, as the Supabase CLI names it (`supabase inspect db <report>`).
    pub report: ReportName,
    /// Include Supabase-internal schemas (auth, storage, realtime, ...); default false.
    #[serde(default)]
    pub include_internal: bool,
    /// Rows at most (default 100, at most 1000).
    #[serde(default = "default_limit")]
    pub limit: i64,
}

fn default_limit() -> i64 {
    100
}

#[tool_router(router = monitoring_analysis_router, vis = "pub(crate)")]
impl SupamcpServer {
    /// Find security and performance problems (RLS gaps, exposed data, unsafe functions, missing or unused
    /// indexes, bloat...), each with its level, object and the SQL that fixes it. Run it after schema changes.
    #[tool(
        annotations(title = "Get advisors", read_only_hint = true, destructive_hint = false, idempotent_hint = true, open_world_hint = false),
        output_schema = schema_of::<AdvisorsReply>()
    )]
    async fn get_advisors(
        &self,
        Parameters(params): Parameters<GetAdvisorsParams>,
    ) -> Result<CallToolResult, McpError> {
        let options = AdvisorOptions {
            security: params.kind != AdvisorType::Performance,
            performance: params.kind != AdvisorType::Security,
            api_schemas: params.api_schemas,
            bloat_min_wasted_bytes: params.bloat_min_wasted_bytes,
            large_table_rows: params.large_table_rows,
        };
        let limit = params.limit.clamp(1, 5000);
        let kind = params.kind;
        let platform = self.platform_project(params.instance.as_deref());
        Ok(self
            .with_client(params.instance.as_deref(), |client| async move {
                let (findings, platform) = tokio::join!(advisors::run(&**client, &options), async {
                    let (api, reference) = platform?;
                    Some(platform_advisors(&api, &reference, kind, limit).await.unwrap_or_else(|failure| {
                        PlatformAdvisors {
                            findings: Vec::new(),
                            summary: Summary::default(),
                            truncated: false,
                            error: Some(failure.text()),
                        }
                    }))
                });
                let (findings, summary, truncated) = ranked(findings?, limit);
                let lints = advisors::lint_names()
                    .into_iter()
                    .filter(|name| if advisors::is_security(name) { options.security } else { options.performance })
                    .map(str::to_owned)
                    .collect();
                let reply = AdvisorsReply {
                    findings,
                    summary,
                    truncated,
                    lints,
                    api_schemas: options.api_schemas.clone(),
                    source: "database",
                    platform,
                };
                Ok(fenced("advisor findings", &reply))
            })
            .await)
    }

    /// The Management API and project ref of `instance` when an access token is configured and the instance is
    /// a Supabase Cloud project; `None` otherwise.
    fn platform_project(&self, instance: Option<&str>) -> Option<(ManagementApi, String)> {
        let settings = &self.state.settings;
        settings.access_token.as_ref()?;
        let reference = settings.instance(instance).ok()?.project_ref()?;
        let api = ManagementApi::from_settings(settings).ok()?;
        Some((api, reference))
    }

    /// Database reports with the meaning of the Supabase CLI's `inspect db`: db-stats, table-stats,
    /// index-stats, bloat, blocking, locks, long-running-queries, outliers, calls (pg_stat_statements),
    /// replication-slots, role-stats, vacuum-stats, traffic-profile; Supabase-internal schemas left out by
    /// default.
    #[tool(
        annotations(title = "Inspect database", read_only_hint = true, destructive_hint = false, idempotent_hint = true, open_world_hint = false),
        output_schema = schema_of::<Report>()
    )]
    async fn inspect_db(&self, Parameters(params): Parameters<InspectDbParams>) -> Result<CallToolResult, McpError> {
        let limit = params.limit.clamp(1, 1000);
        Ok(self
            .with_client(params.instance.as_deref(), |client| async move {
                let report = inspect::run(&**client, params.report.name(), params.include_internal, limit).await?;
                Ok(fenced("report", &report))
            })
            .await)
    }
}

/// A structured reply whose text copy is fenced: names and statements come from the database.
pub(super) fn fenced<T: Serialize>(kind: &str, value: &T) -> CallToolResult {
    match serde_json::to_value(value) {
        Ok(json) => fenced_structured(kind, json),
        Err(e) => {
            crate::failure::Failure::new("cannot encode the result", e.to_string(), "report this as a supamcp bug")
                .into_result()
        }
    }
}
