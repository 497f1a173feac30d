//! Preview branches: list (422 = branching disabled = none), create (waiting for the branch to settle),
//! delete, and merge/reset/rebase, which answer with a workflow run id: the run is polled until its steps
//! exited, and a run with a dead step fails with the tail of its log. Also the branch's schema diff.

use super::types::{ActionRun, Branch, BranchRef};
use super::{ManagementApi, segment};
use crate::failure::Failure;
use crate::progress::Progress;
use reqwest::Method;
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use std::time::{Duration, Instant};

/// Bytes of a failed run's log quoted in the failure (its end: where it failed).
const LOG_TAIL: usize = 4 * 1024;

/// A branch operation that runs a workflow.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum BranchAction {
    Merge,
    Reset,
    Rebase,
}

impl BranchAction {
    fn endpoint(self) -> &'static str {
        match self {
            BranchAction::Merge => "merge",
            BranchAction::Reset => "reset",
            BranchAction::Rebase => "push",
        }
    }

    fn verb(self) -> &'static str {
        match self {
            BranchAction::Merge => "merge",
            BranchAction::Reset => "reset",
            BranchAction::Rebase => "rebase",
        }
    }
}

/// What a branch operation did.
#[derive(Clone, Debug, Serialize, schemars::JsonSchema)]
pub struct BranchOutcome {
    pub branch_id: String,
    /// merge, reset or rebase.
    pub action: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub workflow_run_id: Option<String>,
    /// done, or running when the wait ended first.
    pub state: String,
    pub steps: Vec<super::types::RunStep>,
    pub waited_seconds: u64,
}

#[derive(Deserialize)]
struct WorkflowReply {
    #[serde(default)]
    workflow_run_id: Option<String>,
}

/// Branch statuses that end a branch's setup.
const SETTLED: &[&str] = &["MIGRATIONS_PASSED", "FUNCTIONS_DEPLOYED"];
const BRANCH_FAILED: &[&str] = &["MIGRATIONS_FAILED", "FUNCTIONS_FAILED"];

impl ManagementApi {
    /// The project's branches; none when branching is not enabled (the API answers 422).
    pub async fn list_branches(&self, reference: &str) -> Result<Vec<Branch>, Failure> {
        let path = format!("/v1/projects/{}/branches", segment(reference));
        let what = format!("list the branches of project {reference}");
        match self.get_json(&path, &[], &what).await {
            Err(failure) if failure.why.ends_with("(HTTP 422)") => Ok(Vec::new()),
            other => other,
        }
    }

    /// Creates a branch and waits (up to `wait`) until its setup settled; a failed setup is a failure.
    pub async fn create_branch(
        &self,
        reference: &str,
        name: &str,
        wait: Duration,
        progress: &Progress,
    ) -> Result<Branch, Failure> {
        let path = format!("/v1/projects/{}/branches", segment(reference));
        let what = format!("create branch '{name}' of project {reference}");
        let mut branch: Branch = self.post_json(&path, &json!({ "branch_name": name }), &what).await?;
        progress.report(1.0, None, || format!("branch {} created: {}", branch.id, branch.status));
        let started = Instant::now();
        let mut pause = Duration::from_millis(250);
        let mut reports = 1.0;
        while !SETTLED.contains(&branch.status.as_str()) && started.elapsed() < wait {
            if BRANCH_FAILED.contains(&branch.status.as_str()) {
                return Err(Failure::new(
                    format!("branch '{name}' was created but its setup failed"),
                    format!("its status is {}", branch.status),
                    "fix the failing migration or function on the main project, then delete_branch and create it again",
                ));
            }
            tokio::time::sleep(pause).await;
            pause = (pause * 2).min(Duration::from_secs(5));
            let previous = branch.status.clone();
            let listed = self.list_branches(reference).await?;
            if let Some(current) = listed.into_iter().find(|b| b.id == branch.id) {
                branch = current;
            }
            if branch.status != previous {
                reports += 1.0;
                progress.report(reports, None, || format!("branch {}: {}", branch.id, branch.status));
            }
        }
        Ok(branch)
    }

    pub async fn delete_branch(&self, branch_id: &str) -> Result<(), Failure> {
        let path = format!("/v1/branches/{}", segment(branch_id));
        self.send(Method::DELETE, &path, &[], None, &format!("delete branch {branch_id}")).await.map(|_| ())
    }

