//! The storage settings of self-hosted stacks: a `.env` + docker-compose.yml pair on disk (the stock compose's
//! literals read with their source, a change written to the .env with the literal line pointed at it once,
//! both files backed up, the restart command named; the instance's own --env-file as the default target, its
//! limit checked before an upload), and a Dokploy compose (snapshot, env and compose file set,
//! one redeploy), whose global FILE_SIZE_LIMIT then makes upload_object refuse a larger file before a byte is
//! sent.

#![allow(clippy::expect_used, clippy::unwrap_used, clippy::panic)]

use crate::dokploy_fake::{API_KEY, Fake as Dokploy};
use crate::mcp_client;
use crate::storage_fake::{Fake as StorageFake, SERVICE_KEY};
use serde_json::json;

const HEALTHY: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/fixtures/env/healthy.env");

/// The storage service of Supabase's stock docker-compose.yml (its settings are literals).
const COMPOSE: &str = "name: supabase\nservices:\n  storage:\n    image: supabase/storage-api:v1.44.2\n    \
    environment:\n      ANON_KEY: ${ANON_KEY}\n      SERVICE_KEY: ${SERVICE_ROLE_KEY}\n      \
    FILE_SIZE_LIMIT: 52428800\n      STORAGE_BACKEND: file\n      FILE_STORAGE_BACKEND_PATH: /var/lib/storage\n      \
    TENANT_ID: stub\n      REGION: stub\n      GLOBAL_S3_BUCKET: stub\n      ENABLE_IMAGE_TRANSFORMATION: \"true\"\n      \
    IMGPROXY_URL: http://imgproxy:5001\n    volumes:\n      - ./volumes/storage:/var/lib/storage:z\n  imgproxy:\n    \
    image: darthsim/imgproxy:v3.30.1\n";

fn setting<'a>(reply: &'a serde_json::Value, name: &str) -> &'a serde_json::Value {
    reply["self_hosted"].as_array().unwrap().iter().find(|s| s["name"] == name).unwrap()
}

#[tokio::test]
async fn a_stack_s_storage_settings_are_read_from_its_compose_file_and_changed_through_its_env() {
    let dir = tempfile::tempdir().unwrap();
    let env_path = dir.path().join(".env");
    let compose_path = dir.path().join("docker-compose.yml");
    std::fs::copy(HEALTHY, &env_path).unwrap();
    std::fs::write(&compose_path, COMPOSE).unwrap();
    let path = env_path.display().to_string();
    let storage = StorageFake::start().await;
    let env = [("SUPABASE_URL", storage.url.as_str()), ("SUPABASE_SERVICE_ROLE_KEY", SERVICE_KEY)];
    let server = mcp_client::start_in_dir(&["--features", "storage", "--allow-absolute-paths"], &env, dir.path()).await;

    let got = server.ok("get_storage_config", json!({ "path": path })).await;
    assert_eq!(got["fileSizeLimit"], 52_428_800, "{got}");
    assert_eq!(got["features"]["imageTransformation"]["enabled"], true, "{got}");
    assert_eq!(setting(&got, "STORAGE_BACKEND")["value"], "file");
    assert_eq!(setting(&got, "FILE_SIZE_LIMIT")["source"], "compose literal");

    let env_before = std::fs::read_to_string(&env_path).unwrap();
    let change = json!({ "path": path, "config": { "fileSizeLimit": 100_000_000u64,
        "features": { "imageTransformation": { "enabled": false } } }, "set": { "REGION": "eu-central-1" } });
    let refused = server.err("update_storage_config", change.clone()).await;
    assert!(refused.contains("confirm: true"), "{refused}");
    let s3 = server
        .err(
            "update_storage_config",
            json!({ "path": path, "confirm": true,
            "config": { "features": { "s3Protocol": { "enabled": true } } } }),
        )
        .await;
    assert!(s3.contains("s3Protocol"), "{s3}");
    let foreign = server
        .err("update_storage_config", json!({ "path": path, "confirm": true, "set": { "JWT_SECRET": "x" } }))
        .await;
    assert!(foreign.contains("not a storage setting"), "{foreign}");
    let bad = server
        .err("update_storage_config", json!({ "path": path, "confirm": true, "set": { "STORAGE_BACKEND": "ftp" } }))
        .await;
    assert!(bad.contains("file or s3"), "{bad}");
    assert_eq!(std::fs::read_to_string(&env_path).unwrap(), env_before, "refused calls write nothing");
    assert_eq!(std::fs::read_to_string(&compose_path).unwrap(), COMPOSE);

    let mut confirmed = change.clone();
    confirmed["confirm"] = json!(true);
    let updated = server.ok("update_storage_config", confirmed).await;
    assert_eq!(updated["fileSizeLimit"], 100_000_000u64, "{updated}");
    assert_eq!(updated["features"]["imageTransformation"]["enabled"], false, "{updated}");
    assert_eq!(updated["changes"].as_array().unwrap().len(), 3, "{updated}");
    assert!(updated["apply_with"].as_str().unwrap().contains("--force-recreate storage"), "{updated}");
    let lines = updated["compose_lines"].to_string();
    assert!(lines.contains("${FILE_SIZE_LIMIT:-52428800}") && lines.contains("${REGION:-stub}"), "{lines}");
    let written = updated["written"].as_array().unwrap();
    assert_eq!(written.len(), 2, "{updated}");
    let backups: Vec<String> =
        written.iter().map(|w| std::fs::read_to_string(w["backup"].as_str().unwrap()).unwrap()).collect();
    assert!(backups.contains(&COMPOSE.to_owned()) && backups.contains(&env_before), "both files kept");
    let env_after = std::fs::read_to_string(&env_path).unwrap();
    assert_eq!(env_after.lines().count(), env_before.lines().count() + 2, "two lines added: {env_after}");
    assert!(env_after.contains("\nREGION=eu-central-1\n") && !env_after.contains("REGION=stub"), "{env_after}");
    assert!(
        env_after.contains("FILE_SIZE_LIMIT=100000000\n") && env_after.contains("ENABLE_IMAGE_TRANSFORMATION=false")
    );
    let compose_after = std::fs::read_to_string(&compose_path).unwrap();
    assert_eq!(compose_after.lines().count(), COMPOSE.lines().count(), "lines replaced, none added");
    assert!(compose_after.contains("STORAGE_BACKEND: file\n"), "untouched lines stay: {compose_after}");

    let again = server.ok("get_storage_config", json!({ "path": path })).await;
    assert_eq!(again["fileSizeLimit"], 100_000_000u64);
    assert_eq!(setting(&again, "FILE_SIZE_LIMIT")["source"], ".env FILE_SIZE_LIMIT");
    assert_eq!(setting(&again, "REGION")["value"], "eu-central-1");
    let same = server
        .ok("update_storage_config", json!({ "path": path, "confirm": true, "set": { "FILE_SIZE_LIMIT": "100MB" } }))
        .await;
    assert!(same.get("changes").is_none() && same.get("written").is_none(), "100MB is the same value: {same}");
    server.stop().await;

    // The instance read from that .env (--env-file): its stack is the default target, and its limit is checked
    // before an upload sends a byte.
    let args = ["--features", "storage", "--allow-absolute-paths", "--env-file", path.as_str()];
    let server = mcp_client::start_in_dir(&args, &env, dir.path()).await;
    assert_eq!(server.ok("get_storage_config", json!({})).await["fileSizeLimit"], 100_000_000u64);
    server.ok("update_storage_config", json!({ "set": { "FILE_SIZE_LIMIT": "1KB" }, "confirm": true })).await;
    assert!(std::fs::read_to_string(&env_path).unwrap().contains("\nFILE_SIZE_LIMIT=1000\n"));
    server.ok("create_bucket", json!({ "bucket": "files" })).await;
    std::fs::write(dir.path().join("big.bin"), vec![1u8; 2000]).unwrap();
    let refused = server.err("upload_object", json!({ "bucket": "files", "path": "big.bin", "file": "big.bin" })).await;
    assert!(refused.contains("global file size limit of 1000 bytes") && refused.contains(&path), "{refused}");
    assert_eq!(storage.count("POST", "/object/files"), 0, "no upload request was made");
    server.stop().await;
}

