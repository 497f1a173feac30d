//! The `development` tools through the real binary (`supamcp call`, which runs the MCP server in process):
//! structured replies, redaction by default, `reveal`, `write_to` with a backup, and actionable errors.

// Test helpers outside #[test] functions may panic too: this whole crate is test code.
#![allow(clippy::panic)]

use serde_json::{Value, json};
use std::path::Path;
use std::process::Command;

fn call(tool: &str, arguments: Value) -> (bool, Value) {
    let output = Command::new(env!("CARGO_BIN_EXE_supamcp"))
        .args(["--features", "development", "call", tool, &arguments.to_string()])
        .output()
        .unwrap_or_else(|e| panic!("{e}"));
    let stdout = format!("{}{}", String::from_utf8_lossy(&output.stdout), String::from_utf8_lossy(&output.stderr));
    let value = serde_json::from_str(&stdout).unwrap_or_else(|_| Value::String(stdout.clone()));
    (output.status.success(), value)
}

fn fixture(name: &str) -> String {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/env").join(name).display().to_string()
}

#[test]
fn generate_keys_redacts_unless_revealed() {
    let (ok, redacted) = call("generate_keys", json!({}));
    assert!(ok, "{redacted}");
    assert_eq!(redacted["revealed"], false);
    let secret = redacted["variables"][0]["value"].as_str().unwrap_or_default();
    assert!(secret.starts_with("[redacted") || secret.contains('…'), "{secret}");
    let (ok, revealed) = call("generate_keys", json!({"reveal": true, "asymmetric": true, "other_secrets": false}));
    assert!(ok);
    let names: Vec<&str> =
        revealed["variables"].as_array().into_iter().flatten().filter_map(|v| v["name"].as_str()).collect();
    assert_eq!(names.len(), 9, "{names:?}");
    let env_text = revealed["env"].as_str().unwrap_or_default();
    let (ok, verdict) = call("validate_keys", json!({"env_text": env_text}));
    assert!(ok);
    assert_eq!(verdict["status"], "clean", "{verdict}");
}

#[test]
fn validate_config_and_keys_report_findings() {
    let (ok, report) = call("validate_config", json!({"path": fixture("dokploy-0.25.5-roleless.env")}));
    assert!(ok);
    assert_eq!(report["status"], "critical");
    assert_eq!(report["critical"], 4, "{report}");
    let (ok, keys) = call("validate_keys", json!({"path": fixture("dokploy-pre-0.21.8-hex.env")}));
    assert!(ok);
    assert_eq!(keys["findings"][0]["rule"], "jwt_not_a_jwt");
    let (ok, error) = call("validate_config", json!({}));
    assert!(!ok);
    assert!(error.to_string().contains("pass the file's content as env_text"), "{error}");
}

#[test]
fn fix_config_writes_with_backup_and_convert_changes_only_urls() {
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let target = dir.path().join("prod.env");
    let original = std::fs::read_to_string(fixture("dokploy-pre-0.22.5-demo.env")).unwrap_or_default();
    std::fs::write(&target, &original).unwrap_or_else(|e| panic!("{e}"));
    let target_text = target.display().to_string();
    let (ok, reply) = call("fix_config", json!({"path": target_text, "write_to": target_text}));
    assert!(ok, "{reply}");
    let backup = reply["backup"].as_str().unwrap_or_default();
    assert_eq!(std::fs::read_to_string(backup).unwrap_or_default(), original);
    assert!(reply["diff"].as_str().unwrap_or_default().contains("+JWT_SECRET="));
    assert!(!reply.to_string().contains("your-super-secret-jwt-token"), "the demo secret is redacted too");
    let (_, after) = call("validate_config", json!({"path": target_text}));
    assert_eq!(after["status"], "clean", "{after}");

    let (ok, converted) = call("convert_protocols", json!({"path": fixture("http-urls.env")}));
    assert!(ok);
    let variables: Vec<&str> =
        converted["changes"].as_array().into_iter().flatten().filter_map(|c| c["variable"].as_str()).collect();
    assert_eq!(variables, ["SITE_URL", "SUPABASE_PUBLIC_URL"]);
    let (_, name) = call("validate_project_name", json!({"name": "Supabase Prod!"}));
    assert_eq!(name["suggestion"], "supabase-prod");
}
