//! Checks the stdio transport makes on a message it could read, before rmcp sees it. rmcp reads a known method
//! whose params do not fit (a `tools/call` without `name`, an `initialize` without `protocolVersion`) as a custom
//! request and answers `-32601 Method not found`; here it gets `-32602 Invalid params` naming the method and the
//! fault. Before `initialize`, rmcp answers a request without the 2026-07-28 `_meta` keys with a `_meta` error
//! and ends the session on any notification; here such a request is told to initialize first and a
//! notification is dropped. A method that is not MCP gets `-32601` naming it and what is served.

use super::stdio::{INVALID_PARAMS, INVALID_REQUEST, METHOD_NOT_FOUND, error_line};
use rmcp::RoleServer;
use rmcp::model::{
    CallToolRequestParams, ClientRequest, CompleteRequestParams, GetPromptRequestParams, InitializeRequestParams,
    JsonRpcMessage, PaginatedRequestParams, ReadResourceRequestParams, SubscribeRequestParams,
    UnsubscribeRequestParams,
};
use rmcp::service::RxJsonRpcMessage;
use serde::de::DeserializeOwned;
use serde_json::Value;

/// The `_meta` key that makes a request self-describing (2026-07-28, no `initialize`).
const PROTOCOL_VERSION_KEY: &str = "io.modelcontextprotocol/protocolVersion";

/// The request methods rmcp reads (a method outside them is not MCP; rmcp would answer `-32601` with only
/// its name).
const KNOWN_METHODS: &[&str] = &[
    "initialize",
    "ping",
    "server/discover",
    "completion/complete",
    "logging/setLevel",
    "prompts/get",
    "prompts/list",
    "resources/list",
    "resources/templates/list",
    "resources/read",
    "resources/subscribe",
    "resources/unsubscribe",
    "resources/directory/read",
    "subscriptions/listen",
    "tools/call",
    "tools/list",
    "tasks/get",
    "tasks/update",
    "tasks/cancel",
    "tasks/list",
    "tasks/result",
    "skills/list",
    "skills/get",
];

/// What to do with a message that parsed.
#[derive(Debug)]
pub(super) enum Verdict {
    Pass,
    Reply(Vec<u8>),
    Skip,
}

/// Why `params` do not fit `T`, if they do not.
fn misfit<T: DeserializeOwned>(params: Option<&Value>) -> Option<String> {
    let params = params.cloned().unwrap_or(Value::Null);
    serde_json::from_value::<T>(params).err().map(|e| e.to_string())
}

fn optional<T: DeserializeOwned>(params: Option<&Value>) -> Option<String> {
    match params {
        None | Some(Value::Null) => None,
        some => misfit::<T>(some),
    }
}

/// For a known MCP method whose params rmcp could not read: what is wrong with them.
pub(super) fn params_fault(method: &str, params: Option<&Value>) -> Option<String> {
    match method {
        "initialize" => misfit::<InitializeRequestParams>(params),
        "tools/call" => misfit::<CallToolRequestParams>(params),
        "resources/read" => misfit::<ReadResourceRequestParams>(params),
        "resources/subscribe" => misfit::<SubscribeRequestParams>(params),
        "resources/unsubscribe" => misfit::<UnsubscribeRequestParams>(params),
        "prompts/get" => misfit::<GetPromptRequestParams>(params),
        "completion/complete" => misfit::<CompleteRequestParams>(params),
        "tools/list" | "resources/list" | "resources/templates/list" | "prompts/list" => {
            optional::<PaginatedRequestParams>(params)
        }
        "ping" => match params {
            None | Some(Value::Null | Value::Object(_)) => None,
            Some(other) => Some(format!("params must be an object, not {other}")),
        },
        _ => None,
    }
}

/// Tracks the lifecycle: nothing but initialize, ping, server/discover and self-describing requests before
/// initialize.
#[derive(Debug, Default)]
pub(super) struct Lifecycle {
    initialized: bool,
}

