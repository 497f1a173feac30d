//! A Supabase Cloud project's auth settings through the fake Management API (`tests/support/management_fake`):
//! read with secrets redacted, changed with typed values after confirmation, unknown fields and wrong types
//! refused before anything is sent, and the previous values kept owner-only to change them back.

use crate::gotrue_fake::{Fake as GoTrue, SERVICE_KEY};
use crate::management_fake::{Fake as Management, PROJECT};
use crate::mcp_client;
use serde_json::json;
use std::os::unix::fs::PermissionsExt;

#[tokio::test]
async fn a_cloud_projects_auth_config_is_read_and_changed_through_the_management_api() {
    let gotrue = GoTrue::start().await;
    let management = Management::start().await;
    let mut env: Vec<(&str, String)> = management.env();
    env.push(("SUPABASE_URL", gotrue.url.clone()));
    env.push(("SUPABASE_SERVICE_ROLE_KEY", SERVICE_KEY.to_owned()));
    let env: Vec<(&str, &str)> = env.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let server = mcp_client::start_with_env(&["--features", "auth"], &env).await;

    let config = server.ok("get_auth_config", json!({"project_id": PROJECT})).await;
    assert_eq!(config["cloud"]["site_url"], "http://localhost:3000");
    assert_eq!(config["cloud"]["jwt_exp"], json!(3600));
    assert!(!config.to_string().contains("fake-smtp-password"), "the SMTP password is redacted: {config}");

    let refused =
        server.err("update_auth_config", json!({"project_id": PROJECT, "set": {"disable_signup": "true"}})).await;
    assert!(refused.contains("confirm"), "{refused}");
    let unknown = server
        .err("update_auth_config", json!({"project_id": PROJECT, "confirm": true, "set": {"no_such_field": "1"}}))
        .await;
    assert!(unknown.contains("not a field"), "{unknown}");
    let wrong = server
        .err("update_auth_config", json!({"project_id": PROJECT, "confirm": true, "set": {"jwt_exp": "soon"}}))
        .await;
    assert!(wrong.contains("whole number"), "{wrong}");
    assert!(!management.state().requests.iter().any(|(method, _)| method == "PATCH"), "nothing was sent");

    let updated = server
        .ok(
            "update_auth_config",
            json!({"project_id": PROJECT, "confirm": true,
                   "set": {"disable_signup": "true", "jwt_exp": "7200", "smtp_pass": "Brand-New-Cloud-Smtp-Pass"}}),
        )
        .await;
    assert_eq!(updated["changes"].as_array().unwrap().len(), 3, "{updated}");
    assert!(
        !updated.to_string().contains("Brand-New-Cloud-Smtp-Pass")
            && !updated.to_string().contains("fake-smtp-password")
    );
    let stored = management.state().auth_configs[PROJECT].clone();
    assert_eq!(stored["disable_signup"], json!(true));
    assert_eq!(stored["jwt_exp"], json!(7200));
    assert_eq!(stored["smtp_pass"], "Brand-New-Cloud-Smtp-Pass");
    let saved = updated["previous_saved_to"].as_str().unwrap();
    let previous: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(saved).unwrap()).unwrap();
    assert_eq!(
        previous,
        json!({"disable_signup": false, "jwt_exp": 3600, "smtp_pass": "fake-smtp-password-0123456789"})
    );
    assert_eq!(
        std::fs::metadata(saved).unwrap().permissions().mode() & 0o777,
        0o600,
        "the previous values are owner-only"
    );
    server.stop().await;
}
