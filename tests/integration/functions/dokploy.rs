//! Dokploy target: an instance whose dokploy_compose_id names a Supabase compose on the fake Dokploy (the
//! template's mounts and functions service). deploy → list → get → redeploy → rollback → delete as file mounts
//! written where Dokploy writes them, the functions container restarted, main/ untouched; secrets as compose env
//! values plus one line in the functions service, a snapshot first, then the redeploy waited for.

#![allow(clippy::expect_used, clippy::unwrap_used, clippy::panic)]

use super::{dokploy_config, files_of, hello_files, sorted};
use crate::dokploy_fake::Fake;
use crate::mcp_client::{self, Server};
use serde_json::{Value, json};
use std::path::{Path, PathBuf};

struct Stack {
    fake: Fake,
    compose_id: String,
    /// `<files root>/<appName>/files/volumes/functions`, as on the Dokploy host.
    functions: PathBuf,
    _files: tempfile::TempDir,
    _config: tempfile::TempDir,
    server: Server,
}

async fn stack() -> Stack {
    let fake = Fake::start().await;
    let files = tempfile::tempdir().unwrap();
    fake.state().files_root = Some(files.path().to_path_buf());
    let compose_id = fake.seed_supabase("shop", true);
    let app = fake.state().compose(&compose_id).unwrap()["appName"].as_str().unwrap().to_owned();
    let (config, path) = dokploy_config(&fake.url, &compose_id);
    let server = mcp_client::start(&["--config", &path, "--features", "functions"]).await;
    let functions = files.path().join(app).join("files/volumes/functions");
    Stack { fake, compose_id, functions, _files: files, _config: config, server }
}

fn slugs(listed: &Value) -> Vec<String> {
    listed["functions"].as_array().unwrap().iter().map(|f| f["slug"].as_str().unwrap().to_owned()).collect()
}

fn read(path: &Path) -> String {
    std::fs::read_to_string(path).unwrap()
}

#[tokio::test]
async fn functions_are_compose_file_mounts_written_through_dokploy() {
    let Stack { fake, compose_id, functions, server, .. } = stack().await;
    assert_eq!(slugs(&server.ok("list_edge_functions", json!({})).await), ["hello"], "the template's sample");

    let files = hello_files("hello");
    let first = server.ok("deploy_edge_function", json!({ "name": "greet", "files": files })).await;
    assert_eq!(first["function"]["version"], 1, "{first}");
    assert!(first["target"].as_str().unwrap().contains("Dokploy compose"), "{first}");
    assert!(first["live"].as_str().unwrap().contains("restarted"), "{first}");
    let public =
        fake.env_of(&compose_id).lines().find_map(|l| l.strip_prefix("SUPABASE_PUBLIC_URL=")).unwrap().to_owned();
    assert_eq!(first["invoke_url"], format!("{public}/functions/v1/greet"), "the stack's public URL");
    assert_eq!(read(&functions.join("greet/lib/greet.ts")), files[1]["content"]);
    let restarts = fake.state().restarts.clone();
    assert_eq!(restarts.len(), 1);
    let container = fake.state().containers.values().flatten().find(|c| c["containerId"] == restarts[0]).cloned();
    assert!(container.unwrap()["name"].as_str().unwrap().ends_with("-functions-1"), "the functions container");

    assert_eq!(slugs(&server.ok("list_edge_functions", json!({})).await), ["greet", "hello"]);
    let got = server.ok("get_edge_function", json!({ "function_slug": "greet" })).await;
    assert_eq!(files_of(&got), sorted(&files), "the source comes back from the mounts");

    let smaller = json!([{ "name": "index.ts", "content": "Deno.serve(() => new Response('bye'));\n" }]);
    let second = server.ok("deploy_edge_function", json!({ "name": "greet", "files": smaller })).await;
    assert_eq!(second["function"]["version"], 2);
    assert!(second["kept_previous"].is_string(), "{second}");
    assert!(read(&functions.join("greet/index.ts")).contains("bye"));
    assert!(!functions.join("greet/deno.json").exists(), "files left out of a deploy are removed");

    server.ok("rollback_edge_function", json!({ "function_slug": "greet" })).await;
    let back = server.ok("get_edge_function", json!({ "function_slug": "greet" })).await;
    assert_eq!(files_of(&back), sorted(&files));
    assert_eq!(back["function"]["version"], 3, "a rollback is one more deploy");

    let refused = server.err("deploy_edge_function", json!({ "name": "main", "files": hello_files("x") })).await;
    assert!(refused.contains("router"), "{refused}");
    server.err("delete_edge_function", json!({ "function_slug": "greet" })).await;
    let deleted = server.ok("delete_edge_function", json!({ "function_slug": "greet", "confirm": true })).await;
    assert!(deleted["kept_previous"].is_string(), "{deleted}");
    assert!(!functions.join("greet/index.ts").exists());
    assert_eq!(slugs(&server.ok("list_edge_functions", json!({})).await), ["hello"]);
    server.ok("rollback_edge_function", json!({ "function_slug": "greet" })).await;
    assert_eq!(read(&functions.join("greet/deno.json")), files[2]["content"], "the deleted source came back");

    let main_mounts: Vec<Value> = fake
        .state()
        .mounts
        .iter()
        .filter(|m| m["filePath"].as_str().unwrap_or_default().contains("/functions/main/"))
        .cloned()
        .collect();
    assert_eq!(main_mounts.len(), 1, "main/ untouched");
    assert_eq!(main_mounts[0]["content"], "");
    server.stop().await;
}

