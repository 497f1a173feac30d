//! `LocalCluster`: a throwaway PostgreSQL cluster for tests and `supamcp demo`. initdb into a temp dir,
//! a postmaster listening only on a unix socket in a directory it owns, stopped and removed on drop.
//!
//! Lifetime: every cluster lives under one root (`$TMPDIR/supamcp-clusters`). The postmaster gets SIGQUIT
//! (immediate shutdown) when our process dies, however it dies (see `server_programs`), and each start
//! sweeps the root for directories whose owner process is gone. So a cluster held in a static, whose
//! `Drop` never runs, neither keeps running nor accumulates on disk.

use super::conninfo::{ConnSpec, Host, SslMode};
use super::ident::quote_ident;
use super::server_programs::{self, OsUser, ServerPrograms};
use crate::failure::Failure;
use std::fs::File;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::Child;
use std::time::{Duration, Instant};

/// The superuser initdb creates, as in the Supabase image.
pub const BOOTSTRAP_USER: &str = "supabase_admin";

const OWNER_FILE: &str = "owner.pid";
const READY_TIMEOUT: Duration = Duration::from_secs(60);
const STOP_TIMEOUT: Duration = Duration::from_secs(10);

/// How to start a cluster. `Default` finds the programs and uses the shared temp root.
#[derive(Clone, Debug, Default)]
pub struct ClusterOptions {
    /// Directory with initdb, pg_ctl and postgres; default: see [`ServerPrograms::find`].
    pub bindir: Option<PathBuf>,
    /// Where cluster directories go; default `$TMPDIR/supamcp-clusters`.
    pub root: Option<PathBuf>,
    /// Load pg_stat_statements at start (`shared_preload_libraries`).
    pub pg_stat_statements: bool,
    /// More postgresql.conf lines, e.g. `logging_collector = on`.
    pub extra_settings: Vec<String>,
}

/// A running cluster. Dropping it stops the server and removes its directory.
#[derive(Debug)]
pub struct LocalCluster {
    dir: Option<tempfile::TempDir>,
    path: PathBuf,
    port: u16,
    programs: ServerPrograms,
    postmaster: Option<Child>,
}

impl LocalCluster {
    /// initdb, configure and start a cluster; returns once it accepts connections. Blocks (about a
    /// second); from async code call it through `spawn_blocking`.
    pub fn start(options: &ClusterOptions) -> Result<LocalCluster, Failure> {
        let programs = ServerPrograms::find(options.bindir.as_deref())?;
        let user = server_programs::server_user()?;
        let root = options.root.clone().unwrap_or_else(|| std::env::temp_dir().join("supamcp-clusters"));
        prepare_root(&root)?;
        if user.is_some() {
            check_reachable(&root)?;
        }
        sweep_stale(&root);
        let dir = tempfile::Builder::new()
            .prefix("pg-")
            .tempdir_in(&root)
            .map_err(|e| io_failure("cannot create the cluster directory", &root, e))?;
        let path = dir.path().to_path_buf();
        std::fs::write(path.join(OWNER_FILE), std::process::id().to_string())
            .map_err(|e| io_failure("cannot write the owner file", &path, e))?;
        for sub in ["data", "sock"] {
            std::fs::create_dir(path.join(sub)).map_err(|e| io_failure("cannot create a directory", &path, e))?;
        }
        for owned in [path.clone(), path.join("data"), path.join("sock")] {
            server_programs::give_to(&owned, user).map_err(|e| io_failure("cannot chown", &owned, e))?;
        }
        let mut cluster =
            LocalCluster { dir: Some(dir), port: free_port(), path, programs: programs.clone(), postmaster: None };
        let outcome = cluster
            .initdb(&programs, user)
            .and_then(|()| cluster.write_config(options))
            .and_then(|()| cluster.launch(&programs, user));
        if outcome.is_err() {
            // Keep the logs the failure points at; the sweep removes them once this process is gone.
            if let Some(dir) = cluster.dir.take() {
                let _ = dir.keep();
            }
        }
        outcome.map(|()| cluster)
    }

