//! Organizations and projects: listing, the official server's local cost rule and confirmation hash, project
//! creation that waits for ACTIVE_HEALTHY (reporting progress), pause and restore, service health and the
//! database backups list.

use super::types::{
    Backups, NetworkRestrictions, Organization, OrganizationDetail, Project, ServiceHealth, SslEnforcement,
};
use super::{ManagementApi, segment};
use crate::failure::Failure;
use crate::progress::Progress;
use base64::Engine;
use rand::Rng;
use serde::{Deserialize, Serialize};
use serde_json::json;
use sha2::Digest;
use std::time::{Duration, Instant};

/// What a cost is for.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Deserialize, Serialize, schemars::JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum CostType {
    Project,
    Branch,
}

/// How often a cost is charged.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Deserialize, Serialize, schemars::JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum Recurrence {
    Hourly,
    Monthly,
}

/// A cost, as get_cost reports it and confirm_cost hashes it.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, schemars::JsonSchema)]
pub struct Cost {
    #[serde(rename = "type")]
    pub kind: CostType,
    pub recurrence: Recurrence,
    /// US dollars per recurrence.
    pub amount: f64,
}

/// A branch's cost (the official server's fixed rate).
pub const BRANCH_COST: Cost = Cost { kind: CostType::Branch, recurrence: Recurrence::Hourly, amount: 0.01344 };
/// A project's monthly cost in a paid organization that already runs a project.
pub const PAID_PROJECT_AMOUNT: f64 = 10.0;
/// Project statuses that do not count as an active project for the cost rule.
const NOT_ACTIVE: &[&str] = &["INACTIVE", "GOING_DOWN", "REMOVED"];

/// The 16 regions the official server offers for new projects.
pub const REGIONS: [&str; 16] = [
    "us-west-1",
    "us-east-1",
    "us-east-2",
    "ca-central-1",
    "eu-west-1",
    "eu-west-2",
    "eu-west-3",
    "eu-central-1",
    "eu-central-2",
    "eu-north-1",
    "ap-south-1",
    "ap-southeast-1",
    "ap-northeast-1",
    "ap-northeast-2",
    "ap-southeast-2",
    "sa-east-1",
];

impl Cost {
    /// The confirmation id: base64 of the SHA-256 of `{"type":..,"recurrence":..,"amount":..}` written as
    /// JavaScript's JSON.stringify writes it (10, not 10.0), so ids match the official server's.
    pub fn confirmation_id(&self) -> String {
        let kind = match self.kind {
            CostType::Project => "project",
            CostType::Branch => "branch",
        };
        let recurrence = match self.recurrence {
            Recurrence::Hourly => "hourly",
            Recurrence::Monthly => "monthly",
        };
        let text = format!(r#"{{"type":"{kind}","recurrence":"{recurrence}","amount":{}}}"#, js_number(self.amount));
        base64::engine::general_purpose::STANDARD.encode(sha2::Sha256::digest(text.as_bytes()))
    }

    /// The sentence the official server asks the model to repeat to the user.
    pub fn sentence(&self) -> String {
        let what = match self.kind {
            CostType::Project => "The new project",
            CostType::Branch => "The new branch",
        };
        let per = match self.recurrence {
            Recurrence::Hourly => "hourly",
            Recurrence::Monthly => "monthly",
        };
        format!(
            "{what} will cost ${} {per}. Repeat this to the user and confirm their understanding.",
            js_number(self.amount)
        )
    }
}

/// Checks that `given` is the confirmation id of `cost` (the cost as it is now).
pub fn check_confirmation(cost: &Cost, given: &str) -> Result<(), Failure> {
    if cost.confirmation_id() == given.trim() {
        return Ok(());
    }
    Err(Failure::new(
        "the cost is not confirmed",
        format!(
            "confirm_cost_id does not match the current cost ({})",
            cost.sentence().split(". ").next().unwrap_or("")
        ),
        "call get_cost, tell the user the cost and get their agreement, call confirm_cost with it, then pass its \
         confirmation_id as confirm_cost_id",
    ))
}

/// A number as JSON.stringify writes it: integers without a fraction.
fn js_number(value: f64) -> String {
    if value.fract() == 0.0 && value.abs() < 1e15 { format!("{}", value as i64) } else { format!("{value}") }
}

/// The result of creating a project: the project as last read and whether it came up.
#[derive(Clone, Debug, Serialize, schemars::JsonSchema)]
pub struct CreatedProject {
    pub project: Project,
    /// The project reached ACTIVE_HEALTHY before the reply.
    pub ready: bool,
    /// Seconds spent waiting for it.
    pub waited_seconds: u64,
    pub note: String,
}

impl ManagementApi {
    pub async fn list_organizations(&self) -> Result<Vec<Organization>, Failure> {
        self.get_json("/v1/organizations", &[], "list the organizations").await
    }

