//! Memory stays flat whatever the data size: a 1,000,000-row result spilled to a file and a 100,000-row
//! copy between two databases, each in a `supamcp serve` session: the work may add at most 32 MiB to the peak
//! RSS (VmHWM, read from /proc/<pid>/status) the session had after it started, and the peak stays under 96 MiB.
//! The start itself is the (debug) binary's own pages, 52 to 58 MiB here and growing with the code, so the bound is on
//! what the data adds (the release binary starts near 22 MiB: docs/BENCHMARKS.md). Not timed.

use crate::support::{self, Slot};
use serde_json::{Value, json};
use std::io::{BufRead, BufReader, Write};
use std::process::{Child, ChildStdin, ChildStdout, Stdio};

const GROWTH_MIB: f64 = 32.0;
const CEILING_MIB: f64 = 96.0;

struct Session {
    child: Child,
    stdin: ChildStdin,
    stdout: BufReader<ChildStdout>,
    next_id: u64,
}

impl Session {
    fn start(args: &[&str], data_dir: &std::path::Path) -> Session {
        // The suite's own command (none of the caller's configuration variables), driven synchronously here.
        let mut child = crate::mcp_client::command(args, data_dir)
            .into_std()
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .unwrap();
        let stdin = child.stdin.take().unwrap();
        let stdout = BufReader::new(child.stdout.take().unwrap());
        let mut session = Session { child, stdin, stdout, next_id: 0 };
        let params = json!({"protocolVersion": "2025-06-18", "capabilities": {}, "clientInfo": {"name": "memory", "version": "1"}});
        session.request("initialize", params);
        session.send(&json!({"jsonrpc": "2.0", "method": "notifications/initialized"}));
        session
    }

    fn send(&mut self, message: &Value) {
        writeln!(self.stdin, "{message}").unwrap();
        self.stdin.flush().unwrap();
    }

    fn request(&mut self, method: &str, params: Value) -> Value {
        self.next_id += 1;
        let id = self.next_id;
        self.send(&json!({"jsonrpc": "2.0", "id": id, "method": method, "params": params}));
        loop {
            let mut line = String::new();
            assert!(self.stdout.read_line(&mut line).unwrap() > 0, "the server closed stdout");
            let reply: Value = serde_json::from_str(&line).unwrap();
            if reply["id"] == json!(id) {
                return reply;
            }
        }
    }

    fn call(&mut self, tool: &str, arguments: Value) -> Value {
        let reply = self.request("tools/call", json!({"name": tool, "arguments": arguments}));
        let result = reply["result"].clone();
        assert_ne!(result["isError"], json!(true), "{tool} failed: {result}");
        result["structuredContent"].clone()
    }

    /// The peak resident set of the server so far, in MiB.
    fn peak_mib(&self) -> f64 {
        let status = std::fs::read_to_string(format!("/proc/{}/status", self.child.id())).unwrap();
        let line = status.lines().find(|l| l.starts_with("VmHWM:")).unwrap();
        line.split_whitespace().nth(1).unwrap().parse::<f64>().unwrap() / 1024.0
    }
}

impl Drop for Session {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

#[tokio::test]
async fn a_million_row_result_spills_in_flat_memory() {
    let db = support::fresh_database("memory_spill").await;
    let data_dir = tempfile::tempdir().unwrap();
    let mut session = Session::start(&["--database-url", &db.url(), "--features", "core"], data_dir.path());
    let before = session.peak_mib();
    let sql = "select g as id, md5(g::text) as digest, now() as at from generate_series(1, 1000000) as g";
    let reply = session.call("execute_sql", json!({"sql": sql}));
    assert_eq!(reply["row_count"], json!(1_000_000));
    assert!(reply["spilled"]["handle"].is_string(), "the result went to a file: {}", reply["spilled"]);
    let peak = session.peak_mib();
    eprintln!("peak RSS after spilling 1,000,000 rows: {peak:.1} MiB (after start: {before:.1} MiB)");
    assert!(peak - before < GROWTH_MIB, "the work added {:.1} MiB (at most {GROWTH_MIB})", peak - before);
    assert!(peak < CEILING_MIB, "peak RSS {peak:.1} MiB (ceiling {CEILING_MIB} MiB)");
}

#[tokio::test]
async fn copying_a_hundred_thousand_rows_stays_under_the_ceiling() {
    let source = support::fresh_database_in(Slot::A, "memory_copy_src", false).await;
    let target = support::fresh_database_in(Slot::B, "memory_copy_dst", false).await;
    let client = source.admin().await;
    client
        .batch_execute(
            "create table public.events (id bigint primary key, body text not null, at timestamptz not null);
             insert into public.events select g, repeat(md5(g::text), 8), now() from generate_series(1, 100000) g;",
        )
        .await
        .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("supamcp.toml");
    let text = format!(
        "default_instance = \"src\"\n[instances.src]\ndatabase_url = \"{}\"\n[instances.dst]\ndatabase_url = \"{}\"\n",
        source.url_as("supabase_admin"),
        target.url_as("supabase_admin")
    );
    std::fs::write(&config, text).unwrap();
    let mut session = Session::start(&["--config", config.to_str().unwrap(), "--features", "migrations"], dir.path());
    let before = session.peak_mib();
    let copied = session
        .call("copy_database", json!({"source": "src", "target": "dst", "schemas": ["public"], "confirm": true}));
    let rows: i64 = target.admin().await.query_one("select count(*) from public.events", &[]).await.unwrap().get(0);
    assert_eq!(rows, 100_000, "{copied}");
    let peak = session.peak_mib();
    eprintln!("peak RSS after copying 100,000 rows: {peak:.1} MiB (after start: {before:.1} MiB)");
    assert!(peak - before < GROWTH_MIB, "the work added {:.1} MiB (at most {GROWTH_MIB})", peak - before);
    assert!(peak < CEILING_MIB, "peak RSS {peak:.1} MiB (ceiling {CEILING_MIB} MiB)");
}