    /// Merges, resets or rebases a branch, then follows its workflow run (up to `wait`).
    pub async fn branch_action(
        &self,
        branch_id: &str,
        action: BranchAction,
        body: Value,
        wait: Duration,
        progress: &Progress,
    ) -> Result<BranchOutcome, Failure> {
        let path = format!("/v1/branches/{}/{}", segment(branch_id), action.endpoint());
        let what = format!("{} branch {branch_id}", action.verb());
        let reply: Option<WorkflowReply> = self.post_json(&path, &body, &what).await?;
        let run_id = reply.and_then(|r| r.workflow_run_id);
        let started = Instant::now();
        let mut outcome = BranchOutcome {
            branch_id: branch_id.to_owned(),
            action: action.verb().to_owned(),
            workflow_run_id: run_id.clone(),
            state: "done".to_owned(),
            steps: Vec::new(),
            waited_seconds: 0,
        };
        let Some(run_id) = run_id else {
            return Ok(outcome);
        };
        let branch_ref = self.branch_ref(branch_id).await?;
        let mut pause = Duration::from_millis(200);
        loop {
            let run = self.action_run(&branch_ref, &run_id).await?;
            let exited = run.run_steps.iter().filter(|s| s.status == "EXITED").count();
            progress.report(exited as f64, Some(run.run_steps.len().max(1) as f64), || {
                format!("{} of branch {branch_id}: {exited} of {} steps done", action.verb(), run.run_steps.len())
            });
            if let Some(step) = run.failed_step() {
                let log = self.action_log(&branch_ref, &run_id).await.unwrap_or_default();
                return Err(Failure::new(
                    format!("{what} failed in step '{}' of workflow run {run_id}", step.name),
                    format!("the run's log ends with:\n{}", tail(&log, LOG_TAIL)),
                    "fix what the log names (often a migration that fails on the target), then run it again",
                ));
            }
            let finished = run.finished();
            outcome.steps = run.run_steps;
            outcome.waited_seconds = started.elapsed().as_secs();
            if finished {
                return Ok(outcome);
            }
            if started.elapsed() >= wait {
                outcome.state = "running".to_owned();
                return Ok(outcome);
            }
            tokio::time::sleep(pause).await;
            pause = (pause * 2).min(Duration::from_secs(5));
        }
    }

    /// The branch's own project ref (read from `GET /v1/branches/{id}`; its credentials are not kept).
    async fn branch_ref(&self, branch_id: &str) -> Result<String, Failure> {
        let path = format!("/v1/branches/{}", segment(branch_id));
        let branch: BranchRef = self.get_json(&path, &[], &format!("read branch {branch_id}")).await?;
        Ok(branch.reference)
    }

    async fn action_run(&self, reference: &str, run_id: &str) -> Result<ActionRun, Failure> {
        let path = format!("/v1/projects/{}/actions/{}", segment(reference), segment(run_id));
        self.get_json(&path, &[], &format!("read workflow run {run_id}")).await
    }

    async fn action_log(&self, reference: &str, run_id: &str) -> Result<String, Failure> {
        let path = format!("/v1/projects/{}/actions/{}/logs", segment(reference), segment(run_id));
        self.get_text(&path, &[], &format!("read the log of workflow run {run_id}")).await
    }

    /// The schema diff between a branch and its parent, as SQL (`GET /v1/branches/{id}/diff`).
    pub async fn branch_diff(&self, branch_id: &str, schemas: &[String]) -> Result<String, Failure> {
        let path = format!("/v1/branches/{}/diff", segment(branch_id));
        let query = if schemas.is_empty() { Vec::new() } else { vec![("included_schemas", schemas.join(","))] };
        self.get_text(&path, &query, &format!("diff branch {branch_id}")).await
    }
}

/// The last `bytes` of `text`, cut at a character boundary.
fn tail(text: &str, bytes: usize) -> &str {
    let text = text.trim_end();
    let mut start = text.len().saturating_sub(bytes);
    while !text.is_char_boundary(start) {
        start += 1;
    }
    &text[start..]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tails_cut_at_characters() {
        assert_eq!(tail("abc\n", 2), "bc");
        assert_eq!(tail("éé", 3), "é");
        assert_eq!(tail("short", 100), "short");
    }
}
