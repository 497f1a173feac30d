//! get_storage_config / update_storage_config against a small Management API fake on loopback
//! (`/v1/projects/{ref}/config/storage`, bearer token): the ref from the instance's cloud URL or project_id,
//! the update merged and read back, confirm required, a wrong token's fix, and self-hosted instances told where
//! their limit lives.

#![allow(clippy::expect_used, clippy::unwrap_used, clippy::panic)]

use crate::mcp_client;
use crate::storage_fake::SERVICE_KEY;
use axum::Router;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::routing::get;
use serde_json::{Value, json};
use std::sync::{Arc, Mutex};

const TOKEN: &str = "sbp_test_access_token_0123456789abcdef";

type Config = Arc<Mutex<Value>>;

fn authorised(headers: &HeaderMap) -> bool {
    headers.get("authorization").and_then(|v| v.to_str().ok()) == Some(&format!("Bearer {TOKEN}"))
}

async fn read(
    State(config): State<Config>,
    Path(reference): Path<String>,
    headers: HeaderMap,
) -> (StatusCode, axum::Json<Value>) {
    if !authorised(&headers) {
        return (StatusCode::UNAUTHORIZED, axum::Json(json!({ "message": "Unauthorized" })));
    }
    if reference != "abcdefghijklmnop" {
        return (StatusCode::NOT_FOUND, axum::Json(json!({ "message": "Project not found" })));
    }
    (StatusCode::OK, axum::Json(config.lock().unwrap().clone()))
}

async fn write(
    State(config): State<Config>,
    Path(_reference): Path<String>,
    headers: HeaderMap,
    axum::Json(change): axum::Json<Value>,
) -> StatusCode {
    if !authorised(&headers) {
        return StatusCode::UNAUTHORIZED;
    }
    let mut stored = config.lock().unwrap();
    if let Some(limit) = change.get("fileSizeLimit") {
        stored["fileSizeLimit"] = limit.clone();
    }
    for feature in ["imageTransformation", "s3Protocol"] {
        if let Some(toggle) = change["features"].get(feature) {
            stored["features"][feature] = toggle.clone();
        }
    }
    StatusCode::OK
}

#[tokio::test]
async fn cloud_storage_config_is_read_and_updated() {
    let config: Config = Arc::new(Mutex::new(json!({
        "fileSizeLimit": 52428800,
        "features": { "imageTransformation": { "enabled": true }, "s3Protocol": { "enabled": false } },
        "external": { "upstreamTarget": "main" }
    })));
    let app = Router::new()
        .route("/v1/projects/{reference}/config/storage", get(read).patch(write))
        .with_state(config.clone());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let api = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });

    let dir = tempfile::tempdir().unwrap();
    let env = [
        ("SUPABASE_URL", "https://abcdefghijklmnop.supabase.co"),
        ("SUPABASE_SERVICE_ROLE_KEY", SERVICE_KEY),
        ("SUPABASE_ACCESS_TOKEN", TOKEN),
        ("SUPAMCP_MANAGEMENT_API_URL", api.as_str()),
    ];
    let server = mcp_client::start_in_dir(&["--features", "storage"], &env, dir.path()).await;
    let got = server.ok("get_storage_config", json!({})).await;
    assert_eq!(
        got,
        json!({ "fileSizeLimit": 52428800, "features": { "imageTransformation": { "enabled": true }, "s3Protocol": { "enabled": false } } })
    );
    let change =
        json!({ "config": { "fileSizeLimit": 1000000000, "features": { "s3Protocol": { "enabled": true } } } });
    let unconfirmed = server.err("update_storage_config", change.clone()).await;
    assert!(unconfirmed.contains("confirm: true"), "{unconfirmed}");
    let mut confirmed = change.clone();
    confirmed["confirm"] = json!(true);
    let updated = server.ok("update_storage_config", confirmed).await;
    assert_eq!(updated["fileSizeLimit"], 1_000_000_000u64);
    assert_eq!(updated["features"]["s3Protocol"]["enabled"], true);
    assert_eq!(updated["features"]["imageTransformation"]["enabled"], true, "untouched settings stay");
    let variables =
        server.err("update_storage_config", json!({ "set": { "STORAGE_BACKEND": "s3" }, "confirm": true })).await;
    assert!(variables.contains("`set` names self-hosted variables"), "{variables}");
    let missing = server.err("get_storage_config", json!({ "project_id": "zzzzzzzzzzzzzzzz" })).await;
    assert!(missing.contains("Project not found") && missing.contains("project_id"), "{missing}");
    server.stop().await;

    let wrong = [
        ("SUPABASE_URL", "http://localhost:8000"),
        ("SUPABASE_SERVICE_ROLE_KEY", SERVICE_KEY),
        ("SUPABASE_ACCESS_TOKEN", "sbp_wrong"),
        ("SUPAMCP_MANAGEMENT_API_URL", api.as_str()),
    ];
    let server = mcp_client::start_in_dir(&["--features", "storage"], &wrong, dir.path()).await;
    let self_hosted = server.err("get_storage_config", json!({})).await;
    assert!(self_hosted.contains("docker-compose.yml") && self_hosted.contains("project_id"), "{self_hosted}");
    let refused = server.err("get_storage_config", json!({ "project_id": "abcdefghijklmnop" })).await;
    assert!(refused.contains("HTTP 401") && refused.contains("SUPABASE_ACCESS_TOKEN"), "{refused}");
    assert!(!refused.contains("sbp_wrong"), "no token in the reply: {refused}");
    server.stop().await;
}
