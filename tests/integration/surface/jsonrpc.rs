//! JSON-RPC edges over the binary's real stdio: every unreadable line answered (-32700, id null) and reading
//! goes on, -32600 keeps the id it could read, bad params of known methods are -32602 (not -32601), a request
//! before initialize is told to initialize first, and every message names the method and the fault.

use super::raw::Raw;
use crate::support;
use serde_json::{Value, json};

fn error(reply: &Value) -> (i64, Value, String) {
    let message = reply["error"]["message"].as_str().unwrap_or_else(|| panic!("an error: {reply}")).to_owned();
    (reply["error"]["code"].as_i64().unwrap(), reply["id"].clone(), message)
}

#[tokio::test]
async fn unreadable_lines_and_early_requests_are_answered_and_the_session_goes_on() {
    let mut raw = Raw::spawn(&[]);
    // Before initialize: a notification is dropped (it does not end the session), a request is told why.
    raw.send(json!({"jsonrpc": "2.0", "method": "notifications/initialized"})).await;
    raw.send(json!({"jsonrpc": "2.0", "id": 1, "method": "tools/list"})).await;
    let (code, id, message) = error(&raw.recv().await);
    assert_eq!((code, id), (-32600, json!(1)));
    assert!(message.contains("tools/list before initialize: initialize first"), "{message}");

    // Malformed initialize params: -32602 naming the method and the missing field.
    raw.send(json!({"jsonrpc": "2.0", "id": "init", "method": "initialize", "params": {"capabilities": {}}})).await;
    let (code, id, message) = error(&raw.recv().await);
    assert_eq!((code, id), (-32602, json!("init")));
    assert!(message.starts_with("Invalid params for initialize: missing field"), "{message}");

    raw.send_bytes(b"{not json\n").await;
    let (code, id, message) = error(&raw.recv().await);
    assert_eq!((code, id), (-32700, Value::Null));
    assert!(message.starts_with("Parse error: "), "{message}");
    raw.send_bytes(b"{\"jsonrpc\":\"2.0\",\"id\":2,\"method\":\"ping\",\"x\":\"\xff\xfe\"}\n").await;
    let (code, id, _) = error(&raw.recv().await);
    assert_eq!((code, id), (-32700, Value::Null), "invalid UTF-8");
    let mut long = Vec::with_capacity(17 << 20);
    long.extend_from_slice(b"{\"jsonrpc\":\"2.0\",\"id\":3,\"method\":\"ping\",\"pad\":\"");
    long.resize((16 << 20) + 100, b'a');
    long.extend_from_slice(b"\"}\n");
    raw.send_bytes(&long).await;
    let (code, id, message) = error(&raw.recv().await);
    assert_eq!((code, id), (-32700, Value::Null));
    assert!(message.contains("longer than 16777216 bytes"), "{message}");
    raw.send_bytes(b"{\"jsonrpc\":\"2.0\",\"id\":4,\"method\":7}\n").await;
    let (code, id, _) = error(&raw.recv().await);
    assert_eq!((code, id), (-32600, json!(4)), "the id is kept when it can be read");

    let init = raw.initialize("2025-06-18").await;
    assert_eq!(init["result"]["serverInfo"]["name"], json!("supamcp"), "{init}");
    raw.send(json!({"jsonrpc": "2.0", "id": 5, "method": "tools/call", "params": {"arguments": {}}})).await;
    let (code, id, message) = error(&raw.recv().await);
    assert_eq!((code, id), (-32602, json!(5)), "{message}");
    assert!(message.starts_with("Invalid params for tools/call: missing field `name`"), "{message}");
    raw.send(json!({"jsonrpc": "2.0", "id": 6, "method": "tools/call", "params": 5})).await;
    let (code, id, message) = error(&raw.recv().await);
    assert_eq!((code, id), (-32602, json!(6)), "{message}");
    raw.send(json!({"jsonrpc": "2.0", "id": 7, "method": "no/such/method"})).await;
    let (code, id, message) = error(&raw.recv().await);
    assert_eq!((code, id), (-32601, json!(7)));
    assert!(message.starts_with("Method not found: no/such/method: not an MCP request method"), "{message}");
    raw.send(json!({"jsonrpc": "2.0", "id": 8, "method": "ping"})).await;
    let (pong, _) = raw.response(json!(8)).await;
    assert_eq!(pong["result"], json!({}), "the session goes on: {pong}");
}

#[tokio::test]
async fn a_tool_call_after_the_edges_still_reaches_the_database() {
    let db = support::fresh_database("edges_then_sql").await;
    let mut raw = Raw::spawn(&["--database-url", &db.url()]);
    raw.send_bytes(b"\n   \n[]\n").await;
    let (code, id, _) = error(&raw.recv().await);
    assert_eq!((code, id), (-32600, Value::Null));
    raw.initialize("2025-11-25").await;
    let (reply, _) = raw.call(1, "execute_sql", json!({"sql": "select 1 as one"}), None).await;
    assert_eq!(reply["result"]["structuredContent"]["rows"][0]["one"], json!(1), "{reply}");
}
