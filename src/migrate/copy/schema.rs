//! The schema steps of a copy: `pg_dump` of the copied schemas' definitions from the source (a pg_dump at least
//! as new as the source server, found on this machine), its psql-only lines removed, applied to the target in
//! one transaction. As pg_restore does, the tables come before the data (pre-data) and indexes, constraints and
//! triggers after it (post-data), so rows are not indexed one by one.

use crate::failure::Failure;
use crate::pg::conninfo::{ConnSpec, Host};
use crate::pg::server_programs::ServerPrograms;
use crate::pg::sql_errors::sql_failure;
use std::process::{Command, Stdio};
use std::time::Duration;

/// The major version of the pg_dump in `bindir`.
fn pg_dump_major(pg_dump: &std::path::Path) -> Option<u32> {
    let output = Command::new(pg_dump).arg("--version").stdin(Stdio::null()).output().ok()?;
    let text = String::from_utf8(output.stdout).ok()?;
    text.split_whitespace().find_map(|word| word.split('.').next()?.parse().ok())
}

/// Every pg_dump on this machine (SUPAMCP_PG_BINDIR, PATH, the server programs' directory, the versioned
/// Debian directories) with its major version, newest first.
fn pg_dumps() -> Vec<(std::path::PathBuf, u32)> {
    let mut dirs: Vec<std::path::PathBuf> =
        std::env::var_os("SUPAMCP_PG_BINDIR").map(std::path::PathBuf::from).into_iter().collect();
    dirs.extend(std::env::var_os("PATH").map(|p| std::env::split_paths(&p).collect::<Vec<_>>()).unwrap_or_default());
    dirs.extend(ServerPrograms::find(None).map(|p| p.bindir).ok());
    if let Ok(entries) = std::fs::read_dir("/usr/lib/postgresql") {
        dirs.extend(entries.flatten().map(|e| e.path().join("bin")));
    }
    let mut found: Vec<(std::path::PathBuf, u32)> = dirs
        .into_iter()
        .map(|d| d.join("pg_dump"))
        .filter(|p| p.is_file())
        .filter_map(|p| pg_dump_major(&p).map(|m| (p, m)))
        .collect();
    found.sort_by_key(|(_, major)| std::cmp::Reverse(*major));
    found
}

/// Which part of the definitions to dump.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Section {
    PreData,
    PostData,
}

/// Dumps the definitions of `schemas` in `section` from the source.
pub fn dump(source: &ConnSpec, server_major: u32, schemas: &[String], section: Section) -> Result<String, Failure> {
    let Some((pg_dump, major)) = pg_dumps().into_iter().next() else {
        return Err(Failure::new(
            "pg_dump not found",
            "no pg_dump on PATH, in SUPAMCP_PG_BINDIR or under /usr/lib/postgresql",
            format!(
                "install the PostgreSQL client programs (apt-get install postgresql-client-{server_major}), or copy with include_schema: false into a target that has the schema"
            ),
        ));
    };
    if major < server_major {
        return Err(Failure::new(
            format!("pg_dump {major} cannot dump a PostgreSQL {server_major} server"),
            "pg_dump must be at least as new as the server it dumps",
            format!(
                "install postgresql-client-{server_major} (or newer) and point SUPAMCP_PG_BINDIR at its bin directory, or copy without the schema (include_schema: false) into a target that has it"
            ),
        ));
    }
    let mut command = Command::new(&pg_dump);
    let section = match section {
        Section::PreData => "--section=pre-data",
        Section::PostData => "--section=post-data",
    };
    command.args([section, "--no-owner", "--no-privileges", "--quote-all-identifiers"]);
    for schema in schemas {
        command.arg(format!("--schema={schema}"));
    }
    let host = match &source.host {
        Host::Tcp(host) => host.clone(),
        Host::Socket(dir) => dir.display().to_string(),
    };
    command.args([
        "--host",
        &host,
        "--port",
        &source.port.to_string(),
        "--username",
        &source.user,
        "--dbname",
        &source.dbname,
    ]);
    // The password goes through the environment, never the command line (other users can read that).
    command.env_remove("PGPASSWORD").env("PGSSLMODE", source.sslmode.name()).env("PGCONNECT_TIMEOUT", "10");
    if let Some(password) = &source.password {
        command.env("PGPASSWORD", password.expose());
    }
    let output =
        command.stdin(Stdio::null()).stdout(Stdio::piped()).stderr(Stdio::piped()).output().map_err(|e| {
            Failure::new("cannot run pg_dump", e.to_string(), "check the PostgreSQL client installation")
        })?;
    if !output.status.success() {
        return Err(Failure::new(
            "pg_dump of the source schema failed",
            String::from_utf8_lossy(&output.stderr).trim().to_owned(),
            "check the source connection and the role's privileges on the copied schemas",
        ));
    }
    let text = String::from_utf8(output.stdout).map_err(|_| {
        Failure::new(
            "pg_dump wrote non-UTF-8 output",
            "the schema holds bytes that are not UTF-8",
            "use a UTF-8 database encoding",
        )
    })?;
    Ok(without_psql_commands(&text))
}

/// Removes psql meta-commands (pg_dump 15.14+ writes `\restrict` / `\unrestrict` lines) that a server does not
/// understand, and the lines that create the dumped schemas themselves when they are `public`.
pub fn without_psql_commands(dump: &str) -> String {
    dump.lines()
        .filter(|line| !line.starts_with('\\'))
        .filter(|line| !line.starts_with("CREATE SCHEMA \"public\";"))
        .collect::<Vec<_>>()
        .join("\n")
}

/// Applies a schema dump to the target in one transaction.
pub async fn apply(target: &mut tokio_postgres::Client, sql: &str) -> Result<(), Failure> {
    let transaction = target.transaction().await.map_err(|e| sql_failure(&e, None, Duration::ZERO))?;
    transaction.batch_execute(sql).await.map_err(|e| {
        let mut failure = sql_failure(&e, None, Duration::ZERO);
        failure.what = "the source schema cannot be created on the target".to_owned();
        failure.fix = format!("{} If the target already has the schema, copy with include_schema: false.", failure.fix);
        failure
    })?;
    transaction.commit().await.map_err(|e| sql_failure(&e, None, Duration::ZERO))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn psql_lines_and_public_schema_creation_are_dropped() {
        let dump = "\\restrict abc\nSET x = 1;\nCREATE SCHEMA \"public\";\nCREATE SCHEMA \"app\";\n\\unrestrict abc\n";
        assert_eq!(without_psql_commands(dump), "SET x = 1;\nCREATE SCHEMA \"app\";");
    }
}
