//! The auth settings: what the service reports, the self-hosted .env's auth variables (secrets redacted) and
//! update_auth_config rewriting only them, confirmed, with a backup and the findings the change introduces;
//! invite_user warning about the template's fake SMTP.

use super::serve_with_key;
use crate::gotrue_fake::{Fake, SERVICE_KEY};
use serde_json::json;

const HEALTHY: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/fixtures/env/healthy.env");
const FAKE_SMTP: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/fixtures/env/fake-smtp.env");
const SMTP_PASS: &str = "CPXL6heBMx0m7onu8E4cnr0O";

#[tokio::test]
async fn auth_config_is_read_from_the_service_and_the_env_and_changed_in_the_env() {
    let fake = Fake::start().await;
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join(".env");
    std::fs::copy(HEALTHY, &path).unwrap();
    let path_text = path.display().to_string();
    let server = serve_with_key(&fake, SERVICE_KEY, &["--allow-absolute-paths"]).await;

    let config = server.ok("get_auth_config", json!({"path": path_text})).await;
    assert_eq!(config["service"]["enabled_providers"], json!(["email", "github"]));
    assert_eq!(config["service"]["version"], "v2.186.0");
    assert_eq!(config["env"]["SITE_URL"], "https://shop-example.dev");
    assert_eq!(config["env"]["DISABLE_SIGNUP"], "false");
    assert!(!config.to_string().contains(SMTP_PASS), "the SMTP password is redacted");
    assert!(config["env"]["SMTP_PASS"].is_string());

    let before = std::fs::read_to_string(&path).unwrap();
    let refused = server.err("update_auth_config", json!({"path": path_text, "set": {"DISABLE_SIGNUP": "true"}})).await;
    assert!(refused.contains("confirm"), "{refused}");
    let foreign = server
        .err("update_auth_config", json!({"path": path_text, "set": {"POSTGRES_PASSWORD": "x"}, "confirm": true}))
        .await;
    assert!(foreign.contains("not an auth setting"), "{foreign}");
    let invalid = server
        .err("update_auth_config", json!({"path": path_text, "set": {"JWT_EXPIRY": "soon"}, "confirm": true}))
        .await;
    assert!(invalid.contains("seconds"), "{invalid}");
    assert_eq!(std::fs::read_to_string(&path).unwrap(), before, "refused updates write nothing");

    let updated = server
        .ok(
            "update_auth_config",
            json!({"path": path_text, "confirm": true,
                "set": {"DISABLE_SIGNUP": "true", "SMTP_HOST": "supabase-mail", "SMTP_PASS": "New-Smtp-Secret-123456"}}),
        )
        .await;
    assert_eq!(updated["changes"].as_array().unwrap().len(), 3, "{updated}");
    assert!(!updated.to_string().contains("New-Smtp-Secret-123456"), "the new secret is redacted");
    assert!(updated["apply_with"].as_str().unwrap().contains("--force-recreate auth"));
    assert!(updated["new_findings"].to_string().contains("smtp_fake"), "{updated}");
    let backup = updated["backup"].as_str().unwrap();
    assert_eq!(std::fs::read_to_string(backup).unwrap(), before, "the old file is backed up");
    let after = std::fs::read_to_string(&path).unwrap();
    assert!(after.contains("DISABLE_SIGNUP=true") && after.contains("SMTP_PASS=New-Smtp-Secret-123456"));
    assert_eq!(after.lines().count(), before.lines().count(), "only the touched lines changed");
    let again = server
        .ok("update_auth_config", json!({"path": path_text, "confirm": true, "set": {"DISABLE_SIGNUP": "true"}}))
        .await;
    assert_eq!(again["changes"], json!([]));
    assert_eq!(again["backup"], serde_json::Value::Null, "nothing changed, nothing written");
    let invited = server.ok("invite_user", json!({"email": "a@example.com", "path": FAKE_SMTP})).await;
    assert!(invited["smtp_findings"].to_string().contains("smtp_fake"), "{invited}");
    assert!(invited["note"].as_str().unwrap().contains("will not arrive"), "{invited}");
    let invited = server.ok("invite_user", json!({"email": "b@example.com", "path": HEALTHY})).await;
    assert_eq!(invited["smtp_findings"], json!([]));
    let audit = std::fs::read_to_string(server.data_dir.as_ref().unwrap().path().join("audit.jsonl")).unwrap();
    assert!(audit.contains("update_auth_config") && audit.contains("DISABLE_SIGNUP"), "the change is audited");
    assert!(!audit.contains("New-Smtp-Secret-123456"), "the SMTP password is not in the audit log");
    server.stop().await;
}