impl Lifecycle {
    /// Checks a message read from `line` (its raw text, read again only before initialize).
    pub(super) fn check(&mut self, message: &RxJsonRpcMessage<RoleServer>, line: &[u8]) -> Verdict {
        let request = match message {
            JsonRpcMessage::Request(request) => request,
            JsonRpcMessage::Notification(_) if !self.initialized => {
                tracing::debug!("a notification before initialize was dropped");
                return Verdict::Skip;
            }
            _ => return Verdict::Pass,
        };
        let id = serde_json::to_value(&request.id).unwrap_or(Value::Null);
        if let ClientRequest::CustomRequest(custom) = &request.request
            && let Some(fault) = params_fault(&custom.method, custom.params.as_ref())
        {
            let method = &custom.method;
            return Verdict::Reply(error_line(INVALID_PARAMS, format!("Invalid params for {method}: {fault}"), id));
        }
        if let ClientRequest::CustomRequest(custom) = &request.request
            && !KNOWN_METHODS.contains(&custom.method.as_str())
        {
            let message = format!(
                "Method not found: {}: not an MCP request method (supamcp serves initialize, ping, tools/list, \
                 tools/call, resources/list, resources/templates/list, resources/read)",
                custom.method
            );
            return Verdict::Reply(error_line(METHOD_NOT_FOUND, message, id));
        }
        if self.initialized {
            return Verdict::Pass;
        }
        match &request.request {
            ClientRequest::InitializeRequest(_) => {
                self.initialized = true;
                Verdict::Pass
            }
            ClientRequest::PingRequest(_) | ClientRequest::DiscoverRequest(_) => Verdict::Pass,
            other if self_describing(line) => {
                tracing::debug!(method = other.method(), "a request with protocol _meta starts a stateless session");
                self.initialized = true;
                Verdict::Pass
            }
            other => Verdict::Reply(error_line(
                INVALID_REQUEST,
                format!(
                    "Invalid Request: {} before initialize: initialize first (send initialize, then \
                     notifications/initialized; on protocol 2026-07-28, the io.modelcontextprotocol/* keys in \
                     every request's _meta instead)",
                    other.method()
                ),
                id,
            )),
        }
    }
}

/// Whether the request in `line` names its protocol version in `params._meta` (2026-07-28).
fn self_describing(line: &[u8]) -> bool {
    serde_json::from_slice::<Value>(line)
        .ok()
        .and_then(|value| value.get("params")?.get("_meta")?.get(PROTOCOL_VERSION_KEY).cloned())
        .is_some_and(|version| version.is_string())
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn verdict(lifecycle: &mut Lifecycle, line: &str) -> Value {
        let message: RxJsonRpcMessage<RoleServer> = serde_json::from_str(line).unwrap_or_else(|e| panic!("{e}"));
        match lifecycle.check(&message, line.as_bytes()) {
            Verdict::Reply(reply) => serde_json::from_slice(&reply).unwrap_or_else(|e| panic!("{e}")),
            Verdict::Pass => json!("pass"),
            Verdict::Skip => json!("skip"),
        }
    }

    #[test]
    fn requests_before_initialize_are_told_to_initialize_first() {
        let mut lifecycle = Lifecycle::default();
        let early = verdict(&mut lifecycle, r#"{"jsonrpc":"2.0","id":4,"method":"tools/list"}"#);
        assert_eq!((early["error"]["code"].clone(), early["id"].clone()), (json!(-32600), json!(4)));
        assert!(early["error"]["message"].as_str().unwrap_or_default().contains("tools/list before initialize"));
        assert_eq!(verdict(&mut lifecycle, r#"{"jsonrpc":"2.0","method":"notifications/initialized"}"#), "skip");
        assert_eq!(verdict(&mut lifecycle, r#"{"jsonrpc":"2.0","id":"p","method":"ping"}"#), "pass");
        let init = r#"{"jsonrpc":"2.0","id":1,"method":"initialize","params":{"protocolVersion":"2025-06-18","capabilities":{},"clientInfo":{"name":"t","version":"1"}}}"#;
        assert_eq!(verdict(&mut lifecycle, init), "pass");
        assert_eq!(verdict(&mut lifecycle, r#"{"jsonrpc":"2.0","id":5,"method":"tools/list"}"#), "pass");
    }

    #[test]
    fn known_methods_with_bad_params_are_invalid_params() {
        let mut lifecycle = Lifecycle { initialized: true };
        let call =
            verdict(&mut lifecycle, r#"{"jsonrpc":"2.0","id":9,"method":"tools/call","params":{"arguments":{}}}"#);
        assert_eq!((call["error"]["code"].clone(), call["id"].clone()), (json!(-32602), json!(9)));
        let message = call["error"]["message"].as_str().unwrap_or_default();
        assert!(message.starts_with("Invalid params for tools/call: missing field `name`"), "{message}");
        let mut fresh = Lifecycle::default();
        let init =
            verdict(&mut fresh, r#"{"jsonrpc":"2.0","id":"i","method":"initialize","params":{"capabilities":{}}}"#);
        assert_eq!((init["error"]["code"].clone(), init["id"].clone()), (json!(-32602), json!("i")));
        assert!(init["error"]["message"].as_str().unwrap_or_default().contains("initialize"));
        let unknown = verdict(&mut lifecycle, r#"{"jsonrpc":"2.0","id":2,"method":"nope/nothing","params":{}}"#);
        assert_eq!((unknown["error"]["code"].clone(), unknown["id"].clone()), (json!(-32601), json!(2)));
        let message = unknown["error"]["message"].as_str().unwrap_or_default();
        assert!(message.starts_with("Method not found: nope/nothing: not an MCP request method"), "{message}");
    }
}