    pub async fn get_organization(&self, slug: &str) -> Result<OrganizationDetail, Failure> {
        let path = format!("/v1/organizations/{}", segment(slug));
        self.get_json(&path, &[], &format!("read organization {slug}")).await
    }

    pub async fn list_projects(&self) -> Result<Vec<Project>, Failure> {
        self.get_json("/v1/projects", &[], "list the projects").await
    }

    pub async fn get_project(&self, reference: &str) -> Result<Project, Failure> {
        let path = format!("/v1/projects/{}", segment(reference));
        self.get_json(&path, &[], &format!("read project {reference}")).await
    }

    /// The official rule: $10/month when the organization's plan is paid and it already has an active project,
    /// else free.
    pub async fn next_project_cost(&self, organization: &str) -> Result<Cost, Failure> {
        let detail = self.get_organization(organization).await?;
        let paid = detail.plan.as_deref().is_some_and(|plan| plan != "free");
        let amount = if paid {
            let projects = self.list_projects().await?;
            let active =
                projects.iter().any(|p| p.belongs_to(organization) && !NOT_ACTIVE.contains(&p.status.as_str()));
            if active { PAID_PROJECT_AMOUNT } else { 0.0 }
        } else {
            0.0
        };
        Ok(Cost { kind: CostType::Project, recurrence: Recurrence::Monthly, amount })
    }

    /// Creates a project and waits (up to `wait`) for ACTIVE_HEALTHY, reporting each status seen. The database
    /// password is generated here and not returned (reset it in the dashboard to connect directly).
    pub async fn create_project(
        &self,
        name: &str,
        region: &str,
        organization: &str,
        wait: Duration,
        progress: &Progress,
    ) -> Result<CreatedProject, Failure> {
        if !REGIONS.contains(&region) {
            return Err(Failure::new(
                format!("cannot create project '{name}'"),
                format!("'{region}' is not a region Supabase offers"),
                format!("use one of {}", REGIONS.join(", ")),
            ));
        }
        let body = json!({
            "name": name,
            "region": region,
            "organization_slug": organization,
            "db_pass": generated_password(),
        });
        let created: Project = self.post_json("/v1/projects", &body, &format!("create project '{name}'")).await?;
        progress.report(1.0, None, || format!("project {} created: {}", created.id, created.status));
        let started = Instant::now();
        let project = self.wait_until_active(created, wait, progress).await?;
        let ready = project.status == "ACTIVE_HEALTHY";
        let note = if ready {
            "The project is up. Its database password was generated and is not shown: reset it in the dashboard to \
             connect directly."
                .to_owned()
        } else {
            format!("The project is still {}: call get_project until it is ACTIVE_HEALTHY.", project.status)
        };
        Ok(CreatedProject { project, ready, waited_seconds: started.elapsed().as_secs(), note })
    }

