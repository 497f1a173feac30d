//! Auth settings of a stack deployed on Dokploy (`tests/support/dokploy_fake` beside the fake GoTrue): read from
//! the compose's env with secrets redacted, changed only after confirmation with a snapshot first, then applied
//! by a redeploy Dokploy runs; `dokploy_history` lists the snapshot to roll back to.

use crate::dokploy_fake::{API_KEY, Fake as Dokploy};
use crate::gotrue_fake::{Fake as GoTrue, SERVICE_KEY};
use crate::mcp_client;
use serde_json::json;

#[tokio::test]
async fn auth_settings_of_a_dokploy_stack_are_read_and_changed_through_its_compose() {
    let gotrue = GoTrue::start().await;
    let dokploy = Dokploy::start().await;
    let compose_id = dokploy.seed_supabase("shop", true);
    let env = [
        ("SUPABASE_URL", gotrue.url.as_str()),
        ("SUPABASE_SERVICE_ROLE_KEY", SERVICE_KEY),
        ("DOKPLOY_URL", dokploy.url.as_str()),
        ("DOKPLOY_API_KEY", API_KEY),
    ];
    let server = mcp_client::start_with_env(&["--features", "auth,dokploy"], &env).await;

    let config = server.ok("get_auth_config", json!({"compose_id": compose_id})).await;
    assert_eq!(config["env"]["SITE_URL"], "http://localhost:3000");
    assert_eq!(config["env"]["DISABLE_SIGNUP"], "false");
    assert!(!config.to_string().contains("fake_mail_password"), "the SMTP password is redacted: {config}");
    assert!(config["findings"].to_string().contains("smtp"), "{config}");
    let unknown = server.err("get_auth_config", json!({"compose_id": "no-such-compose"})).await;
    assert!(unknown.contains("Compose not found"), "{unknown}");

    let deployments = dokploy.deployments_of(&compose_id).len();
    let refused =
        server.err("update_auth_config", json!({"compose_id": compose_id, "set": {"DISABLE_SIGNUP": "true"}})).await;
    assert!(refused.contains("confirm"), "{refused}");
    let both = server
        .err(
            "update_auth_config",
            json!({"compose_id": compose_id, "path": ".env", "set": {"DISABLE_SIGNUP": "true"}, "confirm": true}),
        )
        .await;
    assert!(both.contains("more than one of path, compose_id and project_id"), "{both}");
    assert!(dokploy.env_of(&compose_id).contains("DISABLE_SIGNUP=false"), "refused calls change nothing");

    let updated = server
        .ok(
            "update_auth_config",
            json!({"compose_id": compose_id, "confirm": true, "wait_seconds": 120,
                "set": {"DISABLE_SIGNUP": "true", "SMTP_PASS": "Brand-New-Smtp-Secret-77"}}),
        )
        .await;
    assert_eq!(updated["changes"].as_array().unwrap().len(), 2, "{updated}");
    assert!(!updated.to_string().contains("Brand-New-Smtp-Secret-77"), "the new secret is redacted");
    assert_eq!(updated["redeploy"]["status"], "done", "{updated}");
    assert!(updated["snapshot"]["id"].is_string(), "{updated}");
    let stored = dokploy.env_of(&compose_id);
    assert!(stored.contains("DISABLE_SIGNUP=true") && stored.contains("SMTP_PASS=Brand-New-Smtp-Secret-77"));
    assert!(stored.contains("POSTGRES_PASSWORD="), "the other variables are kept");
    assert_eq!(dokploy.deployments_of(&compose_id).len(), deployments + 1, "one redeploy applied it");
    let history = server.ok("dokploy_history", json!({"compose_id": compose_id})).await;
    assert_eq!(history["snapshots"][0]["id"], updated["snapshot"]["id"], "{history}");

    let unchanged = server
        .ok("update_auth_config", json!({"compose_id": compose_id, "confirm": true, "set": {"DISABLE_SIGNUP": "true"}}))
        .await;
    assert_eq!(unchanged["changes"], json!([]));
    assert!(unchanged["redeploy"].is_null() && unchanged["snapshot"].is_null(), "nothing to apply: {unchanged}");
    assert_eq!(dokploy.deployments_of(&compose_id).len(), deployments + 1);
    server.stop().await;
}
