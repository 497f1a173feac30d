//! A raw JSON-RPC session with the real binary: lines written to its stdin, lines read from its stdout, so
//! tests can send what no SDK client would (bad JSON, early requests, long lines) and keep a call in flight
//! while they signal the process.

use serde_json::{Value, json};
use std::process::Stdio;
use std::time::Duration;
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader, Lines};
use tokio::process::{Child, ChildStdin, ChildStdout};

/// Generous: a wait that ends early in every healthy run.
pub const PATIENCE: Duration = Duration::from_secs(30);

pub struct Raw {
    pub child: Child,
    stdin: Option<ChildStdin>,
    lines: Lines<BufReader<ChildStdout>>,
    _data_dir: tempfile::TempDir,
}

impl Raw {
    /// Starts `supamcp <args>` with its own data directory; nothing is sent yet.
    pub fn spawn(args: &[&str]) -> Raw {
        let data_dir = tempfile::tempdir().unwrap();
        let mut command = crate::mcp_client::command(args, data_dir.path());
        command.stdin(Stdio::piped()).stdout(Stdio::piped()).stderr(Stdio::inherit()).kill_on_drop(true);
        let mut child = command.spawn().unwrap();
        let stdin = child.stdin.take();
        let lines = BufReader::new(child.stdout.take().unwrap()).lines();
        Raw { child, stdin, lines, _data_dir: data_dir }
    }

    pub fn pid(&self) -> i32 {
        self.child.id().unwrap() as i32
    }

    pub async fn send_bytes(&mut self, bytes: &[u8]) {
        let stdin = self.stdin.as_mut().unwrap();
        stdin.write_all(bytes).await.unwrap();
        stdin.flush().await.unwrap();
    }

    pub async fn send(&mut self, message: Value) {
        self.send_bytes(format!("{message}\n").as_bytes()).await;
    }

    /// The next line from stdout, as JSON.
    pub async fn recv(&mut self) -> Value {
        let line = tokio::time::timeout(PATIENCE, self.lines.next_line()).await.expect("a line in time").unwrap();
        let line = line.expect("stdout ended");
        serde_json::from_str(&line).unwrap_or_else(|e| panic!("not JSON ({e}): {line}"))
    }

    /// Reads until the response with `id`, returning it and the notifications before it.
    pub async fn response(&mut self, id: Value) -> (Value, Vec<Value>) {
        let mut notifications = Vec::new();
        loop {
            let message = self.recv().await;
            if message.get("id") == Some(&id) && message.get("method").is_none() {
                return (message, notifications);
            }
            notifications.push(message);
        }
    }

    /// initialize (at `version`) + notifications/initialized.
    pub async fn initialize(&mut self, version: &str) -> Value {
        self.initialize_as(version, "raw").await
    }

    /// initialize (at `version`, as client `name`) + notifications/initialized.
    pub async fn initialize_as(&mut self, version: &str, name: &str) -> Value {
        self.send(json!({"jsonrpc": "2.0", "id": 0, "method": "initialize", "params": {
            "protocolVersion": version, "capabilities": {}, "clientInfo": {"name": name, "version": "1"}}}))
            .await;
        let (reply, _) = self.response(json!(0)).await;
        self.send(json!({"jsonrpc": "2.0", "method": "notifications/initialized"})).await;
        reply
    }

    /// Calls a tool and returns the response and the notifications sent before it.
    pub async fn call(&mut self, id: i64, tool: &str, arguments: Value, meta: Option<Value>) -> (Value, Vec<Value>) {
        let mut params = json!({"name": tool, "arguments": arguments});
        if let Some(meta) = meta {
            params["_meta"] = meta;
        }
        self.send(json!({"jsonrpc": "2.0", "id": id, "method": "tools/call", "params": params})).await;
        self.response(json!(id)).await
    }

    /// Waits for the process to exit (within [`PATIENCE`]) and returns its exit code (None: killed by a signal).
    pub async fn exit_code(&mut self) -> Option<i32> {
        let status = tokio::time::timeout(PATIENCE, self.child.wait()).await.expect("the process exits in time");
        status.unwrap().code()
    }
}

/// Sends `signal` to `pid`.
pub fn signal(pid: i32, signal: i32) {
    // SAFETY: kill only sends a signal to a process we started.
    assert_eq!(unsafe { libc::kill(pid, signal) }, 0, "kill {pid}");
}

/// The JSON a fenced text carries (the line after the opening boundary).
pub fn fenced_json(text: &str) -> Value {
    let mut lines = text.lines().skip_while(|l| !l.starts_with("<untrusted-data-"));
    lines.next().expect("an opening boundary");
    serde_json::from_str(lines.next().expect("a body line")).unwrap()
}
