//! The core group end to end: the built binary over stdio with rmcp's client, against a throwaway cluster
//! holding the Supabase fixture and the sample app.

use crate::mcp_client;
use crate::support;

use serde_json::{Value, json};

#[tokio::test]
async fn handshake_names_the_server_and_explains_the_groups() {
    let db = support::fresh_database("handshake").await;
    let server = mcp_client::start(&["--database-url", &db.url()]).await;
    let info = server.client.peer_info().expect("server info");
    let implementation = info.server_info.clone().expect("implementation");
    assert_eq!(implementation.name, "supamcp");
    assert_eq!(implementation.version, env!("CARGO_PKG_VERSION"));
    assert!(info.instructions.clone().unwrap_or_default().contains("read_result"));
    server.stop().await;
}

#[tokio::test]
async fn schema_tools_show_the_sample_app() {
    let db = support::fresh_sample_database("schema_tools").await;
    let server = mcp_client::start(&["--database-url", &db.url()]).await;

    let tables = server.ok("list_tables", json!({})).await;
    let names: Vec<&str> = tables["tables"].as_array().unwrap().iter().map(|t| t["name"].as_str().unwrap()).collect();
    assert!(names.contains(&"todos") && names.contains(&"profiles"), "{names:?}");
    assert!(!names.contains(&"users"), "auth.users is hidden by default");
    let internal = server.ok("list_tables", json!({"schemas": ["auth"], "name_contains": "USER"})).await;
    let users = internal["tables"].as_array().unwrap().iter().find(|t| t["name"] == "users").expect("auth.users");
    assert_eq!(users["rls_enabled"], json!(true));

    let todos = server.ok("describe_table", json!({"table": "todos"})).await;
    assert_eq!(todos["primary_key"], json!(["id"]));
    let id = todos["columns"].as_array().unwrap().iter().find(|c| c["name"] == "id").unwrap();
    assert_eq!(id["identity"], json!("always"));
    let fk = todos["foreign_keys"].as_array().unwrap().iter().find(|f| f["columns"] == json!(["project_id"])).unwrap();
    assert_eq!(fk["references"], json!("projects"));
    assert!(todos["indexes"].as_array().unwrap().iter().any(|i| i["name"] == "todos_status_idx"));
    let projects = server.ok("describe_table", json!({"table": "projects"})).await;
    assert!(projects["referenced_by"].as_array().unwrap().iter().any(|f| f["table"] == "todos"));

    let missing = server.err("describe_table", json!({"table": "todo"})).await;
    assert!(missing.contains("public.todos"), "suggests the near name: {missing}");

    let schemas = server.ok("list_schemas", json!({"include_internal": true})).await;
    let auth = schemas["schemas"].as_array().unwrap().iter().find(|s| s["name"] == "auth").expect("auth schema");
    assert_eq!(auth["internal"], json!(true));
    let extensions = server.ok("list_extensions", json!({"include_available": false})).await;
    let installed: Vec<&str> =
        extensions["extensions"].as_array().unwrap().iter().map(|e| e["name"].as_str().unwrap()).collect();
    assert!(installed.contains(&"pgcrypto") && installed.contains(&"uuid-ossp"), "{installed:?}");
    server.stop().await;
}

#[tokio::test]
async fn execute_sql_returns_typed_values_fenced_as_untrusted() {
    let db = support::fresh_sample_database("typed_values").await;
    let server = mcp_client::start(&["--database-url", &db.url()]).await;
    let sql =
        "select 42::int8 as big, 12.50::numeric(6,2) as money, true as flag, 'done'::public.todo_status as status,
                      '1 day 02:00'::interval as span, '\\xdead'::bytea as raw, '{\"a\":[1,2]}'::jsonb as doc,
                      array[1,null,3] as list, '2026-01-02'::date as day, null::text as nothing,
                      '00000000-0000-0000-0000-000000000001'::uuid as id";
    let result = server.call("execute_sql", json!({ "sql": sql })).await;
    let text = mcp_client::text(&result);
    assert!(text.contains("<untrusted-data-") && text.contains("</untrusted-data-"), "{text}");
    let row = &result.structured_content.expect("structured")["rows"][0];
    let expected = json!({"big": 42, "money": "12.50", "flag": true, "status": "done", "span": "1 day 02:00:00",
        "raw": "\\xdead", "doc": {"a": [1, 2]}, "list": [1, null, 3], "day": "2026-01-02", "nothing": null,
        "id": "00000000-0000-0000-0000-000000000001"});
    assert_eq!(row, &expected);

    let params = server
        .ok(
            "execute_sql",
            json!({"sql": "select $1::int + 1 as n, $2 as s, $3::jsonb as j", "params": [41, "x", {"k": 1}]}),
        )
        .await;
    assert_eq!(params["rows"][0], json!({"n": 42, "s": "x", "j": {"k": 1}}));
    let wrong = server.err("execute_sql", json!({"sql": "select $1::int", "params": []})).await;
    assert!(wrong.contains("1 parameter"), "{wrong}");
    server.stop().await;
}

