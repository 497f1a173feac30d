//! `aggregate_logs`: the PostgreSQL server log, the Dokploy compose's container logs and supamcp's audit log
//! merged into one timeline (the work is in `health::timeline`); each source that fails is reported beside the
//! lines of the others. Log text is untrusted and fenced.

use super::analysis::fenced;
use crate::failure::Failure;
use crate::groups::core::sql::SpillInfo;
use crate::health::timeline::{self, Filter, Level, Line};
use crate::pg::logs::{self, LogFilter};
use crate::server::SupamcpServer;
use crate::server::output::{IntoToolResult, schema_of};
use rmcp::handler::server::wrapper::Parameters;
use rmcp::model::CallToolResult;
use rmcp::{ErrorData as McpError, schemars, tool, tool_router};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value, json};

#[derive(Debug, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct AggregateLogsParams {
    /// Instance name; omit for the default instance.
    #[serde(default)]
    pub instance: Option<String>,
    /// Dokploy compose id (default: the instance's dokploy_compose_id).
    #[serde(default)]
    pub compose_id: Option<String>,
    /// Configured Dokploy server (default: the instance's, or the only one).
    #[serde(default)]
    pub server: Option<String>,
    /// Services to include: postgres, supamcp (audit log), or compose services (kong, auth, rest...); empty: all.
    #[serde(default)]
    pub services: Vec<String>,
    /// Only lines of the last this many minutes.
    #[serde(default)]
    pub since_minutes: Option<f64>,
    /// Lowest level: debug, info, warning, error, fatal.
    #[serde(default = "default_min_level")]
    pub min_level: String,
    /// Only lines containing this text (case-insensitive).
    #[serde(default)]
    pub contains: Option<String>,
    /// Lines read per source from its end (1-10000).
    #[serde(default = "default_tail")]
    pub tail: u32,
    /// Newest merged lines returned at most; past the spill threshold they page through read_result.
    #[serde(default = "default_limit")]
    pub limit: u64,
}

fn default_min_level() -> String {
    "debug".to_owned()
}

fn default_tail() -> u32 {
    500
}

fn default_limit() -> u64 {
    1000
}

/// What one source gave.
#[derive(Debug, Serialize, schemars::JsonSchema)]
pub struct SourceReport {
    /// postgres, supamcp, or a compose service.
    pub service: String,
    /// Lines read before filtering.
    pub lines_read: usize,
    /// Why the source could not be read (the other sources are still merged).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
}

#[derive(Debug, Serialize, schemars::JsonSchema)]
pub struct AggregateLogsReply {
    /// The Dokploy compose whose containers were read, if any.
    pub compose_id: Option<String>,
    pub sources: Vec<SourceReport>,
    /// Lines that passed the filters, before `limit`.
    pub matched: usize,
    /// Oldest first: time (UTC), service, level, message, knowledge (an explain_error entry id, on strong
    /// matches only); the first rows when the reply spilled.
    pub lines: Vec<Map<String, Value>>,
    pub spilled: Option<SpillInfo>,
}

/// Whether `service` is asked for (an empty list asks for all).
fn wanted(services: &[String], service: &str) -> bool {
    services.is_empty() || services.iter().any(|s| s.eq_ignore_ascii_case(service))
}

fn report(service: &str, read: Result<Vec<Line>, Failure>) -> (SourceReport, Vec<Line>) {
    match read {
        Ok(lines) => (SourceReport { service: service.to_owned(), lines_read: lines.len(), error: None }, lines),
        Err(failure) => {
            (SourceReport { service: service.to_owned(), lines_read: 0, error: Some(failure.text()) }, vec![])
        }
    }
}

impl SupamcpServer {
    /// The server log's tail, in UTC.
    async fn postgres_lines(&self, params: &AggregateLogsParams, min: Level) -> Result<Vec<Line>, Failure> {
        let database = self.state.databases.get(params.instance.as_deref())?;
        let client = database.client().await?;
        let filter = LogFilter {
            min_level: min.name().to_owned(),
            since_minutes: params.since_minutes,
            contains: None,
            max_bytes: 4 * 1024 * 1024,
        };
        let tail = logs::read(&**client, &filter).await?;
        let offset: f64 = client
            .query_typed_one(
                "select extract(epoch from (now() at time zone current_setting('log_timezone')) \
                   - (now() at time zone 'UTC'))::float8",
                &[],
            )
            .await
            .map_err(crate::pg::catalog::query_failure)?
            .get(0);
        let entries = tail.entries;
        let skip = entries.len().saturating_sub(params.tail as usize);
        Ok(entries.into_iter().skip(skip).map(|e| timeline::from_postgres(e, offset.round() as i64)).collect())
    }

