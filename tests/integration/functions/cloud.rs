//! Cloud target: deploy → list → get (source identical) → redeploy → rollback → delete → rollback through the
//! fake Management API, with the deploy body checked part by part as the endpoint parses it; secrets as
//! digests; the checks made before sending; the API's 404, 401 and opaque 500.

#![allow(clippy::expect_used, clippy::unwrap_used, clippy::panic)]

use super::{files_of, hello_files, sorted};
use crate::management_fake::{Fake, PROJECT, TOKEN};
use crate::mcp_client::{self, Server};
use serde_json::json;
use sha2::{Digest, Sha256};

async fn setup() -> (Fake, Server) {
    let fake = Fake::start().await;
    let env = fake.env();
    let env: Vec<(&str, &str)> = env.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let server = mcp_client::start_with_env(&["--features", "functions"], &env).await;
    (fake, server)
}

#[tokio::test]
async fn deploy_list_get_redeploy_rollback_delete_on_cloud() {
    let (fake, server) = setup().await;
    let files = hello_files("hello");
    let deployed =
        server.ok("deploy_edge_function", json!({ "project_id": PROJECT, "name": "hello", "files": files })).await;
    assert_eq!(deployed["function"]["version"], 1, "{deployed}");
    assert_eq!(deployed["function"]["entrypoint_path"], "index.ts");
    assert_eq!(deployed["function"]["import_map_path"], "deno.json", "deno.json is found and sent");
    assert_eq!(deployed["kept_previous"], json!(null));
    assert_eq!(deployed["invoke_url"], format!("https://{PROJECT}.supabase.co/functions/v1/hello"));
    {
        let state = fake.state();
        let request = &state.deploys[0];
        assert_eq!(request.slug, "hello");
        assert_eq!(
            request.metadata,
            json!({ "name": "hello", "entrypoint_path": "index.ts", "import_map_path": "deno.json", "verify_jwt": true })
        );
        let names: Vec<&str> = request.parts.iter().map(|(_, f, _)| f.as_deref().unwrap()).collect();
        assert_eq!(names, ["index.ts", "lib/greet.ts", "deno.json"]);
        assert!(request.parts.iter().all(|(n, _, t)| n == "file" && t.as_deref() == Some("application/typescript")));
    }

    let listed = server.ok("list_edge_functions", json!({ "project_id": PROJECT })).await;
    assert_eq!(listed["functions"][0]["slug"], "hello");
    assert_eq!(listed["functions"][0]["status"], "ACTIVE");
    assert_eq!(listed["functions"][0]["verify_jwt"], true);
    let got = server.ok("get_edge_function", json!({ "project_id": PROJECT, "function_slug": "hello" })).await;
    assert_eq!(files_of(&got), sorted(&files), "source comes back identical");
    assert!(fake.state().body_accepts.iter().all(|a| a == "multipart/form-data"));

    let second = server
        .ok(
            "deploy_edge_function",
            json!({ "project_id": PROJECT, "name": "hello", "files": hello_files("bye"), "verify_jwt": false }),
        )
        .await;
    assert_eq!(second["function"]["version"], 2);
    assert_eq!(second["function"]["verify_jwt"], false);
    assert!(second["kept_previous"].is_string(), "{second}");

    let rolled = server.ok("rollback_edge_function", json!({ "project_id": PROJECT, "function_slug": "hello" })).await;
    assert_eq!(rolled["function"]["version"], 3);
    assert_eq!(rolled["function"]["verify_jwt"], true, "the kept version's verify_jwt comes back too");
    let got = server.ok("get_edge_function", json!({ "project_id": PROJECT, "function_slug": "hello" })).await;
    assert_eq!(files_of(&got), sorted(&files));

    let refused = server.err("delete_edge_function", json!({ "project_id": PROJECT, "function_slug": "hello" })).await;
    assert!(refused.contains("confirm"), "{refused}");
    let deleted = server
        .ok("delete_edge_function", json!({ "project_id": PROJECT, "function_slug": "hello", "confirm": true }))
        .await;
    assert!(deleted["kept_previous"].is_string());
    let listed = server.ok("list_edge_functions", json!({ "project_id": PROJECT })).await;
    assert_eq!(listed["functions"], json!([]));
    let missing = server.err("get_edge_function", json!({ "project_id": PROJECT, "function_slug": "hello" })).await;
    assert!(missing.contains("has no function 'hello'") && missing.contains("HTTP 404"), "{missing}");
    let back = server.ok("rollback_edge_function", json!({ "project_id": PROJECT, "function_slug": "hello" })).await;
    assert_eq!(back["function"]["slug"], "hello", "a deleted function comes back from its kept source");
    let got = server.ok("get_edge_function", json!({ "project_id": PROJECT, "function_slug": "hello" })).await;
    assert_eq!(files_of(&got), sorted(&files));
    server.stop().await;
}

