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