#[tokio::test]
async fn a_dokploy_stack_s_global_limit_is_changed_by_redeploy_and_refuses_larger_uploads_before_sending() {
    let dokploy = Dokploy::start().await;
    let compose_id = dokploy.seed_supabase("media", true);
    let storage = StorageFake::start().await;
    storage.state().global_limit = 1000;
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("supamcp.toml");
    std::fs::write(
        &config,
        format!(
            "default_instance = \"media\"\n[instances.media]\nsupabase_url = \"{}\"\nservice_role_key = \"{SERVICE_KEY}\"\n\
             dokploy = \"main\"\ndokploy_compose_id = \"{compose_id}\"\n[dokploy.main]\nurl = \"{}\"\napi_key = \"{API_KEY}\"\n",
            storage.url, dokploy.url
        ),
    )
    .unwrap();
    let config = config.display().to_string();
    let server =
        mcp_client::start_in_dir(&["--features", "storage,dokploy", "--config", &config], &[], dir.path()).await;

    let got = server.ok("get_storage_config", json!({})).await;
    assert_eq!(got["fileSizeLimit"], 52_428_800, "the instance's compose: {got}");
    let deployments = dokploy.deployments_of(&compose_id).len();
    let updated =
        server.ok("update_storage_config", json!({ "config": { "fileSizeLimit": 1000 }, "confirm": true })).await;
    assert_eq!(updated["fileSizeLimit"], 1000, "{updated}");
    assert_eq!(updated["redeploy"]["status"], "done", "{updated}");
    assert!(updated["snapshot"].is_string(), "{updated}");
    assert_eq!(dokploy.deployments_of(&compose_id).len(), deployments + 1, "one redeploy applied it");
    assert!(dokploy.env_of(&compose_id).contains("\nFILE_SIZE_LIMIT=1000\n"), "the value is in the env");
    assert!(dokploy.compose_file_of(&compose_id).contains("FILE_SIZE_LIMIT: \"${FILE_SIZE_LIMIT:-52428800}\""));
    let history = server.ok("dokploy_history", json!({ "compose_id": compose_id })).await;
    assert_eq!(history["snapshots"][0]["id"], updated["snapshot"], "{history}");

    server.ok("create_bucket", json!({ "bucket": "media" })).await;
    std::fs::write(dir.path().join("big.bin"), vec![7u8; 5000]).unwrap();
    std::fs::write(dir.path().join("small.bin"), vec![7u8; 500]).unwrap();
    let refused = server.err("upload_object", json!({ "bucket": "media", "path": "big.bin", "file": "big.bin" })).await;
    assert!(refused.contains("refused before sending") && refused.contains("global file size limit"), "{refused}");
    assert!(refused.contains(&format!("Dokploy compose {compose_id}")), "{refused}");
    assert_eq!(storage.count("POST", "/object/media"), 0, "no upload request was made");
    let small =
        server.ok("upload_object", json!({ "bucket": "media", "path": "small.bin", "file": "small.bin" })).await;
    assert_eq!((small["size"].as_u64(), small["global_limit"].as_u64()), (Some(500), Some(1000)), "{small}");
    server.stop().await;
}
