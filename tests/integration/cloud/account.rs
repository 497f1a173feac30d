//! Account tools with the official names and parameters: organizations, projects, the local cost rule and
//! its confirmation hash, create_project refused without the matching confirm_cost_id and then waiting for
//! ACTIVE_HEALTHY with progress, pause (confirm) and restore, health, network security, backups, and the API's
//! refusals.

#![allow(clippy::expect_used, clippy::unwrap_used, clippy::panic)]

use super::setup;
use crate::management_fake::{FREE_PROJECT, PROJECT, TOKEN};
use crate::surface::raw::Raw;
use serde_json::json;

#[tokio::test]
async fn organizations_and_projects_read_with_official_parameters() {
    let (_fake, server) = setup(&[]).await;
    let orgs = server.ok("list_organizations", json!({})).await;
    let ids: Vec<&str> = orgs["organizations"].as_array().unwrap().iter().map(|o| o["id"].as_str().unwrap()).collect();
    assert_eq!(ids, ["acme-paid", "hobby-free"]);
    let org = server.ok("get_organization", json!({ "id": "acme-paid" })).await;
    assert_eq!(org["plan"], "pro");
    let projects = server.ok("list_projects", json!({})).await;
    assert_eq!(projects["projects"].as_array().unwrap().len(), 2);
    let project = server.ok("get_project", json!({ "id": PROJECT })).await;
    assert_eq!(
        (project["status"].as_str(), project["organization_id"].as_str()),
        (Some("ACTIVE_HEALTHY"), Some("acme-paid"))
    );

    let missing = server.err("get_project", json!({ "id": "nosuchprojectaaaaaaa" })).await;
    assert!(
        missing.contains("Project not found") && missing.contains("HTTP 404") && missing.contains("list_projects"),
        "{missing}"
    );
    let forbidden = server.err("get_organization", json!({ "id": "forbidden-org" })).await;
    assert!(forbidden.contains("HTTP 403") && forbidden.contains("organisation"), "{forbidden}");
    server.stop().await;
}

