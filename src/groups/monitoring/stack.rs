//! `stack_health`: one ranked view of a whole stack, merged from the parts that already exist: health_check's
//! report (database, API probes with response times, the certificate's days left), the replication slots
//! (realtime's among them) and, for a stack on Dokploy, its containers and last deployment
//! (`dokploy::inspect::observe`, as dokploy_monitor_health). Every problem has its fix and, where the base has
//! one, its knowledge-base entry.

use super::analysis::fenced;
use super::health::{HealthCheckParams, HealthReply, default_api_timeout, default_true};
use crate::dokploy::inspect::{Health as ComposeHealth, observe};
use crate::failure::Failure;
use crate::health::replication::{self, Capacity, Slot};
use crate::health::{Alert, Severity};
use crate::server::SupamcpServer;
use crate::server::output::schema_of;
use rmcp::handler::server::wrapper::Parameters;
use rmcp::model::CallToolResult;
use rmcp::{ErrorData as McpError, schemars, tool, tool_router};
use serde::{Deserialize, Serialize};

#[derive(Debug, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct StackHealthParams {
    /// Instance name; omit for the default instance.
    #[serde(default)]
    pub instance: Option<String>,
    /// Dokploy compose id (default: the instance's dokploy_compose_id).
    #[serde(default)]
    pub compose_id: Option<String>,
    /// Configured Dokploy server (default: the instance's, or the only one).
    #[serde(default)]
    pub server: Option<String>,
    /// Probe Auth, REST, Storage and TLS when the instance has a public URL and anon key.
    #[serde(default = "default_true")]
    pub check_api: bool,
    /// Time limit per API request, in ms.
    #[serde(default = "default_api_timeout")]
    pub api_timeout_ms: u64,
}

/// One problem of the stack.
#[derive(Debug, Serialize, schemars::JsonSchema)]
pub struct Problem {
    /// 1 is the most urgent.
    pub rank: usize,
    /// critical, warning or info.
    pub severity: &'static str,
    /// containers, database, replication, realtime, api or tls.
    pub area: &'static str,
    /// The check or service it is about.
    pub subject: String,
    pub message: String,
    pub fix: String,
    /// The knowledge-base entry about it (explain_error with this id gives cause, check and fix).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub knowledge: Option<&'static str>,
}

/// The replication slots (Realtime's logical slots among them) and the room left for more.
#[derive(Debug, Serialize, schemars::JsonSchema)]
pub struct Replication {
    pub capacity: Capacity,
    pub slots: Vec<Slot>,
}

#[derive(Debug, Serialize, schemars::JsonSchema)]
pub struct StackHealthReply {
    /// ok, warning or critical: the worst problem.
    pub status: &'static str,
    /// Most urgent first: critical before warning before info; containers, then the database, then the API.
    pub problems: Vec<Problem>,
    /// health_check's report (database, API probes with response times, certificate); absent when the
    /// instance could not be checked (see problems).
    pub health: Option<HealthReply>,
    pub replication: Option<Replication>,
    /// The Dokploy compose's containers and last deployment, when the stack runs on Dokploy.
    pub containers: Option<ComposeHealth>,
}

/// Root causes first: a stopped container explains a database or API failure.
fn area_order(area: &str) -> usize {
    ["containers", "database", "replication", "realtime", "api", "tls"].iter().position(|a| *a == area).unwrap_or(9)
}

fn severity_order(severity: &str) -> usize {
    ["critical", "warning", "info"].iter().position(|s| *s == severity).unwrap_or(3)
}

fn area_of(check: &str) -> &'static str {
    if check.starts_with("api") {
        "api"
    } else if check.starts_with("tls") {
        "tls"
    } else if check.starts_with("realtime") {
        "realtime"
    } else if check.contains("replication") || check == "wal_level" {
        "replication"
    } else {
        "database"
    }
}

fn from_alert(alert: &Alert) -> Problem {
    Problem {
        rank: 0,
        severity: match alert.severity {
            Severity::Critical => "critical",
            Severity::Warning => "warning",
        },
        area: area_of(alert.check),
        subject: alert.check.to_owned(),
        message: alert.message.clone(),
        fix: alert.fix.clone(),
        knowledge: crate::knowledge::entry_for(&format!("health:{}", alert.check)),
    }
}

/// Ranks the problems: by severity, then by area (root causes first), keeping each part's own order.
fn rank(mut problems: Vec<Problem>) -> Vec<Problem> {
    problems.sort_by_key(|p| (severity_order(p.severity), area_order(p.area)));
    for (n, problem) in problems.iter_mut().enumerate() {
        problem.rank = n + 1;
    }
    problems
}

