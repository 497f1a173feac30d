//! Bucket tools through the binary: create (sizes as "1MB", MIME wildcards), duplicates, list, get, update,
//! empty (queued, polled) and delete (refused while objects remain), confirmations and read-only mode.

#![allow(clippy::expect_used, clippy::unwrap_used, clippy::panic)]

use super::{setup, setup_with};
use serde_json::json;

#[tokio::test]
async fn buckets_are_created_listed_updated_emptied_and_deleted() {
    let s = setup().await;
    let created = s.bucket("avatars", json!({ "file_size_limit": "1MB", "allowed_mime_types": ["image/*"] })).await;
    assert_eq!(created["bucket"]["id"], "avatars");
    assert_eq!(created["bucket"]["file_size_limit"], 1_000_000);
    assert_eq!(created["bucket"]["allowed_mime_types"], json!(["image/*"]));
    assert_eq!(created["bucket"]["public"], false);

    let duplicate = s.server.err("create_bucket", json!({ "bucket": "avatars" })).await;
    assert!(duplicate.contains("The resource already exists") && duplicate.contains("status 409"), "{duplicate}");
    assert!(duplicate.contains("Fix:"), "{duplicate}");

    s.bucket("docs", json!({ "public": true })).await;
    let listed = s.server.ok("list_storage_buckets", json!({})).await;
    let ids: Vec<&str> = listed["buckets"].as_array().unwrap().iter().map(|b| b["id"].as_str().unwrap()).collect();
    assert_eq!(ids, ["avatars", "docs"]);
    let searched = s.server.ok("list_storage_buckets", json!({ "search": "doc" })).await;
    assert_eq!(searched["buckets"].as_array().unwrap().len(), 1);

    let got = s.server.ok("get_bucket", json!({ "bucket": "docs" })).await;
    assert_eq!(got["bucket"]["public"], true);
    assert!(got["usage"].is_null(), "no database configured: {got}");
    assert!(got["usage_note"].as_str().is_some_and(|n| !n.is_empty()), "{got}");
    let missing = s.server.err("get_bucket", json!({ "bucket": "nope" })).await;
    assert!(missing.contains("Bucket not found") && missing.contains("list_storage_buckets"), "{missing}");

    let updated = s
        .server
        .ok(
            "update_bucket",
            json!({ "bucket": "avatars", "public": true, "file_size_limit": 0, "allowed_mime_types": [] }),
        )
        .await;
    assert_eq!(updated["bucket"]["public"], true);
    assert!(updated["bucket"]["file_size_limit"].is_null(), "0 removes the limit: {updated}");
    assert!(updated["bucket"]["allowed_mime_types"].is_null(), "[] allows any type: {updated}");
    let nothing = s.server.err("update_bucket", json!({ "bucket": "avatars" })).await;
    assert!(nothing.contains("nothing to update"), "{nothing}");

    s.upload("docs", "a/one.txt", b"one").await;
    s.upload("docs", "two.txt", b"two").await;
    let not_empty = s.server.err("delete_bucket", json!({ "bucket": "docs", "confirm": true })).await;
    assert!(not_empty.contains("not empty") && not_empty.contains("empty_bucket"), "{not_empty}");
    let unconfirmed = s.server.err("empty_bucket", json!({ "bucket": "docs" })).await;
    assert!(unconfirmed.contains("confirm: true"), "{unconfirmed}");
    assert_eq!(s.fake.state().objects.len(), 2, "nothing happened without confirm");
    let emptied = s.server.ok("empty_bucket", json!({ "bucket": "docs", "confirm": true })).await;
    assert_eq!(emptied["emptied"], true, "{emptied}");
    assert!(emptied["message"].as_str().unwrap().contains("queued"));
    let deleted = s.server.ok("delete_bucket", json!({ "bucket": "docs", "confirm": true })).await;
    assert_eq!(deleted["message"], "Successfully deleted");
    assert!(!s.fake.state().buckets.contains_key("docs"));
    s.server.stop().await;
}

#[tokio::test]
async fn read_only_mode_lists_only_the_readers() {
    let s = setup_with(&["--read-only"]).await;
    let tools = s.server.client.list_all_tools().await.unwrap();
    let mut names: Vec<String> = tools.iter().map(|t| t.name.to_string()).collect();
    names.sort();
    assert_eq!(
        names,
        [
            "create_signed_url",
            "get_bucket",
            "get_object_info",
            "get_storage_config",
            "list_objects",
            "list_storage_buckets",
            "list_storage_policies"
        ]
    );
    let refused = s.server.call("delete_bucket", json!({ "bucket": "x", "confirm": true })).await;
    assert_eq!(refused.is_error, Some(true));
    assert_eq!(s.fake.count("DELETE", "/bucket"), 0, "a hidden tool never reaches the service");
    s.server.stop().await;
}

#[tokio::test]
async fn every_storage_tool_fits_the_list_budget() {
    let s = super::setup().await;
    let tools = s.server.client.list_all_tools().await.unwrap();
    assert_eq!(tools.len(), 19, "{:?}", tools.iter().map(|t| t.name.to_string()).collect::<Vec<_>>());
    for tool in &tools {
        let description = tool.description.as_deref().unwrap_or_default();
        let schema = serde_json::to_string(&tool.input_schema).unwrap();
        let size = description.len() + schema.len();
        assert!(size <= 1536, "{}: description + input schema is {size} bytes, over 1.5 kB", tool.name);
        let sentences = description.matches(". ").count() + 1;
        assert!(sentences <= 3, "{}: {sentences} sentences", tool.name);
    }
    s.server.stop().await;
}