#[tokio::test]
async fn costs_follow_the_official_rule_and_hash() {
    let (_fake, server) = setup(&[]).await;
    let paid = server.ok("get_cost", json!({ "type": "project", "organization_id": "acme-paid" })).await;
    assert_eq!(paid["cost"], json!({ "type": "project", "recurrence": "monthly", "amount": 10.0 }));
    assert!(paid["message"].as_str().unwrap().contains("$10 monthly"), "{paid}");
    let free = server.ok("get_cost", json!({ "type": "project", "organization_id": "hobby-free" })).await;
    assert_eq!(free["cost"]["amount"], 0.0);
    let branch = server.ok("get_cost", json!({ "type": "branch", "organization_id": "acme-paid" })).await;
    assert_eq!(branch["cost"], json!({ "type": "branch", "recurrence": "hourly", "amount": 0.01344 }));

    // The official server's id: base64(SHA-256('{"type":"project","recurrence":"monthly","amount":10}')).
    use base64::Engine;
    use sha2::Digest;
    let expected = base64::engine::general_purpose::STANDARD
        .encode(sha2::Sha256::digest(br#"{"type":"project","recurrence":"monthly","amount":10}"#));
    let confirmed =
        server.ok("confirm_cost", json!({ "type": "project", "recurrence": "monthly", "amount": 10 })).await;
    assert_eq!(confirmed["confirmation_id"], expected);
    server.stop().await;
}

#[tokio::test]
async fn create_project_needs_the_confirmed_cost_and_waits_until_healthy() {
    let fake = crate::management_fake::Fake::start().await;
    let mut raw = Raw::spawn(&["--features", "cloud", "--access-token", TOKEN, "--api-url", &fake.url]);
    raw.initialize("2025-06-18").await;
    let create = |confirm: &str| json!({ "name": "shop", "region": "eu-west-2", "organization_id": "acme-paid", "confirm_cost_id": confirm });
    let (free_id, _) =
        raw.call(1, "confirm_cost", json!({ "type": "project", "recurrence": "monthly", "amount": 0 }), None).await;
    let free_id = free_id["result"]["structuredContent"]["confirmation_id"].as_str().unwrap().to_owned();
    let (refused, _) = raw.call(2, "create_project", create(&free_id), None).await;
    assert_eq!(refused["result"]["isError"], true, "a free-cost confirmation does not cover a $10 project: {refused}");
    assert!(refused["result"]["content"][0]["text"].as_str().unwrap().contains("get_cost"), "{refused}");
    assert_eq!(fake.count("POST", "/v1/projects"), 0, "nothing created");

    let (paid_id, _) =
        raw.call(3, "confirm_cost", json!({ "type": "project", "recurrence": "monthly", "amount": 10 }), None).await;
    let paid_id = paid_id["result"]["structuredContent"]["confirmation_id"].as_str().unwrap().to_owned();
    let (reply, before) = raw.call(4, "create_project", create(&paid_id), Some(json!({ "progressToken": "p" }))).await;
    let created = &reply["result"]["structuredContent"];
    assert_eq!(created["ready"], true, "{reply}");
    assert_eq!(created["project"]["status"], "ACTIVE_HEALTHY");
    assert_eq!(created["project"]["region"], "eu-west-2");
    let messages: Vec<&str> = before
        .iter()
        .filter(|n| n["method"] == "notifications/progress")
        .map(|n| n["params"]["message"].as_str().unwrap())
        .collect();
    assert!(messages.first().is_some_and(|m| m.contains("COMING_UP")), "{messages:?}");
    assert!(messages.last().is_some_and(|m| m.contains("ACTIVE_HEALTHY")), "{messages:?}");
    let body = fake.state().bodies.last().cloned().unwrap();
    assert_eq!((body["organization_slug"].as_str(), body["region"].as_str()), (Some("acme-paid"), Some("eu-west-2")));
    let password = body["db_pass"].as_str().unwrap().to_owned();
    assert!(password.len() >= 32 && !reply.to_string().contains(&password), "the generated password is not echoed");
}

#[tokio::test]
async fn pause_restore_health_backups_and_point_in_time_recovery() {
    let (fake, server) = setup(&[]).await;
    let unconfirmed = server.err("pause_project", json!({ "project_id": FREE_PROJECT })).await;
    assert!(unconfirmed.contains("confirm: true"), "{unconfirmed}");
    let paused = server.ok("pause_project", json!({ "project_id": FREE_PROJECT, "confirm": true })).await;
    assert_eq!(paused["project"]["status"], "INACTIVE");
    let health =
        server.ok("get_project_health", json!({ "project_id": FREE_PROJECT, "services": ["db", "auth"] })).await;
    assert_eq!(health["healthy"], false);
    assert_eq!(health["services"].as_array().unwrap().len(), 2);
    let restored = server.ok("restore_project", json!({ "project_id": FREE_PROJECT })).await;
    assert_eq!(restored["project"]["status"], "RESTORING");
    let again = server.err("restore_project", json!({ "project_id": FREE_PROJECT })).await;
    assert!(again.contains("not INACTIVE") && again.contains("HTTP 400"), "{again}");
    let health = server.ok("get_project_health", json!({ "project_id": PROJECT })).await;
    assert_eq!(health["healthy"], true);
    assert_eq!(health["services"].as_array().unwrap().len(), 7, "every service by default");
    let network = server.ok("get_network_security", json!({ "project_id": PROJECT })).await;
    assert_eq!(network["network_restrictions"]["config"]["dbAllowedCidrs"], json!(["10.0.0.0/8"]));
    assert_eq!(network["ssl_enforcement"]["currentConfig"]["database"], true);
    let backups = server.ok("list_database_backups", json!({ "project_id": PROJECT })).await;
    assert_eq!(backups["backups"][0]["status"], "COMPLETED");
    assert_eq!(backups["pitr_enabled"], true);

    // Point-in-time recovery: confirm first, the target checked against the window before anything is sent.
    let restore =
        |time: &str, confirm: bool| json!({ "project_id": PROJECT, "recovery_time": time, "confirm": confirm });
    let unconfirmed = server.err("restore_database_to_time", restore("2026-06-01T12:00:00Z", false)).await;
    assert!(unconfirmed.contains("confirm"), "{unconfirmed}");
    let outside = server.err("restore_database_to_time", restore("2025-06-01T12:00:00Z", true)).await;
    assert!(outside.contains("outside the recovery window") && outside.contains("2026-01-01"), "{outside}");
    let garbled = server.err("restore_database_to_time", restore("last tuesday", true)).await;
    assert!(garbled.contains("ISO 8601"), "{garbled}");
    let path = format!("/v1/projects/{PROJECT}/database/backups/restore-pitr");
    assert_eq!(fake.count("POST", &path), 0, "nothing sent for a refused call");
    let restored = server.ok("restore_database_to_time", restore("2026-06-01T12:00:00Z", true)).await;
    assert_eq!(
        (restored["ready"].clone(), restored["project"]["status"].clone()),
        (json!(true), json!("ACTIVE_HEALTHY"))
    );
    assert_eq!(restored["recovery_time_target_unix"], 1_780_315_200);
    assert_eq!(fake.state().bodies.last().unwrap()["recovery_time_target_unix"], 1_780_315_200);
    assert!(restored["note"].as_str().unwrap().contains("every change after"), "{restored}");
    let free = server
        .err(
            "restore_database_to_time",
            json!({ "project_id": FREE_PROJECT, "recovery_time": "2026-06-01T12:00:00Z", "confirm": true }),
        )
        .await;
    assert!(free.contains("not enabled"), "{free}");
    server.stop().await;
}
