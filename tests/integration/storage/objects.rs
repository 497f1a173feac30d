//! Object tools through the binary: listings (folders as entries, search, paging), move, copy across buckets,
//! delete with confirm, signed download URLs (one and many, fetched without a key) and signed upload URLs (an
//! upload with the token and no key).

#![allow(clippy::expect_used, clippy::unwrap_used, clippy::panic)]

use super::setup;
use serde_json::json;

#[tokio::test]
async fn objects_are_listed_moved_copied_and_deleted() {
    let s = setup().await;
    s.bucket("files", json!({})).await;
    s.bucket("archive", json!({})).await;
    for name in ["a.txt", "b.txt", "c.txt", "photos/2024/x.png", "photos/y.png"] {
        s.upload("files", name, name.as_bytes()).await;
    }
    let root = s.server.ok("list_objects", json!({ "bucket": "files" })).await;
    let names: Vec<&str> = root["entries"].as_array().unwrap().iter().map(|e| e["name"].as_str().unwrap()).collect();
    assert_eq!(names, ["a.txt", "b.txt", "c.txt", "photos"], "{root}");
    assert_eq!(root["entries"][3]["folder"], true);
    assert_eq!(root["entries"][0]["size"], 5);
    assert_eq!(root["entries"][0]["mimetype"], "text/plain");
    assert!(root["next_offset"].is_null());

    let first = s.server.ok("list_objects", json!({ "bucket": "files", "limit": 2 })).await;
    assert_eq!(first["entries"].as_array().unwrap().len(), 2);
    assert_eq!(first["next_offset"], 2);
    let second = s.server.ok("list_objects", json!({ "bucket": "files", "limit": 2, "offset": 2 })).await;
    assert_eq!(second["entries"][0]["name"], "c.txt");
    let photos = s.server.ok("list_objects", json!({ "bucket": "files", "prefix": "photos/" })).await;
    assert_eq!(photos["prefix"], "photos");
    assert_eq!(photos["entries"].as_array().unwrap().len(), 2, "{photos}");
    let searched = s.server.ok("list_objects", json!({ "bucket": "files", "search": "b" })).await;
    assert_eq!(searched["entries"].as_array().unwrap().len(), 1, "{searched}");
    let desc = s.server.ok("list_objects", json!({ "bucket": "files", "order": "desc" })).await;
    assert_eq!(desc["entries"][0]["name"], "photos");

    let moved = s.server.ok("move_object", json!({ "bucket": "files", "from": "a.txt", "to": "moved/a.txt" })).await;
    assert_eq!(moved["key"], "files/moved/a.txt");
    assert!(s.fake.object("files", "a.txt").is_none());
    assert_eq!(s.fake.bytes_of("files", "moved/a.txt").unwrap(), b"a.txt");
    let copied = s
        .server
        .ok("copy_object", json!({ "bucket": "files", "from": "b.txt", "to": "b-copy.txt", "to_bucket": "archive" }))
        .await;
    assert_eq!(copied["key"], "archive/b-copy.txt");
    assert_eq!(s.fake.bytes_of("archive", "b-copy.txt").unwrap(), b"b.txt");
    let taken = s.server.err("copy_object", json!({ "bucket": "files", "from": "b.txt", "to": "c.txt" })).await;
    assert!(taken.contains("already exists"), "{taken}");
    let gone = s.server.err("move_object", json!({ "bucket": "files", "from": "zzz.txt", "to": "y.txt" })).await;
    assert!(gone.contains("Object not found") && gone.contains("list_objects"), "{gone}");
    let escape = s.server.err("move_object", json!({ "bucket": "files", "from": "b.txt", "to": "../x" })).await;
    assert!(escape.contains("not an object path"), "{escape}");

    let unconfirmed = s.server.err("delete_objects", json!({ "bucket": "files", "paths": ["b.txt"] })).await;
    assert!(unconfirmed.contains("confirm: true"), "{unconfirmed}");
    let deleted = s
        .server
        .ok("delete_objects", json!({ "bucket": "files", "paths": ["b.txt", "nope.txt"], "confirm": true }))
        .await;
    assert_eq!(deleted, json!({ "deleted": ["b.txt"], "not_found": ["nope.txt"] }));
    s.server.stop().await;
}

