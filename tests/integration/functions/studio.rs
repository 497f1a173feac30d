//! Self-hosted Studio target: a stack reachable only through its gateway, where Studio's Management-API-shaped
//! routes sit behind Kong's basic auth (DASHBOARD_USERNAME/DASHBOARD_PASSWORD). deploy → list → get → redeploy
//! → rollback → delete → rollback through the fake Studio writing a volumes/functions folder; secrets in its
//! `.env` as digests; a wrong password explained.

#![allow(clippy::expect_used, clippy::unwrap_used, clippy::panic)]

use super::{files_of, hello_files, sorted};
use crate::mcp_client::{self, Server};
use crate::studio_fake::{Fake, PASSWORD, USER};
use serde_json::json;

fn volume() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir(dir.path().join("main")).unwrap();
    std::fs::write(dir.path().join("main/index.ts"), "// router\n").unwrap();
    dir
}

async fn start(fake: &Fake, password: &str) -> Server {
    let env = [("SUPABASE_URL", fake.url.as_str()), ("DASHBOARD_USERNAME", USER), ("DASHBOARD_PASSWORD", password)];
    mcp_client::start_with_env(&["--features", "functions"], &env).await
}

#[tokio::test]
async fn functions_are_deployed_through_self_hosted_studio() {
    let volume = volume();
    let fake = Fake::start(volume.path()).await;
    let server = start(&fake, PASSWORD).await;
    let files = hello_files("hello");
    let first = server.ok("deploy_edge_function", json!({ "name": "hello", "files": files })).await;
    assert!(first["target"].as_str().unwrap().starts_with("self-hosted Studio at"), "{first}");
    assert_eq!(first["function"]["entrypoint_path"], "index.ts", "Studio's file:// path made relative");
    assert_eq!(first["invoke_url"], format!("{}/functions/v1/hello", fake.url), "through the gateway");
    assert!(first["live"].as_str().unwrap().contains("first request"), "{first}");
    assert_eq!(std::fs::read_to_string(volume.path().join("hello/lib/greet.ts")).unwrap(), files[1]["content"]);

    let listed = server.ok("list_edge_functions", json!({})).await;
    assert_eq!(listed["functions"].as_array().unwrap().len(), 1, "main is not a function: {listed}");
    let got = server.ok("get_edge_function", json!({ "function_slug": "hello" })).await;
    assert_eq!(files_of(&got), sorted(&files));

    let bye = json!([{ "name": "index.ts", "content": "Deno.serve(() => new Response('bye'));\n" }]);
    let second = server.ok("deploy_edge_function", json!({ "name": "hello", "files": bye })).await;
    assert!(second["kept_previous"].is_string());
    assert!(!volume.path().join("hello/deno.json").exists(), "Studio replaces the whole folder");
    server.ok("rollback_edge_function", json!({ "function_slug": "hello" })).await;
    let back = server.ok("get_edge_function", json!({ "function_slug": "hello" })).await;
    assert_eq!(files_of(&back), sorted(&files));

    let main = server.err("deploy_edge_function", json!({ "name": "main", "files": hello_files("x") })).await;
    assert!(main.contains("router"), "{main}");
    server.ok("delete_edge_function", json!({ "function_slug": "hello", "confirm": true })).await;
    assert!(!volume.path().join("hello").exists());
    server.ok("rollback_edge_function", json!({ "function_slug": "hello" })).await;
    assert!(volume.path().join("hello/deno.json").exists(), "the deleted source came back");
    assert_eq!(std::fs::read_to_string(volume.path().join("main/index.ts")).unwrap(), "// router\n");

    let set = server
        .ok("set_function_secrets", json!({ "secrets": [{ "name": "API_TOKEN", "value": "studio-secret-123" }] }))
        .await;
    assert!(!set.to_string().contains("studio-secret-123"));
    assert!(set["next_step"].as_str().unwrap().contains("restart"), "{set}");
    assert!(std::fs::read_to_string(volume.path().join(".env")).unwrap().contains("API_TOKEN=studio-secret-123"));
    let listed = server.ok("list_function_secrets", json!({})).await;
    assert_eq!(listed["secrets"][0]["sha256"], supamcp::supabase::functions::secrets::digest("studio-secret-123"));
    server.ok("delete_function_secrets", json!({ "names": ["API_TOKEN"], "confirm": true })).await;
    assert_eq!(server.ok("list_function_secrets", json!({})).await["secrets"], json!([]));
    let logs = server.err("get_function_logs", json!({ "function_slug": "hello" })).await;
    assert!(logs.contains("docker compose logs functions"), "{logs}");
    server.stop().await;
}

#[tokio::test]
async fn a_wrong_dashboard_password_is_explained() {
    let volume = volume();
    let fake = Fake::start(volume.path()).await;
    let server = start(&fake, "not-the-password").await;
    let refused = server.err("list_edge_functions", json!({})).await;
    assert!(refused.contains("DASHBOARD_PASSWORD") && refused.contains("401"), "{refused}");
    assert!(!refused.contains("not-the-password"));
    server.stop().await;
}
