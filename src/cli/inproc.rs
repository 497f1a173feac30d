//! `supamcp tools` and `supamcp call`: an in-process MCP client talks to the server over an in-memory
//! pipe, so the command line runs exactly the code path an MCP client runs.

use super::{GlobalArgs, startup_error};
use crate::server::SupamcpServer;
use rmcp::model::{CallToolRequestParams, CallToolResult, JsonObject};
use rmcp::service::RunningService;
use rmcp::{RoleClient, ServiceExt};
use std::io::Write;
use std::process::ExitCode;

/// Starts `server` on one end of a duplex pipe and a client on the other.
pub async fn connect(server: SupamcpServer) -> Result<RunningService<RoleClient, ()>, String> {
    let (server_end, client_end) = tokio::io::duplex(1 << 20);
    tokio::spawn(async move {
        match server.serve(server_end).await {
            Ok(running) => {
                let _ = running.waiting().await;
            }
            Err(e) => tracing::error!("in-process server failed: {e}"),
        }
    });
    ().serve(client_end).await.map_err(|e| format!("in-process MCP client failed: {e}"))
}

pub async fn print_tools(global: &GlobalArgs) -> ExitCode {
    let server = match global.build_server() {
        Ok(server) => server,
        Err(message) => return startup_error(&message),
    };
    let groups = server.catalog().groups.clone();
    let client = match connect(server).await {
        Ok(client) => client,
        Err(message) => return startup_error(&message),
    };
    let tools = match client.list_all_tools().await {
        Ok(tools) => tools,
        Err(e) => return startup_error(&format!("tools/list failed: {e}")),
    };
    let _ = client.cancel().await;
    let out = serde_json::json!({ "groups": groups, "tools": tools });
    match serde_json::to_string_pretty(&out) {
        Ok(text) => {
            println!("{text}");
            ExitCode::SUCCESS
        }
        Err(e) => startup_error(&e.to_string()),
    }
}

pub async fn call(global: &GlobalArgs, tool: &str, arguments: &str) -> ExitCode {
    let arguments: JsonObject = match serde_json::from_str(arguments) {
        Ok(object) => object,
        Err(e) => {
            return startup_error(&format!(
                "the arguments are not a JSON object ({e}); pass them as one quoted argument, e.g. '{{\"sql\":\"select 1\"}}'"
            ));
        }
    };
    let server = match global.build_server() {
        Ok(server) => server,
        Err(message) => return startup_error(&message),
    };
    let client = match connect(server).await {
        Ok(client) => client,
        Err(message) => return startup_error(&message),
    };
    let request = CallToolRequestParams::new(tool.to_owned()).with_arguments(arguments);
    let result = client.call_tool(request).await;
    let _ = client.cancel().await;
    match result {
        Ok(result) => print_result(&result),
        Err(e) => startup_error(&format!("{tool}: {e}")),
    }
}

/// Prints the structured content when there is one, else the text; exit 1 for a tool error.
fn print_result(result: &CallToolResult) -> ExitCode {
    let text = match &result.structured_content {
        Some(value) => serde_json::to_string_pretty(value).unwrap_or_else(|_| value.to_string()),
        None => {
            result.content.iter().filter_map(|c| c.as_text()).map(|t| t.text.as_str()).collect::<Vec<_>>().join("\n")
        }
    };
    if result.is_error == Some(true) {
        eprintln!("{text}");
        ExitCode::from(1)
    } else {
        // A reader that stops early (`supamcp call ... | head`) closes the pipe: not an error of the call.
        let _ = writeln!(std::io::stdout().lock(), "{text}");
        ExitCode::SUCCESS
    }
}
