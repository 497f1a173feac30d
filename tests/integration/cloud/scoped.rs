//! `--project-ref` as the official server reads it: the account tools are gone, no input schema has a
//! project_id (it is injected), another project is refused, and create_branch can still be cost-confirmed
//! there (the official server's #285). `--read-only`: only readers listed, writers refused when called.

#![allow(clippy::expect_used, clippy::unwrap_used, clippy::panic)]

use super::{setup, start};
use crate::management_fake::{Fake, PROJECT};
use serde_json::json;

#[tokio::test]
async fn project_scoped_mode_hides_and_injects_project_id() {
    let (fake, server) = setup(&["--project-ref", PROJECT]).await;
    let tools = server.client.list_all_tools().await.unwrap();
    let names: Vec<&str> = tools.iter().map(|t| t.name.as_ref()).collect();
    for account in [
        "list_organizations",
        "get_organization",
        "list_projects",
        "get_project",
        "create_project",
        "pause_project",
        "restore_project",
    ] {
        assert!(!names.contains(&account), "{account} is an account tool: {names:?}");
    }
    for kept in ["get_cost", "confirm_cost", "create_branch", "list_branches", "get_logs", "get_project_health"] {
        assert!(names.contains(&kept), "{kept}: {names:?}");
    }
    for tool in &tools {
        let schema = serde_json::Value::Object((*tool.input_schema).clone());
        assert!(schema["properties"].get("project_id").is_none(), "{}: {schema}", tool.name);
        assert!(!schema.to_string().contains("\"project_id\""), "{}: {schema}", tool.name);
    }

    let listed = server.ok("list_branches", json!({})).await;
    assert_eq!(listed["branches"], json!([]));
    assert_eq!(fake.count("GET", &format!("/v1/projects/{PROJECT}/branches")), 1, "the ref was injected");
    let other = server.err("list_branches", json!({ "project_id": "otherprojectaaaaaaaa" })).await;
    assert!(other.contains("scoped to project") && other.contains(PROJECT), "{other}");
    let account = server.err("list_projects", json!({})).await;
    assert!(account.contains("--project-ref"), "{account}");
    let project_cost = server.err("get_cost", json!({ "type": "project", "organization_id": "acme-paid" })).await;
    assert!(project_cost.contains("type branch"), "{project_cost}");

    let cost = server.ok("get_cost", json!({ "type": "branch", "organization_id": "acme-paid" })).await;
    let confirmed = server.ok("confirm_cost", cost["cost"].clone()).await;
    let branch =
        server.ok("create_branch", json!({ "name": "feature", "confirm_cost_id": confirmed["confirmation_id"] })).await;
    assert_eq!((branch["name"].as_str(), branch["parent_project_ref"].as_str()), (Some("feature"), Some(PROJECT)));
    let health = server.ok("get_project_health", json!({ "services": ["db"] })).await;
    assert_eq!(health["project_id"], PROJECT);
    server.stop().await;
}

#[tokio::test]
async fn read_only_mode_lists_only_readers_and_refuses_writers() {
    let fake = Fake::start().await;
    let server = start(&fake, &["--read-only"]).await;
    let tools = server.client.list_all_tools().await.unwrap();
    let names: Vec<&str> = tools.iter().map(|t| t.name.as_ref()).collect();
    for writer in [
        "create_project",
        "pause_project",
        "restore_project",
        "create_branch",
        "delete_branch",
        "merge_branch",
        "reset_branch",
        "rebase_branch",
    ] {
        assert!(!names.contains(&writer), "{writer} listed in read-only mode: {names:?}");
        let refused = server.err(writer, json!({})).await;
        assert!(refused.contains("read-only mode"), "{writer}: {refused}");
    }
    for reader in [
        "list_projects",
        "get_cost",
        "confirm_cost",
        "list_branches",
        "get_branch_diff",
        "get_logs",
        "list_database_backups",
    ] {
        assert!(names.contains(&reader), "{reader}: {names:?}");
    }
    assert!(fake.state().requests.is_empty(), "no writer reached the API");
    server.stop().await;
}