#[tokio::test]
async fn scripts_are_atomic_and_return_the_last_result() {
    let db = support::fresh_sample_database("scripts").await;
    let server = mcp_client::start(&["--database-url", &db.url()]).await;
    let reply = server
        .ok("execute_sql", json!({"sql": "create table public.notes (id int); insert into public.notes values (1), (2); select count(*) as n from public.notes;"}))
        .await;
    assert_eq!(reply["rows"][0]["n"], json!(2));
    assert_eq!(reply["statements"].as_array().unwrap().len(), 3);
    assert_eq!(reply["statements"][1]["rows_affected"], json!(2));

    let failed = server.err("execute_sql", json!({"sql": "insert into public.notes values (3); select 1/0"})).await;
    assert!(failed.contains("statement 2 of 2") && failed.contains("rolled back"), "{failed}");
    let after = server.ok("execute_sql", json!({"sql": "select count(*) as n from public.notes"})).await;
    assert_eq!(after["rows"][0]["n"], json!(2), "the failed script left nothing behind");

    let concurrent =
        server.ok("execute_sql", json!({"sql": "create index concurrently notes_id on public.notes (id)"})).await;
    assert_eq!(concurrent["ran_outside_transaction"], json!(true));
    let mixed =
        server.err("execute_sql", json!({"sql": "select 1; create index concurrently n2 on public.notes (id)"})).await;
    assert!(mixed.contains("25001") && mixed.contains("own call"), "{mixed}");
    server.stop().await;
}

#[tokio::test]
async fn timeouts_limits_and_roles() {
    let db = support::fresh_sample_database("limits").await;
    let server = mcp_client::start(&["--database-url", &db.url()]).await;
    let slow = server.err("execute_sql", json!({"sql": "select pg_sleep(3)", "timeout_ms": 200})).await;
    assert!(slow.contains("57014") && slow.contains("200 ms"), "{slow}");
    // 0 would switch PostgreSQL's timeout off and 2^31 ms is past its range: refused before they reach it.
    for timeout_ms in [0_u64, 1 << 31] {
        let refused = server.err("execute_sql", json!({"sql": "select 1", "timeout_ms": timeout_ms})).await;
        assert!(refused.contains("timeout_ms") && refused.contains("1 to 2147483647"), "{refused}");
    }

    let limited =
        server.ok("execute_sql", json!({"sql": "select g from generate_series(1, 100) g", "row_limit": 10})).await;
    assert_eq!((limited["row_count"].clone(), limited["truncated"].clone()), (json!(10), json!(true)));

    // As on self-hosted Supabase, postgres is not a member of supabase_auth_admin: a clear refusal.
    let refused = server.err("execute_sql", json!({"sql": "select 1", "role": "supabase_auth_admin"})).await;
    assert!(refused.contains("cannot run as role 'supabase_auth_admin'") && refused.contains("GRANT"), "{refused}");
    server.stop().await;

    let admin = mcp_client::start(&["--database-url", &db.url_as("supabase_admin")]).await;
    let sql = "select current_user as who, count(*) as n from auth.users";
    let as_auth = admin.ok("execute_sql", json!({"sql": sql, "role": "supabase_auth_admin"})).await;
    assert_eq!(as_auth["rows"][0]["who"], json!("supabase_auth_admin"));
    assert_eq!(as_auth["rows"][0]["n"], json!(20));
    admin.stop().await;
}

#[tokio::test]
async fn large_results_spill_and_page() {
    let db = support::fresh_database("spill").await;
    let server = mcp_client::start(&["--database-url", &db.url(), "--spill-threshold-bytes", "4096"]).await;
    let reply = server
        .ok("execute_sql", json!({"sql": "select g as n, md5(g::text) as h from generate_series(1, 5000) g"}))
        .await;
    let spilled = &reply["spilled"];
    assert_eq!(spilled["rows"], json!(5000));
    assert_eq!(reply["rows"].as_array().unwrap().len(), 20, "the reply holds a preview");
    let handle = spilled["handle"].as_str().unwrap();
    assert_eq!(spilled["path"], Value::Null, "the reply gives the handle, not the host path");
    assert_eq!(spilled["uri"], json!(format!("supamcp://results/{handle}")));
    let file = server.data_dir.as_ref().unwrap().path().join("results").join(format!("{handle}.ndjson"));
    assert!(file.exists());
    let mut seen = 0;
    let mut offset = Some(0);
    while let Some(from) = offset {
        let page = server.ok("read_result", json!({"handle": handle, "offset": from, "limit": 1000})).await;
        let rows = page["rows"].as_array().unwrap();
        assert_eq!(rows[0]["n"], json!(from + 1));
        seen += rows.len() as u64;
        offset = page["next_offset"].as_u64();
    }
    assert_eq!(seen, 5000);
    server.stop().await;
}

