//! Tool groups on demand, through the real binary over stdio with an rmcp client that counts
//! `notifications/tools/list_changed`: the default list is small, `enable_tool_group` lists a group's tools
//! and announces it, `disable_tool_group` takes them out again, a group that is not configured is refused
//! with its reason, a tool that is not listed can still be called by name, and `--features` fixes the set
//! (no toolset tools, no listChanged capability).

use crate::{mcp_client, support};
use rmcp::model::CallToolRequestParams;
use rmcp::service::{NotificationContext, RunningService};
use rmcp::transport::TokioChildProcess;
use rmcp::{ClientHandler, RoleClient, ServiceExt};
use serde_json::{Value, json};
use std::process::Stdio;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

/// A client that counts tool-list-changed notifications.
#[derive(Clone, Default)]
struct Counting(Arc<AtomicUsize>);

impl ClientHandler for Counting {
    async fn on_tool_list_changed(&self, _context: NotificationContext<RoleClient>) {
        self.0.fetch_add(1, Ordering::SeqCst);
    }
}

async fn start(args: &[&str], data_dir: &std::path::Path) -> (RunningService<RoleClient, Counting>, Counting) {
    let command = mcp_client::command(args, data_dir);
    let (transport, _) = TokioChildProcess::builder(command).stderr(Stdio::inherit()).spawn().expect("spawn supamcp");
    let counter = Counting::default();
    let client = counter.clone().serve(transport).await.expect("MCP handshake");
    (client, counter)
}

async fn names(client: &RunningService<RoleClient, Counting>) -> Vec<String> {
    client.list_all_tools().await.expect("tools/list").into_iter().map(|t| t.name.to_string()).collect()
}

async fn call(client: &RunningService<RoleClient, Counting>, tool: &str, arguments: Value) -> (bool, Value, String) {
    let request = CallToolRequestParams::new(tool.to_owned()).with_arguments(arguments.as_object().cloned().unwrap());
    let result = client.call_tool(request).await.expect("tools/call");
    let text = mcp_client::text(&result);
    (result.is_error != Some(true), result.structured_content.unwrap_or(Value::Null), text)
}

/// Waits (bounded) until `counter` reaches `at_least`: the notification travels apart from the reply.
async fn notified(counter: &Counting, at_least: usize) -> usize {
    for _ in 0..100 {
        if counter.0.load(Ordering::SeqCst) >= at_least {
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    counter.0.load(Ordering::SeqCst)
}

#[tokio::test]
async fn groups_are_enabled_on_demand_and_announced() {
    let db = support::fresh_database("toolsets").await;
    let data_dir = tempfile::tempdir().unwrap();
    let (client, counter) = start(&["--database-url", &db.url()], data_dir.path()).await;
    let capabilities = client.peer_info().unwrap().capabilities.clone();
    assert_eq!(capabilities.tools.and_then(|t| t.list_changed), Some(true));

    let listed = names(&client).await;
    assert!(listed.len() <= 25, "{listed:?}");
    assert!(listed.contains(&"execute_sql".to_owned()) && listed.contains(&"enable_tool_group".to_owned()));
    assert!(!listed.contains(&"create_backup".to_owned()), "{listed:?}");

    let (ok, groups, text) = call(&client, "list_tool_groups", json!({})).await;
    assert!(ok, "{text}");
    let backups = groups["groups"].as_array().unwrap().iter().find(|g| g["group"] == "backups").unwrap().clone();
    assert_eq!((backups["offered"].clone(), backups["listed"].clone()), (json!(true), json!(false)), "{backups}");
    let dokploy = groups["groups"].as_array().unwrap().iter().find(|g| g["group"] == "dokploy").unwrap().clone();
    assert!(dokploy["reason"].as_str().unwrap().contains("DOKPLOY_URL"), "{dokploy}");

    let (ok, change, text) = call(&client, "enable_tool_group", json!({"group": "backups"})).await;
    assert!(ok, "{text}");
    assert_eq!(change["changed"], json!(true));
    assert!(change["tools"].as_array().unwrap().iter().any(|t| t == "create_backup"), "{change}");
    assert_eq!(notified(&counter, 1).await, 1, "enabling a group announces the new list");
    let listed = names(&client).await;
    assert!(listed.contains(&"create_backup".to_owned()) && listed.contains(&"restore_backup".to_owned()));
    assert_eq!(change["listed_tool_count"], json!(listed.len()));

    let (ok, again, _) = call(&client, "enable_tool_group", json!({"group": "backups"})).await;
    assert!(ok && again["changed"] == json!(false), "{again}");

    let (ok, _, text) = call(&client, "disable_tool_group", json!({"group": "backups"})).await;
    assert!(ok, "{text}");
    assert_eq!(notified(&counter, 2).await, 2);
    assert!(!names(&client).await.contains(&"create_backup".to_owned()));

    let (ok, _, text) = call(&client, "enable_tool_group", json!({"group": "dokploy"})).await;
    assert!(!ok && text.contains("cannot be enabled") && text.contains("DOKPLOY_URL"), "{text}");
    let (ok, _, text) = call(&client, "enable_tool_group", json!({"group": "nonsense"})).await;
    assert!(!ok && text.contains("`nonsense`") && text.contains("`storage`"), "{text}");

    // Not listed, still callable by name (scripts and `supamcp call` need no enabling).
    let (ok, stats, text) = call(&client, "database_stats", json!({})).await;
    assert!(ok, "{text}");
    assert!(stats.is_object());
    client.cancel().await.unwrap();
}

#[tokio::test]
async fn features_fix_the_set_without_toolset_tools() {
    let db = support::fresh_database("toolsets_fixed").await;
    let data_dir = tempfile::tempdir().unwrap();
    let (client, _) = start(&["--database-url", &db.url(), "--features", "core,backups"], data_dir.path()).await;
    let capabilities = client.peer_info().unwrap().capabilities.clone();
    assert_ne!(capabilities.tools.and_then(|t| t.list_changed), Some(true));
    let listed = names(&client).await;
    assert!(listed.contains(&"create_backup".to_owned()) && listed.contains(&"database_stats".to_owned()));
    assert!(!listed.iter().any(|name| name.ends_with("_tool_group") || name == "list_tool_groups"), "{listed:?}");
    assert!(!listed.contains(&"get_advisors".to_owned()), "{listed:?}");
    client.cancel().await.unwrap();
}
