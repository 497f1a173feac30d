//! The Realtime fake speaks the real protocol: the official client, `@supabase/realtime-js` (pinned, installed
//! by scripts/test.sh into .tools/), sends through it with `send()` (its REST fallback to `POST /api/broadcast`)
//! and `httpSend()` (`POST /api/broadcast/:topic/events/:event?private=true`), and reads the fake's refusal of a
//! foreign key the way it reads the service's. The gateway's own refusals (no key, the tenant API) are checked
//! with plain HTTP (realtime-js will not send without a key).

#![allow(clippy::expect_used, clippy::unwrap_used, clippy::panic)]

use crate::realtime_fake::{FOREIGN_KEY, Fake, Received, SERVICE_KEY};
use serde_json::{Value, json};
use std::path::PathBuf;

#[tokio::test]
async fn realtime_js_drives_the_fake() {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    let module = root.join(".tools/node_modules/@supabase/realtime-js");
    assert!(
        module.join("package.json").is_file(),
        "@supabase/realtime-js is missing: run `bash scripts/test.sh` (it installs it into .tools/)"
    );
    let fake = Fake::start().await;
    let output = tokio::process::Command::new("node")
        .arg(root.join("tests/support/realtime_fake/realtime_js.cjs"))
        .arg(&module)
        .arg(&fake.url)
        .arg(SERVICE_KEY)
        .arg(FOREIGN_KEY)
        .output()
        .await
        .expect("run node");
    assert!(output.status.success(), "realtime-js script failed: {}", String::from_utf8_lossy(&output.stderr));
    let seen: Value = serde_json::from_slice(&output.stdout).expect("JSON from the script");

    assert_eq!(seen["send"], "ok", "{seen}");
    assert_eq!(seen["http_send"], json!({"ok": {"success": true}}), "{seen}");
    assert_eq!(seen["foreign_send"], "error", "{seen}");
    assert_eq!(seen["foreign_http_send"], json!({"error": "Unauthorized"}), "{seen}");
    let messages = fake.state().messages.clone();
    assert_eq!(
        messages,
        [
            Received { topic: "room:1".into(), event: "greet".into(), payload: json!({"hello": "js"}), private: false },
            Received { topic: "room:2".into(), event: "ping".into(), payload: json!({"n": 1}), private: true },
        ]
    );
    let requests = fake.state().requests.clone();
    assert!(requests.contains(&"POST /realtime/v1/api/broadcast".to_owned()), "{requests:?}");
    assert!(requests.contains(&"POST /realtime/v1/api/broadcast/room%3A2/events/ping".to_owned()), "{requests:?}");

    let http = reqwest::Client::new();
    let keyless = http.post(format!("{}/realtime/v1/api/broadcast", fake.url)).json(&json!({"messages": []}));
    let keyless = keyless.send().await.unwrap();
    assert_eq!(keyless.status(), 401);
    assert_eq!(keyless.json::<Value>().await.unwrap(), json!({"message": "No API key found in request"}));
    let tenants =
        http.get(format!("{}/realtime/v1/api/tenants/realtime-dev/health", fake.url)).header("apikey", SERVICE_KEY);
    assert_eq!(tenants.send().await.unwrap().status(), 403, "Kong keeps the tenant API out");
    let invalid = http
        .post(format!("{}/realtime/v1/api/broadcast", fake.url))
        .header("apikey", SERVICE_KEY)
        .json(&json!({"messages": [{"topic": "room:1", "event": "x"}]}));
    let invalid = invalid.send().await.unwrap();
    assert_eq!(invalid.status(), 422);
    assert_eq!(invalid.json::<Value>().await.unwrap(), json!({"errors": {"payload": ["can't be blank"]}}));
}