    fn initdb(&self, programs: &ServerPrograms, user: Option<OsUser>) -> Result<(), Failure> {
        let log = self.log_file("initdb.log")?;
        let mut command = server_programs::command(&programs.program("initdb"), user);
        command
            .args(["-D", &self.data_dir().to_string_lossy(), "-U", BOOTSTRAP_USER, "--auth=trust"])
            .args(["-E", "UTF8", "--locale=C", "--no-sync", "--no-instructions"])
            .current_dir(&self.path)
            .stdout(log.try_clone().map_err(|e| io_failure("cannot open the log", &self.path, e))?)
            .stderr(log);
        let status = command.status().map_err(|e| io_failure("cannot run initdb", &programs.bindir, e))?;
        if status.success() {
            return Ok(());
        }
        Err(Failure::new(
            "initdb failed",
            format!("{status}: {}", self.log_tail("initdb.log")),
            format!("read {}", self.path.join("initdb.log").display()),
        ))
    }

    fn write_config(&self, options: &ClusterOptions) -> Result<(), Failure> {
        let conf = self.data_dir().join("postgresql.conf");
        let mut settings = format!(
            "\n# supamcp local cluster\nlisten_addresses = ''\nunix_socket_directories = '{}'\nport = {}\n\
             wal_level = logical\nmax_connections = 100\nfsync = off\nsynchronous_commit = off\n\
             full_page_writes = off\n",
            self.socket_dir().display(),
            self.port
        );
        if options.pg_stat_statements {
            settings.push_str("shared_preload_libraries = 'pg_stat_statements'\n");
        }
        for line in &options.extra_settings {
            settings.push_str(line);
            settings.push('\n');
        }
        std::fs::OpenOptions::new()
            .append(true)
            .open(&conf)
            .and_then(|mut file| file.write_all(settings.as_bytes()))
            .map_err(|e| io_failure("cannot write postgresql.conf", &conf, e))
    }

    fn launch(&mut self, programs: &ServerPrograms, user: Option<OsUser>) -> Result<(), Failure> {
        let log = self.log_file("postgres.log")?;
        let mut command = server_programs::command(&programs.program("postgres"), user);
        command
            .args(["-D", &self.data_dir().to_string_lossy()])
            .current_dir(&self.path)
            .stdout(log.try_clone().map_err(|e| io_failure("cannot open the log", &self.path, e))?)
            .stderr(log);
        let child = server_programs::spawn_tied_to_process(command)
            .map_err(|e| io_failure("cannot start postgres", &programs.bindir, e))?;
        self.postmaster = Some(child);
        self.wait_ready()
    }

