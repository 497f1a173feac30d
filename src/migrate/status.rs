//! Local migration files against the applied history: what is pending, and drift (a file whose statements
//! differ from the stored ones, an applied version with no file, a pending file older than the newest
//! applied one).

use super::files::{MigrationFile, version_order};
use super::history::AppliedMigration;
use serde::Serialize;

#[derive(Debug, Serialize, schemars::JsonSchema)]
pub struct MigrationState {
    pub version: String,
    pub name: String,
    pub local: bool,
    pub applied: bool,
    pub has_down: bool,
}

#[derive(Debug, Serialize, schemars::JsonSchema, PartialEq, Eq)]
pub struct Drift {
    pub version: String,
    /// statements_differ, applied_without_file or out_of_order.
    pub kind: String,
    pub detail: String,
    pub fix: String,
}

#[derive(Debug, Serialize, schemars::JsonSchema)]
pub struct StatusReport {
    pub migrations: Vec<MigrationState>,
    /// Versions of local files not applied yet, in order.
    pub pending: Vec<String>,
    pub drift: Vec<Drift>,
}

pub fn compare(files: &[MigrationFile], applied: &[AppliedMigration]) -> StatusReport {
    let mut versions: Vec<&str> =
        files.iter().map(|f| f.version.as_str()).chain(applied.iter().map(|a| a.version.as_str())).collect();
    versions.sort_by(|a, b| version_order(a, b));
    versions.dedup();
    let newest_applied = applied.iter().map(|a| a.version.as_str()).max_by(|a, b| version_order(a, b));
    let mut report = StatusReport { migrations: Vec::new(), pending: Vec::new(), drift: Vec::new() };
    for version in versions {
        let file = files.iter().find(|f| f.version == version);
        let row = applied.iter().find(|a| a.version == version);
        report.migrations.push(MigrationState {
            version: version.to_owned(),
            name: file.map(|f| f.name.clone()).or_else(|| row.map(|r| r.name.clone())).unwrap_or_default(),
            local: file.is_some(),
            applied: row.is_some(),
            has_down: file.is_some_and(|f| f.down_path.is_some()),
        });
        match (file, row) {
            (Some(file), Some(row)) if !row.statements.is_empty() && row.statements != file.statements => {
                let at = file.statements.iter().zip(&row.statements).position(|(a, b)| a != b).unwrap_or(file.statements.len().min(row.statements.len()));
                report.drift.push(Drift {
                    version: version.to_owned(),
                    kind: "statements_differ".to_owned(),
                    detail: format!(
                        "{} was edited after it was applied: statement {} differs ({} statements in the file, {} applied)",
                        file.path.display(),
                        at + 1,
                        file.statements.len(),
                        row.statements.len()
                    ),
                    fix: "put the change in a new migration and restore the file, or, if the database already matches the file, repair the history with status applied".to_owned(),
                });
            }
            (None, Some(_)) => report.drift.push(Drift {
                version: version.to_owned(),
                kind: "applied_without_file".to_owned(),
                detail: "the database has this migration but the migrations directory has no file for it".to_owned(),
                fix: "restore the file from version control (the stored statements show what it held), or repair the history with status reverted if it should not count".to_owned(),
            }),
            (Some(file), None) => {
                report.pending.push(version.to_owned());
                if newest_applied.is_some_and(|newest| version_order(version, newest).is_lt()) {
                    report.drift.push(Drift {
                        version: version.to_owned(),
                        kind: "out_of_order".to_owned(),
                        detail: format!("{} is older than the newest applied migration but was never applied", file.path.display()),
                        fix: "apply it explicitly (apply_migration, or apply_pending with include_all), or give it a newer version".to_owned(),
                    });
                }
            }
            _ => {}
        }
    }
    report
}
