//! get_realtime_config / update_realtime_config through the Management API fake: the ref from project_id, a
//! typed patch with unknown fields refused before anything is sent, confirm required, only the changed fields
//! sent, the previous values kept owner-only, and a self-hosted instance told why the tools do not apply.

#![allow(clippy::expect_used, clippy::unwrap_used, clippy::panic)]

use crate::management_fake::{Fake as Management, PROJECT};
use crate::{mcp_client, support};
use serde_json::{Value, json};
use std::os::unix::fs::PermissionsExt;

#[tokio::test]
async fn a_cloud_projects_realtime_settings_are_read_and_changed() {
    let management = Management::start().await;
    let env: Vec<(&str, String)> = management.env();
    let env: Vec<(&str, &str)> = env.iter().map(|(k, v)| (*k, v.as_str())).collect();
    // The group needs a database (its other tools read it); the config tools only call the API.
    let db = support::fresh_database("realtime_config").await;
    let url = db.url();
    let server = mcp_client::start_with_env(&["--features", "realtime", "--database-url", &url], &env).await;

    let config = server.ok("get_realtime_config", json!({"project_id": PROJECT})).await;
    assert_eq!(config["project_id"], PROJECT);
    assert_eq!(config["config"]["private_only"], false, "{config}");
    assert_eq!(config["config"]["max_concurrent_users"], 200);

    let refused =
        server.err("update_realtime_config", json!({"project_id": PROJECT, "config": {"private_only": true}})).await;
    assert!(refused.contains("confirm"), "{refused}");
    let unknown = server
        .call("update_realtime_config", json!({"project_id": PROJECT, "confirm": true, "config": {"private": true}}))
        .await;
    assert!(unknown.is_error == Some(true) || mcp_client::text(&unknown).contains("unknown field"), "{unknown:?}");
    assert!(!management.state().requests.iter().any(|(method, _)| method == "PATCH"), "nothing was sent");

    let updated = server
        .ok(
            "update_realtime_config",
            json!({"project_id": PROJECT, "confirm": true,
                   "config": {"private_only": true, "max_concurrent_users": 200, "max_presence_events_per_second": 50}}),
        )
        .await;
    let changed: Vec<&str> =
        updated["changes"].as_array().unwrap().iter().map(|c| c["field"].as_str().unwrap()).collect();
    assert_eq!(
        changed,
        ["max_presence_events_per_second", "private_only"],
        "an unchanged field is not sent: {updated}"
    );
    assert_eq!(updated["config"]["private_only"], true, "read back after the change");
    let stored = management.state().realtime_configs[PROJECT].clone();
    assert_eq!(stored["private_only"], true);
    assert_eq!(stored["max_presence_events_per_second"], 50);
    let saved = updated["previous_saved_to"].as_str().unwrap();
    assert!(saved.contains("realtime-config"), "{saved}");
    let previous: Value = serde_json::from_str(&std::fs::read_to_string(saved).unwrap()).unwrap();
    assert_eq!(previous, json!({"private_only": false, "max_presence_events_per_second": null}));
    assert_eq!(std::fs::metadata(saved).unwrap().permissions().mode() & 0o777, 0o600);

    let same = server
        .ok("update_realtime_config", json!({"project_id": PROJECT, "confirm": true, "config": {"private_only": true}}))
        .await;
    assert_eq!(same["changes"], json!([]));
    assert_eq!(same["previous_saved_to"], Value::Null);
    server.stop().await;

    let env = [("SUPABASE_URL", "http://localhost:8000"), ("SUPABASE_SERVICE_ROLE_KEY", "eyJ.x.y")];
    let mut env: Vec<(&str, String)> = env.iter().map(|(k, v)| (*k, (*v).to_owned())).collect();
    env.extend(management.env());
    let env: Vec<(&str, &str)> = env.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let server = mcp_client::start_with_env(&["--features", "realtime", "--database-url", &url], &env).await;
    let self_hosted = server.err("get_realtime_config", json!({})).await;
    assert!(self_hosted.contains("_realtime.tenants"), "no tenant table: the cloud failure says where: {self_hosted}");

    // The tenant row self-hosted Realtime seeds, read without its secrets.
    db.admin()
        .await
        .batch_execute(
            "create table _realtime.tenants (id uuid primary key default gen_random_uuid(), name text, \
               external_id text unique, jwt_secret text, jwt_jwks jsonb, max_concurrent_users int, \
               max_events_per_second int, suspend boolean, private_only boolean);
             insert into _realtime.tenants (name, external_id, jwt_secret, max_concurrent_users, \
               max_events_per_second, suspend, private_only) \
               values ('realtime-dev', 'realtime-dev', 'encrypted-jwt-secret-value', 200, 100, false, false);",
        )
        .await
        .unwrap();
    let call = server.call("get_realtime_config", json!({})).await;
    assert!(!mcp_client::text(&call).contains("encrypted-jwt-secret-value"));
    assert!(mcp_client::text(&call).contains("<untrusted-data-"), "rows from the database are fenced");
    let tenants = call.structured_content.unwrap();
    let tenant = &tenants["tenants"][0];
    assert_eq!(tenant["external_id"], "realtime-dev", "{tenants}");
    assert_eq!(tenant["max_concurrent_users"], 200);
    assert!(tenant.get("jwt_secret").is_none() && tenant.get("jwt_jwks").is_none(), "{tenant}");
    assert!(tenants["note"].as_str().unwrap().contains("self-hosted"));
}
