//! Migrations supamcp writes for a tool (storage policies, realtime publication changes and policies): the up
//! SQL and its down file in the CLI's layout, applied with the history row in one transaction. Nothing is left
//! half-done: a dry run (rolled back) or a failed apply takes the files back out of the directory, so the
//! directory and the history keep agreeing.

use super::files;
use super::runner::{self, ApplyOptions, ApplyReport};
use crate::failure::Failure;
use crate::pg::pool::Database;
use std::path::Path;
use std::time::Duration;

/// The migration a tool generated.
#[derive(Clone, Copy, Debug)]
pub struct Generated<'a> {
    /// The name part of the file name (`storage_policy_avatars`).
    pub name: &'a str,
    pub up: &'a str,
    pub down: &'a str,
}

/// Writes `migration` into `directory` and applies it (rolled back when `dry_run`); the report names the file
/// when it was kept. The files are removed again after a dry run or a failure.
pub async fn write_and_apply(
    database: &Database,
    directory: &Path,
    migration: Generated<'_>,
    dry_run: bool,
) -> Result<ApplyReport, Failure> {
    let file = files::create(directory, migration.name, migration.up, Some(migration.down))?;
    let options =
        ApplyOptions { dry_run, lock_timeout: Duration::from_secs(5), statement_timeout: Duration::from_secs(60) };
    let outcome = runner::apply(database, &file, options).await;
    let keep = matches!(&outcome, Ok(report) if !report.dry_run);
    if !keep {
        for path in std::iter::once(&file.path).chain(file.down_path.as_ref()) {
            if let Err(e) = std::fs::remove_file(path) {
                tracing::warn!(path = %path.display(), "a generated migration file was not removed: {e}");
            }
        }
    }
    let mut report = outcome.map_err(|mut failure| {
        failure.fix = format!("{} (the migration file was removed again)", failure.fix);
        failure
    })?;
    if keep {
        report.file = Some(file.path.display().to_string());
    }
    Ok(report)
}
