//! The environment of every child process supamcp starts (pg_dump, pg_restore, pg_config, initdb, postgres):
//! cleared, then only what those programs need from ours: PATH, HOME (libpq's ~/.postgresql files), the locale,
//! TZ, TMPDIR, LD_LIBRARY_PATH and the TLS file locations of libpq and OpenSSL. What a caller sets on purpose
//! (PGPASSWORD, PGSSLMODE, PGOPTIONS ...) is added after. Nothing of supamcp's own configuration (SUPAMCP_*,
//! AWS_*, keys, tokens, the caller's PG* connection settings) reaches a child, which may hand its environment
//! on (a postmaster's is readable through /proc by SQL that may read server files).

use std::ffi::{OsStr, OsString};
use std::process::Command;

/// Variables passed through by name.
const INHERITED: &[&str] = &[
    "PATH",
    "HOME",
    "LANG",
    "LANGUAGE",
    "TZ",
    "TMPDIR",
    "LD_LIBRARY_PATH",
    "PGSSLROOTCERT",
    "PGSSLCERT",
    "PGSSLKEY",
    "PGSSLCRL",
    "PGSSLCRLDIR",
    "SSL_CERT_FILE",
    "SSL_CERT_DIR",
];

/// Variables passed through by prefix: the locale categories.
const INHERITED_PREFIX: &str = "LC_";

fn is_inherited(name: &OsStr) -> bool {
    name.to_str().is_some_and(|name| INHERITED.contains(&name) || name.starts_with(INHERITED_PREFIX))
}

/// The variables of `environment` a child may see.
pub fn inherited(environment: impl IntoIterator<Item = (OsString, OsString)>) -> Vec<(OsString, OsString)> {
    environment.into_iter().filter(|(name, _)| is_inherited(name)).collect()
}

/// Clears `command`'s environment down to [`inherited`] of ours. Call it before setting the child's own
/// variables: clearing drops those set earlier.
pub fn minimal(command: &mut Command) -> &mut Command {
    command.env_clear().envs(inherited(std::env::vars_os()))
}

/// A command for `program` with the minimal environment.
pub fn command(program: impl AsRef<OsStr>) -> Command {
    let mut command = Command::new(program);
    minimal(&mut command);
    command
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_what_the_programs_need_passes() {
        let ours = [
            ("PATH", "/usr/bin"),
            ("HOME", "/home/me"),
            ("LC_ALL", "C.UTF-8"),
            ("TZ", "UTC"),
            ("SUPAMCP_BACKUP_KEY", "k"),
            ("SUPAMCP_DATABASE_URL", "postgres://u:pw@h/d"),
            ("AWS_SECRET_ACCESS_KEY", "s"),
            ("AWS_SESSION_TOKEN", "t"),
            ("SUPABASE_SERVICE_ROLE_KEY", "r"),
            ("DOKPLOY_API_KEY", "d"),
            ("PGPASSWORD", "p"),
            ("PGOPTIONS", "-c x=y"),
            ("DATABASE_URL", "postgres://u:pw@h/d"),
        ];
        let passed = inherited(ours.iter().map(|(k, v)| (OsString::from(k), OsString::from(v))));
        let names: Vec<&str> = passed.iter().filter_map(|(k, _)| k.to_str()).collect();
        assert_eq!(names, ["PATH", "HOME", "LC_ALL", "TZ"]);
    }

    #[test]
    fn variables_set_after_the_clear_are_kept() {
        let mut command = command("env");
        command.env("PGSSLMODE", "require");
        let set: Vec<_> = command.get_envs().filter(|(k, _)| *k == "PGSSLMODE").collect();
        assert_eq!(set.len(), 1);
        assert!(command.get_envs().all(|(k, _)| k != "SUPAMCP_BACKUP_KEY"));
    }
}
