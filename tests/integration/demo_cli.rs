//! `supamcp demo` as a user runs it: the real binary, a real cluster, MCP over stdio with rmcp's client.
//! stdout stays MCP-only, the cluster goes away when the client disconnects, and a killed demo does not
//! leave its postmaster running.

// A test crate: helpers outside #[test] functions fail loudly on purpose.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use rmcp::ServiceExt;
use rmcp::model::CallToolRequestParams;
use rmcp::transport::TokioChildProcess;
use std::io::{BufRead, BufReader};
use std::path::PathBuf;
use std::process::{Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

const BIN: &str = env!("CARGO_BIN_EXE_supamcp");

/// A command for the binary that ignores the caller's supamcp settings.
pub(crate) fn demo_command(args: &[&str]) -> Command {
    let mut command = Command::new(BIN);
    command.arg("demo").args(args).env_remove("SUPAMCP_CONFIG").env_remove("SUPAMCP_DATABASE_URL");
    command.env_remove("DATABASE_URL").env_remove("SUPAMCP_ENV_FILE").env("SUPAMCP_LOG", "warn");
    command
}

/// Drains the demo's stderr on a thread (an unread pipe would block it, a closed one would break its
/// eprintln) and hands over the cluster directory it announces (`  cluster:  <dir>`).
pub(crate) fn watch_stderr(stderr: impl std::io::Read + Send + 'static) -> Result<PathBuf, String> {
    let (found, announced) = mpsc::channel();
    std::thread::spawn(move || {
        let mut seen = Vec::new();
        for line in BufReader::new(stderr).lines().map_while(Result::ok) {
            if let Some(dir) = line.trim().strip_prefix("cluster:") {
                let _ = found.send(Ok(PathBuf::from(dir.trim())));
            }
            seen.push(line);
        }
        let _ = found.send(Err(seen));
    });
    match announced.recv_timeout(Duration::from_secs(60)) {
        Ok(Ok(dir)) => Ok(dir),
        other => Err(format!("the demo never announced its cluster: {other:?}")),
    }
}

pub(crate) fn wait_until(what: &str, mut done: impl FnMut() -> bool) {
    let started = Instant::now();
    while !done() {
        assert!(started.elapsed() < Duration::from_secs(15), "timed out waiting until {what}");
        std::thread::sleep(Duration::from_millis(50));
    }
}

pub(crate) fn alive(pid: i32) -> bool {
    // SAFETY: signal 0 only probes for the process.
    unsafe { libc::kill(pid, 0) == 0 }
}

#[test]
fn demo_check_loads_everything_and_keeps_stdout_empty() {
    let output = demo_command(&["--check"]).stdin(Stdio::null()).output().unwrap_or_else(|e| panic!("{e}"));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(output.status.success(), "{stderr}");
    assert!(output.stdout.is_empty(), "stdout is reserved for MCP: {:?}", String::from_utf8_lossy(&output.stdout));
    assert!(stderr.contains("connected as postgres") && stderr.contains("300 todos"), "{stderr}");
}

#[test]
fn demo_names_missing_programs() {
    let empty = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let output = demo_command(&["--check"])
        .env("SUPAMCP_PG_BINDIR", empty.path())
        .stdin(Stdio::null())
        .output()
        .unwrap_or_else(|e| panic!("{e}"));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(2), "{stderr}");
    assert!(
        stderr.contains("PostgreSQL server programs not found") && stderr.contains("SUPAMCP_PG_BINDIR"),
        "{stderr}"
    );
    assert!(output.stdout.is_empty());
}

#[tokio::test]
async fn demo_serves_mcp_against_its_cluster_and_removes_it_on_disconnect() {
    let mut command = tokio::process::Command::from(demo_command(&[]));
    command.kill_on_drop(true);
    let (transport, stderr) =
        TokioChildProcess::builder(command).stderr(Stdio::piped()).spawn().unwrap_or_else(|e| panic!("{e}"));
    let stderr = stderr.unwrap_or_else(|| panic!("no stderr pipe"));
    let stderr = std::fs::File::from(stderr.into_owned_fd().unwrap_or_else(|e| panic!("{e}")));
    let cluster_dir = watch_stderr(stderr).unwrap_or_else(|e| panic!("{e}"));
    let client = ().serve(transport).await.unwrap_or_else(|e| panic!("{e}"));
    let result =
        client.call_tool(CallToolRequestParams::new("test_connection")).await.unwrap_or_else(|e| panic!("{e}"));
    assert_ne!(result.is_error, Some(true), "{result:?}");
    let report = result.structured_content.clone().unwrap_or_else(|| panic!("no structured content: {result:?}"));
    assert_eq!(report["ok"], true, "{report}");
    assert_eq!(report["current_user"], "postgres", "{report}");
    assert!(cluster_dir.join("data").exists());
    client.cancel().await.unwrap_or_else(|e| panic!("{e}"));
    wait_until("the demo removes its cluster", || !cluster_dir.exists());
}

#[test]
fn a_killed_demo_takes_its_postmaster_down() {
    let mut child = demo_command(&[])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap_or_else(|e| panic!("{e}"));
    let stderr = child.stderr.take().unwrap_or_else(|| panic!("no stderr pipe"));
    let cluster_dir = watch_stderr(stderr).unwrap_or_else(|e| panic!("{e}"));
    let pid_text = std::fs::read_to_string(cluster_dir.join("data/postmaster.pid")).unwrap_or_else(|e| panic!("{e}"));
    let postmaster: i32 =
        pid_text.lines().next().and_then(|l| l.trim().parse().ok()).unwrap_or_else(|| panic!("{pid_text}"));
    assert!(alive(postmaster));
    child.kill().unwrap_or_else(|e| panic!("{e}"));
    child.wait().unwrap_or_else(|e| panic!("{e}"));
    wait_until("the postmaster exits", || !alive(postmaster));
}
