//! Waiting for a deployment Dokploy queued. `compose.deploy` and `compose.redeploy` return as soon as
//! the job is queued; the compose keeps the previous deployment's status (often `done`) until Dokploy's
//! worker picks the job up, sets it `running` and inserts the deployment row. So a wait reads the
//! deployments before the request (the [`Baseline`]), waits for one that is not among them, then for
//! that one to settle (running → done, error or cancelled), all within one bounded time, and reports
//! which deployment it was, how it ended and how long it took, or that none started.

use super::client::Client;
use super::error::DokployError;
use super::types::{Compose, ComposeStatus, Deployment, DeploymentStatus};
use crate::failure::Failure;
use serde::{Deserialize, Serialize};
use std::time::{Duration, Instant};

/// The deployments of a compose seen before a deploy request.
#[derive(Clone, Debug, Default, PartialEq, Eq, Deserialize, Serialize)]
pub struct Baseline {
    /// Their ids (Dokploy keeps the last ten).
    pub seen: Vec<String>,
    /// The newest one's id and createdAt.
    pub newest_id: Option<String>,
    pub newest_created_at: Option<String>,
}

impl Baseline {
    pub fn of(deployments: &[Deployment]) -> Baseline {
        let newest = deployments.iter().max_by(|a, b| a.created_at.cmp(&b.created_at));
        Baseline {
            seen: deployments.iter().map(|d| d.deployment_id.clone()).collect(),
            newest_id: newest.map(|d| d.deployment_id.clone()),
            newest_created_at: newest.map(|d| d.created_at.clone()),
        }
    }

    /// Reads the compose's deployments now.
    pub async fn take(client: &Client, compose_id: &str) -> Result<Baseline, DokployError> {
        Ok(Baseline::of(&client.deployment_all_by_compose(compose_id).await?))
    }

    /// True for a deployment created after the baseline: an id not seen, not older than the newest seen
    /// (createdAt is an ISO-8601 UTC text, so text order is time order).
    pub fn is_new(&self, deployment: &Deployment) -> bool {
        !self.seen.contains(&deployment.deployment_id)
            && self.newest_created_at.as_deref().is_none_or(|newest| deployment.created_at.as_str() >= newest)
    }

    /// The deployment a request titled `title` made: the oldest new one with that title (Dokploy stores
    /// the title a deploy request sends). New deployments with other titles were queued by someone else.
    pub fn pick<'a>(&self, deployments: &'a [Deployment], title: &str) -> Option<&'a Deployment> {
        deployments
            .iter()
            .filter(|d| self.is_new(d) && d.title.as_deref() == Some(title))
            .min_by(|a, b| a.created_at.cmp(&b.created_at))
    }

    /// The new deployments not titled `title`.
    pub fn others<'a>(&self, deployments: &'a [Deployment], title: &str) -> Vec<&'a Deployment> {
        deployments.iter().filter(|d| self.is_new(d) && d.title.as_deref() != Some(title)).collect()
    }
}

/// How the wait ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, schemars::JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum Outcome {
    /// The new deployment finished.
    Done,
    /// The new deployment failed.
    Error,
    /// The new deployment was cancelled.
    Cancelled,
    /// It started but had not finished when the wait ran out.
    Running,
    /// Dokploy accepted the request, but no new deployment started before the wait ran out.
    NotStarted,
}

impl Outcome {
    pub fn is_finished(self) -> bool {
        matches!(self, Outcome::Done | Outcome::Error | Outcome::Cancelled)
    }
}

/// What a wait saw.
#[derive(Clone, Debug, Serialize, schemars::JsonSchema)]
pub struct DeploymentWait {
    /// done, error or cancelled: how the new deployment ended; running: it had not finished in time;
    /// not_started: Dokploy queued it but did not start it in time.
    pub status: Outcome,
    /// The deployment the request made (id, title, status, logPath, times, errorMessage); null when none started.
    pub deployment: Option<Deployment>,
    /// The newest deployment before the request (what the containers ran until the new one).
    pub previous_deployment_id: Option<String>,
    /// Seconds from the start of the wait until the deployment was seen (about its time in Dokploy's queue).
    pub queued_seconds: Option<f64>,
    /// Seconds supamcp waited in all.
    pub waited_seconds: f64,
    /// One sentence for a person: which deployment, how it ended, how long, what to do.
    pub message: String,
}

fn seconds(duration: Duration) -> f64 {
    (duration.as_secs_f64() * 10.0).round() / 10.0
}

