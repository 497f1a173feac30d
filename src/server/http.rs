//! `supamcp serve --http ADDR`: the same MCP handler over Streamable HTTP (rmcp's server on axum). Stateless
//! for the 2026-07-28 protocol; sessions only for older clients. In front of it: a bearer token (required on any
//! non-loopback address, compared in constant time), rmcp's Host and Origin checks against DNS rebinding, a
//! request body limit, and `GET /healthz` for load balancers.

use crate::groups::{Group, parse_group_list};
use crate::secret::Secret;
use crate::server::SupamcpServer;
use crate::server::oauth::{OAuthOptions, OAuthVerifier};
use axum::extract::{Request, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use axum::serve::ListenerExt;
use rmcp::transport::streamable_http_server::session::local::LocalSessionManager;
use rmcp::transport::streamable_http_server::{StreamableHttpServerConfig, StreamableHttpService};
use std::collections::BTreeSet;
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
    /// The bearer tokens clients may send; at least one unless `bind` is a loopback address.
    pub tokens: Vec<HttpToken>,
    /// Host names (or host:port) accepted besides loopback; the public name a proxy forwards.
    pub allowed_hosts: Vec<String>,
    /// Browser origins accepted (with scheme); other Origin headers are refused.
    pub allowed_origins: Vec<String>,
    /// OAuth access tokens of this issuer accepted too (resource-server mode).
    pub oauth: Option<OAuthOptions>,
}

/// One bearer token: its name (in the audit log), whether its calls are limited to read-only tools, and the
/// tool groups it may use (`None`: every group the server offers).
#[derive(Clone, Debug)]
pub struct HttpToken {
    pub name: String,
    pub secret: Secret,
    pub read_only: bool,
    pub features: Option<BTreeSet<Group>>,
}

impl HttpToken {
    /// A token with full access (every offered group, writers too).
    pub fn full(name: &str, secret: &str) -> HttpToken {
        HttpToken { name: name.to_owned(), secret: Secret::new(secret.to_owned()), read_only: false, features: None }
    }
}

/// Who a call over HTTP came from; the token check puts it in the request's extensions, where the handler finds
/// it (rmcp hands the request's parts to every call).
#[derive(Clone, Debug)]
pub struct HttpCaller {
    pub name: String,
    pub read_only: bool,
    /// The groups the token may use; `None`: all.
    pub features: Option<BTreeSet<Group>>,
}

impl HttpCaller {
    /// Whether the token may use a tool of `group` (tools outside any group, such as read_result, always).
    pub fn may_use(&self, group: Option<Group>) -> bool {
        match (&self.features, group) {
            (Some(allowed), Some(group)) => allowed.contains(&group),
            _ => true,
        }
    }
}

/// Reads a tokens file: one token per line, `<token>` alone (named "default", full access) or
/// `<name> <token> [read-only] [features=<group>,<group>...]`; blank lines and `#` comments skipped.
pub fn parse_tokens(text: &str) -> Result<Vec<HttpToken>, String> {
    let mut tokens = Vec::new();
    for (number, line) in text.lines().enumerate() {
        let fields: Vec<&str> = line.split_whitespace().collect();
        let bad = |why: &str| {
            format!(
                "line {} of the tokens file: {why} (expected `<token>` or `<name> <token> [read-only] \
                 [features=core,migrations]`)",
                number + 1
            )
        };
        let (name, secret, options) = match fields.as_slice() {
            [] => continue,
            [first, ..] if first.starts_with('#') => continue,
            [secret] => ("default", *secret, &[][..]),
            [name, secret, options @ ..] => (*name, *secret, options),
        };
        let mut token = HttpToken::full(name, secret);
        for option in options {
            match option.split_once('=') {
                None if *option == "read-only" => token.read_only = true,
                Some(("features", list)) if token.features.is_none() => {
                    let groups = parse_group_list(list).map_err(|e| bad(&e.to_string()))?;
                    token.features = Some(groups);
                }
                _ => return Err(bad(&format!("`{option}` is not read-only or features=..."))),
            }
        }
        tokens.push(token);
    }
    Ok(tokens)
}

