//! `supamcp serve --http`: the real binary over Streamable HTTP, driven by rmcp's HTTP client. Key calls of
//! the stdio tests repeated over HTTP, 200 concurrent calls from 20 clients, the bearer token (401 without it),
//! Origin checks (403), the body limit (413), the health endpoint, the refusal to serve a public address
//! without a token, named and read-only tokens, and two replicas sharing one data directory.

mod conformance;
mod oauth;

use crate::support;
use rmcp::ServiceExt;
use rmcp::model::CallToolRequestParams;
use rmcp::transport::StreamableHttpClientTransport;
use rmcp::transport::streamable_http_client::StreamableHttpClientTransportConfig;
use serde_json::{Value, json};
use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};

const TOKEN: &str = "http-test-token-0123456789abcdefghijklmnop";

struct HttpServer {
    child: Child,
    base: String,
    _data_dir: Option<tempfile::TempDir>,
}

impl Drop for HttpServer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Starts `serve --http 127.0.0.1:0` with `args` and the test token, and waits for the address it announces.
fn start(args: &[&str]) -> HttpServer {
    start_with_token(args, Some(TOKEN))
}

fn start_with_token(args: &[&str], token: Option<&str>) -> HttpServer {
    let data_dir = tempfile::tempdir().unwrap();
    let mut server = start_in(args, &[], token, data_dir.path());
    server._data_dir = Some(data_dir);
    server
}

/// `supamcp ARGS --data-dir DIR serve --http 127.0.0.1:0 SERVE_ARGS`.
fn start_in(args: &[&str], serve_args: &[&str], token: Option<&str>, data_dir: &std::path::Path) -> HttpServer {
    // The suite's own command (none of the caller's configuration variables), then `serve --http`.
    let mut command = crate::mcp_client::command(args, data_dir).into_std();
    match token {
        Some(token) => command.env("SUPAMCP_HTTP_TOKEN", token),
        None => command.env_remove("SUPAMCP_HTTP_TOKEN"),
    };
    let mut child = command
        .args(["serve", "--http", "127.0.0.1:0"])
        .args(serve_args)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut stderr = BufReader::new(child.stderr.take().unwrap());
    let mut line = String::new();
    let base = loop {
        line.clear();
        assert!(stderr.read_line(&mut line).unwrap() > 0, "supamcp exited before listening");
        if let Some(url) = line.trim().strip_prefix("supamcp: serving MCP at ") {
            break url.trim_end_matches("/mcp").to_owned();
        }
    };
    std::thread::spawn(move || for _ in stderr.lines() {});
    HttpServer { child, base, _data_dir: None }
}

async fn client(base: &str) -> rmcp::service::RunningService<rmcp::RoleClient, ()> {
    client_with(base, TOKEN).await
}

async fn client_with(base: &str, token: &str) -> rmcp::service::RunningService<rmcp::RoleClient, ()> {
    let config = StreamableHttpClientTransportConfig::with_uri(format!("{base}/mcp")).auth_header(token);
    ().serve(StreamableHttpClientTransport::from_config(config)).await.expect("MCP over HTTP")
}

async fn call(client: &rmcp::service::RunningService<rmcp::RoleClient, ()>, tool: &str, arguments: Value) -> Value {
    let request = CallToolRequestParams::new(tool.to_owned()).with_arguments(arguments.as_object().unwrap().clone());
    let result = client.call_tool(request).await.unwrap();
    assert_ne!(result.is_error, Some(true), "{tool}: {result:?}");
    result.structured_content.unwrap()
}

