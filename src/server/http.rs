//! `supamcp serve --http ADDR`: the same MCP handler over Streamable HTTP (rmcp's server on axum). Stateless
//! for the 2026-07-28 protocol; sessions only for older clients. In front of it: a bearer token (required on any
//! non-loopback address, compared in constant time), rmcp's Host and Origin checks against DNS rebinding, a
//! request body limit, and `GET /healthz` for load balancers.

use crate::secret::Secret;
use crate::server::SupamcpServer;
use axum::extract::{Request, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::middleware::Next;
use axum::serve::ListenerExt;
use axum::response::{IntoResponse, Response};
use rmcp::transport::streamable_http_server::session::local::LocalSessionManager;
use rmcp::transport::streamable_http_server::{StreamableHttpServerConfig, StreamableHttpService};
use std::net::SocketAddr;
use std::sync::Arc;
use tokio_util::sync::CancellationToken;

/// Largest request body accepted (a tool call's arguments; files travel by path, not in the body).
pub const MAX_BODY_BYTES: usize = 4 * 1024 * 1024;

/// How `serve --http` listens.
#[derive(Clone, Debug)]
pub struct HttpOptions {
    pub bind: SocketAddr,
    /// The MCP endpoint's path, e.g. `/mcp`.
    pub path: String,
    /// The bearer token clients must send; required unless `bind` is a loopback address.
    pub token: Option<Secret>,
    /// Host names (or host:port) accepted besides loopback; the public name a proxy forwards.
    pub allowed_hosts: Vec<String>,
    /// Browser origins accepted (with scheme); other Origin headers are refused.
    pub allowed_origins: Vec<String>,
}

/// Why `serve --http` cannot start with these options.
pub fn check(options: &HttpOptions) -> Result<(), String> {
    if !options.path.starts_with('/') || options.path.len() < 2 {
        return Err(format!("--http-path must start with / and name a path, e.g. /mcp (got '{}')", options.path));
    }
    if options.token.is_none() && !options.bind.ip().is_loopback() {
        return Err(format!(
            "refusing to serve MCP on {} without a bearer token: anyone who reaches that address could run every \
             tool. Set SUPAMCP_HTTP_TOKEN or --http-token-file (at least 32 characters), or bind to 127.0.0.1",
            options.bind
        ));
    }
    if options.token.as_ref().is_some_and(|t| t.expose().len() < 32) {
        return Err(
            "the HTTP bearer token is shorter than 32 characters: use a random one (openssl rand -hex 32)".into()
        );
    }
    Ok(())
}

/// Equal lengths and bytes, without an early exit that would tell an attacker how much of a guess matched.
fn same_secret(given: &[u8], expected: &[u8]) -> bool {
    if given.len() != expected.len() {
        return false;
    }
    given.iter().zip(expected).fold(0u8, |diff, (a, b)| diff | (a ^ b)) == 0
}

async fn require_token(State(token): State<Arc<Secret>>, request: Request, next: Next) -> Response {
    let given = request
        .headers()
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .unwrap_or_default();
    if same_secret(given.as_bytes(), token.expose().as_bytes()) {
        return next.run(request).await;
    }
    let mut response = (
        StatusCode::UNAUTHORIZED,
        [(header::CONTENT_TYPE, "application/json")],
        r#"{"error":"unauthorized","error_description":"send Authorization: Bearer <token> (SUPAMCP_HTTP_TOKEN of the server)"}"#,
    )
        .into_response();
    response.headers_mut().insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer realm=\"supamcp\""));
    response
}

async fn health() -> impl IntoResponse {
    (
        [(header::CONTENT_TYPE, "application/json")],
        concat!(r#"{"status":"ok","version":""#, env!("CARGO_PKG_VERSION"), r#""}"#),
    )
}

/// The rmcp configuration: loopback hosts plus the bound address and the allowed names; origins checked.
fn rmcp_config(options: &HttpOptions, stop: &CancellationToken) -> StreamableHttpServerConfig {
    let mut hosts = vec!["localhost".to_owned(), "127.0.0.1".to_owned(), "::1".to_owned(), options.bind.to_string()];
    hosts.extend(options.allowed_hosts.iter().cloned());
    // Pages served from this machine itself may call it (the spec's local-server case); any other origin must be
    // named.
    let mut origins: Vec<String> =
        ["http://localhost:*", "http://127.0.0.1:*", "http://[::1]:*"].into_iter().map(str::to_owned).collect();
    origins.extend(options.allowed_origins.iter().cloned());
    StreamableHttpServerConfig::default()
        .with_allowed_hosts(hosts)
        .with_allowed_origins(origins)
        .enforce_origin_validation()
        .with_max_request_body_bytes(MAX_BODY_BYTES)
        .with_cancellation_token(stop.child_token())
}

/// Serves `server` over HTTP until `stop` is cancelled. `on_listening` gets the bound address (port 0 picks one).
pub async fn serve(
    server: SupamcpServer,
    options: HttpOptions,
    stop: CancellationToken,
    on_listening: impl FnOnce(SocketAddr),
) -> Result<(), String> {
    check(&options)?;
    let listener = tokio::net::TcpListener::bind(options.bind)
        .await
        .map_err(|e| format!("cannot listen on {}: {e}", options.bind))?;
    let bound = listener.local_addr().map_err(|e| format!("cannot read the bound address: {e}"))?;
    let mut options = options;
    options.bind = bound;
    let config = rmcp_config(&options, &stop);
    let sessions = Arc::new(LocalSessionManager::default());
    let service = StreamableHttpService::new(move || Ok(server.session()), sessions, config);
    let mut mcp = axum::Router::new().nest_service(&options.path, service);
    if let Some(token) = options.token.clone() {
        mcp = mcp.layer(axum::middleware::from_fn_with_state(Arc::new(token), require_token));
    }
    let app = mcp.route("/healthz", axum::routing::get(health));
    on_listening(bound);
    // Replies go out in several small writes (SSE priming, then the message): without TCP_NODELAY each call
    // waits out the client's delayed ACK (about 40 ms).
    let listener = listener.tap_io(|tcp| {
        if let Err(e) = tcp.set_nodelay(true) {
            tracing::debug!("cannot set TCP_NODELAY: {e}");
        }
    });
    axum::serve(listener, app)
        .with_graceful_shutdown(async move { stop.cancelled().await })
        .await
        .map_err(|e| format!("the HTTP server stopped: {e}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn options(bind: &str, token: Option<&str>) -> HttpOptions {
        HttpOptions {
            bind: bind.parse().unwrap(),
            path: "/mcp".into(),
            token: token.map(|t| Secret::new(t.to_owned())),
            allowed_hosts: Vec::new(),
            allowed_origins: Vec::new(),
        }
    }

    #[test]
    fn a_public_address_needs_a_long_token() {
        assert!(check(&options("127.0.0.1:8080", None)).is_ok());
        let open = check(&options("0.0.0.0:8080", None)).unwrap_err();
        assert!(open.contains("without a bearer token"), "{open}");
        let short = check(&options("0.0.0.0:8080", Some("short"))).unwrap_err();
        assert!(short.contains("shorter than 32"), "{short}");
        assert!(check(&options("0.0.0.0:8080", Some(&"x".repeat(32)))).is_ok());
    }

    #[test]
    fn tokens_compare_by_every_byte() {
        assert!(same_secret(b"abc", b"abc"));
        assert!(!same_secret(b"abd", b"abc"));
        assert!(!same_secret(b"ab", b"abc"));
    }
}
