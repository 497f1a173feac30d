//! Invariant 4 for the auth group: with trace logs asked for, the service-role key and the passwords given to
//! create_user/update_user/generate_link (and the SMTP password update_auth_config sets) never reach stderr, a
//! tool reply or the audit log, across every auth tool, and the sign-in link generate_link returns (to its
//! caller) is in neither the logs nor the audit log.

use crate::gotrue_fake::{Fake, SERVICE_KEY};
use rmcp::ServiceExt;
use rmcp::model::CallToolRequestParams;
use rmcp::transport::TokioChildProcess;
use serde_json::json;
use std::process::Stdio;
use tokio::io::AsyncReadExt;

const PASSWORD: &str = "Auth-Passw0rd-That-Must-Not-Leak";
const NEW_PASSWORD: &str = "Second-Passw0rd-Never-Echoed";
const HASH: &str = "$2a$10$abcdefghijklmnopqrstuuJ4JmJYqK1cHq2bPZ8wN3o5R8yCz0Wsm";
const SMTP_PASS: &str = "Smtp-Secret-Set-Through-Update-Auth-Config";

#[tokio::test]
async fn keys_passwords_and_links_stay_out_of_logs_replies_and_audit() {
    let fake = Fake::start().await;
    let data_dir = tempfile::tempdir().unwrap();
    let mut command = tokio::process::Command::new(env!("CARGO_BIN_EXE_supamcp"));
    command
        .args(["--features", "auth", "--data-dir"])
        .arg(data_dir.path())
        .env("SUPAMCP_LOG", "trace,reqwest=trace,hyper=trace,rmcp=trace")
        .env("SUPABASE_URL", &fake.url)
        .env("SUPABASE_SERVICE_ROLE_KEY", SERVICE_KEY)
        .env_remove("SUPAMCP_CONFIG")
        .env_remove("DATABASE_URL")
        .current_dir(data_dir.path());
    std::fs::write(
        data_dir.path().join(".env"),
        "SITE_URL=http://localhost:3000\nSMTP_PASS=old-smtp-pass-0123456789\n",
    )
    .unwrap();
    let (transport, stderr) = TokioChildProcess::builder(command).stderr(Stdio::piped()).spawn().unwrap();
    let mut stderr = stderr.expect("piped stderr");
    let log_reader = tokio::spawn(async move {
        let mut logs = String::new();
        let _ = stderr.read_to_string(&mut logs).await;
        logs
    });
    let client = ().serve(transport).await.unwrap();
    let call = |tool: &'static str, arguments: serde_json::Value| {
        let request = CallToolRequestParams::new(tool).with_arguments(arguments.as_object().cloned().unwrap());
        let client = &client;
        async move { client.call_tool(request).await.unwrap() }
    };
    let mut outputs = String::new();
    let created = call("create_user", json!({"email": "leak@example.com", "password": PASSWORD})).await;
    let id = created.structured_content.clone().unwrap()["user"]["id"].as_str().unwrap().to_owned();
    outputs.push_str(&serde_json::to_string(&created).unwrap());
    for (tool, arguments) in [
        ("update_user", json!({"user_id": id, "password": NEW_PASSWORD})),
        ("create_user", json!({"email": "hash@example.com", "password_hash": HASH})),
        ("create_user", json!({"email": "leak@example.com", "password": PASSWORD})),
        ("create_user", json!({"email": "short@example.com", "password": "Tiny1"})),
        ("get_user", json!({"user_id": id})),
        ("list_users", json!({})),
        ("get_auth_config", json!({})),
        ("list_user_factors", json!({"user_id": id})),
        ("get_auth_audit_log", json!({})),
        ("sign_out_user", json!({"user_id": id, "confirm": true})),
        ("update_auth_config", json!({"path": ".env", "set": {"SMTP_PASS": SMTP_PASS}, "confirm": true})),
        ("get_auth_config", json!({"path": ".env"})),
        ("delete_user", json!({"user_id": id, "confirm": true})),
    ] {
        outputs.push_str(&serde_json::to_string(&call(tool, arguments).await).unwrap());
    }
    let link = call("generate_link", json!({"type": "magiclink", "email": "leak@example.com"})).await;
    let action_link = link.structured_content.clone().unwrap()["action_link"].as_str().unwrap().to_owned();
    let token = action_link.split("token=").nth(1).unwrap().split('&').next().unwrap().to_owned();
    assert!(token.len() > 16);
    let _ = client.cancel().await;
    let logs = log_reader.await.unwrap();
    let audit = std::fs::read_to_string(data_dir.path().join("audit.jsonl")).unwrap();
    assert!(audit.contains("create_user") && audit.contains("generate_link"), "the calls were audited");
    assert!(fake.bodies().contains(PASSWORD), "the password did reach GoTrue");
    assert!(std::fs::read_to_string(data_dir.path().join(".env")).unwrap().contains(SMTP_PASS), "it was set");
    for secret in [SERVICE_KEY, PASSWORD, NEW_PASSWORD, HASH, SMTP_PASS] {
        assert!(!logs.contains(secret), "stderr holds a secret");
        assert!(!outputs.contains(secret), "a reply holds a secret");
        assert!(!audit.contains(secret), "the audit log holds a secret");
    }
    assert!(!logs.contains(&token), "stderr holds the sign-in link");
    assert!(!audit.contains(&token), "the audit log holds the sign-in link");
}
