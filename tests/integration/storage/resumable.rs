//! Files over 6 MB go through the resumable (TUS) endpoint: parts of 6 MiB; a part cut at 60 % is retried from
//! the server's offset within the call; a call that gives up leaves its upload in the journal and the next call
//! resumes it instead of restarting; the SHA-256 covers the whole file either way.

#![allow(clippy::expect_used, clippy::unwrap_used, clippy::panic)]

use super::{setup, sha256};
use serde_json::json;

const MIB: u64 = 1024 * 1024;

fn content(size: u64) -> Vec<u8> {
    (0..size).map(|i| (i.wrapping_mul(2_654_435_761) >> 13) as u8).collect()
}

#[tokio::test]
async fn large_files_upload_in_resumable_parts() {
    let s = setup().await;
    s.fake.state().global_limit = 1 << 30;
    s.bucket("big", json!({})).await;
    let bytes = content(20 * MIB);
    let local = s.file("twenty.bin", &bytes);
    let up = s.server.ok("upload_object", json!({ "bucket": "big", "path": "twenty.bin", "file": local })).await;
    assert_eq!(up["sha256"], sha256(&bytes));
    assert!(up.get("resumed_at").is_none(), "{up}");
    assert_eq!(s.fake.count("POST", "/upload/resumable"), 1);
    assert_eq!(s.fake.count("PATCH", "/upload/resumable"), 4, "6 + 6 + 6 + 2 MiB");
    assert_eq!(s.fake.count("POST", "/object/big"), 0, "not the one-request route");
    assert_eq!(s.fake.bytes_of("big", "twenty.bin").unwrap(), bytes);
    assert_eq!(s.fake.object("big", "twenty.bin").unwrap().mimetype, "application/octet-stream");

    // A part cut at 60 %: retried from the server's offset, within the same call.
    s.fake.state().faults.patch_faults_from = 12 * MIB;
    s.fake.state().faults.cut_patch_after = Some(3 * MIB);
    let before = s.fake.state().upload_bytes;
    let again = s.server.ok("upload_object", json!({ "bucket": "big", "path": "again.bin", "file": local })).await;
    assert_eq!(again["sha256"], sha256(&bytes));
    assert_eq!(s.fake.bytes_of("big", "again.bin").unwrap(), bytes);
    let sent = s.fake.state().upload_bytes - before;
    assert!(sent < 20 * MIB + 6 * MIB, "only the cut part was sent again: {sent}");
    s.server.stop().await;
}

#[tokio::test]
async fn an_interrupted_upload_resumes_in_the_next_call() {
    let s = setup().await;
    s.fake.state().global_limit = 1 << 30;
    s.bucket("big", json!({})).await;
    let bytes = content(20 * MIB);
    let local = s.file("resume.bin", &bytes);
    {
        let mut state = s.fake.state();
        state.faults.patch_faults_from = 12 * MIB;
        state.faults.fail_patches = 4;
    }
    let failed = s.server.err("upload_object", json!({ "bucket": "big", "path": "resume.bin", "file": local })).await;
    assert!(failed.contains("resumes") && failed.contains(&format!("byte {}", 12 * MIB)), "{failed}");
    assert!(s.fake.object("big", "resume.bin").is_none());
    let before = s.fake.state().upload_bytes;

    let resumed = s.server.ok("upload_object", json!({ "bucket": "big", "path": "resume.bin", "file": local })).await;
    assert_eq!(resumed["resumed_at"], 12 * MIB, "{resumed}");
    assert_eq!(resumed["sha256"], sha256(&bytes), "the hash covers the part sent by the first call");
    assert_eq!(s.fake.count("POST", "/upload/resumable"), 1, "the upload was not created again");
    assert_eq!(s.fake.state().upload_bytes - before, 8 * MIB, "only the rest was sent");
    assert_eq!(s.fake.bytes_of("big", "resume.bin").unwrap(), bytes);
    let journal = s.server.data_dir.as_ref().unwrap().path().join("storage-uploads");
    assert_eq!(std::fs::read_dir(journal).unwrap().count(), 0, "the journal is removed when done");
    s.server.stop().await;
}
