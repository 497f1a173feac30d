//! execute_sql asks before it destroys data, like every other destructive tool: without `confirm: true` a
//! DROP, TRUNCATE or unqualified DELETE is refused and nothing changes; a client that declares elicitation is
//! asked instead, and the answer decides.

use crate::{mcp_client, support};
use rmcp::model::{
    CallToolRequestParams, ClientCapabilities, ClientConfig, ElicitRequestParams, ElicitResult, ElicitationAction,
};
use rmcp::service::RequestContext;
use rmcp::transport::TokioChildProcess;
use rmcp::{ClientHandler, ErrorData as McpError, RoleClient, ServiceExt};
use serde_json::json;
use std::sync::{Arc, Mutex};

async fn count(client: &tokio_postgres::Client) -> i64 {
    client.query_one("select count(*) from public.todos", &[]).await.expect("count").get(0)
}

#[tokio::test]
async fn destructive_sql_needs_confirm() {
    let db = support::fresh_sample_database("confirm_flag").await;
    let admin = db.admin().await;
    let rows = count(&admin).await;
    let server = mcp_client::start(&["--database-url", &db.url()]).await;
    for sql in ["delete from public.todos", "select 1; truncate public.todos", "drop table public.todos cascade"] {
        let error = server.err("execute_sql", json!({ "sql": sql })).await;
        assert!(error.contains("destroys data and needs confirmation") && error.contains("confirm: true"), "{error}");
    }
    assert_eq!(count(&admin).await, rows, "refused SQL changed the data");
    server.ok("execute_sql", json!({"sql": "delete from public.todos where id = -1"})).await;
    server.ok("execute_sql", json!({"sql": "delete from public.todos", "confirm": true})).await;
    assert_eq!(count(&admin).await, 0);
    server.stop().await;
}

/// A client that declares form elicitation and answers every question with `answer` (None: declines).
#[derive(Clone)]
struct Answering {
    answer: Option<bool>,
    asked: Arc<Mutex<Vec<String>>>,
}

impl ClientHandler for Answering {
    fn get_info(&self) -> ClientConfig {
        let mut info = ClientConfig::default();
        info.capabilities = ClientCapabilities::builder().enable_elicitation().build();
        info
    }

    async fn create_elicitation(
        &self,
        request: ElicitRequestParams,
        _context: RequestContext<RoleClient>,
    ) -> Result<ElicitResult, McpError> {
        if let ElicitRequestParams::FormElicitationParams { message, .. } = request {
            self.asked.lock().expect("lock").push(message);
        }
        let mut result = ElicitResult::new(ElicitationAction::Decline);
        if let Some(answer) = self.answer {
            result = ElicitResult::new(ElicitationAction::Accept);
            result.content = Some(json!({ "confirm": answer }));
        }
        Ok(result)
    }
}

async fn ask_with(db: &support::TestDb, answer: Option<bool>) -> (bool, Vec<String>) {
    let data_dir = tempfile::tempdir().expect("data dir");
    let mut command = tokio::process::Command::new(env!("CARGO_BIN_EXE_supamcp"));
    command.args(["--database-url", &db.url(), "--data-dir"]).arg(data_dir.path()).env("SUPAMCP_LOG", "warn");
    let transport = TokioChildProcess::new(command).expect("spawn");
    let handler = Answering { answer, asked: Arc::default() };
    let client = handler.clone().serve(transport).await.expect("handshake");
    let arguments = json!({"sql": "delete from public.todos"}).as_object().cloned();
    let result = client
        .call_tool(CallToolRequestParams::new("execute_sql").with_arguments(arguments.unwrap_or_default()))
        .await
        .expect("call");
    let _ = client.cancel().await;
    let asked = handler.asked.lock().expect("lock").clone();
    (result.is_error != Some(true), asked)
}

#[tokio::test]
async fn clients_with_elicitation_are_asked() {
    let db = support::fresh_sample_database("confirm_elicit").await;
    let admin = db.admin().await;
    let rows = count(&admin).await;
    for answer in [None, Some(false)] {
        let (ran, asked) = ask_with(&db, answer).await;
        assert!(!ran, "ran although the user answered {answer:?}");
        assert_eq!(asked.len(), 1);
        assert!(asked[0].contains("DELETE without WHERE on public.todos"), "{asked:?}");
        assert_eq!(count(&admin).await, rows);
    }
    let (ran, _) = ask_with(&db, Some(true)).await;
    assert!(ran);
    assert_eq!(count(&admin).await, 0);
}