/// What a wait saw, for the message.
struct Seen<'a> {
    deployment: Option<&'a Deployment>,
    previous: Option<&'a str>,
    /// Ids of new deployments queued by others.
    others: Vec<String>,
    queued: f64,
    waited: f64,
}

fn describe(outcome: Outcome, seen: &Seen<'_>) -> String {
    let (deployment, queued, waited) = (seen.deployment, seen.queued, seen.waited);
    let name = |d: &Deployment| {
        let log = d.log_path.as_deref().map(|p| format!(", log {p}")).unwrap_or_default();
        format!("deployment {} (\"{}\"{log})", d.deployment_id, d.title.as_deref().unwrap_or(""))
    };
    let previous = seen.previous.unwrap_or("none");
    let others = if seen.others.is_empty() {
        String::new()
    } else {
        format!(
            " Other deployments started after the request ({}); ours may be queued behind them.",
            seen.others.join(", ")
        )
    };
    match (outcome, deployment) {
        (Outcome::Done, Some(d)) => {
            format!("{} finished: done after {waited} s (about {queued} s of it queued in Dokploy)", name(d))
        }
        (Outcome::Error, Some(d)) => format!(
            "{} ended in error after {waited} s: {}; read the log with dokploy_get_logs (source deployment), fix the cause and redeploy",
            name(d),
            d.error_message.as_deref().unwrap_or("Dokploy gives no message")
        ),
        (Outcome::Cancelled, Some(d)) => {
            format!("{} was cancelled after {waited} s; the containers may be partly updated: redeploy", name(d))
        }
        (Outcome::Running, Some(d)) => format!(
            "{} started after {queued} s but was still running after {waited} s; it may still finish: watch it with dokploy_monitor_health or dokploy_get_logs (source deployment) and do not redeploy before it ends",
            name(d)
        ),
        _ => format!(
            "Dokploy accepted the request, but no new deployment started within {waited} s: it is queued and not started, so the containers still run the previous deployment ({previous}) and the old settings.{others} Check Dokploy's queue: a deployment ahead of it may be running or stuck (the compose's Deployments tab in Dokploy), or Dokploy's worker is down (docker service logs dokploy). Then watch with dokploy_monitor_health; do not request it again before checking, or it runs twice"
        ),
    }
}

/// Waits up to `timeout` for the deployment a request titled `title` made after `baseline`, and for it
/// to settle. `progress` hears when it starts. Reads are retried by the client; an error here means
/// Dokploy could not be read at all.
pub async fn wait_for_new(
    client: &Client,
    compose_id: &str,
    baseline: &Baseline,
    title: &str,
    timeout: Duration,
    progress: &mut (dyn FnMut(String) + Send),
) -> Result<DeploymentWait, DokployError> {
    let started = Instant::now();
    let mut delay = Duration::from_millis(200);
    let mut appeared: Option<Duration> = None;
    loop {
        let deployments = client.deployment_all_by_compose(compose_id).await?;
        let current = baseline.pick(&deployments, title).cloned();
        if let Some(deployment) = &current
            && appeared.is_none()
        {
            appeared = Some(started.elapsed());
            let log = deployment.log_path.as_deref().unwrap_or("no log path");
            progress(format!("deployment {} started ({log})", deployment.deployment_id));
        }
        let settled = match current.as_ref().map(|d| d.status) {
            Some(DeploymentStatus::Done) => Some(Outcome::Done),
            Some(DeploymentStatus::Error) => Some(Outcome::Error),
            Some(DeploymentStatus::Cancelled) => Some(Outcome::Cancelled),
            _ => None,
        };
        let elapsed = started.elapsed();
        let outcome = match settled {
            Some(outcome) => outcome,
            None if elapsed >= timeout => {
                if current.is_some() {
                    Outcome::Running
                } else {
                    Outcome::NotStarted
                }
            }
            None => {
                tokio::time::sleep(delay.min(timeout.saturating_sub(elapsed))).await;
                delay = (delay * 2).min(Duration::from_secs(3));
                continue;
            }
        };
        let queued = appeared.map(seconds);
        let waited = seconds(elapsed);
        let previous = baseline.newest_id.clone();
        let others = baseline.others(&deployments, title).iter().map(|d| d.deployment_id.clone()).collect();
        let seen = Seen {
            deployment: current.as_ref(),
            previous: previous.as_deref(),
            others,
            queued: queued.unwrap_or(waited),
            waited,
        };
        let message = describe(outcome, &seen);
        return Ok(DeploymentWait {
            status: outcome,
            deployment: current,
            previous_deployment_id: previous,
            queued_seconds: queued,
            waited_seconds: waited,
            message,
        });
    }
}

