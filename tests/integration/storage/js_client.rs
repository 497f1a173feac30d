//! The fake speaks the real protocol: the official client, `@supabase/storage-js` (pinned, installed by
//! scripts/test.sh into .tools/), drives it through buckets, uploads, downloads, listings, move, copy, signed
//! URLs, signed uploads, removal, emptying and deletion, and reads the errors the way it reads the service's.

#![allow(clippy::expect_used, clippy::unwrap_used, clippy::panic)]

use crate::storage_fake::{Fake, SERVICE_KEY};
use serde_json::{Value, json};
use std::path::PathBuf;

#[tokio::test]
async fn storage_js_drives_the_fake() {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    let module = root.join(".tools/node_modules/@supabase/storage-js");
    assert!(
        module.join("package.json").is_file(),
        "@supabase/storage-js is missing: run `bash scripts/test.sh` (it installs it into .tools/)"
    );
    let fake = Fake::start().await;
    let output = tokio::process::Command::new("node")
        .arg(root.join("tests/support/storage_fake/storage_js.cjs"))
        .arg(&module)
        .arg(format!("{}/storage/v1", fake.url))
        .arg(SERVICE_KEY)
        .output()
        .await
        .expect("run node");
    assert!(output.status.success(), "storage-js script failed: {}", String::from_utf8_lossy(&output.stderr));
    let seen: Value = serde_json::from_slice(&output.stdout).expect("JSON from the script");

    assert_eq!(seen["create"], json!({ "data": { "name": "js-bucket" }, "error": null }), "{seen}");
    // Errors: HTTP 400 with the real status as a string in the body, as storage-js reads them.
    assert_eq!(seen["duplicate_bucket"]["status"], 400, "{seen}");
    assert_eq!(seen["duplicate_bucket"]["statusCode"], "409", "{seen}");
    assert_eq!(seen["missing_bucket"]["statusCode"], "404", "{seen}");
    assert_eq!(seen["missing_bucket"]["message"], "Bucket not found", "{seen}");
    assert_eq!(seen["buckets"], json!(["js-bucket"]));
    assert_eq!(
        seen["bucket"],
        json!({ "public": false, "file_size_limit": 1_000_000, "allowed": ["text/*", "image/png"] })
    );
    assert_eq!(seen["update"]["data"], json!({ "message": "Successfully updated" }), "{seen}");

    assert_eq!(
        seen["upload"]["data"],
        json!({ "path": "dir/hello.txt", "fullPath": "js-bucket/dir/hello.txt" }),
        "{seen}"
    );
    assert_eq!(seen["upload_duplicate"]["statusCode"], "409", "{seen}");
    assert_eq!(seen["upload_upsert"], Value::Null, "{seen}");
    assert_eq!(seen["upload_too_large"]["statusCode"], "413", "{seen}");
    assert_eq!(seen["upload_wrong_mime"]["statusCode"], "415", "{seen}");
    assert_eq!(seen["download"], "hello from storage-js");
    assert_eq!(seen["download_missing"]["status"], 400, "{seen}");
    assert_eq!(seen["list_dir"], json!([{ "name": "hello.txt", "size": 21 }]));
    assert_eq!(seen["list_root"], json!([{ "name": "dir", "folder": true }]));
    assert_eq!(seen["move"], Value::Null, "{seen}");
    assert_eq!(seen["copy"]["data"], json!({ "path": "js-bucket/copy.txt" }), "{seen}");
    assert_eq!(seen["signed"], "hello from storage-js", "{seen}");
    assert_eq!(seen["signed_tampered"], 400, "a tampered token is refused");
    assert_eq!(seen["signed_many"][0], json!({ "path": "copy.txt", "ok": true, "error": null }));
    assert_eq!(seen["signed_many"][1]["ok"], false);
    assert_eq!(seen["signed_upload"]["data"], "js-bucket/signed/up.txt", "{seen}");
    assert_eq!(seen["signed_upload_back"], "uploaded with a token");
    assert_eq!(seen["remove"], json!(["copy.txt"]));
    assert_eq!(seen["delete_not_empty"]["statusCode"], "409", "{seen}");
    assert!(seen["empty"]["data"]["message"].as_str().unwrap_or_default().contains("queued"), "{seen}");
    assert_eq!(seen["delete"]["data"], json!({ "message": "Successfully deleted" }), "{seen}");
    assert_eq!(seen["wrong_key"]["status"], 403, "a bad JWT is a real 403: {seen}");
}
