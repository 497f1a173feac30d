//! invoke_edge_function against the fake functions endpoint with VERIFY_JWT on: no token gets the router's
//! 401 body and `sb-error-code`, anon / service role / a user's JWT are sent as a client app sends them, the
//! method, sub-path, query, headers and body arrive as given, a large reply spills, and no key is echoed.

#![allow(clippy::expect_used, clippy::unwrap_used, clippy::panic)]

use crate::functions_fake::{Answer, Fake};
use crate::mcp_client::{self, Server};
use rmcp::model::{ReadResourceRequestParams, ResourceContents};
use serde_json::json;

async fn setup() -> (Fake, Server, String, String) {
    let fake = Fake::start(true).await;
    let anon = Fake::token("anon");
    let service = Fake::token("service_role");
    let env = [
        ("SUPABASE_URL", fake.url.as_str()),
        ("SUPABASE_ANON_KEY", anon.as_str()),
        ("SUPABASE_SERVICE_ROLE_KEY", service.as_str()),
    ];
    let server = mcp_client::start_with_env(&["--features", "functions"], &env).await;
    (fake, server, anon, service)
}

#[tokio::test]
async fn invocations_carry_the_callers_key_and_the_request_as_given() {
    let (fake, server, anon, service) = setup().await;
    fake.answer("echo", Answer::Echo);

    let refused = server.ok("invoke_edge_function", json!({ "function_slug": "echo", "as": "none" })).await;
    assert_eq!(refused["status"], 401);
    assert_eq!(refused["headers"]["sb-error-code"], "UNAUTHORIZED_NO_AUTH_HEADER");
    assert_eq!(
        refused["body"],
        json!({ "code": "UNAUTHORIZED_NO_AUTH_HEADER", "message": "Missing authorization header", "msg": "Missing authorization header" })
    );

    let echoed = server
        .ok(
            "invoke_edge_function",
            json!({
                "function_slug": "echo", "method": "put", "path": "/users/42", "query": { "q": "a b" },
                "headers": { "x-trace": "t1" }, "body": "{\"name\":\"Ada\"}"
            }),
        )
        .await;
    assert_eq!(echoed["status"], 200, "{echoed}");
    assert_eq!(echoed["body"]["method"], "PUT");
    assert_eq!(echoed["body"]["path"], "/echo/users/42");
    assert_eq!(echoed["body"]["query"], "q=a+b");
    assert_eq!(echoed["body"]["body"], "{\"name\":\"Ada\"}");
    assert!(echoed["duration_ms"].is_u64());
    let sent = fake.requests().pop().unwrap();
    assert_eq!(sent.headers["authorization"], format!("Bearer {anon}"));
    assert_eq!(sent.headers["apikey"], anon);
    assert_eq!(sent.headers["x-trace"], "t1");
    assert_eq!(sent.headers["content-type"], "application/json");

    server.ok("invoke_edge_function", json!({ "function_slug": "echo", "as": "service_role" })).await;
    assert_eq!(fake.requests().pop().unwrap().headers["authorization"], format!("Bearer {service}"));
    let user = Fake::token("authenticated");
    server.ok("invoke_edge_function", json!({ "function_slug": "echo", "as": "user", "jwt": user })).await;
    let sent = fake.requests().pop().unwrap();
    assert_eq!(
        (sent.headers["authorization"].clone(), sent.headers["apikey"].clone()),
        (format!("Bearer {user}"), anon.clone())
    );

    let forged = format!("{}x", &user[..user.len() - 1]);
    let bad = server.ok("invoke_edge_function", json!({ "function_slug": "echo", "as": "user", "jwt": forged })).await;
    assert_eq!(bad["headers"]["sb-error-code"], "UNAUTHORIZED_LEGACY_JWT", "{bad}");

    let missing = server.ok("invoke_edge_function", json!({ "function_slug": "nothere" })).await;
    assert_eq!(missing["status"], 500);
    assert!(missing["body"]["msg"].as_str().unwrap().contains("worker boot error"));

    let reserved = server
        .err("invoke_edge_function", json!({ "function_slug": "echo", "headers": { "Authorization": "Bearer x" } }))
        .await;
    assert!(reserved.contains("cannot be set"), "{reserved}");

    fake.answer("plain", Answer::Fixed { status: 200, headers: Vec::new(), body: b"ok".to_vec() });
    let result = server.call("invoke_edge_function", json!({ "function_slug": "plain", "as": "service_role" })).await;
    let text = mcp_client::text(&result);
    assert!(text.contains("untrusted"), "the reply is fenced: {text}");
    let everything = format!("{text}{}", serde_json::to_string(&result.structured_content).unwrap());
    assert!(!everything.contains(&anon) && !everything.contains(&service), "no key comes back");
    server.stop().await;
}

#[tokio::test]
async fn a_large_reply_spills_to_a_file() {
    let (fake, server, _, _) = setup().await;
    let line = "x".repeat(99);
    let body: String = (0..8000).map(|i| format!("{i:05} {line}\n")).collect();
    fake.answer(
        "big",
        Answer::Fixed {
            status: 200,
            headers: vec![("content-type".into(), "text/plain".into())],
            body: body.clone().into_bytes(),
        },
    );
    let reply = server.ok("invoke_edge_function", json!({ "function_slug": "big", "as": "service_role" })).await;
    assert_eq!(reply["body"], json!(null), "{}", reply.to_string().len());
    assert_eq!(reply["body_bytes"], body.len());
    assert_eq!(reply["spilled"]["rows"], 8000);
    let uri = reply["spilled"]["uri"].as_str().unwrap();
    let page = server.client.read_resource(ReadResourceRequestParams::new(uri)).await.unwrap();
    let ResourceContents::TextResourceContents { text, .. } = &page.contents[0] else { panic!("text expected") };
    assert!(text.contains(&format!("00000 {line}")) && text.contains("untrusted"), "{}", &text[..200]);
    server.stop().await;
}