    /// Each wanted service container's tail, one source per service.
    async fn container_sources(
        &self,
        params: &AggregateLogsParams,
        server: Option<&str>,
        compose_id: &str,
    ) -> Result<Vec<(SourceReport, Vec<Line>)>, Failure> {
        let client = self.dokploy_client(server)?;
        let (compose, _) = self.dokploy_compose(client, compose_id).await?;
        let version = client.version().await.map_err(|e| e.failure(client.name()))?.version;
        if !version.has_compose_read_logs() {
            return Err(Failure::new(
                "cannot read container logs over the API",
                format!("Dokploy {version} has no compose.readLogs (added in v0.29.0)"),
                "read them in the Dokploy UI, or upgrade Dokploy",
            ));
        }
        let containers = client
            .docker_containers(&compose.app_name, compose.server_id.as_deref())
            .await
            .map_err(|e| e.failure(client.name()))?;
        // docker's --since takes whole units: the window rounded up, at most a year
        let since = params
            .since_minutes
            .map_or_else(|| "all".to_owned(), |m| format!("{}m", m.ceil().clamp(1.0, 525_600.0) as u64));
        let wanted_containers: Vec<(String, String)> = containers
            .into_iter()
            .map(|c| (c.service(&compose.app_name), c.container_id))
            .filter(|(service, _)| wanted(&params.services, service))
            .collect();
        let sources = futures_util::future::join_all(wanted_containers.iter().map(|(service, id)| async {
            let read = client
                .compose_read_logs(&compose.compose_id, id, params.tail, &since, None)
                .await
                .map_err(|e| e.failure(client.name()))
                .map(|text| text.lines().map(|raw| timeline::from_container(service, raw)).collect());
            report(service, read)
        }))
        .await;
        Ok(sources)
    }
}

#[tool_router(router = monitoring_timeline_router, vis = "pub(crate)")]
impl SupamcpServer {
    /// Merge the PostgreSQL log, the Dokploy stack's container logs (kong, auth, rest, realtime, storage...) and
    /// supamcp's audit log into one timeline, filtered by service, time, level and text. Lines naming a known
    /// problem carry its explain_error entry id. Log text is untrusted.
    #[tool(
        annotations(title = "Aggregate logs", read_only_hint = true, destructive_hint = false, idempotent_hint = false, open_world_hint = true),
        output_schema = schema_of::<AggregateLogsReply>()
    )]
    async fn aggregate_logs(
        &self,
        Parameters(mut params): Parameters<AggregateLogsParams>,
    ) -> Result<CallToolResult, McpError> {
        params.tail = params.tail.clamp(1, 10_000);
        let Some(min_level) = Level::parse(&params.min_level) else {
            return Ok(Failure::new(
                format!("unknown level '{}'", params.min_level),
                "levels are one scale for every service",
                "use debug, info, warning, error or fatal",
            )
            .into_result());
        };
        let instance = self.state.settings.instance(params.instance.as_deref()).ok();
        let compose_id = params.compose_id.clone().or_else(|| instance.and_then(|i| i.dokploy_compose_id.clone()));
        let server = params.server.clone().or_else(|| instance.and_then(|i| i.dokploy.clone()));
        let mut sources: Vec<(SourceReport, Vec<Line>)> = Vec::new();
        if wanted(&params.services, "postgres") {
            sources.push(report("postgres", self.postgres_lines(&params, min_level).await));
        }
        if let Some(compose_id) = compose_id.as_deref() {
            match self.container_sources(&params, server.as_deref(), compose_id).await {
                Ok(found) => sources.extend(found),
                Err(failure) => sources.push(report(&format!("dokploy compose {compose_id}"), Err(failure))),
            }
        }
        if wanted(&params.services, "supamcp") || wanted(&params.services, "audit") {
            let read = self
                .state
                .audit
                .recent(params.tail as usize, None)
                .map(|entries| entries.into_iter().map(timeline::from_audit).collect())
                .map_err(|e| Failure::new("cannot read the audit log", e.to_string(), "check the data directory"));
            sources.push(report("supamcp", read));
        }
        if !sources.is_empty() && sources.iter().all(|(r, _)| r.error.is_some()) {
            let why: Vec<String> =
                sources.iter().filter_map(|(r, _)| r.error.as_ref().map(|e| format!("{}: {e}", r.service))).collect();
            return Ok(Failure::new("no log source could be read", why.join("; "), "fix one of the sources above")
                .into_result());
        }
        let filter = Filter {
            min_level,
            since: params.since_minutes.map(|m| timeline::since_text(chrono::Utc::now(), m)),
            contains: params.contains.as_deref().map(str::to_lowercase),
        };
        let (reports, lines): (Vec<SourceReport>, Vec<Vec<Line>>) = sources.into_iter().unzip();
        let limit = usize::try_from(params.limit.clamp(1, 100_000)).unwrap_or(100_000);
        let (merged, matched) = timeline::merge(lines, &filter, limit, crate::knowledge::base().ok());
        let rows = merged
            .into_iter()
            .map(|l| {
                json!({"time": l.time, "service": l.service, "level": l.level.name(), "message": l.message,
                       "knowledge": l.knowledge})
            })
            .collect();
        let bounded = match self.json_rows(rows, None) {
            Ok(bounded) => bounded,
            Err(failure) => return Ok(failure.into_result()),
        };
        let reply =
            AggregateLogsReply { compose_id, sources: reports, matched, lines: bounded.rows, spilled: bounded.spilled };
        Ok(fenced("merged log", &reply))
    }
}
