//! The fake Management API's functions surface speaks the real protocol: the official Supabase MCP server
//! (`@supabase/mcp-server-supabase` 0.13.0, pinned, installed by scripts/test.sh into .tools/), which calls the
//! Management API with its generated client, deploys a function through it (its own FormData multipart, parsed
//! by the fake), lists it and reads its source back from the fake's multipart `/body`.

#![allow(clippy::expect_used, clippy::unwrap_used, clippy::panic)]

use crate::management_fake::{Fake, PROJECT, TOKEN};
use rmcp::ServiceExt;
use rmcp::model::CallToolRequestParams;
use rmcp::transport::TokioChildProcess;
use serde_json::{Value, json};
use std::path::PathBuf;

fn text_of(result: &rmcp::model::CallToolResult) -> String {
    result.content.iter().filter_map(|c| c.as_text()).map(|t| t.text.clone()).collect::<Vec<_>>().join("\n")
}

#[tokio::test]
async fn the_official_server_deploys_lists_and_reads_through_the_fake() {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    let cli = root.join(".tools/node_modules/@supabase/mcp-server-supabase/dist/cli.js");
    assert!(cli.is_file(), "@supabase/mcp-server-supabase is missing: run `bash scripts/test.sh`");
    let fake = Fake::start().await;
    let mut command = tokio::process::Command::new("node");
    command.arg(&cli).args(["--access-token", TOKEN, "--api-url", &fake.url, "--features", "functions"]);
    let (transport, _) =
        TokioChildProcess::builder(command).stderr(std::process::Stdio::null()).spawn().expect("spawn the server");
    let client = ().serve(transport).await.expect("MCP handshake");
    let call = |tool: &str, arguments: Value| {
        let request =
            CallToolRequestParams::new(tool.to_owned()).with_arguments(arguments.as_object().unwrap().clone());
        let client = &client;
        async move { client.call_tool(request).await.expect("call") }
    };

    let files = json!([
        { "name": "index.ts", "content": "import { x } from './lib/x.ts';\nDeno.serve(() => new Response(x));\n" },
        { "name": "lib/x.ts", "content": "export const x = 'hi';\n" },
        { "name": "deno.json", "content": "{ \"imports\": {} }\n" }
    ]);
    let deployed =
        call("deploy_edge_function", json!({ "project_id": PROJECT, "name": "hello", "files": files })).await;
    assert_ne!(deployed.is_error, Some(true), "{}", text_of(&deployed));
    {
        let state = fake.state();
        let request = &state.deploys[0];
        assert_eq!(request.slug, "hello");
        assert_eq!(request.metadata["entrypoint_path"], "index.ts");
        assert_eq!(request.metadata["import_map_path"], "deno.json");
        let names: Vec<&str> = request.parts.iter().map(|(_, f, _)| f.as_deref().unwrap()).collect();
        assert_eq!(names, ["index.ts", "lib/x.ts", "deno.json"]);
    }
    let listed = text_of(&call("list_edge_functions", json!({ "project_id": PROJECT })).await);
    assert!(listed.contains("\\\"slug\\\":\\\"hello\\\"") || listed.contains("\"slug\":\"hello\""), "{listed}");
    let got = call("get_edge_function", json!({ "project_id": PROJECT, "function_slug": "hello" })).await;
    let got = text_of(&got);
    assert!(got.contains("lib/x.ts") && got.contains("export const x"), "{got}");
    assert!(!got.contains("/tmp/user_fn_"), "the official client strips the bundle prefix the fake sends: {got}");
    let _ = client.cancel().await;
}