#[tokio::test]
async fn checks_refuse_before_sending_and_api_faults_explain_themselves() {
    let (fake, server) = setup().await;
    let deploy = |name: &str, files: serde_json::Value| json!({ "project_id": PROJECT, "name": name, "files": files });
    let bad_slug = server.err("deploy_edge_function", deploy("2fast", hello_files("x"))).await;
    assert!(bad_slug.contains("not a valid function name"), "{bad_slug}");
    let no_entry =
        server.err("deploy_edge_function", deploy("a", json!([{ "name": "main.ts", "content": "x" }]))).await;
    assert!(no_entry.contains("entrypoint index.ts is not among the files"), "{no_entry}");
    let pasted = json!([{ "name": "index.ts", "content": "const k = 'sb_secret_0123456789abcdefghij';" }]);
    let secret = server.err("deploy_edge_function", deploy("a", pasted)).await;
    assert!(secret.contains("sb_secret_ API key") && !secret.contains("0123456789abcdefghij"), "{secret}");
    let escape = json!([{ "name": "../index.ts", "content": "x" }]);
    assert!(server.err("deploy_edge_function", deploy("a", escape)).await.contains("cannot be used"));
    assert!(fake.state().deploys.is_empty(), "nothing was sent");

    let npm = json!([{ "name": "index.ts", "content": "import Stripe from 'npm:stripe@14';\nDeno.serve(() => new Response('ok'));" }]);
    let warned = server.ok("deploy_edge_function", deploy("pay", npm.clone())).await;
    assert!(warned["warnings"][0].as_str().unwrap().contains("deno.json"), "{warned}");

    fake.state().fail_next_deploy = true;
    let opaque = server.err("deploy_edge_function", deploy("pay", npm)).await;
    assert!(opaque.contains("internal error") && opaque.contains("HTTP 500"), "{opaque}");

    let unknown = server.err("list_edge_functions", json!({ "project_id": "nosuchprojectaaaaaaa" })).await;
    assert!(unknown.contains("Project not found"), "{unknown}");

    let no_token =
        reqwest::Client::new().get(format!("{}/v1/projects/{PROJECT}/functions", fake.url)).send().await.unwrap();
    assert_eq!(no_token.status(), 401);
    let raw = reqwest::Client::new()
        .post(format!("{}/v1/projects/{PROJECT}/functions/deploy?slug=x", fake.url))
        .bearer_auth(TOKEN)
        .header("content-type", "multipart/form-data; boundary=b")
        .body("--b\r\nContent-Disposition: form-data; name=\"file\"; filename=\"index.ts\"\r\n\r\nx\r\n--b--\r\n")
        .send()
        .await
        .unwrap();
    assert_eq!(raw.status(), 400, "a deploy without metadata is refused");
    server.stop().await;
}

#[tokio::test]
async fn secrets_are_names_and_digests_never_values() {
    let (fake, server) = setup().await;
    let value = "sk_live_value_that_must_not_come_back";
    let set = server
        .ok(
            "set_function_secrets",
            json!({ "project_id": PROJECT, "secrets": [{ "name": "STRIPE_KEY", "value": value }] }),
        )
        .await;
    let digest = hex::encode(Sha256::digest(value.as_bytes()));
    assert_eq!(set["secrets"][0]["sha256"], digest);
    assert_eq!(set["secrets"][0]["name"], "STRIPE_KEY");
    assert!(set["secrets"][0]["updated_at"].as_str().is_some_and(|t| t.starts_with("20")), "{set}");
    assert!(!set.to_string().contains(value));
    assert_eq!(fake.state().secrets[PROJECT]["STRIPE_KEY"], value);
    let reserved = server
        .err(
            "set_function_secrets",
            json!({ "project_id": PROJECT, "secrets": [{ "name": "SUPABASE_URL", "value": "x" }] }),
        )
        .await;
    assert!(reserved.contains("reserved"), "{reserved}");
    let listed = server.ok("list_function_secrets", json!({ "project_id": PROJECT })).await;
    assert_eq!(listed["secrets"][0]["sha256"], digest);
    server.err("delete_function_secrets", json!({ "project_id": PROJECT, "names": ["STRIPE_KEY"] })).await;
    let deleted = server
        .ok("delete_function_secrets", json!({ "project_id": PROJECT, "names": ["STRIPE_KEY"], "confirm": true }))
        .await;
    assert_eq!(deleted["secrets"], json!([]));
    server.stop().await;
}
