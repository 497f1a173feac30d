//! The Management API's shapes as supamcp reads them: the fields the tools report, each optional where the
//! published OpenAPI allows it to be absent. Unknown fields are ignored (the API adds fields over time), and
//! secret-bearing fields (a branch's db_pass, jwt_secret) are never declared, so they are never kept.

use serde::{Deserialize, Serialize};

/// An organization the token's account belongs to (`id` is its slug).
#[derive(Clone, Debug, Deserialize, Serialize, schemars::JsonSchema)]
pub struct Organization {
    /// The organization's slug, what organization_id parameters take.
    pub id: String,
    pub name: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub slug: Option<String>,
}

/// An organization with its plan.
#[derive(Clone, Debug, Deserialize, Serialize, schemars::JsonSchema)]
pub struct OrganizationDetail {
    pub id: String,
    pub name: String,
    /// free, pro, team or enterprise.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub plan: Option<String>,
    #[serde(default)]
    pub opt_in_tags: Vec<String>,
    #[serde(default)]
    pub allowed_release_channels: Vec<String>,
}

/// The database of a project.
#[derive(Clone, Debug, Deserialize, Serialize, schemars::JsonSchema)]
pub struct ProjectDatabase {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub host: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub version: Option<String>,
}

/// A project (`id` is its ref).
#[derive(Clone, Debug, Deserialize, Serialize, schemars::JsonSchema)]
pub struct Project {
    /// The project ref.
    pub id: String,
    pub name: String,
    pub organization_id: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub organization_slug: Option<String>,
    pub region: String,
    /// ACTIVE_HEALTHY, COMING_UP, INACTIVE (paused), RESTORING, ...
    pub status: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub created_at: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub database: Option<ProjectDatabase>,
}

impl Project {
    /// Whether the organization `org` (id or slug) owns the project.
    pub fn belongs_to(&self, org: &str) -> bool {
        self.organization_id == org || self.organization_slug.as_deref() == Some(org)
    }
}

/// A preview branch of a project.
#[derive(Clone, Debug, Deserialize, Serialize, schemars::JsonSchema)]
pub struct Branch {
    /// The branch id, what branch_id parameters take.
    pub id: String,
    pub name: String,
    /// The branch's own project ref.
    pub project_ref: String,
    pub parent_project_ref: String,
    #[serde(default)]
    pub is_default: bool,
    /// CREATING_PROJECT, RUNNING_MIGRATIONS, MIGRATIONS_PASSED, MIGRATIONS_FAILED, FUNCTIONS_DEPLOYED, FUNCTIONS_FAILED.
    pub status: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub preview_project_status: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub git_branch: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub persistent: Option<bool>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub created_at: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub updated_at: Option<String>,
}

/// The part of `GET /v1/branches/{id}` supamcp reads (its credentials are not declared, so never kept).
#[derive(Clone, Debug, Deserialize)]
pub struct BranchRef {
    #[serde(rename = "ref")]
    pub reference: String,
}

/// A step of a branch action run (clone, pull, health, configure, migrate, seed, deploy).
#[derive(Clone, Debug, Deserialize, Serialize, schemars::JsonSchema)]
pub struct RunStep {
    pub name: String,
    /// CREATED, RUNNING, EXITED (done), DEAD (failed), PAUSED, REMOVING, RESTARTING.
    pub status: String,
}

/// An action run (`GET /v1/projects/{ref}/actions/{run_id}`).
#[derive(Clone, Debug, Deserialize, Serialize, schemars::JsonSchema)]
pub struct ActionRun {
    pub id: String,
    #[serde(default)]
    pub run_steps: Vec<RunStep>,
}

impl ActionRun {
    /// A step that died: the run failed.
    pub fn failed_step(&self) -> Option<&RunStep> {
        self.run_steps.iter().find(|step| step.status == "DEAD")
    }

    /// Every step exited: the run is done.
    pub fn finished(&self) -> bool {
        !self.run_steps.is_empty() && self.run_steps.iter().all(|step| step.status == "EXITED")
    }
}

/// The health of one service of a project (`GET /v1/projects/{ref}/health`).
#[derive(Clone, Debug, Deserialize, Serialize, schemars::JsonSchema)]
pub struct ServiceHealth {
    /// auth, db, db_postgres_user, pooler, realtime, rest, storage.
    pub name: String,
    pub healthy: bool,
    /// COMING_UP, ACTIVE_HEALTHY or UNHEALTHY.
    pub status: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
}

/// One database backup.
#[derive(Clone, Debug, Deserialize, Serialize, schemars::JsonSchema)]
pub struct Backup {
    pub is_physical_backup: bool,
    /// COMPLETED, FAILED, PENDING, REMOVED, ARCHIVED, CANCELLED.
    pub status: String,
    pub inserted_at: String,
}

/// The window point-in-time recovery can restore to (unix seconds).
#[derive(Clone, Debug, Default, Deserialize, Serialize, schemars::JsonSchema)]
pub struct PhysicalBackupData {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub earliest_physical_backup_date_unix: Option<i64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub latest_physical_backup_date_unix: Option<i64>,
}

/// A project's backups (`GET /v1/projects/{ref}/database/backups`).
#[derive(Clone, Debug, Deserialize, Serialize, schemars::JsonSchema)]
pub struct Backups {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub region: Option<String>,
    #[serde(default)]
    pub pitr_enabled: bool,
    #[serde(default)]
    pub walg_enabled: bool,
    #[serde(default)]
    pub backups: Vec<Backup>,
    #[serde(default)]
    pub physical_backup_data: PhysicalBackupData,
}

/// The address ranges allowed to reach the database.
#[derive(Clone, Debug, Default, Deserialize, Serialize, schemars::JsonSchema)]
pub struct AllowedCidrs {
    #[serde(default, rename = "dbAllowedCidrs", skip_serializing_if = "Option::is_none")]
    pub db_allowed_cidrs: Option<Vec<String>>,
    #[serde(default, rename = "dbAllowedCidrsV6", skip_serializing_if = "Option::is_none")]
    pub db_allowed_cidrs_v6: Option<Vec<String>>,
}

/// `GET /v1/projects/{ref}/network-restrictions`.
#[derive(Clone, Debug, Deserialize, Serialize, schemars::JsonSchema)]
pub struct NetworkRestrictions {
    /// disallowed or allowed (the plan's entitlement).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub entitlement: Option<String>,
    #[serde(default)]
    pub config: AllowedCidrs,
    /// stored or applied.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status: Option<String>,
}

/// The SSL setting of the database.
#[derive(Clone, Debug, Deserialize, Serialize, schemars::JsonSchema)]
pub struct SslDatabase {
    pub database: bool,
}

/// `GET /v1/projects/{ref}/ssl-enforcement`.
#[derive(Clone, Debug, Deserialize, Serialize, schemars::JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct SslEnforcement {
    pub current_config: SslDatabase,
    pub applied_successfully: bool,
}
