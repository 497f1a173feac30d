//! The Supabase Content API (`https://supabase.com/docs/api/graphql`): a GraphQL endpoint queried with
//! `GET ?query=...` as the official server does. Three uses: a caller's own GraphQL query sent as is,
//! `searchDocs(query, limit)` and `error(code, service)`. Every way it can fail (unreachable, time-out, a
//! non-2xx status, a body that is not GraphQL JSON, GraphQL errors) comes back as [`Unavailable`], which the
//! callers turn into an offline answer with a note; nothing here is retried.

use serde_json::Value;
use std::sync::OnceLock;
use std::time::Duration;

pub const DEFAULT_URL: &str = "https://supabase.com/docs/api/graphql";
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(5);
/// The most bytes of a reply read.
const MAX_BODY: usize = 4 * 1024 * 1024;

/// Why the Content API gave no answer.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Unavailable(pub String);

/// One search result as the API returns it.
#[derive(Clone, Debug, PartialEq)]
pub struct Found {
    pub kind: String,
    pub title: String,
    pub href: String,
    pub content: String,
}

/// A documented error code.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ApiError {
    pub code: String,
    pub service: String,
    pub http_status: Option<u16>,
    pub message: String,
}

fn client() -> Result<&'static reqwest::Client, Unavailable> {
    static CLIENT: OnceLock<Option<reqwest::Client>> = OnceLock::new();
    CLIENT
        .get_or_init(|| {
            reqwest::Client::builder()
                .user_agent(concat!("supamcp/", env!("CARGO_PKG_VERSION")))
                .connect_timeout(DEFAULT_TIMEOUT)
                .build()
                .ok()
        })
        .as_ref()
        .ok_or_else(|| Unavailable("the HTTP client could not be built".to_owned()))
}

/// Sends `query` and returns the reply's `data`.
pub async fn run(url: &str, query: &str, timeout: Duration) -> Result<Value, Unavailable> {
    let reply = client()?.get(url).query(&[("query", query)]).timeout(timeout).send().await.map_err(|e| {
        Unavailable(if e.is_timeout() {
            format!("no answer from {url} within {} ms", timeout.as_millis())
        } else if e.is_connect() {
            format!("{url} is unreachable (no network, or a proxy or firewall in the way)")
        } else {
            format!("the request to {url} failed: {e}")
        })
    })?;
    let status = reply.status();
    let body = read_capped(reply, timeout).await?;
    if !status.is_success() {
        let head: String = String::from_utf8_lossy(&body).chars().take(200).collect();
        return Err(Unavailable(format!("{url} answered HTTP {}: {}", status.as_u16(), head.trim())));
    }
    let parsed: Value = serde_json::from_slice(&body)
        .map_err(|e| Unavailable(format!("{url} answered with a body that is not JSON ({e})")))?;
    if let Some(errors) = parsed.get("errors").and_then(Value::as_array).filter(|e| !e.is_empty()) {
        let messages: Vec<&str> = errors.iter().filter_map(|e| e.get("message").and_then(Value::as_str)).collect();
        return Err(Unavailable(format!("the Content API refused the query: {}", messages.join("; "))));
    }
    match parsed.get("data") {
        Some(data) if data.is_object() => Ok(data.clone()),
        _ => Err(Unavailable(format!("{url} answered JSON without a GraphQL data object"))),
    }
}

async fn read_capped(mut reply: reqwest::Response, timeout: Duration) -> Result<Vec<u8>, Unavailable> {
    let mut body = Vec::new();
    let read = async {
        while let Some(chunk) = reply.chunk().await.map_err(|e| Unavailable(format!("the reply broke off: {e}")))? {
            if body.len() + chunk.len() > MAX_BODY {
                return Err(Unavailable(format!("the reply is larger than {MAX_BODY} bytes")));
            }
            body.extend_from_slice(&chunk);
        }
        Ok(())
    };
    tokio::time::timeout(timeout, read)
        .await
        .map_err(|_| Unavailable(format!("the reply did not finish within {} ms", timeout.as_millis())))??;
    Ok(body)
}

/// The search query the tools send: the documented shape with the Guide subsections.
pub fn search_query(text: &str, limit: usize) -> String {
    let quoted = serde_json::Value::String(text.to_owned()).to_string();
    format!(
        "{{ searchDocs(query: {quoted}, limit: {limit}) {{ nodes {{ __typename title href content \
         ... on Guide {{ subsections {{ nodes {{ title href content }} }} }} }} }} }}"
    )
}

/// `error(code, service)`.
pub fn error_query(code: &str, service: &str) -> String {
    let quoted = serde_json::Value::String(code.to_owned()).to_string();
    format!("{{ error(code: {quoted}, service: {service}) {{ code service httpStatusCode message }} }}")
}

/// The results in a `searchDocs` reply (`data.searchDocs.nodes`), `None` when the data has no such field.
pub fn read_search(data: &Value) -> Option<Vec<Found>> {
    let nodes = data.get("searchDocs")?.get("nodes")?.as_array()?;
    let text = |node: &Value, key: &str| node.get(key).and_then(Value::as_str).unwrap_or_default().to_owned();
    Some(
        nodes
            .iter()
            .map(|node| Found {
                kind: text(node, "__typename"),
                title: text(node, "title"),
                href: text(node, "href"),
                content: text(node, "content"),
            })
            .collect(),
    )
}

/// The documented error in an `error(code, service)` reply, `None` when the code is unknown.
pub fn read_error(data: &Value) -> Option<ApiError> {
    let error = data.get("error").filter(|e| e.is_object())?;
    let text = |key: &str| error.get(key).and_then(Value::as_str).unwrap_or_default().to_owned();
    Some(ApiError {
        code: text("code"),
        service: text("service"),
        http_status: error.get("httpStatusCode").and_then(Value::as_u64).and_then(|s| u16::try_from(s).ok()),
        message: text("message"),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn queries_quote_their_text() {
        let q = search_query("say \"hi\"", 3);
        assert!(q.contains(r#"searchDocs(query: "say \"hi\"", limit: 3)"#), "{q}");
        let terms = super::super::graphql::terms(&q);
        assert_eq!(terms.search.as_deref(), Some("say \"hi\""));
        assert!(error_query("bad_jwt", "AUTH").contains(r#"error(code: "bad_jwt", service: AUTH)"#));
    }

    #[test]
    fn replies_are_read() {
        let data =
            json!({"searchDocs": {"nodes": [{"__typename": "Guide", "title": "T", "href": "h", "content": "c"}]}});
        assert_eq!(read_search(&data).map(|f| f.len()), Some(1));
        assert_eq!(read_search(&json!({})), None);
        let error = json!({"error": {"code": "bad_jwt", "service": "AUTH", "httpStatusCode": 403, "message": "m"}});
        assert_eq!(read_error(&error).and_then(|e| e.http_status), Some(403));
        assert_eq!(read_error(&json!({"error": null})), None);
    }
}
