//! A loopback stand-in for a stack's `/functions/v1/*` (Kong in front of the edge runtime's main router). It
//! runs no code: it records every request and answers what the test set per slug. With `verify_jwt` it does
//! what the stock router does when VERIFY_JWT=true: a missing or malformed Authorization header, an HS256
//! token not signed with the JWT secret (or expired), or another algorithm without a JWKS is answered 401
//! `{code, message, msg}` with an `sb-error-code` header; OPTIONS passes. A request without a function name
//! gets 400 `{"msg":"missing function name in request"}`; a slug with no answer set, 500 with the worker's
//! boot error in `msg`.
//!
//! Include it with `#[path = "../support/functions_fake/mod.rs"] mod functions_fake;`.
#![allow(dead_code, clippy::expect_used, clippy::unwrap_used, clippy::panic)]

use axum::Router;
use axum::body::Bytes;
use axum::extract::State as AxState;
use axum::http::{HeaderMap, Method, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};
use std::collections::BTreeMap;
use std::sync::{Arc, Mutex, MutexGuard};
use supamcp::supabase::keys::jwt;

/// The JWT secret the fake verifies HS256 tokens with.
pub const JWT_SECRET: &str = "super-secret-jwt-token-with-at-least-32-characters-long";

/// What a slug answers.
#[derive(Clone, Debug)]
pub enum Answer {
    /// A fixed reply.
    Fixed { status: u16, headers: Vec<(String, String)>, body: Vec<u8> },
    /// 200 with the request as JSON: method, path, query, headers, body.
    Echo,
}

/// One request as received.
#[derive(Clone, Debug)]
pub struct Recorded {
    pub method: String,
    /// Path after /functions/v1, e.g. /hello/users/1.
    pub path: String,
    pub query: Option<String>,
    pub headers: BTreeMap<String, String>,
    pub body: Vec<u8>,
}

#[derive(Debug, Default)]
pub struct State {
    pub verify_jwt: bool,
    pub answers: BTreeMap<String, Answer>,
    pub requests: Vec<Recorded>,
}

/// A running fake; dropping it stops the server.
pub struct Fake {
    /// The API URL (what SUPABASE_URL would be).
    pub url: String,
    state: Arc<Mutex<State>>,
    task: tokio::task::JoinHandle<()>,
}

impl Drop for Fake {
    fn drop(&mut self) {
        self.task.abort();
    }
}

impl Fake {
    pub async fn start(verify_jwt: bool) -> Fake {
        let state = Arc::new(Mutex::new(State { verify_jwt, ..State::default() }));
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind the fake");
        let address = listener.local_addr().expect("fake address");
        let app = Router::new().fallback(handle).with_state(state.clone());
        let task = tokio::spawn(async move {
            axum::serve(listener, app).await.expect("fake server");
        });
        Fake { url: format!("http://{address}"), state, task }
    }

