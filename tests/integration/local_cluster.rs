//! `LocalCluster`'s lifecycle on real PostgreSQL: start on a private socket, drop stops and removes,
//! `keep` leaves the directory, stale directories of dead owners are swept, missing programs are named.

// A test crate: helpers outside #[test] functions fail loudly on purpose.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};
use supamcp::pg::local_cluster::{ClusterOptions, LocalCluster};

/// A private root the `postgres` account can enter (tests run as root on CI).
fn root() -> tempfile::TempDir {
    use std::os::unix::fs::PermissionsExt;
    let root = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    std::fs::set_permissions(root.path(), std::fs::Permissions::from_mode(0o755)).unwrap_or_else(|e| panic!("{e}"));
    root
}

fn options_in(root: &Path) -> ClusterOptions {
    ClusterOptions { root: Some(root.to_path_buf()), ..ClusterOptions::default() }
}

fn start(options: ClusterOptions) -> LocalCluster {
    LocalCluster::start(&options).unwrap_or_else(|failure| panic!("{failure}"))
}

/// The postmaster pid a running cluster wrote into its data directory.
fn postmaster_pid(cluster: &LocalCluster) -> i32 {
    let text = std::fs::read_to_string(cluster.data_dir().join("postmaster.pid")).unwrap_or_else(|e| panic!("{e}"));
    text.lines().next().and_then(|l| l.trim().parse().ok()).unwrap_or_else(|| panic!("no pid in {text}"))
}

fn alive(pid: i32) -> bool {
    // SAFETY: signal 0 only probes for the process.
    unsafe { libc::kill(pid, 0) == 0 }
}

fn wait_gone(pid: i32) -> bool {
    let started = Instant::now();
    while started.elapsed() < Duration::from_secs(10) {
        if !alive(pid) {
            return true;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    false
}

fn entries(root: &Path) -> Vec<PathBuf> {
    std::fs::read_dir(root).map(|d| d.filter_map(Result::ok).map(|e| e.path()).collect()).unwrap_or_default()
}

#[tokio::test]
async fn a_cluster_listens_only_on_its_socket_and_answers() {
    let root = root();
    let cluster = tokio::task::spawn_blocking({
        let options = options_in(root.path());
        move || start(options)
    })
    .await
    .unwrap_or_else(|e| panic!("{e}"));
    assert!(cluster.socket_dir().join(format!(".s.PGSQL.{}", cluster.port())).exists());
    let client = cluster.connect("postgres", "supabase_admin").await.unwrap_or_else(|f| panic!("{f}"));
    let row = client
        .query_one(
            "select current_setting('listen_addresses'), current_setting('wal_level'), \
             current_setting('server_encoding'), current_setting('max_connections')",
            &[],
        )
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    let settings: Vec<String> = (0..4).map(|i| row.get(i)).collect();
    assert_eq!(settings, ["", "logical", "UTF8", "100"]);
    // The URL form reads back into the same connection.
    let parsed =
        supamcp::pg::conninfo::ConnSpec::parse(&cluster.url("postgres", "postgres")).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(parsed, cluster.conn_spec("postgres", "postgres"));
    cluster.create_database("odd \"name\"", None).await.unwrap_or_else(|f| panic!("{f}"));
    cluster
        .run_sql("odd \"name\"", "create table t (x int); insert into t values (1)")
        .await
        .unwrap_or_else(|f| panic!("{f}"));
    let failure = cluster.run_sql("postgres", "select * from no_such_table").await.unwrap_err();
    assert!(failure.why.contains("42P01"), "{failure}");
}

#[test]
fn drop_stops_the_server_and_removes_the_directory() {
    let root = root();
    let cluster = start(options_in(root.path()));
    let pid = postmaster_pid(&cluster);
    let dir = cluster.path().to_path_buf();
    assert!(alive(pid));
    drop(cluster);
    assert!(wait_gone(pid), "postmaster {pid} still runs");
    assert!(!dir.exists(), "{} still exists", dir.display());
}

#[test]
fn keep_leaves_the_directory_and_the_sweep_spares_it() {
    let root = root();
    let mut cluster = start(options_in(root.path()));
    cluster.stop().unwrap_or_else(|f| panic!("{f}"));
    let kept = cluster.keep();
    assert!(kept.join("data/PG_VERSION").exists());
    assert!(kept.join("postgres.log").exists());
    let second = start(options_in(root.path()));
    assert!(kept.exists(), "the sweep removed a kept cluster");
    drop(second);
    assert_eq!(entries(root.path()), [kept]);
}

#[test]
fn the_next_start_sweeps_directories_of_dead_owners() {
    let root = root();
    // A finished child's pid stands for a test process that died without cleaning up.
    let mut finished = std::process::Command::new("true").spawn().unwrap_or_else(|e| panic!("{e}"));
    finished.wait().unwrap_or_else(|e| panic!("{e}"));
    let stale = root.path().join("pg-stale");
    std::fs::create_dir_all(stale.join("data")).unwrap_or_else(|e| panic!("{e}"));
    std::fs::write(stale.join("owner.pid"), finished.id().to_string()).unwrap_or_else(|e| panic!("{e}"));
    let live = root.path().join("pg-live");
    std::fs::create_dir_all(&live).unwrap_or_else(|e| panic!("{e}"));
    std::fs::write(live.join("owner.pid"), std::process::id().to_string()).unwrap_or_else(|e| panic!("{e}"));
    let cluster = start(options_in(root.path()));
    assert!(!stale.exists(), "stale directory survived the sweep");
    assert!(live.exists(), "the sweep removed a directory whose owner lives");
    drop(cluster);
}

#[test]
fn missing_programs_are_named_with_a_fix() {
    let empty = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let options = ClusterOptions { bindir: Some(empty.path().to_path_buf()), ..ClusterOptions::default() };
    let failure = LocalCluster::start(&options).unwrap_err();
    assert_eq!(failure.what, "PostgreSQL server programs not found");
    assert!(failure.fix.contains("SUPAMCP_PG_BINDIR"), "{failure}");
}

#[test]
fn a_failing_initdb_is_reported_with_its_log_kept() {
    use std::os::unix::fs::PermissionsExt;
    let bindir = root();
    for (name, body) in
        [("initdb", "echo 'initdb: simulated failure' >&2\nexit 1\n"), ("pg_ctl", "exit 1\n"), ("postgres", "exit 1\n")]
    {
        let path = bindir.path().join(name);
        std::fs::write(&path, format!("#!/bin/sh\n{body}")).unwrap_or_else(|e| panic!("{e}"));
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o755)).unwrap_or_else(|e| panic!("{e}"));
    }
    let root = root();
    let options = ClusterOptions { bindir: Some(bindir.path().to_path_buf()), ..options_in(root.path()) };
    let failure = LocalCluster::start(&options).unwrap_err();
    assert_eq!(failure.what, "initdb failed");
    assert!(failure.why.contains("simulated failure"), "{failure}");
    let log = PathBuf::from(failure.fix.trim_start_matches("read "));
    assert!(log.exists(), "the log the failure points at is gone: {}", log.display());
}
