//! Failures through the binary: a wrong key (a real 403, the fix names the setting, no key in the reply), an
//! unreachable gateway, 5xx answers (reads retried, writes not), downloads and uploads cut mid-transfer (no
//! partial file left, no object stored).

#![allow(clippy::expect_used, clippy::unwrap_used, clippy::panic)]

use super::setup;
use crate::mcp_client;
use crate::storage_fake::{Fake, SERVICE_KEY};
use serde_json::json;

#[tokio::test]
async fn a_wrong_key_or_an_unreachable_gateway_says_what_to_fix() {
    let fake = Fake::start().await;
    let dir = tempfile::tempdir().unwrap();
    let wrong = "eyJhbGciOiJIUzI1NiJ9.eyJyb2xlIjoiYW5vbiJ9.not-the-service-key";
    let env = [("SUPABASE_URL", fake.url.as_str()), ("SUPABASE_SERVICE_ROLE_KEY", wrong)];
    let server = mcp_client::start_in_dir(&["--features", "storage"], &env, dir.path()).await;
    let refused = server.err("list_storage_buckets", json!({})).await;
    assert!(refused.contains("status 403") && refused.contains("SUPABASE_SERVICE_ROLE_KEY"), "{refused}");
    assert!(!refused.contains(wrong) && !refused.contains(SERVICE_KEY), "no key in the reply: {refused}");
    server.stop().await;

    let env = [("SUPABASE_URL", "http://127.0.0.1:1"), ("SUPABASE_SERVICE_ROLE_KEY", SERVICE_KEY)];
    let server = mcp_client::start_in_dir(&["--features", "storage"], &env, dir.path()).await;
    let unreachable = server.err("get_bucket", json!({ "bucket": "x" })).await;
    assert!(unreachable.contains("cannot connect") && unreachable.contains("SUPABASE_URL"), "{unreachable}");
    server.stop().await;
}

#[tokio::test]
async fn reads_are_retried_on_5xx_and_writes_are_not() {
    let s = setup().await;
    s.bucket("b", json!({})).await;
    let before = s.fake.count("GET", "/bucket");
    s.fake.state().faults.fail_next.push_back(503);
    let listed = s.server.ok("list_storage_buckets", json!({})).await;
    assert_eq!(listed["buckets"].as_array().unwrap().len(), 1);
    assert_eq!(s.fake.count("GET", "/bucket"), before + 2, "one failed attempt, one retry");

    s.fake.state().faults.fail_next.extend([500, 500, 500]);
    let failed = s.server.err("list_objects", json!({ "bucket": "b" })).await;
    assert!(failed.contains("status 500") && failed.contains("storage service failed"), "{failed}");

    let posts = s.fake.count("POST", "/bucket");
    s.fake.state().faults.fail_next.push_back(502);
    let write = s.server.err("create_bucket", json!({ "bucket": "c" })).await;
    assert!(write.contains("status 502"), "{write}");
    assert_eq!(s.fake.count("POST", "/bucket"), posts + 1, "a create is never retried");
    s.server.stop().await;
}

#[tokio::test]
async fn cut_transfers_leave_nothing_behind() {
    let s = setup().await;
    s.bucket("b", json!({})).await;
    let bytes = vec![42u8; 1_000_000];
    s.upload("b", "blob.bin", &bytes).await;

    s.fake.state().faults.cut_download_after = Some(300_000);
    let cut = s.server.err("download_object", json!({ "bucket": "b", "path": "blob.bin", "to": "blob.bin" })).await;
    assert!(cut.contains("download 'b/blob.bin'"), "{cut}");
    assert!(!s.dir.path().join("blob.bin").exists(), "no file for a cut download");
    assert!(!s.dir.path().join("blob.bin.partial").exists(), "no partial file left");
    let whole = s.server.ok("download_object", json!({ "bucket": "b", "path": "blob.bin", "to": "blob.bin" })).await;
    assert_eq!(whole["sha256"], super::sha256(&bytes));

    s.fake.state().faults.cut_upload_after = Some(100_000);
    let local = s.file("again.bin", &bytes);
    let upload = s.server.err("upload_object", json!({ "bucket": "b", "path": "again.bin", "file": local })).await;
    assert!(upload.contains("upload to 'b/again.bin'"), "{upload}");
    assert!(s.fake.object("b", "again.bin").is_none(), "a cut upload stores nothing");
    s.server.stop().await;
}