#[tokio::test]
async fn the_tools_answer_over_http_and_many_clients_at_once() {
    let db = support::fresh_sample_database("http_calls").await;
    let server = start(&["--database-url", &db.url(), "--features", "core"]);
    let first = client(&server.base).await;
    let tools = first.list_all_tools().await.unwrap();
    assert!(tools.iter().any(|t| t.name == "execute_sql"), "{} tools", tools.len());
    let rows = call(&first, "execute_sql", json!({"sql": "select 40 + 2 as answer"})).await;
    assert_eq!(rows["rows"][0]["answer"], json!(42));
    let tables = call(&first, "list_tables", json!({"schemas": ["public"]})).await;
    assert!(tables.to_string().contains("\"name\""), "{tables}");
    first.cancel().await.unwrap();

    let mut clients = Vec::new();
    for n in 0..20 {
        let base = server.base.clone();
        clients.push(tokio::spawn(async move {
            let session = client(&base).await;
            let calls = (0..10).map(|i| {
                let value = n * 100 + i;
                let session = &session;
                async move {
                    let rows = call(session, "execute_sql", json!({"sql": format!("select {value} as v")})).await;
                    assert_eq!(rows["rows"][0]["v"], json!(value));
                }
            });
            futures_util::future::join_all(calls).await;
            session.cancel().await.unwrap();
        }));
    }
    for handle in clients {
        handle.await.unwrap();
    }
}

#[tokio::test]
async fn tokens_origins_and_sizes_are_checked_before_any_tool_runs() {
    let server = start(&["--features", "development"]);
    let http = reqwest::Client::new();
    let health = http.get(format!("{}/healthz", server.base)).send().await.unwrap();
    assert_eq!(health.status(), 200);
    let initialize = json!({"jsonrpc": "2.0", "id": 1, "method": "initialize", "params": {
        "protocolVersion": "2025-06-18", "capabilities": {}, "clientInfo": {"name": "t", "version": "1"}}});
    let post = |body: String| {
        http.post(format!("{}/mcp", server.base))
            .header("content-type", "application/json")
            .header("accept", "application/json, text/event-stream")
            .body(body)
    };
    let anonymous = post(initialize.to_string()).send().await.unwrap();
    assert_eq!(anonymous.status(), 401);
    assert!(anonymous.headers()["www-authenticate"].to_str().unwrap().starts_with("Bearer"));
    let wrong = post(initialize.to_string()).bearer_auth("x".repeat(TOKEN.len())).send().await.unwrap();
    assert_eq!(wrong.status(), 401);
    let foreign = post(initialize.to_string())
        .bearer_auth(TOKEN)
        .header("origin", "https://attacker.example")
        .send()
        .await
        .unwrap();
    assert_eq!(foreign.status(), 403);
    let rebinding =
        post(initialize.to_string()).bearer_auth(TOKEN).header("host", "attacker.example").send().await.unwrap();
    assert_eq!(rebinding.status(), 403);
    let huge = json!({"jsonrpc": "2.0", "id": 2, "method": "tools/call", "params": {"name": "validate_project_name",
        "arguments": {"name": "x".repeat(5 * 1024 * 1024)}}});
    // Its own client: the server answers 413 before reading the rest and closes that connection, which a pooled
    // client would otherwise try to reuse for the next request.
    let oversized = reqwest::Client::new()
        .post(format!("{}/mcp", server.base))
        .header("content-type", "application/json")
        .header("accept", "application/json, text/event-stream")
        .bearer_auth(TOKEN)
        .body(huge.to_string())
        .send()
        .await
        .unwrap();
    assert_eq!(oversized.status(), 413);
    let fine = post(initialize.to_string()).bearer_auth(TOKEN).send().await.unwrap();
    assert_eq!(fine.status(), 200);
}

#[test]
fn a_public_address_without_a_token_is_refused() {
    let output = Command::new(env!("CARGO_BIN_EXE_supamcp"))
        .args(["--features", "development", "serve", "--http", "0.0.0.0:0"])
        .env_remove("SUPAMCP_HTTP_TOKEN")
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("without a bearer token") && stderr.contains("SUPAMCP_HTTP_TOKEN"), "{stderr}");
}

