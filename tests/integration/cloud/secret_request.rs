//! create_edge_function_secret as the official server has it: the user types the value into the dashboard
//! (URL-mode elicitation), the value never reaches the agent or supamcp, and the secrets list's `updated_at`
//! says whether it was stored. The client here plays the user: it opens the page by storing the secret on the
//! fake Management API itself, as the dashboard would, or declines, or confirms without storing.

use crate::management_fake::{Fake, PROJECT, TOKEN};
use crate::mcp_client;
use rmcp::model::{CallToolRequestParams, ClientCapabilities, ClientConfig, ElicitRequestParams, ElicitResult};
use rmcp::model::{CallToolResult, ElicitationAction, ElicitationCapability, UrlElicitationCapability};
use rmcp::service::{RequestContext, RunningService};
use rmcp::transport::TokioChildProcess;
use rmcp::{ClientHandler, ErrorData as McpError, RoleClient, ServiceExt};
use serde_json::{Value, json};
use std::sync::{Arc, Mutex};

const VALUE: &str = "sk_live_typed_in_the_dashboard_only";

#[derive(Clone, Copy, PartialEq)]
enum User {
    Stores,
    ConfirmsWithoutStoring,
    Declines,
}

/// A client that declares URL elicitation and answers as `user` would.
#[derive(Clone)]
struct Dashboard {
    api: String,
    user: Arc<Mutex<User>>,
    opened: Arc<Mutex<Vec<String>>>,
}

impl ClientHandler for Dashboard {
    fn get_info(&self) -> ClientConfig {
        let mut info = ClientConfig::default();
        let mut capabilities = ClientCapabilities::default();
        capabilities.elicitation = Some(ElicitationCapability::new().with_url(UrlElicitationCapability::new()));
        info.capabilities = capabilities;
        info
    }

    async fn create_elicitation(
        &self,
        request: ElicitRequestParams,
        _context: RequestContext<RoleClient>,
    ) -> Result<ElicitResult, McpError> {
        let ElicitRequestParams::UrlElicitationParams { url, .. } = request else {
            return Ok(ElicitResult::new(ElicitationAction::Decline));
        };
        self.opened.lock().unwrap().push(url);
        let user = *self.user.lock().unwrap();
        if user == User::Stores {
            reqwest::Client::new()
                .post(format!("{}/v1/projects/{PROJECT}/secrets", self.api))
                .bearer_auth(TOKEN)
                .json(&json!([{ "name": "STRIPE_KEY", "value": VALUE }]))
                .send()
                .await
                .unwrap()
                .error_for_status()
                .unwrap();
        }
        Ok(ElicitResult::new(if user == User::Declines {
            ElicitationAction::Decline
        } else {
            ElicitationAction::Accept
        }))
    }
}

async fn call(client: &RunningService<RoleClient, Dashboard>, arguments: Value) -> CallToolResult {
    let arguments = arguments.as_object().cloned().unwrap();
    client.call_tool(CallToolRequestParams::new("create_edge_function_secret").with_arguments(arguments)).await.unwrap()
}

#[tokio::test]
async fn the_value_is_typed_into_the_dashboard_and_the_list_confirms_it() {
    let fake = Fake::start().await;
    let data_dir = tempfile::tempdir().unwrap();
    let mut command = mcp_client::command(&["--features", "functions"], data_dir.path());
    for (key, value) in fake.env() {
        command.env(key, value);
    }
    let dashboard =
        Dashboard { api: fake.url.clone(), user: Arc::new(Mutex::new(User::Stores)), opened: Arc::default() };
    let client = dashboard.clone().serve(TokioChildProcess::new(command).unwrap()).await.unwrap();
    let page = format!("https://supabase.com/dashboard/project/{PROJECT}/functions/secrets");

    let stored = call(&client, json!({ "project_id": PROJECT, "name": "STRIPE_KEY" })).await;
    let reply = stored.structured_content.clone().unwrap();
    assert_eq!((reply["stored"].clone(), reply["status"].clone()), (json!(true), json!("stored")), "{reply}");
    assert_eq!(reply["url"], page);
    assert_eq!(dashboard.opened.lock().unwrap().clone(), vec![page.clone()]);
    assert_eq!(fake.state().secrets[PROJECT]["STRIPE_KEY"], VALUE);
    assert!(!format!("{stored:?}").contains(VALUE), "the value never passes through supamcp");

    // Updated moments ago: reported as stored without asking again, unless replace asks.
    let recent = call(&client, json!({ "project_id": PROJECT, "name": "STRIPE_KEY" })).await;
    let reply = recent.structured_content.clone().unwrap();
    assert_eq!(reply["status"], "recently_stored", "{reply}");
    assert!(reply["updated_seconds_ago"].as_i64().unwrap() <= 5);
    assert_eq!(dashboard.opened.lock().unwrap().len(), 1, "not asked again");

    *dashboard.user.lock().unwrap() = User::Declines;
    let declined = call(&client, json!({ "project_id": PROJECT, "name": "STRIPE_KEY", "replace": true })).await;
    let reply = declined.structured_content.clone().unwrap();
    assert_eq!((reply["stored"].clone(), reply["status"].clone()), (json!(false), json!("declined")), "{reply}");

    *dashboard.user.lock().unwrap() = User::ConfirmsWithoutStoring;
    let unseen = call(&client, json!({ "project_id": PROJECT, "name": "OTHER_KEY" })).await;
    let reply = unseen.structured_content.clone().unwrap();
    assert_eq!((reply["stored"].clone(), reply["status"].clone()), (json!(false), json!("not_seen")), "{reply}");
    assert_eq!(dashboard.opened.lock().unwrap().len(), 3);

    let reserved = call(&client, json!({ "project_id": PROJECT, "name": "SUPABASE_URL" })).await;
    assert_eq!(reserved.is_error, Some(true));
    assert!(mcp_client::text(&reserved).contains("reserved"));
    let _ = client.cancel().await;
}

#[tokio::test]
async fn a_client_that_cannot_open_a_page_gets_the_link_and_an_error() {
    let fake = Fake::start().await;
    let env = fake.env();
    let env: Vec<(&str, &str)> = env.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let server = mcp_client::start_with_env(&["--features", "functions"], &env).await;
    let result =
        server.call("create_edge_function_secret", json!({ "project_id": PROJECT, "name": "STRIPE_KEY" })).await;
    assert_eq!(result.is_error, Some(true));
    let reply = result.structured_content.clone().unwrap();
    assert_eq!(reply["status"], "unsupported_client");
    assert!(reply["message"].as_str().unwrap().contains("/functions/secrets"), "{reply}");
    assert!(fake.state().secrets.get(PROJECT).is_none_or(|s| s.is_empty()), "nothing stored");
    server.stop().await;
}