/// Why `serve --http` cannot start with these options.
pub fn check(options: &HttpOptions) -> Result<(), String> {
    if !options.path.starts_with('/') || options.path.len() < 2 {
        return Err(format!("--http-path must start with / and name a path, e.g. /mcp (got '{}')", options.path));
    }
    if options.tokens.is_empty() && options.oauth.is_none() && !options.bind.ip().is_loopback() {
        return Err(format!(
            "refusing to serve MCP on {} without a bearer token: anyone who reaches that address could run every \
             tool. Set SUPAMCP_HTTP_TOKEN or --http-token-file (at least 32 characters), or --oauth-issuer, or bind \
             to 127.0.0.1",
            options.bind
        ));
    }
    if let Some(short) = options.tokens.iter().find(|t| t.secret.expose().len() < 32) {
        return Err(format!(
            "the HTTP bearer token '{}' is shorter than 32 characters: use a random one (openssl rand -hex 32)",
            short.name
        ));
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

/// Who may call: the static tokens, and OAuth access tokens when resource-server mode is on.
struct Gate {
    tokens: Vec<HttpToken>,
    oauth: Option<OAuthVerifier>,
}

async fn require_token(State(gate): State<Arc<Gate>>, mut request: Request, next: Next) -> Response {
    let given = request
        .headers()
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .unwrap_or_default()
        .to_owned();
    // Every token is compared, so the time taken does not tell which one (or how much of one) matched.
    let matched = gate.tokens.iter().fold(None, |found, token| {
        let equal = same_secret(given.as_bytes(), token.secret.expose().as_bytes());
        if equal && found.is_none() { Some(token) } else { found }
    });
    if let Some(token) = matched {
        let caller =
            HttpCaller { name: token.name.clone(), read_only: token.read_only, features: token.features.clone() };
        request.extensions_mut().insert(caller);
        return next.run(request).await;
    }
    let Some(oauth) = gate.oauth.as_ref() else {
        return refusal(
            StatusCode::UNAUTHORIZED,
            "unauthorized",
            "send Authorization: Bearer <token> (SUPAMCP_HTTP_TOKEN of the server)",
            "Bearer realm=\"supamcp\"".to_owned(),
        );
    };
    let metadata = oauth.metadata_url();
    if given.is_empty() {
        let challenge = format!("Bearer resource_metadata=\"{metadata}\"");
        return refusal(
            StatusCode::UNAUTHORIZED,
            "unauthorized",
            "send an access token of the authorization server",
            challenge,
        );
    }
    match oauth.verify(&given).await {
        Ok(caller) => {
            request.extensions_mut().insert(HttpCaller { name: caller.name, read_only: false, features: None });
            next.run(request).await
        }
        Err(rejection) => {
            let status = StatusCode::from_u16(rejection.status).unwrap_or(StatusCode::UNAUTHORIZED);
            let description = rejection.description.replace('"', "'");
            let challenge = format!(
                "Bearer error=\"{}\", error_description=\"{description}\", resource_metadata=\"{metadata}\"",
                rejection.error
            );
            refusal(status, rejection.error, &description, challenge)
        }
    }
}

/// A 401/403 with a JSON body and its `WWW-Authenticate` challenge.
fn refusal(status: StatusCode, error: &str, description: &str, challenge: String) -> Response {
    let body = serde_json::json!({ "error": error, "error_description": description }).to_string();
    let mut response = (status, [(header::CONTENT_TYPE, "application/json")], body).into_response();
    if let Ok(value) = HeaderValue::from_str(&challenge) {
        response.headers_mut().insert(header::WWW_AUTHENTICATE, value);
    }
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
    let oauth = match options.oauth.clone() {
        Some(settings) => Some(OAuthVerifier::start(settings).await.map_err(|e| format!("--oauth-issuer: {e}"))?),
        None => None,
    };
    let metadata = oauth.as_ref().map(|o| (o.metadata(), o.metadata_url()));
    let mut mcp = axum::Router::new().nest_service(&options.path, service);
    if !options.tokens.is_empty() || oauth.is_some() {
        let gate = Arc::new(Gate { tokens: options.tokens.clone(), oauth });
        mcp = mcp.layer(axum::middleware::from_fn_with_state(gate, require_token));
    }
    let mut app = mcp.route("/healthz", axum::routing::get(health));
    if let Some((document, url)) = metadata {
        // RFC 9728: at the well-known path, and at the well-known path followed by the resource's path.
        let document = Arc::new(document);
        let serve = move || {
            let document = document.clone();
            async move { axum::Json((*document).clone()) }
        };
        let suffixed = reqwest::Url::parse(&url).map(|u| u.path().to_owned()).unwrap_or_default();
        app = app.route("/.well-known/oauth-protected-resource", axum::routing::get(serve.clone()));
        if suffixed != "/.well-known/oauth-protected-resource" && suffixed.starts_with('/') {
            app = app.route(&suffixed, axum::routing::get(serve));
        }
    }
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
            tokens: token.map(|t| HttpToken::full("default", t)).into_iter().collect(),
            allowed_hosts: Vec::new(),
            allowed_origins: Vec::new(),
            oauth: None,
        }
    }

    #[test]
    fn a_public_address_needs_a_long_token() {
        assert!(check(&options("127.0.0.1:8080", None)).is_ok());
        let open = check(&options("0.0.0.0:8080", None)).unwrap_err();
        assert!(open.contains("without a bearer token"), "{open}");
        let short = check(&options("0.0.0.0:8080", Some("short"))).unwrap_err();
        assert!(short.contains("'default'"), "{short}");
        assert!(short.contains("shorter than 32"), "{short}");
        assert!(check(&options("0.0.0.0:8080", Some(&"x".repeat(32)))).is_ok());
    }

    #[test]
    fn the_tokens_file_names_tokens_and_limits_them() {
        let text = "# team\nci 0123456789abcdef0123456789abcdef read-only\n\nops fedcba9876543210fedcba9876543210\n";
        let tokens = parse_tokens(text).unwrap();
        assert_eq!(tokens.len(), 2);
        assert!(tokens[0].read_only && tokens[0].name == "ci");
        assert!(!tokens[1].read_only && tokens[1].name == "ops");
        assert_eq!(parse_tokens("just-one-token").unwrap()[0].name, "default");
        assert!(parse_tokens("a b c d").unwrap_err().contains("line 1"));
        let limited = parse_tokens("dev tok features=core,debugging read-only").unwrap();
        let groups = limited[0].features.clone().unwrap();
        assert!(limited[0].read_only && groups.contains(&Group::Core) && groups.contains(&Group::Monitoring));
        assert_eq!(groups.len(), 2, "{groups:?}");
        assert!(parse_tokens("dev tok features=nope").unwrap_err().contains("nope"));
        assert!(parse_tokens("dev tok features=core features=cloud").is_err(), "one features list");
        let caller = HttpCaller { name: "dev".into(), read_only: false, features: Some(groups) };
        assert!(caller.may_use(Some(Group::Core)) && caller.may_use(None) && !caller.may_use(Some(Group::Cloud)));
    }

    #[test]
    fn tokens_compare_by_every_byte() {
        assert!(same_secret(b"abc", b"abc"));
        assert!(!same_secret(b"abd", b"abc"));
        assert!(!same_secret(b"ab", b"abc"));
    }
}
