//! Point-in-time recovery of a cloud project: the target is checked against the project's PITR window
//! (`GET /v1/projects/{ref}/database/backups`: `pitr_enabled` and the earliest/latest physical backup
//! instants) before `POST /v1/projects/{ref}/database/backups/restore-pitr` with `recovery_time_target_unix`
//! is sent; then the project is followed until it is ACTIVE_HEALTHY again.

use super::types::Project;
use super::{ManagementApi, segment};
use crate::failure::Failure;
use crate::progress::Progress;
use chrono::{DateTime, Utc};
use serde::Serialize;
use serde_json::json;
use std::time::{Duration, Instant};

/// The outcome of a point-in-time restore.
#[derive(Clone, Debug, Serialize, schemars::JsonSchema)]
pub struct PitrRestore {
    pub project: Project,
    /// The project was ACTIVE_HEALTHY again before the reply.
    pub ready: bool,
    /// The instant the database was taken back to (ISO 8601, UTC) and as Unix seconds.
    pub recovery_time: String,
    pub recovery_time_target_unix: i64,
    /// The recovery window the target was checked against.
    pub window_start: String,
    pub window_end: String,
    pub waited_seconds: u64,
    pub note: String,
}

/// Unix seconds as ISO 8601.
fn iso(seconds: i64) -> String {
    DateTime::<Utc>::from_timestamp(seconds, 0).map_or_else(|| seconds.to_string(), |t| t.to_rfc3339())
}

impl ManagementApi {
    /// Takes the project's database back to `target` (inside its PITR window), waiting up to `wait` for it.
    pub async fn restore_to_time(
        &self,
        reference: &str,
        target: DateTime<Utc>,
        wait: Duration,
        progress: &Progress,
    ) -> Result<PitrRestore, Failure> {
        let what = format!("restore project {reference} to {}", target.to_rfc3339());
        let backups = self.list_backups(reference).await?;
        if !backups.pitr_enabled {
            return Err(Failure::new(
                what,
                "point-in-time recovery is not enabled for this project (it is a paid add-on)",
                "list_database_backups shows the daily backups, which the dashboard restores; or enable the PITR \
                 add-on first",
            ));
        }
        let data = &backups.physical_backup_data;
        let (Some(earliest), Some(latest)) =
            (data.earliest_physical_backup_date_unix, data.latest_physical_backup_date_unix)
        else {
            return Err(Failure::new(
                what,
                "the project reports no recovery window yet (no physical backup has completed)",
                "wait for the first backup (list_database_backups shows it) and retry",
            ));
        };
        let seconds = target.timestamp();
        if seconds < earliest || seconds > latest {
            return Err(Failure::new(
                what,
                format!("{} is outside the recovery window {} .. {}", target.to_rfc3339(), iso(earliest), iso(latest)),
                "choose a recovery_time inside that window",
            ));
        }
        let path = format!("/v1/projects/{}/database/backups/restore-pitr", segment(reference));
        let body = json!({ "recovery_time_target_unix": seconds });
        self.send(reqwest::Method::POST, &path, &[], Some(&body), &what).await?;
        progress.report(1.0, None, || format!("project {reference}: restore to {} started", target.to_rfc3339()));
        let started = Instant::now();
        let project = self.get_project(reference).await?;
        let project = self.wait_until_active(project, wait, progress).await?;
        let ready = project.status == "ACTIVE_HEALTHY";
        let note = if ready {
            format!(
                "The database is as it was at {}; every change after that instant is gone. Storage objects and \
                 edge functions are not part of the restore.",
                target.to_rfc3339()
            )
        } else {
            format!("The restore is under way ({}): call get_project until it is ACTIVE_HEALTHY.", project.status)
        };
        Ok(PitrRestore {
            project,
            ready,
            recovery_time: target.to_rfc3339(),
            recovery_time_target_unix: seconds,
            window_start: iso(earliest),
            window_end: iso(latest),
            waited_seconds: started.elapsed().as_secs(),
            note,
        })
    }
}