#[tokio::test]
async fn secrets_are_compose_env_values_the_functions_service_reads() {
    let Stack { fake, compose_id, server, .. } = stack().await;
    let value = "sk_live_fake_value_123456";
    let set = server.ok("set_function_secrets", json!({ "secrets": [{ "name": "STRIPE_KEY", "value": value }] })).await;
    assert!(!set.to_string().contains(value), "the value is never shown");
    assert_eq!(set["redeploy"]["status"], "done", "{set}");
    assert!(set["snapshot"].is_string(), "{set}");
    assert!(fake.env_of(&compose_id).contains(&format!("STRIPE_KEY={value}")));
    let compose_file = fake.state().compose(&compose_id).unwrap()["composeFile"].as_str().unwrap().to_owned();
    assert!(compose_file.contains("      VERIFY_JWT: \"${FUNCTIONS_VERIFY_JWT}\"\n      STRIPE_KEY: ${STRIPE_KEY}\n"));
    let redeploys: Vec<Value> = fake.deployments_of(&compose_id);
    assert_eq!(redeploys[0]["title"], "supamcp: function secrets");

    let listed = server.ok("list_function_secrets", json!({})).await;
    let stripe = listed["secrets"].as_array().unwrap().iter().find(|s| s["name"] == "STRIPE_KEY").cloned().unwrap();
    let digest = supamcp::supabase::functions::secrets::digest(value);
    assert_eq!(stripe["sha256"], digest.as_str());
    assert!(listed["secrets"].as_array().unwrap().iter().any(|s| s["name"] == "JWT_SECRET"), "what functions see");

    let stack_var =
        server.err("set_function_secrets", json!({ "secrets": [{ "name": "ANON_KEY", "value": "x" }] })).await;
    assert!(stack_var.contains("variable of the stack"), "{stack_var}");
    let history = server.data_dir.as_ref().unwrap().path().join("dokploy/history/main").join(&compose_id);
    assert_eq!(std::fs::read_dir(&history).unwrap().count(), 1, "one snapshot before the change");

    server.ok("delete_function_secrets", json!({ "names": ["STRIPE_KEY"], "confirm": true })).await;
    assert!(!fake.env_of(&compose_id).contains("STRIPE_KEY"));
    let audit = std::fs::read_to_string(server.data_dir.as_ref().unwrap().path().join("audit.jsonl")).unwrap();
    assert!(audit.contains("set_function_secrets") && !audit.contains(value), "the audit log redacts the value");
    let compose_file = fake.state().compose(&compose_id).unwrap()["composeFile"].as_str().unwrap().to_owned();
    assert!(!compose_file.contains("STRIPE_KEY"));
    server.stop().await;
}

#[tokio::test]
async fn an_older_dokploy_answering_true_to_mounts_create_works_the_same() {
    let fake = Fake::with_version("v0.26.0").await;
    let compose_id = fake.seed_supabase("shop", true);
    let (_config, path) = dokploy_config(&fake.url, &compose_id);
    let server = mcp_client::start(&["--config", &path, "--features", "functions"]).await;
    let deployed = server.ok("deploy_edge_function", json!({ "name": "greet", "files": hello_files("hi") })).await;
    assert_eq!(deployed["function"]["version"], 1, "{deployed}");
    let got = server.ok("get_edge_function", json!({ "function_slug": "greet" })).await;
    assert_eq!(files_of(&got), sorted(&hello_files("hi")), "read back from compose.one's mounts");
    server.stop().await;
}
