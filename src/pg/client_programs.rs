//! The PostgreSQL client programs (`pg_dump`, `pg_restore`) on this machine: every copy found with its major
//! version, the one able to work with a given server (at least as new as it), and how to point one at a
//! database: argv for host, port, user and database, the password through the environment only.

use super::conninfo::{ConnSpec, Host};
use super::server_programs::{BINDIR_ENV, ServerPrograms};
use crate::child_env;
use crate::failure::Failure;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

/// The major version a client program reports with `--version`.
fn major_of(program: &Path) -> Option<u32> {
    let output = child_env::command(program).arg("--version").stdin(Stdio::null()).output().ok()?;
    let text = String::from_utf8(output.stdout).ok()?;
    text.split_whitespace().find_map(|word| word.split('.').next()?.parse().ok())
}

/// Every copy of `name` on this machine (SUPAMCP_PG_BINDIR, PATH, the server programs' directory, the versioned
/// Debian directories) with its major version, newest first.
pub fn all(name: &str) -> Vec<(PathBuf, u32)> {
    let mut dirs: Vec<PathBuf> = std::env::var_os(BINDIR_ENV).map(PathBuf::from).into_iter().collect();
    dirs.extend(std::env::var_os("PATH").map(|p| std::env::split_paths(&p).collect::<Vec<_>>()).unwrap_or_default());
    dirs.extend(ServerPrograms::find(None).map(|p| p.bindir).ok());
    if let Ok(entries) = std::fs::read_dir("/usr/lib/postgresql") {
        dirs.extend(entries.flatten().map(|e| e.path().join("bin")));
    }
    let mut found: Vec<(PathBuf, u32)> = dirs
        .into_iter()
        .map(|d| d.join(name))
        .filter(|p| p.is_file())
        .filter_map(|p| major_of(&p).map(|m| (p, m)))
        .collect();
    found.sort_by_key(|(_, major)| std::cmp::Reverse(*major));
    found.dedup_by(|a, b| a.0 == b.0);
    found
}

/// The newest `name` on this machine, when it is at least as new as a `server_major` server; otherwise an error
/// naming the version to install. `alternative` is appended to the fix (another way to reach the goal).
pub fn for_server(name: &str, server_major: u32, alternative: &str) -> Result<PathBuf, Failure> {
    let Some((program, major)) = all(name).into_iter().next() else {
        return Err(Failure::new(
            format!("{name} not found"),
            format!("no {name} on PATH, in {BINDIR_ENV} or under /usr/lib/postgresql"),
            format!(
                "install the PostgreSQL client programs (apt-get install postgresql-client-{server_major}){alternative}"
            ),
        ));
    };
    if major < server_major {
        return Err(Failure::new(
            format!("{name} {major} cannot work with a PostgreSQL {server_major} server"),
            format!("{name} must be at least as new as the server; the newest here is {major}"),
            format!(
                "install postgresql-client-{server_major} (or newer) and point {BINDIR_ENV} at its bin directory{alternative}"
            ),
        ));
    }
    Ok(program)
}

/// A command for `program` connected to `spec`: connection options as argv, the password in PGPASSWORD (never on
/// the command line, which other users can read), the minimal environment (`crate::child_env`), stdin closed and
/// stdout/stderr piped.
pub fn command(program: &Path, spec: &ConnSpec) -> Command {
    let mut command = child_env::command(program);
    let host = match &spec.host {
        Host::Tcp(host) => host.clone(),
        Host::Socket(dir) => dir.display().to_string(),
    };
    command.args(["--host", &host, "--port", &spec.port.to_string(), "--username", &spec.user]);
    command.env("PGSSLMODE", spec.sslmode.name()).env("PGCONNECT_TIMEOUT", "10");
    if let Some(password) = &spec.password {
        command.env("PGPASSWORD", password.expose());
    }
    command.stdin(Stdio::null()).stdout(Stdio::piped()).stderr(Stdio::piped());
    command
}

/// What `program --version` prints (`pg_dump (PostgreSQL) 15.8`), or the path when it prints nothing.
pub fn version_text(program: &Path) -> String {
    child_env::command(program)
        .arg("--version")
        .stdin(Stdio::null())
        .output()
        .ok()
        .and_then(|o| String::from_utf8(o.stdout).ok())
        .map(|t| t.trim().to_owned())
        .filter(|t| !t.is_empty())
        .unwrap_or_else(|| program.display().to_string())
}