    /// Waits until postmaster.pid reports `ready` (PostgreSQL writes its status on the 8th line).
    fn wait_ready(&mut self) -> Result<(), Failure> {
        let started = Instant::now();
        let pid_file = self.data_dir().join("postmaster.pid");
        loop {
            let text = std::fs::read_to_string(&pid_file).unwrap_or_default();
            if text.lines().nth(7).is_some_and(|status| status.trim() == "ready") {
                return Ok(());
            }
            let exited = match self.postmaster.as_mut().map(Child::try_wait) {
                Some(Ok(Some(status))) => Some(status.to_string()),
                Some(Err(e)) => Some(e.to_string()),
                _ => None,
            };
            if exited.is_some() || started.elapsed() > READY_TIMEOUT {
                let why = exited.unwrap_or_else(|| format!("not ready after {}s", READY_TIMEOUT.as_secs()));
                return Err(Failure::new(
                    "PostgreSQL did not start",
                    format!("{why}: {}", self.log_tail("postgres.log")),
                    format!("read {}", self.path.join("postgres.log").display()),
                ));
            }
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    /// The cluster directory: `data/`, `sock/`, `initdb.log`, `postgres.log`.
    pub fn path(&self) -> &Path {
        &self.path
    }

    pub fn data_dir(&self) -> PathBuf {
        self.path.join("data")
    }

    /// The directory holding the server's unix socket (`.s.PGSQL.<port>`).
    pub fn socket_dir(&self) -> PathBuf {
        self.path.join("sock")
    }

    pub fn port(&self) -> u16 {
        self.port
    }

    /// A connection to `dbname` as `user` over the socket; trust authentication, so no password.
    pub fn conn_spec(&self, dbname: &str, user: &str) -> ConnSpec {
        ConnSpec {
            host: Host::Socket(self.socket_dir()),
            port: self.port,
            user: user.to_owned(),
            password: None,
            dbname: dbname.to_owned(),
            sslmode: SslMode::Disable,
            application_name: None,
            connect_timeout_secs: Some(10),
            options: None,
        }
    }

    /// The same connection as a URL `ConnSpec::parse` reads back: `postgres://user@/db?host=/sock&port=N&...`.
    pub fn url(&self, dbname: &str, user: &str) -> String {
        format!(
            "postgres://{}@/{}?host={}&port={}&sslmode=disable&connect_timeout=10",
            percent_encode(user),
            percent_encode(dbname),
            percent_encode(&self.socket_dir().to_string_lossy()),
            self.port
        )
    }

    /// A client for `dbname` as `user`; its connection task runs on the current tokio runtime.
    pub async fn connect(&self, dbname: &str, user: &str) -> Result<tokio_postgres::Client, Failure> {
        let (client, connection) =
            self.conn_spec(dbname, user).to_pg_config().connect(tokio_postgres::NoTls).await.map_err(|e| {
                Failure::new(
                    format!("cannot connect to the local cluster as {user}"),
                    e.to_string(),
                    format!("read {}", self.path.join("postgres.log").display()),
                )
            })?;
        tokio::spawn(async move {
            if let Err(e) = connection.await {
                tracing::debug!("local cluster connection ended: {e}");
            }
        });
        Ok(client)
    }

    /// Runs a batch of statements (no parameters) in `dbname` as the bootstrap superuser.
    pub async fn run_sql(&self, dbname: &str, sql: &str) -> Result<(), Failure> {
        let client = self.connect(dbname, BOOTSTRAP_USER).await?;
        client.batch_execute(sql).await.map_err(|e| sql_failure("SQL batch failed", &e))
    }

    /// Creates database `name`, copied from `template` when given (the template must have no sessions).
    pub async fn create_database(&self, name: &str, template: Option<&str>) -> Result<(), Failure> {
        let mut sql = format!("CREATE DATABASE {}", quote_ident(name));
        if let Some(template) = template {
            sql.push_str(&format!(" TEMPLATE {}", quote_ident(template)));
        }
        let client = self.connect("postgres", BOOTSTRAP_USER).await?;
        client.batch_execute(&sql).await.map_err(|e| sql_failure(&format!("cannot create database {name}"), &e))
    }

    /// Immediate shutdown (SIGQUIT, what `pg_ctl stop -m immediate` sends); waits for the postmaster.
    pub fn stop(&mut self) -> Result<(), Failure> {
        let Some(mut child) = self.postmaster.take() else {
            return Ok(());
        };
        signal(child.id(), libc::SIGQUIT);
        let started = Instant::now();
        while started.elapsed() < STOP_TIMEOUT {
            if let Ok(Some(_)) = child.try_wait() {
                return Ok(());
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        let _ = child.kill();
        child
            .wait()
            .map(|_| ())
            .map_err(|e| Failure::new("cannot stop the local cluster", e.to_string(), "kill the postgres process"))
    }

    /// Starts the cluster again on its port and socket after [`LocalCluster::stop`] (an immediate stop, so the
    /// server runs crash recovery, as after a power cut); returns once it accepts connections. Blocks.
    pub fn restart(&mut self) -> Result<(), Failure> {
        self.stop()?;
        let programs = self.programs.clone();
        self.launch(&programs, server_programs::server_user()?)
    }

    /// Leaves the directory on disk (and out of the sweep) for inspection; the server still stops when
    /// this process exits. Restart it with `pg_ctl -D <dir>/data start`.
    pub fn keep(mut self) -> PathBuf {
        let _ = std::fs::remove_file(self.path.join(OWNER_FILE));
        self.postmaster = None;
        if let Some(dir) = self.dir.take() {
            let _ = dir.keep();
        }
        self.path.clone()
    }

    fn log_file(&self, name: &str) -> Result<File, Failure> {
        File::create(self.path.join(name)).map_err(|e| io_failure("cannot create a log file", &self.path, e))
    }

    fn log_tail(&self, name: &str) -> String {
        let text = std::fs::read_to_string(self.path.join(name)).unwrap_or_default();
        let lines: Vec<&str> = text.lines().filter(|l| !l.trim().is_empty()).collect();
        lines[lines.len().saturating_sub(5)..].join(" | ")
    }
}

impl Drop for LocalCluster {
    fn drop(&mut self) {
        if let Err(failure) = self.stop() {
            tracing::warn!("{failure}");
        }
    }
}

/// Creates the shared root, writable by everyone with the sticky bit (like /tmp), so clusters of root
/// and of other users can share it.
fn prepare_root(root: &Path) -> Result<(), Failure> {
    use std::os::unix::fs::PermissionsExt;
    if root.is_dir() {
        return Ok(());
    }
    std::fs::create_dir_all(root).map_err(|e| io_failure("cannot create the clusters root", root, e))?;
    let _ = std::fs::set_permissions(root, std::fs::Permissions::from_mode(0o1777));
    Ok(())
}

/// As root the server runs as `postgres`, which must be able to enter every directory above its own.
fn check_reachable(root: &Path) -> Result<(), Failure> {
    use std::os::unix::fs::PermissionsExt;
    for dir in root.ancestors() {
        let mode = std::fs::metadata(dir).map(|m| m.permissions().mode()).unwrap_or(0o755);
        if mode & 0o001 == 0 {
            return Err(Failure::new(
                "the postgres account cannot reach the cluster directory",
                format!("{} is not searchable by other users (mode {:o})", dir.display(), mode & 0o7777),
                format!("chmod o+x {} or choose a root under /tmp", dir.display()),
            ));
        }
    }
    Ok(())
}

/// Removes cluster directories whose owner process is gone, stopping any server still running there.
/// A directory without an owner file is left alone for a minute (it may be starting).
fn sweep_stale(root: &Path) {
    let Ok(entries) = std::fs::read_dir(root) else {
        return;
    };
    for entry in entries.filter_map(Result::ok) {
        let path = entry.path();
        if !entry.file_name().to_string_lossy().starts_with("pg-") || !path.is_dir() {
            continue;
        }
        let owner = std::fs::read_to_string(path.join(OWNER_FILE)).ok().and_then(|t| t.trim().parse::<u32>().ok());
        let stale = match owner {
            Some(pid) => !process_alive(pid),
            None => {
                let age = entry.metadata().and_then(|m| m.modified()).ok().and_then(|t| t.elapsed().ok());
                age.is_some_and(|age| age > Duration::from_secs(60)) && !path.join("data/postmaster.pid").exists()
            }
        };
        if !stale {
            continue;
        }
        let postmaster = std::fs::read_to_string(path.join("data/postmaster.pid")).ok();
        if let Some(pid) = postmaster.and_then(|t| t.lines().next().and_then(|l| l.trim().parse::<u32>().ok())) {
            signal(pid, libc::SIGQUIT);
        }
        if let Err(e) = std::fs::remove_dir_all(&path) {
            tracing::debug!("cannot remove stale cluster {}: {e}", path.display());
        }
    }
}

fn process_alive(pid: u32) -> bool {
    let Ok(pid) = libc::pid_t::try_from(pid) else {
        return false;
    };
    // SAFETY: signal 0 only checks that the process exists and may be signalled.
    let result = unsafe { libc::kill(pid, 0) };
    result == 0 || std::io::Error::last_os_error().raw_os_error() == Some(libc::EPERM)
}

fn signal(pid: u32, signal: libc::c_int) {
    if let Ok(pid) = libc::pid_t::try_from(pid) {
        // SAFETY: kill has no memory-safety preconditions; a wrong pid only yields an error we ignore.
        unsafe { libc::kill(pid, signal) };
    }
}

/// A port number nothing listens on right now. The cluster only uses it to name its socket file, so a
/// later collision on TCP does no harm.
fn free_port() -> u16 {
    std::net::TcpListener::bind(("127.0.0.1", 0)).and_then(|l| l.local_addr()).map(|a| a.port()).unwrap_or(54329)
}

fn percent_encode(raw: &str) -> String {
    raw.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' | b'/' => (b as char).to_string(),
            other => format!("%{other:02X}"),
        })
        .collect()
}

fn io_failure(what: &str, path: &Path, error: std::io::Error) -> Failure {
    Failure::new(what, format!("{}: {error}", path.display()), "check the permissions and free space of the temp dir")
}

fn sql_failure(what: &str, error: &tokio_postgres::Error) -> Failure {
    let why = match error.as_db_error() {
        Some(db) => match db.where_() {
            Some(place) => format!("{} ({}) at {place}", db.message(), db.code().code()),
            None => format!("{} ({})", db.message(), db.code().code()),
        },
        None => error.to_string(),
    };
    Failure::new(what, why, "fix the SQL; the server log is in the cluster directory")
}