#[tokio::test]
async fn named_tokens_are_audited_and_read_only_tokens_only_read() {
    let db = support::fresh_database("http_tokens").await;
    let data_dir = tempfile::tempdir().unwrap();
    let reader = "reader-token-0123456789abcdefghijklmnopq";
    let writer = "writer-token-0123456789abcdefghijklmnopq";
    let tokens = data_dir.path().join("tokens");
    let limited = "limited-token-0123456789abcdefghijklmnop";
    std::fs::write(
        &tokens,
        format!("# who may call\nci {reader} read-only\nops {writer}\ndev {limited} features=migrations\n"),
    )
    .unwrap();
    let data_path = data_dir.path().to_str().unwrap().to_owned();
    let server = start_in(
        &["--database-url", &db.url(), "--features", "core,migrations"],
        &["--http-token-file", tokens.to_str().unwrap()],
        None,
        data_dir.path(),
    );
    let ci = client_with(&server.base, reader).await;
    let listed: Vec<String> = ci.list_all_tools().await.unwrap().into_iter().map(|t| t.name.to_string()).collect();
    assert!(listed.contains(&"execute_sql".to_owned()) && listed.contains(&"list_tables".to_owned()), "{listed:?}");
    assert!(!listed.contains(&"apply_migration".to_owned()), "writers are not listed for a read-only token");
    let read = call(&ci, "execute_sql", json!({"sql": "select 1 as one"})).await;
    assert_eq!(read["read_only"], json!(true), "{read}");
    let write = CallToolRequestParams::new("execute_sql")
        .with_arguments(json!({"sql": "create table public.nope (id int)"}).as_object().unwrap().clone());
    let refused = ci.call_tool(write).await.unwrap();
    assert_eq!(refused.is_error, Some(true), "a read-only token cannot write with SQL");
    let writer_tool = CallToolRequestParams::new("create_migration")
        .with_arguments(json!({"name": "x", "sql": "select 1"}).as_object().unwrap().clone());
    let refused = ci.call_tool(writer_tool).await.unwrap();
    assert!(format!("{refused:?}").contains("not available to token 'ci'"), "{refused:?}");
    ci.cancel().await.unwrap();

    let ops = client_with(&server.base, writer).await;
    call(&ops, "execute_sql", json!({"sql": "create table public.made_by_ops (id int)"})).await;
    ops.cancel().await.unwrap();
    let audit = std::fs::read_to_string(format!("{data_path}/audit.jsonl")).unwrap();
    let entry = audit.lines().find(|l| l.contains("made_by_ops")).expect("the write is audited");
    assert!(entry.contains(r#""caller":"ops""#), "{entry}");

    // A token limited to some groups lists and calls only their tools.
    let dev = client_with(&server.base, limited).await;
    let listed: Vec<String> = dev.list_all_tools().await.unwrap().into_iter().map(|t| t.name.to_string()).collect();
    assert!(listed.contains(&"create_migration".to_owned()), "{listed:?}");
    assert!(!listed.contains(&"execute_sql".to_owned()), "core is not in the token's features: {listed:?}");
    let sql = CallToolRequestParams::new("execute_sql")
        .with_arguments(json!({"sql": "select 1"}).as_object().unwrap().clone());
    let refused = dev.call_tool(sql).await.unwrap();
    assert_eq!(refused.is_error, Some(true));
    assert!(format!("{refused:?}").contains("not in the token's features"), "{refused:?}");
    call(&dev, "list_migrations", json!({})).await;
    dev.cancel().await.unwrap();
}

#[tokio::test]
async fn a_result_spilled_by_one_replica_is_read_through_another() {
    let db = support::fresh_database("http_replicas").await;
    let shared = tempfile::tempdir().unwrap();
    let url = db.url();
    let args = ["--database-url", &url, "--features", "core", "--spill-threshold-bytes", "2048"];
    let first = start_in(&args, &[], Some(TOKEN), shared.path());
    let second = start_in(&args, &[], Some(TOKEN), shared.path());
    let on_first = client(&first.base).await;
    let spilled =
        call(&on_first, "execute_sql", json!({"sql": "select g, md5(g::text) from generate_series(1, 500) g"})).await;
    let handle = spilled["spilled"]["handle"].as_str().expect("the result spilled").to_owned();
    on_first.cancel().await.unwrap();
    let on_second = client(&second.base).await;
    let page = call(&on_second, "read_result", json!({"handle": handle, "offset": 490, "limit": 20})).await;
    assert_eq!(page["total_rows"], json!(500));
    assert_eq!(page["rows"].as_array().unwrap().len(), 10);
    on_second.cancel().await.unwrap();
}
