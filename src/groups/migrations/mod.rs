//! Group `migrations`: Supabase CLI-compatible migration files and history. Declarations only; the work is in
//! `crate::migrate`.

pub(crate) mod apply;
pub(crate) mod apply_inline;
mod compare;
mod copy;
mod diff;
pub(crate) mod history;
mod instances;

use crate::failure::Failure;
use crate::migrate::files::{self, MigrationFile};
use crate::pg::timeout;
use crate::server::SupamcpServer;
use rmcp::handler::server::router::tool::ToolRouter;
use std::path::PathBuf;
use std::time::Duration;

/// The CLI's default migrations directory, relative to where supamcp runs.
pub(crate) fn default_directory() -> String {
    "supabase/migrations".to_owned()
}

pub(crate) fn default_lock_timeout_ms() -> u64 {
    5000
}

impl SupamcpServer {
    pub(crate) fn migrations_router() -> ToolRouter<SupamcpServer> {
        SupamcpServer::migrations_history_router()
            + SupamcpServer::migrations_apply_router()
            + SupamcpServer::migrations_copy_router()
            + SupamcpServer::migrations_diff_router()
            + SupamcpServer::migrations_instances_router()
            + SupamcpServer::migrations_compare_router()
    }
}

/// The local file of `version` (or of a file name like `20240101120000_add_todos.sql`).
pub(crate) fn find_file(directory: &str, version: &str) -> Result<MigrationFile, Failure> {
    let wanted = files::parse_file_name(version).map(|(v, _)| v).unwrap_or_else(|| version.trim().to_owned());
    let all = files::list(&PathBuf::from(directory))?;
    all.into_iter().find(|f| f.version == wanted).ok_or_else(|| {
        Failure::new(
            format!("no migration {wanted} in {directory}"),
            "no file <version>_<name>.sql there has that version",
            "run list_migrations to see the versions, or pass `directory`",
        )
    })
}

/// The applied migrations of `database`.
pub(crate) async fn applied_versions(database: &crate::pg::pool::Database) -> Result<Vec<String>, Failure> {
    let client = database.client().await?;
    let applied = crate::migrate::history::read(&**client).await?;
    Ok(applied.into_iter().map(|a| a.version).collect())
}

/// The lock and statement timeouts of a migration call, checked against PostgreSQL's range.
pub(crate) fn timeouts(
    lock_ms: u64,
    statement_ms: Option<u64>,
    default_statement: Duration,
) -> Result<(Duration, Duration), Failure> {
    Ok((
        timeout::pg_timeout("lock_timeout_ms", lock_ms)?,
        timeout::pg_timeout_or("statement_timeout_ms", statement_ms, default_statement)?,
    ))
}

/// Statements a careful operator confirms before they run: they drop or empty things.
pub(crate) fn destructive_statements(file: &MigrationFile) -> Vec<String> {
    file.statements
        .iter()
        .filter(|sql| {
            let words = crate::migrate::runner::leading_keywords(sql, 4);
            let words: Vec<&str> = words.iter().map(String::as_str).collect();
            matches!(words.as_slice(), ["DROP", ..] | ["TRUNCATE", ..] | ["DELETE", ..])
                || (words.first() == Some(&"ALTER") && sql.to_ascii_uppercase().contains(" DROP "))
        })
        .map(|sql| sql.chars().take(120).collect())
        .collect()
}
