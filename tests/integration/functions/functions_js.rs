//! The fake functions endpoint speaks the real protocol: the official client, `@supabase/functions-js`
//! (pinned, installed by scripts/test.sh into .tools/), invokes through it and reads its replies and the
//! router's 401s the way it reads the edge runtime's.

#![allow(clippy::expect_used, clippy::unwrap_used, clippy::panic)]

use crate::functions_fake::{Answer, Fake};
use serde_json::Value;
use std::path::PathBuf;

#[tokio::test]
async fn functions_js_drives_the_fake() {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    let module = root.join(".tools/node_modules/@supabase/functions-js");
    assert!(
        module.join("package.json").is_file(),
        "@supabase/functions-js is missing: run `bash scripts/test.sh` (it installs it into .tools/)"
    );
    let fake = Fake::start(true).await;
    fake.answer("echo", Answer::Echo);
    let anon = Fake::token("anon");
    let output = tokio::process::Command::new("node")
        .arg(root.join("tests/support/functions_fake/functions_js.cjs"))
        .arg(&module)
        .arg(format!("{}/functions/v1", fake.url))
        .arg(&anon)
        .output()
        .await
        .expect("run node");
    assert!(output.status.success(), "functions-js script failed: {}", String::from_utf8_lossy(&output.stderr));
    let seen: Value = serde_json::from_slice(&output.stdout).expect("JSON from the script");

    assert_eq!(seen["no_token"]["status"], 401, "{seen}");
    assert_eq!(seen["no_token"]["code"], "UNAUTHORIZED_NO_AUTH_HEADER");
    assert_eq!(seen["no_token"]["body"]["msg"], "Missing authorization header");
    assert_eq!(seen["json"]["error"], Value::Null, "{seen}");
    assert_eq!(seen["json"]["data"]["method"], "POST");
    assert_eq!(seen["json"]["data"]["path"], "/echo");
    assert_eq!(seen["json"]["data"]["body"], "{\"a\":1}");
    assert_eq!(seen["json"]["data"]["headers"]["content-type"], "application/json");
    assert_eq!(seen["json"]["data"]["headers"]["authorization"], format!("Bearer {anon}"));
    assert_eq!(seen["text"]["method"], "PUT");
    assert_eq!(seen["text"]["headers"]["content-type"], "text/plain");
    assert_eq!(seen["region"]["query"], "forceFunctionRegion=eu-west-1");
    assert_eq!(seen["region"]["headers"]["x-region"], "eu-west-1");
    assert_eq!(seen["missing"]["status"], 500);
    assert!(seen["missing"]["body"]["msg"].as_str().unwrap().contains("worker boot error"));
    assert_eq!(seen["bad_token"]["code"], "UNAUTHORIZED_INVALID_JWT_FORMAT", "{seen}");
    let recorded = fake.requests();
    assert_eq!(recorded.len(), 6);
    assert!(recorded.iter().all(|r| r.headers.get("apikey") == Some(&anon)));
}
