//! No storage secret leaks: with trace logs asked for (the HTTP libraries too), the service-role key never
//! reaches stderr, a tool output or the data directory (audit log, upload journals), and the signed URL tokens
//! the replies hand to the caller stay out of the logs and the audit log; the secrets of a stack's .env read and
//! rewritten by the storage config tools reach none of them either.

#![allow(clippy::expect_used, clippy::unwrap_used, clippy::panic)]

use crate::storage_fake::{Fake, SERVICE_KEY};
use rmcp::model::CallToolRequestParams;
use serde_json::{Value, json};

const LOG_SPEC: &str = "trace,reqwest=trace,hyper=trace,hyper_util=trace,rmcp=trace";

fn files_under(dir: &std::path::Path, into: &mut String) {
    for entry in std::fs::read_dir(dir).into_iter().flatten().flatten() {
        let path = entry.path();
        if path.is_dir() {
            files_under(&path, into);
        } else {
            into.push_str(&std::fs::read_to_string(&path).unwrap_or_default());
        }
    }
}

#[tokio::test]
async fn the_service_key_and_url_tokens_stay_out_of_logs_and_files() {
    let fake = Fake::start().await;
    fake.state().global_limit = 1 << 30;
    let work = tempfile::tempdir().unwrap();
    let data_dir = tempfile::tempdir().unwrap();
    std::fs::write(work.path().join("small.txt"), "hello").unwrap();
    std::fs::write(work.path().join("big.bin"), vec![3u8; 7 * 1024 * 1024]).unwrap();
    // A self-hosted stack's files full of secrets, for the storage config tools.
    let stack_env = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/fixtures/env/healthy.env")).unwrap();
    std::fs::write(work.path().join(".env"), &stack_env).unwrap();
    std::fs::write(
        work.path().join("docker-compose.yml"),
        "services:\n  storage:\n    environment:\n      SERVICE_KEY: ${SERVICE_ROLE_KEY}\n      \
         PGRST_JWT_SECRET: ${JWT_SECRET}\n      FILE_SIZE_LIMIT: 52428800\n      REGION: stub\n",
    )
    .unwrap();
    let stack_secrets: Vec<&str> = stack_env
        .lines()
        .filter_map(|line| line.split_once('='))
        .filter(|(name, value)| ["KEY", "SECRET", "PASS"].iter().any(|k| name.contains(k)) && value.len() >= 12)
        .map(|(_, value)| value.trim_matches(['"', '\'']))
        .collect();
    assert!(stack_secrets.len() >= 4, "{stack_secrets:?}");
    let mut command = crate::mcp_client::command(&["--features", "storage"], data_dir.path());
    command
        .env("SUPAMCP_LOG", LOG_SPEC)
        .env("SUPABASE_URL", &fake.url)
        .env("SUPABASE_SERVICE_ROLE_KEY", SERVICE_KEY)
        .current_dir(work.path());
    let (client, log_reader) = crate::mcp_client::serve_capturing_logs(command).await;
    let calls = [
        ("create_bucket", json!({ "bucket": "leaks" })),
        ("list_storage_buckets", json!({})),
        ("upload_object", json!({ "bucket": "leaks", "path": "small.txt", "file": "small.txt" })),
        ("upload_object", json!({ "bucket": "leaks", "path": "big.bin", "file": "big.bin" })),
        ("download_object", json!({ "bucket": "leaks", "path": "small.txt" })),
        ("download_object", json!({ "bucket": "leaks", "path": "none.txt", "to": "none.txt" })),
        ("create_signed_url", json!({ "bucket": "leaks", "paths": ["small.txt"] })),
        ("create_signed_upload_url", json!({ "bucket": "leaks", "path": "new.txt" })),
        ("get_bucket", json!({ "bucket": "missing" })),
        ("get_storage_config", json!({ "path": ".env" })),
        ("update_storage_config", json!({ "path": ".env", "set": { "REGION": "eu-west-2" }, "confirm": true })),
    ];
    let mut outputs = String::new();
    let mut tokens = Vec::new();
    for (tool, arguments) in calls {
        let result = client
            .call_tool(CallToolRequestParams::new(tool).with_arguments(arguments.as_object().cloned().unwrap()))
            .await
            .unwrap_or_else(|e| panic!("{tool}: {e}"));
        let content = result.structured_content.clone().unwrap_or(Value::Null);
        if let Some(url) = content["urls"][0]["signed_url"].as_str() {
            tokens.push(url.split("token=").nth(1).unwrap().to_owned());
        }
        if let Some(token) = content["token"].as_str() {
            tokens.push(token.to_owned());
        }
        outputs.push_str(&serde_json::to_string(&result).unwrap());
    }
    let _ = client.cancel().await;
    let logs = log_reader.await.unwrap();
    assert!(logs.contains("TRACE") || logs.contains("DEBUG"), "verbose logs were captured");
    assert_eq!(tokens.len(), 2, "both signed tokens were handed out: {outputs}");
    let mut files = String::new();
    files_under(data_dir.path(), &mut files);
    assert!(files.contains("create_signed_upload_url"), "the audit log was written");
    for (place, text) in [("stderr logs", &logs), ("tool outputs", &outputs), ("data directory", &files)] {
        assert!(!text.contains(SERVICE_KEY), "the service key leaked into the {place}");
        assert!(!text.contains("fake-storage-service-signature"), "part of the service key leaked into the {place}");
    }
    assert!(outputs.contains("eu-west-2"), "the storage config calls ran: {outputs}");
    for secret in &stack_secrets {
        for (place, text) in [("stderr logs", &logs), ("tool outputs", &outputs), ("data directory", &files)] {
            assert!(!text.contains(secret), "a secret of the stack's .env leaked into the {place}");
        }
    }
    for token in &tokens {
        for (place, text) in [("stderr logs", &logs), ("data directory", &files)] {
            assert!(!text.contains(token.as_str()), "a signed URL token leaked into the {place}");
        }
    }
}
