//! `apply_migration` with `name` + `query`, the official Supabase server's form: write the migration file, apply
//! it and record it in the history in one call. Nothing is left half-done: when the apply fails, is refused or
//! is a dry run, the new file is removed again, so the directory and the history keep agreeing.

use super::apply::{ApplyMigrationParams, needs_confirm};
use super::{default_directory, timeouts};
use crate::failure::Failure;
use crate::migrate::files::{self, MigrationFile};
use crate::migrate::runner::{self, ApplyOptions, ApplyReport};
use crate::server::SupamcpServer;
use std::path::{Path, PathBuf};

/// The new migration a call describes.
pub(super) struct InlineMigration<'a> {
    pub name: &'a str,
    pub query: &'a str,
    pub params: &'a ApplyMigrationParams,
}

/// The refusal for a call that gives neither form, or parts of both.
pub(crate) fn mode_failure() -> Failure {
    Failure::new(
        "apply_migration needs either version, or name and query",
        "version applies an existing migration file; name + query writes a new one and applies it",
        "pass version: \"20240101000000\", or name: \"add_todos\" with query: \"create table ...\"",
    )
}

impl InlineMigration<'_> {
    pub(super) async fn run(&self, server: &SupamcpServer) -> Result<ApplyReport, Failure> {
        let database = server.state.databases.get(self.params.instance.as_deref())?;
        let directory = self.directory(server, &database.instance.name)?;
        let file = files::create(&directory, self.name, self.query, None)?;
        let outcome = self.apply(&database, &file).await;
        let keep = matches!(&outcome, Ok(report) if !report.dry_run);
        if !keep {
            remove_quietly(&file.path);
        }
        let mut report = outcome?;
        if keep {
            report.file = Some(file.path.display().to_string());
            tracing::info!(version = %report.version, path = %file.path.display(), "migration written and applied");
        }
        Ok(report)
    }

    async fn apply(&self, database: &crate::pg::pool::Database, file: &MigrationFile) -> Result<ApplyReport, Failure> {
        let params = self.params;
        if let Some(refusal) = needs_confirm(file).filter(|_| !params.confirm && !params.dry_run) {
            return Err(refusal);
        }
        let (lock_timeout, statement_timeout) =
            timeouts(params.lock_timeout_ms, params.statement_timeout_ms, database.statement_timeout())?;
        runner::apply(database, file, ApplyOptions { dry_run: params.dry_run, lock_timeout, statement_timeout }).await
    }

    /// The migrations directory: the one given, or the project's `supabase/migrations`; when the working
    /// directory holds no Supabase project (a desktop client starts servers in `/` or the home directory),
    /// supamcp's data directory, per instance.
    fn directory(&self, server: &SupamcpServer, instance: &str) -> Result<PathBuf, Failure> {
        let settings = &server.state.settings;
        let given = &self.params.directory;
        if *given == default_directory() && !Path::new(given).is_dir() {
            return Ok(settings.data_dir.join("migrations").join(instance));
        }
        crate::fsutil::output_dir(given, "directory", settings.allow_absolute_paths)
    }
}

fn remove_quietly(path: &Path) {
    if let Err(e) = std::fs::remove_file(path) {
        tracing::warn!(path = %path.display(), "the migration file written for a failed apply was not removed: {e}");
    }
}
