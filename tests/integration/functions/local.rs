//! Self-hosted target: a temporary directory laid out like a stack's `volumes/functions` (the main router
//! present), deploy → list → get → redeploy → rollback → delete, main/ never touched, the live-or-restart
//! notes, secrets in the directory's `.env` with a copy of the old file, and read-only mode.

#![allow(clippy::expect_used, clippy::unwrap_used, clippy::panic)]

use super::{files_of, hello_files, sorted};
use crate::mcp_client::{self, Server};
use serde_json::json;
use std::path::Path;

const ROUTER: &str = "// the stock main router\nDeno.serve(() => new Response('router'));\n";

fn volume() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir(dir.path().join("main")).unwrap();
    std::fs::write(dir.path().join("main/index.ts"), ROUTER).unwrap();
    dir
}

async fn start(dir: &Path, extra: &[&str]) -> Server {
    let mut args = vec!["--features", "functions"];
    args.extend_from_slice(extra);
    mcp_client::start_with_env(&args, &[("SUPAMCP_FUNCTIONS_DIR", dir.to_str().unwrap())]).await
}

#[tokio::test]
async fn a_functions_directory_is_deployed_atomically_and_rolled_back() {
    let volume = volume();
    let server = start(volume.path(), &[]).await;
    let files = hello_files("hello");
    let first = server.ok("deploy_edge_function", json!({ "name": "hello", "files": files })).await;
    assert_eq!(first["function"]["version"], 1, "{first}");
    assert!(first["live"].as_str().unwrap().contains("first request"), "{first}");
    assert_eq!(first["invoke_url"], json!(null), "no API URL configured");
    assert_eq!(std::fs::read_to_string(volume.path().join("hello/lib/greet.ts")).unwrap(), files[1]["content"]);

    let listed = server.ok("list_edge_functions", json!({})).await;
    let slugs: Vec<&str> =
        listed["functions"].as_array().unwrap().iter().map(|f| f["slug"].as_str().unwrap()).collect();
    assert_eq!(slugs, ["hello"], "main is the router, not a function");
    let got = server.ok("get_edge_function", json!({ "function_slug": "hello" })).await;
    assert_eq!(files_of(&got), sorted(&files));

    let second = server.ok("deploy_edge_function", json!({ "name": "hello", "files": hello_files("bye") })).await;
    assert_eq!(second["function"]["version"], 2);
    assert!(second["live"].as_str().unwrap().contains("restart"), "{second}");
    assert!(std::fs::read_to_string(volume.path().join("hello/index.ts")).unwrap().contains("bye"));

    server.ok("rollback_edge_function", json!({ "function_slug": "hello" })).await;
    assert!(std::fs::read_to_string(volume.path().join("hello/index.ts")).unwrap().contains("hello"));

    let main_refused = server.err("deploy_edge_function", json!({ "name": "main", "files": hello_files("x") })).await;
    assert!(main_refused.contains("router"), "{main_refused}");
    let bad_entry = server
        .err(
            "deploy_edge_function",
            json!({ "name": "x", "entrypoint_path": "lib/greet.ts", "files": hello_files("x") }),
        )
        .await;
    assert!(bad_entry.contains("index.ts"), "{bad_entry}");

    server.ok("delete_edge_function", json!({ "function_slug": "hello", "confirm": true })).await;
    assert!(!volume.path().join("hello").exists());
    assert_eq!(server.ok("list_edge_functions", json!({})).await["functions"], json!([]));
    server.ok("rollback_edge_function", json!({ "function_slug": "hello" })).await;
    let got = server.ok("get_edge_function", json!({ "function_slug": "hello" })).await;
    assert_eq!(files_of(&got), sorted(&files), "the deleted source came back");
    assert_eq!(std::fs::read_to_string(volume.path().join("main/index.ts")).unwrap(), ROUTER, "main untouched");
    let leftovers: Vec<String> = std::fs::read_dir(volume.path().join(".supamcp"))
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    assert_eq!(leftovers, ["hello.json"], "no staging directory is left behind");
    server.stop().await;
}

#[tokio::test]
async fn directory_secrets_live_in_the_env_file_and_need_a_restart() {
    let volume = volume();
    let server = start(volume.path(), &[]).await;
    let set = server
        .ok("set_function_secrets", json!({ "secrets": [{ "name": "API_TOKEN", "value": "first-value-123" }] }))
        .await;
    assert!(set["next_step"].as_str().unwrap().contains("restart"), "{set}");
    assert_eq!(set["snapshot"], json!(null), "a new file has nothing to copy");
    let again = server
        .ok("set_function_secrets", json!({ "secrets": [{ "name": "API_TOKEN", "value": "second-value-456" }] }))
        .await;
    let snapshot = again["snapshot"].as_str().unwrap();
    assert!(std::fs::read_to_string(snapshot).unwrap().contains("first-value-123"));
    assert!(!again.to_string().contains("second-value-456"));
    assert!(std::fs::read_to_string(volume.path().join(".env")).unwrap().contains("API_TOKEN=second-value-456"));
    let listed = server.ok("list_function_secrets", json!({})).await;
    assert_eq!(listed["secrets"][0]["name"], "API_TOKEN");
    assert_eq!(listed["secrets"][0]["sha256"].as_str().unwrap().len(), 64);
    server.ok("delete_function_secrets", json!({ "names": ["API_TOKEN"], "confirm": true })).await;
    assert_eq!(server.ok("list_function_secrets", json!({})).await["secrets"], json!([]));
    server.stop().await;
}

#[tokio::test]
async fn read_only_mode_lists_only_the_readers() {
    let volume = volume();
    let server = start(volume.path(), &["--read-only"]).await;
    let tools = server.client.list_all_tools().await.unwrap();
    let mut names: Vec<String> = tools.iter().map(|t| t.name.to_string()).collect();
    names.sort();
    assert_eq!(
        names,
        ["get_edge_function", "get_function_logs", "list_edge_functions", "list_function_secrets", "read_result"]
    );
    let refused = server.call("deploy_edge_function", json!({ "name": "x", "files": hello_files("x") })).await;
    assert_eq!(refused.is_error, Some(true));
    assert!(!volume.path().join("x").exists());
    server.stop().await;
}

#[tokio::test]
async fn a_local_directory_can_be_sent() {
    let volume = volume();
    let work = tempfile::tempdir().unwrap();
    let source = work.path().join("supabase/functions/greet");
    std::fs::create_dir_all(source.join("lib")).unwrap();
    std::fs::write(source.join("index.ts"), "import './lib/a.ts';\n").unwrap();
    std::fs::write(source.join("lib/a.ts"), "export {};\n").unwrap();
    let server = mcp_client::start_in_dir(
        &["--features", "functions"],
        &[("SUPAMCP_FUNCTIONS_DIR", volume.path().to_str().unwrap())],
        work.path(),
    )
    .await;
    server.ok("deploy_edge_function", json!({ "name": "greet", "directory": "supabase/functions/greet" })).await;
    assert_eq!(std::fs::read_to_string(volume.path().join("greet/lib/a.ts")).unwrap(), "export {};\n");
    let outside = server.err("deploy_edge_function", json!({ "name": "greet", "directory": "/etc" })).await;
    assert!(outside.contains("allow-absolute-paths") || outside.contains("outside"), "{outside}");
    server.stop().await;
}