#[tokio::test]
async fn signed_urls_work_without_the_key() {
    let s = setup().await;
    s.bucket("private", json!({})).await;
    s.upload("private", "report.txt", b"quarterly numbers").await;
    s.upload("private", "dir with space/ü.txt", b"unicode path").await;
    let one = s
        .server
        .ok("create_signed_url", json!({ "bucket": "private", "paths": ["report.txt"], "expires_in": 60 }))
        .await;
    let url = one["urls"][0]["signed_url"].as_str().unwrap();
    assert!(url.starts_with(&format!("{}/storage/v1/object/sign/private/report.txt?token=", s.fake.url)), "{url}");
    let fetched = reqwest::get(url).await.unwrap();
    assert_eq!(fetched.status(), 200);
    assert_eq!(fetched.bytes().await.unwrap().as_ref(), b"quarterly numbers");

    let many = s
        .server
        .ok("create_signed_url", json!({ "bucket": "private", "paths": ["dir with space/ü.txt", "missing.txt"] }))
        .await;
    assert_eq!(many["expires_in"], 3600);
    let signed = many["urls"][0]["signed_url"].as_str().unwrap();
    assert_eq!(reqwest::get(signed).await.unwrap().bytes().await.unwrap().as_ref(), b"unicode path");
    assert!(many["urls"][1]["signed_url"].is_null());
    assert!(many["urls"][1]["error"].as_str().unwrap().contains("does not exist"), "{many}");
    let bad_expiry = s
        .server
        .err("create_signed_url", json!({ "bucket": "private", "paths": ["report.txt"], "expires_in": 0 }))
        .await;
    assert!(bad_expiry.contains("out of range"), "{bad_expiry}");

    let upload = s.server.ok("create_signed_upload_url", json!({ "bucket": "private", "path": "inbox/new.txt" })).await;
    assert_eq!(upload["path"], "inbox/new.txt");
    assert!(!upload["token"].as_str().unwrap().is_empty());
    let put = reqwest::Client::new()
        .put(upload["signed_url"].as_str().unwrap())
        .header("content-type", "text/plain")
        .body("sent by an app")
        .send()
        .await
        .unwrap();
    assert_eq!(put.status(), 200, "{:?}", put.text().await);
    assert_eq!(s.fake.bytes_of("private", "inbox/new.txt").unwrap(), b"sent by an app");
    let taken = s.server.err("create_signed_upload_url", json!({ "bucket": "private", "path": "report.txt" })).await;
    assert!(taken.contains("already exists"), "{taken}");
    s.server.ok("create_signed_upload_url", json!({ "bucket": "private", "path": "report.txt", "upsert": true })).await;
    s.server.stop().await;
}

#[tokio::test]
async fn a_listing_is_walked_page_by_page_with_its_cursor() {
    let s = setup().await;
    s.bucket("docs", json!({})).await;
    let mut expected: Vec<String> = (0..23).map(|n| format!("report-{n:02}.txt")).collect();
    for name in &expected {
        s.upload("docs", &format!("2024/{name}"), name.as_bytes()).await;
    }
    s.upload("docs", "2024/skip.bin", b"not a report").await;
    expected.reverse();
    let first = s
        .server
        .ok(
            "list_objects",
            json!({ "bucket": "docs", "prefix": "2024", "search": "report", "order": "desc", "limit": 10 }),
        )
        .await;
    let mut seen: Vec<String> = Vec::new();
    let mut page = first;
    let mut pages = 0;
    loop {
        pages += 1;
        seen.extend(page["entries"].as_array().unwrap().iter().map(|e| e["name"].as_str().unwrap().to_owned()));
        let Some(cursor) = page["next_cursor"].as_str().map(str::to_owned) else { break };
        assert!(pages < 10, "the walk ends");
        page = s.server.ok("list_objects", json!({ "bucket": "docs", "cursor": cursor, "limit": 10 })).await;
        assert_eq!(page["prefix"], "2024", "the cursor carries the folder: {page}");
    }
    assert_eq!(seen, expected, "every entry once, in the cursor's order (desc, search kept)");
    assert_eq!(pages, 3);

    let start = s.server.ok("list_objects", json!({ "bucket": "docs", "prefix": "2024", "limit": 5 })).await;
    let cursor = start["next_cursor"].as_str().unwrap();
    let other = s.server.err("list_objects", json!({ "bucket": "docs", "prefix": "2025", "cursor": cursor })).await;
    assert!(other.contains("another listing") && other.contains("prefix"), "{other}");
    let both = s.server.err("list_objects", json!({ "bucket": "docs", "offset": 5, "cursor": cursor })).await;
    assert!(both.contains("offset"), "{both}");
    let bad = s.server.err("list_objects", json!({ "bucket": "docs", "cursor": "bm90IGEgY3Vyc29y" })).await;
    assert!(bad.contains("cursor cannot be read"), "{bad}");
}
