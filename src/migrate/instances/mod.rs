//! Several instances side by side (no rmcp): one instance's registry facts (PostgreSQL version, migration head,
//! pending files and drift against a local migrations directory) and, in `compare`, what differs between two
//! instances section by section.

pub mod auth;
pub mod compare;

use super::files::MigrationFile;
use super::history::{self, AppliedMigration};
use super::status::{self, Drift};
use crate::failure::Failure;
use crate::pg::catalog::query_failure;
use serde::Serialize;
use tokio_postgres::GenericClient;

/// Versions or drift entries kept in one instance's summary (the counts stay exact).
pub const LISTED: usize = 20;

/// What the registry reads from one reachable instance.
#[derive(Clone, Debug)]
pub struct Probe {
    pub server_version: String,
    pub applied: Vec<AppliedMigration>,
}

/// The server version and the applied migrations (none when the history table is missing).
pub async fn probe(client: &impl GenericClient) -> Result<Probe, Failure> {
    let row = client.query_typed_one("select current_setting('server_version')", &[]).await.map_err(query_failure)?;
    Ok(Probe { server_version: row.get(0), applied: history::read(client).await? })
}

/// An instance's migration history against the local migrations directory.
#[derive(Debug, Serialize, schemars::JsonSchema)]
pub struct MigrationSummary {
    /// The newest applied version (null: no history table or an empty one).
    pub head: Option<String>,
    pub applied: usize,
    /// Local files not applied yet (at most 20 listed; `pending_count` is exact).
    pub pending: Vec<String>,
    pub pending_count: usize,
    /// Edited, missing or out-of-order migrations (at most 20 listed; `drift_count` is exact).
    pub drift: Vec<Drift>,
    pub drift_count: usize,
}

/// The summary of `applied` against `files` (the local directory's migrations).
pub fn summarize(files: &[MigrationFile], applied: &[AppliedMigration]) -> MigrationSummary {
    let report = status::compare(files, applied);
    MigrationSummary {
        head: applied.last().map(|a| a.version.clone()),
        applied: applied.len(),
        pending_count: report.pending.len(),
        pending: report.pending.into_iter().take(LISTED).collect(),
        drift_count: report.drift.len(),
        drift: report.drift.into_iter().take(LISTED).collect(),
    }
}

/// Whether an instance's tag passes the caller's filter (case-insensitive; no filter: all pass).
pub fn tag_matches(tag: Option<&str>, wanted: Option<&str>) -> bool {
    match wanted {
        None => true,
        Some(wanted) => tag.is_some_and(|tag| tag.eq_ignore_ascii_case(wanted.trim())),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::path::PathBuf;

    fn applied(version: &str) -> AppliedMigration {
        AppliedMigration { version: version.to_owned(), name: "m".to_owned(), statements: vec!["select 1".to_owned()] }
    }

    fn file(version: &str) -> MigrationFile {
        MigrationFile {
            version: version.to_owned(),
            name: "m".to_owned(),
            path: PathBuf::from(format!("{version}_m.sql")),
            sql: "select 1".to_owned(),
            down_path: None,
            statements: vec!["select 1".to_owned()],
        }
    }

    #[test]
    fn head_pending_and_drift_come_from_the_status_report() {
        let summary = summarize(&[file("1"), file("2"), file("3")], &[applied("1"), applied("2"), applied("9")]);
        assert_eq!(summary.head.as_deref(), Some("9"));
        assert_eq!(summary.applied, 3);
        assert_eq!(summary.pending, vec!["3"]);
        let kinds: Vec<&str> = summary.drift.iter().map(|d| d.kind.as_str()).collect();
        assert_eq!(kinds, vec!["out_of_order", "applied_without_file"]);
        assert_eq!(summary.drift_count, 2);
    }

    #[test]
    fn long_lists_are_cut_and_counted() {
        let files: Vec<MigrationFile> = (100..150).map(|v| file(&v.to_string())).collect();
        let summary = summarize(&files, &[]);
        assert_eq!(summary.pending.len(), LISTED);
        assert_eq!(summary.pending_count, 50);
        assert_eq!(summary.head, None);
    }

    #[test]
    fn tags_filter_case_insensitively() {
        assert!(tag_matches(Some("prod"), Some("PROD")));
        assert!(!tag_matches(None, Some("prod")));
        assert!(tag_matches(None, None));
        assert!(!tag_matches(Some("dev"), Some("prod")));
    }
}
