//! Prompts and completion through the real binary over stdio: the workflow prompts are listed with their
//! arguments and render with them, bad requests get -32602 naming what is wrong, and completion offers the
//! configured instances and the schemas and tables of the real sample database.

use crate::{mcp_client, support};
use rmcp::model::{CompletionContext, GetPromptRequestParams};
use serde_json::json;
use std::collections::HashMap;

#[tokio::test]
async fn workflow_prompts_render_and_arguments_complete() {
    let db = support::fresh_sample_database("prompts").await;
    let server = mcp_client::start(&["--database-url", &db.url()]).await;
    let client = &server.client;
    let capabilities = client.peer_info().unwrap().capabilities.clone();
    assert!(capabilities.prompts.is_some() && capabilities.completions.is_some());

    let prompts = client.list_all_prompts().await.unwrap();
    let names: Vec<&str> = prompts.iter().map(|p| p.name.as_str()).collect();
    for wanted in ["diagnose_self_hosted", "add_table_with_rls", "ship_migration", "backup_and_verify"] {
        assert!(names.contains(&wanted), "{names:?}");
    }
    let add_table = prompts.iter().find(|p| p.name == "add_table_with_rls").unwrap();
    let table_argument = add_table.arguments.as_ref().unwrap().iter().find(|a| a.name == "table").unwrap();
    assert_eq!(table_argument.required, Some(true));

    let arguments = json!({"table": "invoices", "schema": "billing"}).as_object().cloned().unwrap();
    let rendered =
        client.get_prompt(GetPromptRequestParams::new("add_table_with_rls").with_arguments(arguments)).await.unwrap();
    let text = serde_json::to_value(&rendered.messages[0]).unwrap()["content"]["text"].as_str().unwrap().to_owned();
    assert!(text.contains("billing.invoices") && text.contains("enable row level security"), "{text}");

    let missing = client.get_prompt(GetPromptRequestParams::new("add_table_with_rls")).await.unwrap_err().to_string();
    assert!(missing.contains("'table' is required"), "{missing}");
    let unknown = client.get_prompt(GetPromptRequestParams::new("deploy_everything")).await.unwrap_err().to_string();
    assert!(unknown.contains("no prompt named 'deploy_everything'"), "{unknown}");

    let instances = client.complete_prompt_simple("ship_migration", "source", "").await.unwrap();
    assert!(instances.is_empty(), "source is free text here: {instances:?}");
    let instances = client.complete_prompt_simple("backup_and_verify", "instance", "").await.unwrap();
    assert_eq!(instances, vec!["default"]);

    let schemas = client.complete_prompt_simple("add_table_with_rls", "schema", "pu").await.unwrap();
    assert_eq!(schemas, vec!["public"]);
    let context = CompletionContext::with_arguments(HashMap::from([("schema".to_owned(), "public".to_owned())]));
    let tables = client.complete_prompt_argument("add_table_with_rls", "table", "to", Some(context)).await.unwrap();
    assert_eq!(tables.values, vec!["todos"]);

    let bad = client.complete_prompt_simple("add_table_with_rls", "colour", "").await.unwrap_err().to_string();
    assert!(bad.contains("no argument 'colour'"), "{bad}");
    server.stop().await;
}
