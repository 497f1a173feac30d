//! SIGTERM and SIGINT at any moment end the process with 0 within a bounded wait: mid-call (the query is
//! cancelled on the server, gone from pg_stat_activity), before initialize, and in `demo` (its cluster stops
//! and is removed).

use super::raw::{PATIENCE, Raw, signal};
use crate::support;
use serde_json::json;
use std::time::{Duration, Instant};

/// Waits (within [`PATIENCE`]) until `check` holds.
async fn eventually(what: &str, mut check: impl AsyncFnMut() -> bool) {
    let started = Instant::now();
    while !check().await {
        assert!(started.elapsed() < PATIENCE, "timed out waiting until {what}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

async fn sleeping_queries(db: &support::TestDb) -> i64 {
    let admin = db.admin().await;
    let row = admin
        .query_one(
            "select count(*) from pg_stat_activity where query like 'select pg_sleep(30)%' and pid <> pg_backend_pid()",
            &[],
        )
        .await
        .unwrap();
    row.get(0)
}

async fn signal_mid_call(sig: i32, hint: &str) {
    let db = support::fresh_database(hint).await;
    let mut raw = Raw::spawn(&["--database-url", &db.url()]);
    raw.initialize("2025-06-18").await;
    let call = json!({"jsonrpc": "2.0", "id": 1, "method": "tools/call",
        "params": {"name": "execute_sql", "arguments": {"sql": "select pg_sleep(30)"}}});
    raw.send(call).await;
    eventually("the query runs", async || sleeping_queries(&db).await == 1).await;
    signal(raw.pid(), sig);
    assert_eq!(raw.exit_code().await, Some(0), "exit 0 after the signal");
    eventually("the query is cancelled on the server", async || sleeping_queries(&db).await == 0).await;
}

#[tokio::test]
async fn sigterm_mid_query_cancels_it_and_exits_zero() {
    signal_mid_call(libc::SIGTERM, "sigterm_query").await;
}

#[tokio::test]
async fn sigint_mid_query_cancels_it_and_exits_zero() {
    signal_mid_call(libc::SIGINT, "sigint_query").await;
}

#[tokio::test]
async fn sigterm_before_initialize_exits_zero() {
    let mut raw = Raw::spawn(&[]);
    // A ping answered before initialize: the process runs and catches signals.
    raw.send(json!({"jsonrpc": "2.0", "id": 1, "method": "ping"})).await;
    raw.response(json!(1)).await;
    signal(raw.pid(), libc::SIGTERM);
    assert_eq!(raw.exit_code().await, Some(0));
}

#[test]
fn sigterm_in_demo_stops_its_cluster_and_exits_zero() {
    use crate::demo_cli::{alive, demo_command, wait_until, watch_stderr};
    use std::process::Stdio;
    let mut child =
        demo_command(&[]).stdin(Stdio::piped()).stdout(Stdio::piped()).stderr(Stdio::piped()).spawn().unwrap();
    let cluster_dir = watch_stderr(child.stderr.take().unwrap()).unwrap();
    let pid_text = std::fs::read_to_string(cluster_dir.join("data/postmaster.pid")).unwrap();
    let postmaster: i32 = pid_text.lines().next().unwrap().trim().parse().unwrap();
    signal(child.id() as i32, libc::SIGTERM);
    let mut status = None;
    wait_until("the demo exits", || {
        status = child.try_wait().unwrap();
        status.is_some()
    });
    assert_eq!(status.unwrap().code(), Some(0));
    assert!(!alive(postmaster), "the postmaster is stopped before the demo exits");
    assert!(!cluster_dir.exists(), "the cluster directory is removed");
}

#[test]
fn sigint_while_the_demo_starts_exits_zero() {
    use std::process::Stdio;
    let mut child = crate::demo_cli::demo_command(&[])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    // initdb and the fixture take seconds: a signal now lands during start-up.
    std::thread::sleep(Duration::from_millis(700));
    signal(child.id() as i32, libc::SIGINT);
    let mut status = None;
    crate::demo_cli::wait_until("the demo exits", || {
        status = child.try_wait().unwrap();
        status.is_some()
    });
    assert_eq!(status.unwrap().code(), Some(0));
}

/// The state and parent of process `pid` (from /proc), if it exists.
fn stat(pid: i32) -> Option<(String, char, i32)> {
    let text = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    let (head, tail) = text.rsplit_once(") ")?;
    let comm = head.split_once(" (")?.1.to_owned();
    let mut fields = tail.split_whitespace();
    let state = fields.next()?.chars().next()?;
    let parent = fields.next()?.parse().ok()?;
    Some((comm, state, parent))
}

/// A running (not zombie) child of `parent` named `name`.
fn child_named(parent: i32, name: &str) -> Option<i32> {
    std::fs::read_dir("/proc")
        .ok()?
        .flatten()
        .filter_map(|e| e.file_name().to_str()?.parse::<i32>().ok())
        .find(|pid| stat(*pid).is_some_and(|(comm, state, ppid)| ppid == parent && comm == name && state != 'Z'))
}

#[tokio::test]
async fn sigterm_mid_backup_stops_pg_dump_and_exits_zero() {
    let db = support::fresh_database("sigterm_backup").await;
    let admin = db.admin().await;
    admin
        .batch_execute("create table public.big as select g, md5(g::text) as h from generate_series(1, 3000000) g")
        .await
        .unwrap();
    let backups = tempfile::tempdir().unwrap();
    let mut raw = Raw::spawn(&["--database-url", &db.url(), "--backup-dir", backups.path().to_str().unwrap()]);
    raw.initialize("2025-06-18").await;
    let call = json!({"jsonrpc": "2.0", "id": 1, "method": "tools/call",
        "params": {"name": "create_backup", "arguments": {"compression": "zstd", "encrypt": false}}});
    raw.send(call).await;
    let server = raw.pid();
    let mut dump = None;
    eventually("pg_dump runs", async || {
        dump = child_named(server, "pg_dump");
        dump.is_some()
    })
    .await;
    signal(server, libc::SIGTERM);
    assert_eq!(raw.exit_code().await, Some(0));
    let dump = dump.unwrap();
    eventually("pg_dump is gone", async || stat(dump).is_none_or(|(_, state, _)| state == 'Z')).await;
}
