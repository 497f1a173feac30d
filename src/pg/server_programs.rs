//! The PostgreSQL server programs (`initdb`, `pg_ctl`, `postgres`) on this machine, and how we run them:
//! as an OS user they accept (they refuse root, so as root they run as `postgres`), with stdin closed,
//! and, for the long-running postmaster, tied to our process so it shuts down when we die.

use crate::child_env;
use crate::failure::Failure;
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::OnceLock;
use std::sync::mpsc;

/// Environment variable naming the directory that holds initdb, pg_ctl and postgres.
pub const BINDIR_ENV: &str = "SUPAMCP_PG_BINDIR";

const PROGRAMS: [&str; 3] = ["initdb", "pg_ctl", "postgres"];
const VERSIONED_ROOT: &str = "/usr/lib/postgresql";

/// A directory with all the server programs.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ServerPrograms {
    pub bindir: PathBuf,
}

impl ServerPrograms {
    /// Finds the programs: `explicit`, else `$SUPAMCP_PG_BINDIR`, else PATH, else `pg_config --bindir`,
    /// else `/usr/lib/postgresql/<version>/bin`, newest first. A named directory that lacks them is an
    /// error rather than a reason to look elsewhere.
    pub fn find(explicit: Option<&Path>) -> Result<ServerPrograms, Failure> {
        let named = explicit.map(Path::to_path_buf).or_else(|| std::env::var_os(BINDIR_ENV).map(PathBuf::from));
        if let Some(dir) = named {
            return if has_programs(&dir) {
                Ok(ServerPrograms { bindir: dir })
            } else {
                Err(Failure::new(
                    "PostgreSQL server programs not found",
                    format!("{} has no {}", dir.display(), PROGRAMS.join(", ")),
                    format!(
                        "point {BINDIR_ENV} at the bin directory of a PostgreSQL install (e.g. /usr/lib/postgresql/15/bin)"
                    ),
                ))
            };
        }
        let mut candidates: Vec<PathBuf> =
            std::env::var_os("PATH").map(|path| std::env::split_paths(&path).collect()).unwrap_or_default();
        candidates.extend(pg_config_bindir());
        candidates.extend(versioned_bindirs(Path::new(VERSIONED_ROOT)));
        candidates.into_iter().find(|dir| has_programs(dir)).map(|bindir| ServerPrograms { bindir }).ok_or_else(|| {
            Failure::new(
                "PostgreSQL server programs not found",
                format!(
                    "no directory on PATH, from pg_config --bindir or under {VERSIONED_ROOT} has {}",
                    PROGRAMS.join(", ")
                ),
                format!("install them (apt-get install postgresql-15) or set {BINDIR_ENV} to their directory"),
            )
        })
    }

    pub fn program(&self, name: &str) -> PathBuf {
        self.bindir.join(name)
    }
}

fn has_programs(dir: &Path) -> bool {
    PROGRAMS.iter().all(|name| dir.join(name).is_file())
}

fn pg_config_bindir() -> Option<PathBuf> {
    let output =
        child_env::command("pg_config").arg("--bindir").stdin(Stdio::null()).stderr(Stdio::null()).output().ok()?;
    let text = String::from_utf8(output.stdout).ok()?;
    let dir = text.trim();
    (output.status.success() && !dir.is_empty()).then(|| PathBuf::from(dir))
}

/// `<root>/<major>/bin` for every numeric `<major>`, newest first.
fn versioned_bindirs(root: &Path) -> Vec<PathBuf> {
    let Ok(entries) = std::fs::read_dir(root) else {
        return Vec::new();
    };
    let mut versions: Vec<(u32, PathBuf)> = entries
        .filter_map(Result::ok)
        .filter_map(|entry| {
            let version = entry.file_name().to_str()?.parse::<u32>().ok()?;
            Some((version, entry.path().join("bin")))
        })
        .collect();
    versions.sort_by_key(|(version, _)| std::cmp::Reverse(*version));
    versions.into_iter().map(|(_, dir)| dir).collect()
}

/// The OS account the server programs run as when we are root.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct OsUser {
    pub uid: u32,
    pub gid: u32,
}

const SERVER_ACCOUNT: &str = "postgres";

/// `None` when we are not root (the programs run as us); the `postgres` account when we are.
pub fn server_user() -> Result<Option<OsUser>, Failure> {
    // SAFETY: geteuid has no preconditions and cannot fail.
    if unsafe { libc::geteuid() } != 0 {
        return Ok(None);
    }
    let passwd = std::fs::read_to_string("/etc/passwd").unwrap_or_default();
    passwd_entry(&passwd, SERVER_ACCOUNT).map(Some).ok_or_else(|| {
        Failure::new(
            "cannot run PostgreSQL as root",
            format!("initdb and postgres refuse root, and there is no '{SERVER_ACCOUNT}' account in /etc/passwd to run them as"),
            "create it (useradd --system postgres) or run supamcp as an unprivileged user",
        )
    })
}