/// The compose after a wait. Dokploy marks the deployment before the compose, so a `running` compose
/// is read again for a few seconds (bounded).
pub async fn settled_compose(client: &Client, compose_id: &str, outcome: Outcome) -> Result<Compose, DokployError> {
    let until = Instant::now() + Duration::from_secs(5);
    loop {
        let compose = client.compose_one(compose_id).await?;
        if !outcome.is_finished() || compose.compose_status != ComposeStatus::Running || Instant::now() >= until {
            return Ok(compose);
        }
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
}

/// Which request to send.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Request {
    Deploy,
    Redeploy,
}

/// Reads the baseline, sends the request once (never retried) and waits for the deployment it made.
pub async fn deploy_and_wait(
    client: &Client,
    compose_id: &str,
    request: Request,
    title: &str,
    timeout: Duration,
    progress: &mut (dyn FnMut(String) + Send),
) -> Result<DeploymentWait, Failure> {
    let verb = match request {
        Request::Deploy => "deploy",
        Request::Redeploy => "redeploy",
    };
    let baseline = Baseline::take(client, compose_id).await.map_err(|e| {
        let failure = e.failure(client.name());
        Failure::new(format!("the {verb} was not requested: {}", failure.what), failure.why, failure.fix)
    })?;
    let sent = match request {
        Request::Deploy => client.compose_deploy(compose_id, title).await,
        Request::Redeploy => client.compose_redeploy(compose_id, title).await,
    };
    if let Err(error) = sent {
        let timed_out = matches!(error, DokployError::Timeout { .. });
        let mut failure = error.failure(client.name());
        if timed_out {
            failure.fix = format!(
                "Dokploy may have queued the {verb} anyway: look at the compose's deployments (dokploy_monitor_health) before asking again, or it runs twice"
            );
        }
        return Err(failure);
    }
    progress(format!("{verb} queued; waiting for Dokploy to start it"));
    wait_for_new(client, compose_id, &baseline, title, timeout, progress).await.map_err(|e| {
        let failure = e.failure(client.name());
        Failure::new(
            format!("Dokploy queued the {verb}, but its progress could not be read: {}", failure.what),
            failure.why,
            "watch it with dokploy_monitor_health or dokploy_get_logs (source deployment); do not request it again before checking",
        )
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn deployment(id: &str, created_at: &str, title: &str) -> Deployment {
        Deployment {
            deployment_id: id.into(),
            created_at: created_at.into(),
            title: Some(title.into()),
            ..Deployment::default()
        }
    }

    #[test]
    fn only_deployments_after_the_baseline_are_new() {
        let before = [deployment("a", "2026-01-01T10:00:00.000Z", "seed")];
        let baseline = Baseline::of(&before);
        assert_eq!(baseline.newest_id.as_deref(), Some("a"));
        let after = [
            deployment("c", "2026-01-01T10:05:00.000Z", "supamcp: env update"),
            deployment("b", "2026-01-01T10:04:00.000Z", "git push"),
            before[0].clone(),
        ];
        assert_eq!(baseline.pick(&after, "supamcp: env update").map(|d| d.deployment_id.as_str()), Some("c"));
        assert!(baseline.pick(&after, "other").is_none());
        let others: Vec<&str> =
            baseline.others(&after, "supamcp: env update").iter().map(|d| d.deployment_id.as_str()).collect();
        assert_eq!(others, ["b"]);
        assert!(baseline.pick(&before, "seed").is_none());
        let stale = deployment("z", "2025-12-31T00:00:00.000Z", "supamcp: env update");
        assert!(!baseline.is_new(&stale));
        assert!(Baseline::default().is_new(&stale));
    }

    #[test]
    fn a_deployment_that_never_started_is_said_so() {
        let seen = Seen { deployment: None, previous: Some("a"), others: vec!["b".into()], queued: 3.0, waited: 3.0 };
        let text = describe(Outcome::NotStarted, &seen);
        assert!(text.contains("queued and not started") && text.contains("(a)"), "{text}");
        assert!(text.contains("(b); ours may be queued behind"), "{text}");
        let error = deployment("d", "t", "x");
        let seen = Seen { deployment: Some(&error), others: Vec::new(), ..seen };
        assert!(describe(Outcome::Error, &seen).contains("ended in error"));
    }
}
