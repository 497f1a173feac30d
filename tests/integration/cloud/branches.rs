//! Branches with the official names: none listed where branching is off (422), create_branch only with the
//! confirmed branch cost and settled before the reply, merge/reset/rebase following their workflow run (a
//! failing run reported with its log), the branch diff fenced, delete with confirm. Also the client's
//! `database_query` on the fake's real PostgreSQL.

#![allow(clippy::expect_used, clippy::unwrap_used, clippy::panic)]

use super::setup;
use crate::management_fake::{FREE_PROJECT, Fake, PROJECT, TOKEN};
use crate::support;
use serde_json::json;
use supamcp::secret::Secret;
use supamcp::supabase::management::ManagementApi;

#[tokio::test]
async fn a_branch_lives_through_create_merge_rebase_reset_and_delete() {
    let (fake, server) = setup(&[]).await;
    let off = server.ok("list_branches", json!({ "project_id": FREE_PROJECT })).await;
    assert_eq!(off["branches"], json!([]), "branching off (422) lists none");

    let unconfirmed = server.err("create_branch", json!({ "project_id": PROJECT, "confirm_cost_id": "nope" })).await;
    assert!(unconfirmed.contains("not confirmed") && unconfirmed.contains("confirm_cost"), "{unconfirmed}");
    assert_eq!(fake.count("POST", &format!("/v1/projects/{PROJECT}/branches")), 0);
    let cost = server.ok("get_cost", json!({ "type": "branch", "organization_id": "acme-paid" })).await;
    let confirmed = server.ok("confirm_cost", cost["cost"].clone()).await;
    let id = confirmed["confirmation_id"].clone();
    let branch = server.ok("create_branch", json!({ "project_id": PROJECT, "confirm_cost_id": id })).await;
    assert_eq!(branch["name"], "develop", "the official default name");
    assert_eq!(branch["status"], "MIGRATIONS_PASSED", "settled before the reply: {branch}");
    let branch_id = branch["id"].as_str().unwrap().to_owned();
    let listed = server.ok("list_branches", json!({ "project_id": PROJECT })).await;
    assert_eq!(listed["branches"][0]["id"], branch_id.as_str());

    let diff = server.call("get_branch_diff", json!({ "branch_id": branch_id, "schemas": ["public", "api"] })).await;
    let structured = diff.structured_content.clone().unwrap();
    assert!(structured["diff"].as_str().unwrap().contains("CREATE TABLE public.todos"), "{structured}");
    assert!(structured["diff"].as_str().unwrap().contains("public,api"), "{structured}");
    assert!(crate::mcp_client::text(&diff).contains("untrusted-data-"), "the diff is fenced");

    let unconfirmed = server.err("merge_branch", json!({ "branch_id": branch_id })).await;
    assert!(unconfirmed.contains("confirm: true"), "{unconfirmed}");
    let merged = server.ok("merge_branch", json!({ "branch_id": branch_id, "confirm": true })).await;
    assert_eq!(merged["state"], "done", "{merged}");
    assert!(merged["steps"].as_array().unwrap().iter().all(|s| s["status"] == "EXITED"), "{merged}");
    assert!(merged["workflow_run_id"].as_str().unwrap().starts_with("run_"));

    fake.state().fail_next_run = true;
    let failed = server.err("rebase_branch", json!({ "branch_id": branch_id, "confirm": true })).await;
    assert!(failed.contains("step 'migrate'") && failed.contains("relation \"todos\" already exists"), "{failed}");
    assert!(!failed.contains("branch-db-password-secret"), "the branch credentials are never read into replies");

    let reset = server
        .ok("reset_branch", json!({ "branch_id": branch_id, "migration_version": "20260101000000", "confirm": true }))
        .await;
    assert_eq!(reset["action"], "reset");
    assert_eq!(fake.state().bodies.last().unwrap()["migration_version"], "20260101000000");

    let deleted = server.ok("delete_branch", json!({ "branch_id": branch_id, "confirm": true })).await;
    assert_eq!(deleted["deleted"], true);
    let gone = server.err("delete_branch", json!({ "branch_id": branch_id, "confirm": true })).await;
    assert!(gone.contains("Branch not found") && gone.contains("HTTP 404"), "{gone}");
    server.stop().await;
}

