//! The `development` tools through the real binary (`supamcp call`, which runs the MCP server in process):
//! structured replies, redaction by default, `reveal` (refused in read-only mode), `write_to` with a backup (inside
//! the working directory, an existing file only with confirm), only .env files read, and actionable errors.

// Test helpers outside #[test] functions may panic too: this whole crate is test code.
#![allow(clippy::panic)]

use serde_json::{Value, json};
use std::path::Path;
use std::process::Command;

fn call(tool: &str, arguments: Value) -> (bool, Value) {
    call_in(Path::new(env!("CARGO_MANIFEST_DIR")), &[], tool, arguments)
}

/// `supamcp [extra] call tool arguments` run in the working directory `dir`.
fn call_in(dir: &Path, extra: &[&str], tool: &str, arguments: Value) -> (bool, Value) {
    let output = Command::new(env!("CARGO_BIN_EXE_supamcp"))
        .current_dir(dir)
        .env_remove("SUPAMCP_READ_ONLY")
        .env_remove("SUPAMCP_ALLOW_ABSOLUTE_PATHS")
        .args(extra)
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
    let (ok, reply) =
        call_in(dir.path(), &[], "fix_config", json!({"path": "prod.env", "write_to": "prod.env", "confirm": true}));
    assert!(ok, "{reply}");
    let backup = reply["backup"].as_str().unwrap_or_default();
    assert_eq!(std::fs::read_to_string(backup).unwrap_or_default(), original);
    assert_eq!(mode(Path::new(backup)), 0o600, "the backup of a .env is owner-only");
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

fn mode(path: &Path) -> u32 {
    use std::os::unix::fs::PermissionsExt;
    std::fs::symlink_metadata(path).map(|m| m.permissions().mode() & 0o777).unwrap_or_else(|e| panic!("{e}"))
}

#[test]
fn convert_protocols_reads_only_env_files_and_reveals_nothing_in_read_only_mode() {
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let key = dir.path().join("id_ed25519");
    std::fs::write(
        &key,
        "-----BEGIN OPENSSH PRIVATE KEY-----\nb3BlbnNzaC1rZXktdjEAAAAABG5vbmUAAAAEbm9uZQ==\n-----END OPENSSH PRIVATE KEY-----\n",
    )
    .unwrap_or_else(|e| panic!("{e}"));
    for (path, secrets) in
        [(key.display().to_string(), ["b3BlbnNz", "PRIVATE"]), ("/etc/passwd".into(), ["root:", "/bin"])]
    {
        for tool in ["convert_protocols", "fix_config"] {
            let (ok, reply) = call_in(dir.path(), &[], tool, json!({"path": path, "reveal": true}));
            assert!(!ok, "{tool} read {path}: {reply}");
            let text = reply.to_string();
            assert!(text.contains("not a .env file") && text.contains("Fix:"), "{text}");
            for secret in secrets {
                assert!(!text.contains(secret), "{tool} echoed {secret} of {path}: {text}");
            }
        }
    }

    let env = dir.path().join(".env");
    std::fs::write(&env, "SITE_URL=http://supa.example.com\nJWT_SECRET=an-actual-secret-value-of-forty-chars-xx\n")
        .unwrap_or_else(|e| panic!("{e}"));
    let arguments = json!({"path": ".env", "reveal": true});
    let (ok, refused) = call_in(dir.path(), &["--read-only"], "convert_protocols", arguments.clone());
    assert!(!ok, "{refused}");
    let refused = refused.to_string();
    assert!(refused.contains("read-only") && !refused.contains("an-actual-secret"), "{refused}");
    let (ok, redacted) = call_in(dir.path(), &["--read-only"], "convert_protocols", json!({"path": ".env"}));
    assert!(ok, "{redacted}");
    assert_eq!(redacted["revealed"], false);
    assert!(!redacted.to_string().contains("an-actual-secret"), "{redacted}");
    let (ok, revealed) = call_in(dir.path(), &[], "convert_protocols", arguments);
    assert!(ok, "{revealed}");
    assert!(revealed["text"].as_str().unwrap_or_default().contains("an-actual-secret"), "{revealed}");
}

#[test]
fn write_to_stays_in_the_working_directory_and_overwrites_only_with_confirm() {
    let root = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let work = root.path().join("work");
    std::fs::create_dir(&work).unwrap_or_else(|e| panic!("{e}"));
    std::os::unix::fs::symlink(root.path(), work.join("up")).unwrap_or_else(|e| panic!("{e}"));
    let outside = root.path().join("outside.env");
    let fix = |extra: &[&str], write_to: &str, confirm: bool| {
        call_in(&work, extra, "fix_config", json!({"env_text": "A=1\n", "write_to": write_to, "confirm": confirm}))
    };
    let absolute = outside.display().to_string();
    for escaping in ["../outside.env", "up/outside.env", absolute.as_str()] {
        let (ok, reply) = fix(&[], escaping, true);
        assert!(!ok, "{escaping}: {reply}");
        let text = reply.to_string();
        assert!(text.contains("outside the working directory") && text.contains("--allow-absolute-paths"), "{text}");
    }
    assert!(!outside.exists(), "nothing was written outside");

    let (ok, reply) = fix(&[], "new.env", false);
    assert!(ok, "{reply}");
    assert_eq!(mode(&work.join("new.env")), 0o600, "a new .env is owner-only");
    let before = std::fs::read_to_string(work.join("new.env")).unwrap_or_default();
    let (ok, refused) = fix(&[], "new.env", false);
    assert!(!ok && refused.to_string().contains("refusing to overwrite"), "{refused}");
    assert_eq!(std::fs::read_to_string(work.join("new.env")).unwrap_or_default(), before);
    let (ok, replaced) = fix(&[], "./sub/../new.env", true);
    assert!(ok, "{replaced}");
    assert!(Path::new(replaced["backup"].as_str().unwrap_or_default()).exists(), "{replaced}");

    let (ok, reply) = fix(&["--allow-absolute-paths"], &absolute, false);
    assert!(ok, "{reply}");
    assert!(outside.exists());
    let output = Command::new(env!("CARGO_BIN_EXE_supamcp"))
        .current_dir(&work)
        .env("SUPAMCP_ALLOW_ABSOLUTE_PATHS", "1")
        .args(["--features", "development", "call", "fix_config"])
        .arg(json!({"env_text": "A=1\n", "write_to": root.path().join("env-var.env")}).to_string())
        .output()
        .unwrap_or_else(|e| panic!("{e}"));
    assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stdout));
}