    /// Reads `project` again (backing off to 5 s) until it is ACTIVE_HEALTHY or `wait` has passed, reporting
    /// each status change; INIT_FAILED ends the wait with a failure.
    pub async fn wait_until_active(
        &self,
        mut project: Project,
        wait: Duration,
        progress: &Progress,
    ) -> Result<Project, Failure> {
        let started = Instant::now();
        let mut pause = Duration::from_millis(250);
        let mut reports = 1.0;
        while project.status != "ACTIVE_HEALTHY" && started.elapsed() < wait {
            if project.status == "INIT_FAILED" {
                return Err(Failure::new(
                    format!("project {} did not come up", project.id),
                    "its status is INIT_FAILED",
                    "delete it in the dashboard and create it again; if it repeats, contact Supabase support",
                ));
            }
            tokio::time::sleep(pause).await;
            pause = (pause * 2).min(Duration::from_secs(5));
            let previous = project.status.clone();
            project = self.get_project(&project.id).await?;
            if project.status != previous {
                reports += 1.0;
                progress.report(reports, None, || format!("project {}: {}", project.id, project.status));
            }
        }
        Ok(project)
    }

    pub async fn pause_project(&self, reference: &str) -> Result<(), Failure> {
        let path = format!("/v1/projects/{}/pause", segment(reference));
        self.send(reqwest::Method::POST, &path, &[], None, &format!("pause project {reference}")).await.map(|_| ())
    }

    pub async fn restore_project(&self, reference: &str) -> Result<(), Failure> {
        let path = format!("/v1/projects/{}/restore", segment(reference));
        self.send(reqwest::Method::POST, &path, &[], None, &format!("restore project {reference}")).await.map(|_| ())
    }

    /// The health of `services` (auth, db, db_postgres_user, pooler, realtime, rest, storage).
    pub async fn project_health(&self, reference: &str, services: &[String]) -> Result<Vec<ServiceHealth>, Failure> {
        let path = format!("/v1/projects/{}/health", segment(reference));
        let query: Vec<(&str, String)> = services.iter().map(|s| ("services", s.clone())).collect();
        self.get_json(&path, &query, &format!("read the health of project {reference}")).await
    }

    pub async fn network_restrictions(&self, reference: &str) -> Result<NetworkRestrictions, Failure> {
        let path = format!("/v1/projects/{}/network-restrictions", segment(reference));
        self.get_json(&path, &[], &format!("read the network restrictions of project {reference}")).await
    }

    pub async fn ssl_enforcement(&self, reference: &str) -> Result<SslEnforcement, Failure> {
        let path = format!("/v1/projects/{}/ssl-enforcement", segment(reference));
        self.get_json(&path, &[], &format!("read the SSL enforcement of project {reference}")).await
    }

    pub async fn list_backups(&self, reference: &str) -> Result<Backups, Failure> {
        let path = format!("/v1/projects/{}/database/backups", segment(reference));
        self.get_json(&path, &[], &format!("list the backups of project {reference}")).await
    }
}

/// A 32-character database password for a new project (letters and digits).
fn generated_password() -> String {
    const ALPHABET: &[u8] = b"ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz23456789";
    let mut rng = rand::rng();
    (0..32).map(|_| char::from(ALPHABET[rng.random_range(0..ALPHABET.len())])).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn confirmation_ids_hash_the_javascript_json() {
        let expected = |text: &str| base64::engine::general_purpose::STANDARD.encode(sha2::Sha256::digest(text));
        let project = Cost { kind: CostType::Project, recurrence: Recurrence::Monthly, amount: 10.0 };
        assert_eq!(project.confirmation_id(), expected(r#"{"type":"project","recurrence":"monthly","amount":10}"#));
        assert_eq!(
            BRANCH_COST.confirmation_id(),
            expected(r#"{"type":"branch","recurrence":"hourly","amount":0.01344}"#)
        );
        let free = Cost { amount: 0.0, ..project };
        assert_ne!(free.confirmation_id(), project.confirmation_id());
        assert!(project.sentence().contains("$10 monthly"), "{}", project.sentence());
    }

    #[test]
    fn passwords_are_long_and_fresh() {
        let (a, b) = (generated_password(), generated_password());
        assert_eq!(a.len(), 32);
        assert_ne!(a, b);
    }
}