impl SupamcpServer {
    async fn replication_of(&self, instance: Option<&str>) -> Result<Replication, Failure> {
        let database = self.state.databases.get(instance)?;
        let client = database.client().await?;
        let (slots, capacity) = tokio::try_join!(replication::slots(&**client), replication::capacity(&**client))?;
        Ok(Replication { capacity, slots })
    }

    async fn compose_health(&self, server: Option<&str>, compose_id: &str) -> Result<ComposeHealth, Failure> {
        let client = self.dokploy_client(server)?;
        let (compose, _) = self.dokploy_compose(client, compose_id).await?;
        observe(client, &compose).await.map_err(|e| e.failure(client.name()))
    }
}

#[tool_router(router = monitoring_stack_router, vis = "pub(crate)")]
impl SupamcpServer {
    /// One ranked view of a whole stack: containers (on Dokploy), database health, API probes with response
    /// times, certificate days left and replication/realtime slots. Each problem comes with its fix and its
    /// knowledge-base entry.
    #[tool(
        annotations(title = "Stack health", read_only_hint = true, destructive_hint = false, idempotent_hint = false, open_world_hint = true),
        output_schema = schema_of::<StackHealthReply>()
    )]
    async fn stack_health(
        &self,
        Parameters(params): Parameters<StackHealthParams>,
    ) -> Result<CallToolResult, McpError> {
        let instance = self.state.settings.instance(params.instance.as_deref()).ok();
        let compose_id = params.compose_id.clone().or_else(|| instance.and_then(|i| i.dokploy_compose_id.clone()));
        let server = params.server.clone().or_else(|| instance.and_then(|i| i.dokploy.clone()));
        let check = HealthCheckParams {
            instance: params.instance.clone(),
            // The default thresholds: health_check takes others.
            thresholds: None,
            check_api: params.check_api,
            accept_invalid_certs: true,
            api_timeout_ms: params.api_timeout_ms,
        };
        let containers_side = async {
            match compose_id.as_deref() {
                Some(id) => Some(self.compose_health(server.as_deref(), id).await),
                None => None,
            }
        };
        let database_side =
            async { (self.health_report(&check).await, self.replication_of(params.instance.as_deref()).await) };
        let (containers_result, database_result) = tokio::join!(containers_side, database_side);
        let mut problems = Vec::new();
        let containers = match containers_result {
            Some(Ok(health)) => {
                problems.extend(health.issues.iter().map(|issue| {
                    Problem {
                        rank: 0,
                        severity: issue.severity.name(),
                        area: "containers",
                        subject: issue.subject.clone(),
                        message: issue.message.clone(),
                        fix: issue.fix.clone(),
                        knowledge: crate::knowledge::base()
                            .ok()
                            .and_then(|b| crate::health::timeline::strong_match(b, &issue.message)),
                    }
                }));
                Some(health)
            }
            Some(Err(failure)) => {
                problems.push(unreachable_problem("containers", "dokploy", failure));
                None
            }
            None => None,
        };
        let (health, replication) = database_result;
        let health = match health {
            Ok(report) => {
                problems.extend(report.alerts.iter().map(from_alert));
                Some(report)
            }
            Err(failure) => {
                problems.push(unreachable_problem("database", "instance", failure));
                None
            }
        };
        // An unreachable database is already a problem of the health report.
        let replication = replication.ok();
        let problems = rank(problems);
        let status = match problems.first().map(|p| p.severity) {
            Some("critical") => "critical",
            Some("warning") => "warning",
            _ => "ok",
        };
        Ok(fenced("stack health", &StackHealthReply { status, problems, health, replication, containers }))
    }
}

fn unreachable_problem(area: &'static str, subject: &str, failure: Failure) -> Problem {
    Problem {
        rank: 0,
        severity: "critical",
        area,
        subject: subject.to_owned(),
        message: format!("{}: {}", failure.what, failure.why),
        fix: failure.fix,
        knowledge: None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn problem(severity: &'static str, area: &'static str, subject: &str) -> Problem {
        Problem {
            rank: 0,
            severity,
            area,
            subject: subject.into(),
            message: String::new(),
            fix: String::new(),
            knowledge: None,
        }
    }

    #[test]
    fn critical_first_and_root_causes_before_symptoms() {
        let ranked = rank(vec![
            problem("warning", "database", "cache_hit"),
            problem("critical", "api", "api_endpoint"),
            problem("critical", "containers", "auth"),
            problem("info", "containers", "studio"),
        ]);
        let order: Vec<(usize, &str)> = ranked.iter().map(|p| (p.rank, p.subject.as_str())).collect();
        assert_eq!(order, [(1, "auth"), (2, "api_endpoint"), (3, "cache_hit"), (4, "studio")]);
        assert_eq!((area_of("tls_expiry"), area_of("inactive_replication_slot")), ("tls", "replication"));
        assert_eq!(area_of("connections"), "database");
    }
}
