//! get_function_logs: on cloud through the fake Management API's logs endpoint (the function's id read first
//! and put in the query, the window sent, rows fenced), on Dokploy from the functions container's log (searched
//! for the slug, from the window's start, a large log spilled to a file), and the error naming where a
//! functions directory's log is.

#![allow(clippy::expect_used, clippy::unwrap_used, clippy::panic)]

use super::{dokploy_config, hello_files};
use crate::dokploy_fake::Fake as Dokploy;
use crate::management_fake::{Fake, PROJECT};
use crate::mcp_client;
use serde_json::json;

#[tokio::test]
async fn cloud_logs_are_one_functions_rows_in_a_window() {
    let fake = Fake::start().await;
    let env = fake.env();
    let env: Vec<(&str, &str)> = env.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let server = mcp_client::start_with_env(&["--features", "functions"], &env).await;
    for slug in ["hello", "other"] {
        server
            .ok("deploy_edge_function", json!({ "project_id": PROJECT, "name": slug, "files": hello_files(slug) }))
            .await;
    }
    let id = fake.state().functions[PROJECT]["hello"].id.clone();

    let runtime =
        server.ok("get_function_logs", json!({ "project_id": PROJECT, "function_slug": "hello", "limit": 5000 })).await;
    assert_eq!(runtime["source"], "function_logs");
    assert_eq!(runtime["row_count"], 2, "{runtime}");
    for row in runtime["rows"].as_array().unwrap() {
        assert_eq!(row["attributes"]["function_id"], id.as_str());
        assert!(row["event_message"].as_str().unwrap().starts_with("hello says"));
    }
    let query = fake.state().log_queries.last().cloned().unwrap();
    assert!(query["sql"].contains(&format!("log_attributes['function_id'] = '{id}'")), "{query:?}");
    assert!(query["sql"].ends_with("limit 1000"), "the limit is capped");
    assert!(query.contains_key("iso_timestamp_start") && query.contains_key("iso_timestamp_end"));

    let requests = server
        .ok("get_function_logs", json!({ "project_id": PROJECT, "function_slug": "other", "kind": "requests" }))
        .await;
    assert_eq!(requests["source"], "function_edge_logs");
    assert_eq!(requests["rows"][0]["attributes"]["status_code"], 200);
    let every = server.ok("get_function_logs", json!({ "project_id": PROJECT })).await;
    assert_eq!(every["row_count"], 4, "no slug: every function");

    let raw = server.call("get_function_logs", json!({ "project_id": PROJECT, "function_slug": "hello" })).await;
    let text = mcp_client::text(&raw);
    assert!(text.contains("untrusted"), "log rows are fenced: {text}");
    let wide = server
        .err(
            "get_function_logs",
            json!({ "project_id": PROJECT, "iso_timestamp_start": "2026-01-01T00:00:00Z", "iso_timestamp_end": "2026-01-03T00:00:00Z" }),
        )
        .await;
    assert!(wide.contains("24 hours"), "{wide}");
    let missing = server.err("get_function_logs", json!({ "project_id": PROJECT, "function_slug": "nope" })).await;
    assert!(missing.contains("has no function"), "{missing}");
    server.stop().await;
}

#[tokio::test]
async fn dokploy_logs_come_from_the_functions_container_and_spill_when_large() {
    let fake = Dokploy::start().await;
    let compose_id = fake.seed_supabase("shop", true);
    let container = {
        let state = fake.state();
        let app = state.compose(&compose_id).unwrap()["appName"].as_str().unwrap().to_owned();
        format!("{app}-functions-1")
    };
    let now = chrono::Utc::now();
    let stamp = |secs: i64| (now - chrono::Duration::seconds(secs)).to_rfc3339_opts(chrono::SecondsFormat::Nanos, true);
    let mut lines = vec![
        format!("{} serving the request with /home/deno/functions/hello", stamp(7200 * 13)),
        format!("{} serving the request with /home/deno/functions/hello", stamp(60)),
        format!("{} console output without a name", stamp(50)),
        format!("{} worker boot error: /home/deno/functions/hello/index.ts: Uncaught SyntaxError", stamp(40)),
    ];
    lines.extend((0..600).map(|i| format!("{} other says {i}: {}", stamp(30), "x".repeat(1000))));
    fake.state().container_logs.insert(container.clone(), lines);

    let (_config, path) = dokploy_config(&fake.url, &compose_id);
    let server = mcp_client::start(&["--config", &path, "--features", "functions"]).await;

    let hello = server.ok("get_function_logs", json!({ "function_slug": "hello" })).await;
    assert_eq!(hello["source"], format!("container {container}"));
    let messages: Vec<&str> =
        hello["rows"].as_array().unwrap().iter().map(|r| r["event_message"].as_str().unwrap()).collect();
    assert_eq!(messages.len(), 2, "the line older than the window is left out: {messages:?}");
    assert!(messages[1].contains("boot error"));
    assert!(hello["note"].as_str().unwrap().contains("omit function_slug"), "{hello}");

    let all = server.ok("get_function_logs", json!({ "limit": 1000 })).await;
    assert_eq!(all["row_count"], 603);
    let spilled = &all["spilled"];
    assert!(
        spilled["handle"].is_string() && spilled["uri"].as_str().unwrap().starts_with("supamcp://results/"),
        "{all}"
    );
    assert!(all["rows"].as_array().unwrap().len() < 603, "only the first rows in the reply");
    server.stop().await;
}

#[tokio::test]
async fn a_functions_directory_says_where_its_log_is() {
    let volume = tempfile::tempdir().unwrap();
    let server = mcp_client::start_with_env(
        &["--features", "functions"],
        &[("SUPAMCP_FUNCTIONS_DIR", volume.path().to_str().unwrap())],
    )
    .await;
    let refused = server.err("get_function_logs", json!({})).await;
    assert!(refused.contains("docker compose logs functions"), "{refused}");
    server.stop().await;
}
