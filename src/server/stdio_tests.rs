use super::*;
use tokio::io::AsyncReadExt;

fn reply(incoming: Incoming) -> Value {
    match incoming {
        Incoming::Reply(line) => serde_json::from_slice(&line).unwrap_or_else(|e| panic!("{e}")),
        other => panic!("expected a reply, got {other:?}"),
    }
}

#[test]
fn unparsable_lines_get_a_parse_error_with_a_null_id() {
    let deep = "[".repeat(10_000);
    let cases: [&[u8]; 4] = [b"not json\n", deep.as_bytes(), b"{\"jsonrpc\":\"2.0\",\xff\xfe}\n", b"{\"id\":1,"];
    for line in cases {
        let answer = reply(classify(line));
        assert_eq!(answer["error"]["code"], json!(-32700), "{answer}");
        assert_eq!(answer["id"], Value::Null);
        assert_eq!(answer["jsonrpc"], json!("2.0"));
    }
}

#[test]
fn json_that_is_no_message_is_an_invalid_request() {
    let answer = reply(classify(b"{\"jsonrpc\":\"2.0\",\"id\":7,\"method\":\"tools/call\",\"params\":5}\n"));
    assert_eq!((answer["error"]["code"].clone(), answer["id"].clone()), (json!(-32602), json!(7)), "{answer}");
    let message = answer["error"]["message"].as_str().unwrap_or_default();
    assert!(message.starts_with("Invalid params for tools/call: invalid type: integer `5`"), "{message}");
    let answer = reply(classify(b"{\"jsonrpc\":\"2.0\",\"id\":8,\"method\":[\"x\"]}\n"));
    assert_eq!((answer["error"]["code"].clone(), answer["id"].clone()), (json!(-32600), json!(8)), "{answer}");
    let answer = reply(classify(b"{\"jsonrpc\":\"1.0\",\"id\":\"s\",\"method\":\"tools/list\"}\n"));
    assert_eq!(answer["id"], json!("s"));
    assert!(answer["error"]["message"].as_str().unwrap_or_default().starts_with("Invalid Request: tools/list: "));
    let answer = reply(classify(b"[1, 2]\n"));
    assert_eq!((answer["error"]["code"].clone(), answer["id"].clone()), (json!(-32600), Value::Null));
}

#[test]
fn messages_blank_lines_and_unanswerable_json_pass_or_vanish() {
    let ping = b"\xEF\xBB\xBF{\"jsonrpc\":\"2.0\",\"id\":\"a\",\"method\":\"ping\"}\r\n";
    assert!(matches!(classify(ping), Incoming::Message(_)));
    assert!(matches!(classify(b"  \r\n"), Incoming::Skip));
    // A notification and a response are never answered, even when malformed.
    assert!(matches!(classify(b"{\"jsonrpc\":\"1.0\",\"method\":\"notifications/initialized\"}\n"), Incoming::Skip));
    assert!(matches!(classify(b"{\"jsonrpc\":\"1.0\",\"id\":3,\"result\":{}}\n"), Incoming::Skip));
}

#[tokio::test]
async fn bad_and_over_long_lines_are_answered_and_reading_goes_on() {
    let (mut client_in, server_in) = tokio::io::duplex(1 << 16);
    let (server_out, mut client_out) = tokio::io::duplex(1 << 16);
    let mut transport = LineTransport::new(server_in, server_out, 64);
    let long = format!("{{\"pad\":\"{}\"}}\n", "x".repeat(200));
    let input = format!("garbage\n{long}{{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"ping\"}}\n");
    client_in.write_all(input.as_bytes()).await.unwrap_or_else(|e| panic!("{e}"));
    let message = transport.receive().await;
    assert!(matches!(message, Some(rmcp::model::JsonRpcMessage::Request(_))), "{message:?}");
    drop(client_in);
    assert!(transport.receive().await.is_none(), "end of input ends the transport");
    transport.close().await.unwrap_or_else(|e| panic!("{e}"));
    let mut written = String::new();
    client_out.read_to_string(&mut written).await.unwrap_or_else(|e| panic!("{e}"));
    let replies: Vec<Value> =
        written.lines().map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("{l}: {e}"))).collect();
    assert_eq!(replies.len(), 2, "{written}");
    assert!(replies.iter().all(|r| r["error"]["code"] == json!(-32700) && r["id"].is_null()), "{written}");
    assert!(replies[1]["error"]["message"].as_str().unwrap_or_default().contains("longer than 64 bytes"));
}
