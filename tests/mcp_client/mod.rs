//! A real MCP client for the integration tests: spawns the built `supamcp` binary and speaks to it over
//! stdio with rmcp's client, each test with its own data directory.
#![allow(dead_code, clippy::expect_used, clippy::unwrap_used, clippy::panic)]

use rmcp::model::{CallToolRequestParams, CallToolResult};
use rmcp::service::RunningService;
use rmcp::transport::TokioChildProcess;
use rmcp::{RoleClient, ServiceExt};
use serde_json::Value;
use std::process::Stdio;

pub struct Server {
    pub client: RunningService<RoleClient, ()>,
    /// The server's own data directory, when the test did not name one.
    pub data_dir: Option<tempfile::TempDir>,
}

/// Starts `supamcp` with `args` (plus its own data directory) and completes the MCP handshake.
pub async fn start(args: &[&str]) -> Server {
    start_with_env(args, &[]).await
}

/// Like [`start`], with extra environment variables for the spawned binary (e.g. DOKPLOY_URL).
pub async fn start_with_env(args: &[&str], env: &[(&str, &str)]) -> Server {
    let data_dir = tempfile::tempdir().expect("data dir");
    let mut server = spawn(args, data_dir.path(), env).await;
    server.data_dir = Some(data_dir);
    server
}

/// Like [`start_with_env`], with the binary's working directory set to `cwd` (where tool paths are confined).
pub async fn start_in_dir(args: &[&str], env: &[(&str, &str)], cwd: &std::path::Path) -> Server {
    let data_dir = tempfile::tempdir().expect("data dir");
    let mut command = command(args, data_dir.path());
    command.envs(env.iter().copied()).current_dir(cwd);
    let mut server = handshake(command).await;
    server.data_dir = Some(data_dir);
    server
}

/// Runs `command` (see [`command`]) as an MCP server with its stderr captured: the client, and a task that
/// yields everything the server logged once it exits.
pub async fn serve_capturing_logs(
    command: tokio::process::Command,
) -> (RunningService<RoleClient, ()>, tokio::task::JoinHandle<String>) {
    use tokio::io::AsyncReadExt;
    let (transport, stderr) =
        TokioChildProcess::builder(command).stderr(Stdio::piped()).spawn().expect("spawn supamcp");
    let mut stderr = stderr.expect("piped stderr");
    let logs = tokio::spawn(async move {
        let mut logs = String::new();
        let _ = stderr.read_to_string(&mut logs).await;
        logs
    });
    (().serve(transport).await.expect("MCP handshake"), logs)
}

/// Starts `supamcp` with `args` and the data directory `data_dir`.
pub async fn start_in(args: &[&str], data_dir: &std::path::Path) -> Server {
    spawn(args, data_dir, &[]).await
}

/// Like [`start`], with the spawned binary's file-size limit (RLIMIT_FSIZE, `ulimit -f`) set to `bytes`. Only
/// the limit is set: the binary itself must turn SIGXFSZ into EFBIG errors.
pub async fn start_with_file_size_limit(args: &[&str], bytes: u64) -> Server {
    let data_dir = tempfile::tempdir().expect("data dir");
    let mut server = start_limited_in(args, data_dir.path(), bytes).await;
    server.data_dir = Some(data_dir);
    server
}

/// [`start_with_file_size_limit`] with the data directory `data_dir`.
pub async fn start_limited_in(args: &[&str], data_dir: &std::path::Path, bytes: u64) -> Server {
    let mut command = command(args, data_dir);
    let limit = libc::rlimit { rlim_cur: bytes as libc::rlim_t, rlim_max: bytes as libc::rlim_t };
    // SAFETY: the closure runs in the forked child before exec and only calls setrlimit, which is
    // async-signal-safe.
    unsafe {
        command.pre_exec(move || {
            if libc::setrlimit(libc::RLIMIT_FSIZE, &limit) == 0 { Ok(()) } else { Err(std::io::Error::last_os_error()) }
        });
    }
    handshake(command).await
}

async fn spawn(args: &[&str], data_dir: &std::path::Path, env: &[(&str, &str)]) -> Server {
    let mut command = command(args, data_dir);
    command.envs(env.iter().copied());
    handshake(command).await
}

pub async fn handshake(command: tokio::process::Command) -> Server {
    let (transport, _) = TokioChildProcess::builder(command).stderr(Stdio::inherit()).spawn().expect("spawn supamcp");
    let client = ().serve(transport).await.expect("MCP handshake");
    Server { client, data_dir: None }
}

/// The `supamcp` command the helpers spawn: `args`, the data directory, warn-level logs and none of the
/// caller's configuration variables.
pub fn command(args: &[&str], data_dir: &std::path::Path) -> tokio::process::Command {
    let mut command = tokio::process::Command::new(env!("CARGO_BIN_EXE_supamcp"));
    command
        .args(args)
        .arg("--data-dir")
        .arg(data_dir)
        .env("SUPAMCP_LOG", "warn")
        .env_remove("SUPAMCP_CONFIG")
        .env_remove("SUPAMCP_DATABASE_URL")
        .env_remove("DATABASE_URL")
        .env_remove("SUPAMCP_READ_ONLY")
        .env_remove("SUPAMCP_READ_ONLY_DATABASE_URL")
        .env_remove("SUPAMCP_READ_ONLY_PASSWORD")
        .env_remove("SUPAMCP_ALLOW_ABSOLUTE_PATHS")
        .env_remove("SUPAMCP_BACKUP_KEY")
        .env_remove("SUPAMCP_FEATURES")
        .env_remove("SUPAMCP_FUNCTIONS_DIR")
        .env_remove("SUPABASE_URL")
        .env_remove("SUPABASE_ANON_KEY")
        .env_remove("SUPABASE_SERVICE_ROLE_KEY")
        .env_remove("SUPABASE_ACCESS_TOKEN")
        .env_remove("SUPAMCP_MANAGEMENT_API_URL")
        .env_remove("SUPABASE_CONTENT_API_URL")
        .env_remove("SUPAMCP_CONTENT_API_TIMEOUT_MS")
        .env_remove("DOKPLOY_URL")
        .env_remove("DOKPLOY_API_KEY");
    command
}

impl Server {
    /// Calls `tool` with the JSON object `arguments`.
    pub async fn call(&self, tool: &str, arguments: Value) -> CallToolResult {
        let arguments = arguments.as_object().cloned().expect("arguments are a JSON object");
        self.client
            .call_tool(CallToolRequestParams::new(tool.to_owned()).with_arguments(arguments))
            .await
            .unwrap_or_else(|e| panic!("{tool}: protocol error {e}"))
    }

    /// Calls `tool`, asserts it succeeded, and returns its structured content.
    pub async fn ok(&self, tool: &str, arguments: Value) -> Value {
        let result = self.call(tool, arguments.clone()).await;
        assert_ne!(result.is_error, Some(true), "{tool} {arguments} failed: {}", text(&result));
        result.structured_content.clone().unwrap_or(Value::Null)
    }

    /// Calls `tool`, asserts it failed, and returns the error text.
    pub async fn err(&self, tool: &str, arguments: Value) -> String {
        let result = self.call(tool, arguments.clone()).await;
        assert_eq!(result.is_error, Some(true), "{tool} {arguments} should fail, got {}", text(&result));
        text(&result)
    }

    pub async fn stop(self) {
        let _ = self.client.cancel().await;
    }
}

/// All text content of a result.
pub fn text(result: &CallToolResult) -> String {
    result.content.iter().filter_map(|c| c.as_text()).map(|t| t.text.as_str()).collect::<Vec<_>>().join("\n")
}
