//! Faults and secrets: a 429 is retried after its Retry-After (and one asking for too long a wait fails at
//! once, saying when to retry); a wrong token gets the fix; with trace logs the token never reaches stderr, a
//! reply, the tool list or the audit log.

#![allow(clippy::expect_used, clippy::unwrap_used, clippy::panic)]

use super::setup;
use crate::management_fake::{Fake, PROJECT, TOKEN};
use rmcp::model::CallToolRequestParams;
use serde_json::json;

#[tokio::test]
async fn rate_limits_are_waited_out_then_reported() {
    let (fake, server) = setup(&[]).await;
    fake.state().rate_limit_next = 2;
    let projects = server.ok("list_projects", json!({})).await;
    assert_eq!(projects["projects"].as_array().unwrap().len(), 2);
    assert_eq!(fake.count("GET", "/v1/projects"), 1, "two 429s, then the request went through");
    {
        let mut state = fake.state();
        state.rate_limit_next = 10;
        state.retry_after_seconds = 120;
    }
    let limited = server.err("list_projects", json!({})).await;
    assert!(limited.contains("HTTP 429") && limited.contains("retry in 120 s"), "{limited}");
    server.stop().await;

    let mut env = fake.env();
    env[0].1 = "sbp_wrong_token_0000000000000000000000000".to_owned();
    let env: Vec<(&str, &str)> = env.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let server = crate::mcp_client::start_with_env(&["--features", "cloud"], &env).await;
    let refused = server.err("list_organizations", json!({})).await;
    assert!(refused.contains("HTTP 401") && refused.contains("SUPABASE_ACCESS_TOKEN"), "{refused}");
    assert!(!refused.contains("sbp_wrong_token"), "{refused}");
    server.stop().await;
}

#[tokio::test]
async fn the_access_token_never_leaves_the_process() {
    let fake = Fake::start().await;
    let data_dir = tempfile::tempdir().unwrap();
    let mut command = crate::mcp_client::command(&["--features", "cloud", "--access-token", TOKEN], data_dir.path());
    command
        .env("SUPAMCP_LOG", "trace,reqwest=trace,hyper=trace,hyper_util=trace,rmcp=trace")
        .env("SUPAMCP_MANAGEMENT_API_URL", &fake.url);
    let (client, log_reader) = crate::mcp_client::serve_capturing_logs(command).await;
    let mut outputs = serde_json::to_string(&client.list_all_tools().await.unwrap()).unwrap();
    let cost = json!({ "type": "branch", "recurrence": "hourly", "amount": 0.01344 });
    let calls = [
        ("list_organizations", json!({})),
        ("get_project", json!({ "id": PROJECT })),
        ("get_project", json!({ "id": "missingprojectaaaaaa" })),
        ("pause_project", json!({ "project_id": PROJECT, "confirm": true })),
        ("restore_project", json!({ "project_id": PROJECT })),
        ("confirm_cost", cost),
        ("create_branch", json!({ "project_id": PROJECT, "confirm_cost_id": "wrong" })),
        ("get_logs", json!({ "project_id": PROJECT, "service": "auth" })),
    ];
    for (tool, arguments) in calls {
        let result = client
            .call_tool(CallToolRequestParams::new(tool).with_arguments(arguments.as_object().cloned().unwrap()))
            .await
            .unwrap_or_else(|e| panic!("{tool}: {e}"));
        outputs.push_str(&serde_json::to_string(&result).unwrap());
    }
    let _ = client.cancel().await;
    let logs = log_reader.await.unwrap();
    let audit = std::fs::read_to_string(data_dir.path().join("audit.jsonl")).unwrap();
    assert!(audit.contains("pause_project") && audit.contains("create_branch"), "writers are audited: {audit}");
    assert!(!logs.is_empty(), "trace logs were captured");
    for (place, text) in [("replies", &outputs), ("stderr", &logs), ("audit log", &audit)] {
        assert!(!text.contains(TOKEN), "the access token is in the {place}");
        assert!(!text.contains(&TOKEN[8..24]), "part of the access token is in the {place}");
    }
}