    pub fn state(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    pub fn answer(&self, slug: &str, answer: Answer) {
        self.state().answers.insert(slug.to_owned(), answer);
    }

    pub fn requests(&self) -> Vec<Recorded> {
        self.state().requests.clone()
    }

    /// An HS256 token for `role` signed with [`JWT_SECRET`], valid for an hour.
    pub fn token(role: &str) -> String {
        let now = chrono::Utc::now().timestamp();
        jwt::encode_hs256(&json!({ "role": role, "iss": "supabase", "iat": now, "exp": now + 3600 }), JWT_SECRET)
    }
}

fn auth_failure(code: &str, message: &str) -> Response {
    (
        StatusCode::UNAUTHORIZED,
        [("content-type", "application/json"), ("sb-error-code", code)],
        json!({ "code": code, "message": message, "msg": message }).to_string(),
    )
        .into_response()
}

/// The router's check of the Authorization header; `None` when it passes.
fn check_jwt(headers: &HeaderMap) -> Option<Response> {
    let Some(header) = headers.get("authorization").and_then(|v| v.to_str().ok()) else {
        return Some(auth_failure("UNAUTHORIZED_NO_AUTH_HEADER", "Missing authorization header"));
    };
    let parts: Vec<&str> = header.split(' ').collect();
    if parts.len() != 2 || parts[0] != "Bearer" || parts[1].is_empty() {
        return Some(auth_failure("UNAUTHORIZED_INVALID_JWT_FORMAT", "Invalid JWT format"));
    }
    // Like jose.decodeProtectedHeader: only the header is read before the algorithm is chosen.
    let header = parts[1].split('.').next().and_then(jwt::b64url_decode);
    let Some(alg) = header.and_then(|h| serde_json::from_slice::<Value>(&h).ok()).map(|h| h["alg"].clone()) else {
        return Some(auth_failure("UNAUTHORIZED_INVALID_JWT_FORMAT", "Invalid JWT format"));
    };
    match alg.as_str() {
        Some("HS256") => {
            let valid = jwt::decode(parts[1]).ok().is_some_and(|token| {
                let expired =
                    token.claim_time("exp").is_some_and(|exp| exp.map_or(true, |e| e < chrono::Utc::now().timestamp()));
                token.verifies_hs256(JWT_SECRET) && !expired
            });
            (!valid).then(|| auth_failure("UNAUTHORIZED_LEGACY_JWT", "Invalid JWT"))
        }
        Some("ES256" | "RS256") => Some(auth_failure("UNAUTHORIZED_ASYMMETRIC_JWT", "Invalid JWT")),
        other => Some(auth_failure(
            "UNAUTHORIZED_UNSUPPORTED_TOKEN_ALGORITHM",
            &format!("Unsupported JWT algorithm {}", other.unwrap_or("undefined")),
        )),
    }
}

async fn handle(
    AxState(state): AxState<Arc<Mutex<State>>>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let Some(path) = uri.path().strip_prefix("/functions/v1") else {
        return (StatusCode::NOT_FOUND, axum::Json(json!({ "message": "no Route matched with those values" })))
            .into_response();
    };
    let recorded = Recorded {
        method: method.to_string(),
        path: path.to_owned(),
        query: uri.query().map(str::to_owned),
        headers: headers
            .iter()
            .map(|(k, v)| (k.as_str().to_owned(), String::from_utf8_lossy(v.as_bytes()).into_owned()))
            .collect(),
        body: body.to_vec(),
    };
    let mut state = state.lock().unwrap();
    state.requests.push(recorded.clone());
    if method != Method::OPTIONS
        && state.verify_jwt
        && let Some(refused) = check_jwt(&headers)
    {
        return refused;
    }
    let slug = path.trim_start_matches('/').split('/').next().unwrap_or_default();
    if slug.is_empty() {
        return (StatusCode::BAD_REQUEST, axum::Json(json!({ "msg": "missing function name in request" })))
            .into_response();
    }
    match state.answers.get(slug) {
        Some(Answer::Fixed { status, headers, body }) => {
            let mut response = (StatusCode::from_u16(*status).unwrap(), body.clone()).into_response();
            for (name, value) in headers {
                response.headers_mut().append(
                    axum::http::HeaderName::from_bytes(name.as_bytes()).unwrap(),
                    axum::http::HeaderValue::from_str(value).unwrap(),
                );
            }
            response
        }
        Some(Answer::Echo) => {
            let echoed = json!({
                "method": recorded.method, "path": recorded.path, "query": recorded.query,
                "headers": recorded.headers, "body": String::from_utf8_lossy(&recorded.body),
            });
            (StatusCode::OK, axum::Json(echoed)).into_response()
        }
        None => (
            StatusCode::INTERNAL_SERVER_ERROR,
            axum::Json(json!({ "msg": format!("InvalidWorkerCreation: worker boot error: /home/deno/functions/{slug} not found") })),
        )
            .into_response(),
    }
}

/// A body as JSON, for assertions.
pub fn json_of(body: &[u8]) -> Value {
    serde_json::from_slice(body).unwrap_or(Value::Null)
}