/// Names of the files in `dir` (none when it does not exist).
fn names_in(dir: &std::path::Path) -> Vec<String> {
    std::fs::read_dir(dir)
        .map(|entries| entries.map(|e| e.unwrap().file_name().to_string_lossy().into_owned()).collect())
        .unwrap_or_default()
}

#[tokio::test]
async fn a_file_size_limit_fails_the_spill_cleanly_and_the_server_lives_on() {
    let db = support::fresh_database("spill_fsize").await;
    let url = db.url();
    let args = ["--database-url", url.as_str(), "--spill-threshold-bytes", "4096"];
    let server = mcp_client::start_with_file_size_limit(&args, 64 * 1024).await;
    let sql = "select g as n, md5(g::text) as h from generate_series(1, 20000) g";
    let error = server.err("execute_sql", json!({"sql": sql})).await;
    assert!(error.contains("EFBIG") && error.contains("ulimit -f"), "what, why and fix: {error}");
    let results = server.data_dir.as_ref().unwrap().path().join("results");
    assert_eq!(names_in(&results), Vec::<String>::new(), "no partial or half-written spill file is left");
    let alive = server.ok("execute_sql", json!({"sql": "select 1 as one"})).await;
    assert_eq!(alive["rows"][0]["one"], json!(1), "{alive}");
    server.stop().await;
}

#[tokio::test]
async fn data_files_are_private_and_planted_links_are_not_followed() {
    use std::os::unix::fs::PermissionsExt;
    let mode = |p: &std::path::Path| std::fs::symlink_metadata(p).unwrap().permissions().mode() & 0o777;
    let db = support::fresh_database("private_files").await;
    let dir = tempfile::tempdir().unwrap();
    let data_dir = dir.path().join("data");
    std::fs::create_dir(&data_dir).unwrap();
    std::fs::set_permissions(&data_dir, std::fs::Permissions::from_mode(0o755)).unwrap();
    // A link where the audit log goes, pointing at a file the attacker wants appended to.
    let victim = dir.path().join("victim");
    std::fs::write(&victim, "untouched\n").unwrap();
    std::os::unix::fs::symlink(&victim, data_dir.join("audit.jsonl")).unwrap();

    let server =
        mcp_client::start_in(&["--database-url", &db.url(), "--spill-threshold-bytes", "4096"], &data_dir).await;
    let sql = "select g as n, md5(g::text) as h from generate_series(1, 2000) g";
    let reply = server.ok("execute_sql", json!({"sql": sql})).await;
    let spilled = data_dir.join("results").join(format!("{}.ndjson", reply["spilled"]["handle"].as_str().unwrap()));
    assert_eq!(std::fs::read_to_string(&victim).unwrap(), "untouched\n", "the audit log did not follow the link");
    assert_eq!(mode(&data_dir), 0o700, "an existing data directory is tightened");
    assert_eq!(mode(spilled.parent().unwrap()), 0o700);
    assert_eq!(mode(&spilled), 0o600);

    std::fs::remove_file(data_dir.join("audit.jsonl")).unwrap();
    server.ok("execute_sql", json!({"sql": "select 1"})).await;
    assert_eq!(mode(&data_dir.join("audit.jsonl")), 0o600);
    server.stop().await;
}

#[tokio::test]
async fn stats_connections_and_the_audit_log() {
    let db = support::fresh_sample_database("stats").await;
    let server = mcp_client::start(&["--database-url", &db.url()]).await;
    let stats = server.ok("database_stats", json!({})).await;
    assert!(stats["size_bytes"].as_i64().unwrap() > 0);
    assert_eq!(stats["database"], json!(db.name));
    let connections = server.ok("monitor_connections", json!({})).await;
    assert!(connections["by_service"]["supamcp"]["total"].as_i64().unwrap() >= 1, "{connections}");
    assert_eq!(connections["level"], json!("ok"));

    server.ok("execute_sql", json!({"sql": "select 1", "params": []})).await;
    server.err("execute_sql", json!({"sql": "select * from nope"})).await;
    let audit = server.ok("read_audit_log", json!({"tool": "execute_sql"})).await;
    let entries = audit["entries"].as_array().unwrap();
    assert_eq!(entries.len(), 2, "{audit}");
    assert_eq!(entries[0]["outcome"], json!("ok"));
    assert!(entries[1]["outcome"].as_str().unwrap().starts_with("error: "));
    let everything = server.ok("read_audit_log", json!({})).await;
    assert!(
        everything["entries"].as_array().unwrap().iter().all(|e| e["tool"] == "execute_sql"),
        "read-only tools are not audited"
    );
    server.stop().await;
}