#[tokio::test]
async fn logs_are_read_by_service_in_a_bounded_window_and_fenced() {
    let (fake, server) = setup(&[]).await;
    let result = server.call("get_logs", json!({ "project_id": PROJECT, "service": "edge-function" })).await;
    assert_ne!(result.is_error, Some(true), "{}", crate::mcp_client::text(&result));
    let rows = result.structured_content.clone().unwrap();
    assert_eq!(rows["rows"].as_array().unwrap().len(), 3);
    assert!(rows["rows"][0]["event_message"].as_str().unwrap().starts_with("function_edge_logs event"));
    let text = crate::mcp_client::text(&result);
    assert!(text.contains("untrusted-data-"), "log rows are fenced: {text}");
    let query = fake.state().log_queries.last().cloned().unwrap();
    assert!(query["sql"].contains("source = 'function_edge_logs'") && query["sql"].contains("limit 100"), "{query:?}");
    let start = chrono::DateTime::parse_from_rfc3339(&query["iso_timestamp_start"]).unwrap();
    let end = chrono::DateTime::parse_from_rfc3339(&query["iso_timestamp_end"]).unwrap();
    assert_eq!(end - start, chrono::Duration::hours(24), "the default window");

    let wide = server
        .err("get_logs", json!({ "project_id": PROJECT, "service": "postgres", "iso_timestamp_start": "2026-01-01T00:00:00Z", "iso_timestamp_end": "2026-01-03T00:00:00Z" }))
        .await;
    assert!(wide.contains("too wide") && wide.contains("24 hours"), "{wide}");

    // query_logs: the caller's SQL and window go to the same endpoint as they are; the rows come back fenced.
    let sql = "select id, event_message from logs where source = 'postgres_logs' order by timestamp desc limit 2";
    let window = json!({ "project_id": PROJECT, "sql": sql,
                         "iso_timestamp_start": "2026-01-05T00:00:00Z", "iso_timestamp_end": "2026-01-05T06:00:00Z" });
    let queried = server.call("query_logs", window).await;
    assert_ne!(queried.is_error, Some(true), "{}", crate::mcp_client::text(&queried));
    assert!(crate::mcp_client::text(&queried).contains("untrusted-data-"));
    let reply = queried.structured_content.clone().unwrap();
    assert_eq!((reply["row_count"].clone(), reply["rows"][1]["id"].clone()), (json!(2), json!("postgres_logs-1")));
    assert!(reply.get("service").is_none(), "{reply}");
    let query = fake.state().log_queries.last().cloned().unwrap();
    assert_eq!(query["sql"], sql);
    assert_eq!(
        (query["iso_timestamp_start"].as_str(), query["iso_timestamp_end"].as_str()),
        ("2026-01-05T00:00:00.000Z", "2026-01-05T06:00:00.000Z")
    );
    // The endpoint's own error (200 with `error`) becomes a failure that says what to check.
    let bad = server.err("query_logs", json!({ "project_id": PROJECT, "sql": "drop table logs" })).await;
    assert!(bad.contains("Syntax error") && bad.contains("query the logs"), "{bad}");
    let empty = server.err("query_logs", json!({ "project_id": PROJECT, "sql": "  " })).await;
    assert!(empty.contains("needs a query"), "{empty}");

    // A large result spills to a file that read_result pages through; the reply keeps a bounded preview.
    {
        let mut state = fake.state();
        state.log_rows = 400;
        state.log_message_bytes = 2000;
    }
    let large = server.ok("query_logs", json!({ "project_id": PROJECT, "sql": "select * from logs" })).await;
    assert_eq!(large["row_count"], 400, "{}", large["spilled"]);
    let handle = large["spilled"]["handle"].as_str().unwrap().to_owned();
    assert!(large["rows"].as_array().unwrap().len() < 400);
    assert!(large.to_string().len() < 80 * 1024, "the preview is bounded: {}", large.to_string().len());
    let page = server.ok("read_result", json!({ "handle": handle, "offset": 390 })).await;
    assert_eq!(page["rows"].as_array().unwrap().len(), 10, "{page}");
    let service = server.ok("get_logs", json!({ "project_id": PROJECT, "service": "auth" })).await;
    assert_eq!(service["row_count"], 100, "get_logs asks for the newest 100: {}", service["row_count"]);
    assert!(service.get("spilled").is_none(), "100 rows of 2 kB stay under the spill threshold");
    server.stop().await;
}

#[tokio::test]
async fn database_query_returns_real_rows_and_read_only_refuses_writes() {
    let db = support::fresh_database("cloud_query").await;
    let fake = Fake::with_database(db.client().await).await;
    let api = ManagementApi::new(&fake.url, Some(&Secret::new(TOKEN))).unwrap();
    let rows =
        api.database_query(PROJECT, "select 41 + 1 as answer, current_database() as db", &[], true).await.unwrap();
    assert_eq!(rows, vec![json!({ "answer": 42, "db": db.name })]);
    api.database_query(PROJECT, "create table public.notes (id int); insert into public.notes values (7)", &[], false)
        .await
        .unwrap();
    let refused = api.database_query(PROJECT, "insert into public.notes values (8)", &[], true).await.unwrap_err();
    assert!(refused.why.contains("read-only transaction") && refused.why.contains("HTTP 400"), "{refused}");
    let rows = api.database_query(PROJECT, "select id from public.notes", &[], true).await.unwrap();
    assert_eq!(rows, vec![json!({ "id": 7 })]);
}