/// The uid and gid of `name` in the text of an /etc/passwd file.
fn passwd_entry(passwd: &str, name: &str) -> Option<OsUser> {
    passwd.lines().find_map(|line| {
        let fields: Vec<&str> = line.split(':').collect();
        (fields.len() >= 4 && fields[0] == name)
            .then(|| Some(OsUser { uid: fields[2].parse().ok()?, gid: fields[3].parse().ok()? }))
            .flatten()
    })
}

/// A command for a server program: the minimal environment (`crate::child_env`), stdin closed, running as
/// `user` when given.
pub fn command(program: &Path, user: Option<OsUser>) -> Command {
    let mut command = child_env::command(program);
    command.stdin(Stdio::null());
    if let Some(user) = user {
        command.uid(user.uid).gid(user.gid);
    }
    command
}

/// Gives `path` (file or directory) to `user`; nothing to do when `user` is `None`.
pub fn give_to(path: &Path, user: Option<OsUser>) -> std::io::Result<()> {
    match user {
        Some(user) => std::os::unix::fs::chown(path, Some(user.uid), Some(user.gid)),
        None => Ok(()),
    }
}

type SpawnRequest = (Command, mpsc::Sender<std::io::Result<Child>>);

/// Spawns `command` so that it receives SIGQUIT (PostgreSQL's immediate shutdown) when this process ends,
/// however it ends. The parent-death signal fires when the forking *thread* exits, so every such child is
/// forked by one thread that lives as long as the process.
pub fn spawn_tied_to_process(mut command: Command) -> std::io::Result<Child> {
    let parent = std::process::id();
    // SAFETY: the hook runs between fork and exec and only makes async-signal-safe calls (prctl, getppid).
    // It runs after the uid/gid switch, which would otherwise clear the parent-death signal.
    unsafe {
        command.pre_exec(move || {
            #[cfg(target_os = "linux")]
            {
                if libc::prctl(libc::PR_SET_PDEATHSIG, libc::SIGQUIT) != 0 {
                    return Err(std::io::Error::last_os_error());
                }
            }
            if libc::getppid() as u32 != parent {
                return Err(std::io::Error::other("the parent exited before the server started"));
            }
            Ok(())
        });
    }
    let (reply_to, reply) = mpsc::channel();
    spawner()?.send((command, reply_to)).map_err(|_| std::io::Error::other("the spawner thread is gone"))?;
    reply.recv().map_err(|_| std::io::Error::other("the spawner thread did not answer"))?
}

fn spawner() -> std::io::Result<&'static mpsc::Sender<SpawnRequest>> {
    static SPAWNER: OnceLock<mpsc::Sender<SpawnRequest>> = OnceLock::new();
    if let Some(sender) = SPAWNER.get() {
        return Ok(sender);
    }
    let (sender, requests) = mpsc::channel::<SpawnRequest>();
    std::thread::Builder::new().name("supamcp-pg-spawner".to_owned()).spawn(move || {
        // The static keeps a sender alive, so this loop (and the thread) lasts until the process exits.
        for (mut command, reply_to) in requests {
            let _ = reply_to.send(command.spawn());
        }
    })?;
    // A concurrent first call may have won; its thread serves everyone and ours ends with its channel.
    Ok(SPAWNER.get_or_init(|| sender))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn passwd_entry_reads_uid_and_gid() {
        let passwd = "root:x:0:0:root:/root:/bin/bash\npostgres:x:101:104:PostgreSQL administrator,,,:/var/lib/postgresql:/bin/bash\n";
        assert_eq!(passwd_entry(passwd, "postgres"), Some(OsUser { uid: 101, gid: 104 }));
        assert_eq!(passwd_entry(passwd, "post"), None);
        assert_eq!(passwd_entry("postgres:x:abc:1:::\n", "postgres"), None);
    }

    #[test]
    fn versioned_bindirs_are_newest_first() {
        let root = tempfile::tempdir().unwrap();
        for name in ["9", "15", "13", "notes"] {
            std::fs::create_dir(root.path().join(name)).unwrap();
        }
        let dirs = versioned_bindirs(root.path());
        assert_eq!(dirs, vec![root.path().join("15/bin"), root.path().join("13/bin"), root.path().join("9/bin")]);
    }

    #[test]
    fn a_named_directory_without_programs_is_an_error() {
        let empty = tempfile::tempdir().unwrap();
        let failure = ServerPrograms::find(Some(empty.path())).unwrap_err();
        assert!(failure.fix.contains(BINDIR_ENV), "{failure}");
    }

    #[test]
    fn a_named_directory_with_programs_is_used() {
        let dir = tempfile::tempdir().unwrap();
        for name in PROGRAMS {
            std::fs::write(dir.path().join(name), "").unwrap();
        }
        let found = ServerPrograms::find(Some(dir.path())).unwrap();
        assert_eq!(found.program("initdb"), dir.path().join("initdb"));
    }
}