#[tokio::test]
async fn failed_connections_are_diagnosed() {
    let db = support::fresh_database("diagnose").await;
    let unknown_db = db.url().replace(&format!("/{}", db.name), "/no_such_db");
    for (url, kind) in [
        ("postgres://postgres@127.0.0.1:1/postgres".to_owned(), "refused"),
        (unknown_db, "unknown_database"),
        (db.url_as("no_such_role"), "unknown_role"),
    ] {
        let server = mcp_client::start(&["--database-url", &url]).await;
        let result = server.call("test_connection", json!({})).await;
        assert_eq!(result.is_error, Some(true));
        let report: Value = result.structured_content.expect("report");
        assert_eq!(report["failure_kind"], json!(kind), "{url}: {report}");
        assert!(report["failure"].as_str().unwrap().contains("Fix:"));
        server.stop().await;
    }
    let server = mcp_client::start(&["--database-url", &db.url()]).await;
    let ok = server.ok("test_connection", json!({})).await;
    assert_eq!((ok["ok"].clone(), ok["current_user"].clone()), (json!(true), json!("postgres")));
    server.stop().await;
}

/// Lines the server cannot read (not JSON, nested 10,000 deep, invalid UTF-8, longer than the 16 MiB line
/// limit) each get a JSON-RPC parse error at once, with a null id, and the server goes on serving.
#[tokio::test]
async fn unreadable_lines_are_answered_and_serving_goes_on() {
    use tokio::io::{AsyncBufReadExt, AsyncWriteExt};
    let data_dir = tempfile::tempdir().unwrap();
    let mut child = mcp_client::command(&[], data_dir.path())
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .unwrap();
    let mut stdin = child.stdin.take().unwrap();
    let mut stdout = tokio::io::BufReader::new(child.stdout.take().unwrap()).lines();
    let bad: Vec<Vec<u8>> = vec![
        b"not json".to_vec(),
        "[".repeat(10_000).into_bytes(),
        b"{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"\xff\xfe\"}".to_vec(),
        vec![b' '; 17 << 20],
    ];
    let writer = tokio::spawn(async move {
        for line in &bad {
            stdin.write_all(line).await.unwrap();
            stdin.write_all(b"\n").await.unwrap();
        }
        let init = json!({"jsonrpc": "2.0", "id": 1, "method": "initialize", "params": {
            "protocolVersion": "2025-06-18", "capabilities": {}, "clientInfo": {"name": "raw", "version": "1"}}});
        let initialized = json!({"jsonrpc": "2.0", "method": "notifications/initialized"});
        let list = json!({"jsonrpc": "2.0", "id": 2, "method": "tools/list"});
        for message in [init, initialized, list] {
            stdin.write_all(format!("{message}\n").as_bytes()).await.unwrap();
        }
        stdin
    });
    let mut replies = Vec::new();
    for _ in 0..6 {
        let line = stdout.next_line().await.unwrap().expect("a reply line");
        replies.push(serde_json::from_str::<Value>(&line).unwrap());
    }
    for (index, reply) in replies[..4].iter().enumerate() {
        assert_eq!(reply["error"]["code"], json!(-32700), "line {index}: {reply}");
        assert_eq!(reply["id"], Value::Null, "line {index}: {reply}");
    }
    assert!(replies[3]["error"]["message"].as_str().unwrap().contains("longer than"), "{}", replies[3]);
    assert_eq!(
        (replies[4]["id"].clone(), replies[4]["result"]["serverInfo"]["name"].clone()),
        (json!(1), json!("supamcp"))
    );
    assert_eq!(replies[5]["id"], json!(2));
    assert!(!replies[5]["result"]["tools"].as_array().unwrap().is_empty(), "{}", replies[5]);
    drop(writer.await.unwrap());
    assert!(child.wait().await.unwrap().success(), "the server ends cleanly when stdin closes");
}

/// An empty .env describes no database: a database tool says so and what to set, instead of "tool not found".
#[tokio::test]
async fn an_env_file_without_database_settings_is_explained() {
    let dir = tempfile::tempdir().unwrap();
    let env_file = dir.path().join(".env");
    std::fs::write(&env_file, "").unwrap();
    let server = mcp_client::start(&["--env-file", env_file.to_str().unwrap()]).await;
    let refused = server.err("execute_sql", json!({"sql": "select 1"})).await;
    assert!(refused.contains("no database settings") && refused.contains(env_file.to_str().unwrap()), "{refused}");
    assert!(refused.contains("POSTGRES_PASSWORD") && refused.contains("DATABASE_URL"), "{refused}");
    server.stop().await;
}
