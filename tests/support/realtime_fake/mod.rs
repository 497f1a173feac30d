//! A fake of Supabase Realtime's REST API behind a Kong-like gateway, on 127.0.0.1:0, following Realtime's
//! router and plugs (`reference/supabase-services.md` §4): Kong's key check on `apikey` (401
//! `{"message": ...}`) and its refusal of the tenant API (`/realtime/v1/api/tenants` → 403); Realtime's
//! AuthTenant (the Bearer, else the apikey, must be signed by the project's JWT secret: 401
//! `{"message": "Unauthorized"}`); `GET /api/ping` (200 `{"message": "Success"}`); `POST /api/broadcast` with
//! `{messages: [{topic, event, payload, private?}]}` (202, empty body; 422 `{"errors": ...}` for an invalid
//! batch; 429 over the rate) and `POST /api/broadcast/:topic/events/:event` (the body is the payload,
//! `?private=true`). Accepted messages are kept for the test to read.
//!
//! Faults: the next requests get given statuses (5xx, 429).
//!
//! Include it with `#[path = "../support/realtime_fake/mod.rs"] mod realtime_fake;`.
#![allow(dead_code, clippy::expect_used, clippy::unwrap_used, clippy::panic, clippy::result_large_err)]

use axum::Router;
use axum::body::Bytes;
use axum::http::{HeaderMap, Method, StatusCode, Uri, header};
use axum::response::{IntoResponse, Response};
use axum::routing::any;
use serde_json::{Value, json};
use std::collections::VecDeque;
use std::sync::{Arc, Mutex, MutexGuard};

/// The service-role key Kong and Realtime accept (JWT-shaped, so it is also sent as the Bearer).
pub const SERVICE_KEY: &str = "eyJhbGciOiJIUzI1NiJ9.eyJyb2xlIjoic2VydmljZV9yb2xlIn0.fake-realtime-service-signature";
/// The anon key: accepted by both (a public broadcast needs no more).
pub const ANON_KEY: &str = "eyJhbGciOiJIUzI1NiJ9.eyJyb2xlIjoiYW5vbiJ9.fake-realtime-anon-signature";
/// A key Kong knows whose signature Realtime rejects.
pub const FOREIGN_KEY: &str = "eyJhbGciOiJIUzI1NiJ9.eyJyb2xlIjoic2VydmljZV9yb2xlIn0.signed-with-another-secret";

/// A message Realtime accepted.
#[derive(Clone, Debug, PartialEq)]
pub struct Received {
    pub topic: String,
    pub event: String,
    pub payload: Value,
    pub private: bool,
}

#[derive(Debug, Default)]
pub struct State {
    pub messages: Vec<Received>,
    /// `METHOD path` of every request, in order.
    pub requests: Vec<String>,
    /// Statuses the next requests get (502, 503, 429, 500).
    pub fail_next: VecDeque<u16>,
}

#[derive(Clone)]
pub struct Fake {
    pub url: String,
    state: Arc<Mutex<State>>,
}

impl Fake {
    pub async fn start() -> Fake {
        let state = Arc::new(Mutex::new(State::default()));
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind the fake");
        let url = format!("http://{}", listener.local_addr().expect("fake address"));
        let app = Router::new().fallback(any(dispatch)).with_state(state.clone());
        tokio::spawn(async move {
            axum::serve(listener, app).await.expect("fake server");
        });
        Fake { url, state }
    }

    pub fn state(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// The environment that points supamcp at this fake.
    pub fn env(&self) -> Vec<(&'static str, String)> {
        vec![("SUPABASE_URL", self.url.clone()), ("SUPABASE_SERVICE_ROLE_KEY", SERVICE_KEY.to_owned())]
    }
}

fn message(status: u16, text: &str) -> Response {
    (StatusCode::from_u16(status).unwrap(), axum::Json(json!({ "message": text }))).into_response()
}

fn accepted() -> Response {
    (StatusCode::ACCEPTED, "").into_response()
}

/// Realtime's changeset errors: 422 `{"errors": {field: [messages]}}`.
fn invalid(field: &str, text: &str) -> Response {
    let body = json!({ "errors": { field: [text] } });
    (StatusCode::UNPROCESSABLE_ENTITY, axum::Json(body)).into_response()
}

async fn dispatch(
    axum::extract::State(state): axum::extract::State<Arc<Mutex<State>>>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let fault = {
        let mut state = state.lock().unwrap_or_else(|p| p.into_inner());
        state.requests.push(format!("{method} {}", uri.path()));
        state.fail_next.pop_front()
    };
    // Kong: the route, its ACL for the tenant API, then key-auth on `apikey`.
    let Some(path) = uri.path().strip_prefix("/realtime/v1") else {
        return message(404, "no Route matched with those values");
    };
    let apikey = headers.get("apikey").and_then(|v| v.to_str().ok());
    let Some(apikey) = apikey else {
        return message(401, "No API key found in request");
    };
    if ![SERVICE_KEY, ANON_KEY, FOREIGN_KEY].contains(&apikey) {
        return message(401, "Invalid authentication credentials");
    }
    if path.starts_with("/api/tenants") {
        return message(403, "You cannot consume this service");
    }
    match fault {
        Some(502) => return message(502, "An invalid response was received from the upstream server"),
        Some(429) => return message(429, "You have exceeded your rate limit"),
        Some(code) => return message(code, "Unknown error"),
        None => {}
    }
    if method == Method::GET && path == "/api/ping" {
        return (StatusCode::OK, axum::Json(json!({ "message": "Success" }))).into_response();
    }
    let Some(broadcast) = path.strip_prefix("/api/broadcast") else {
        return message(404, "Not found");
    };
    if method != Method::POST {
        return message(404, "Not found");
    }
    // AuthTenant: the Bearer token, else the apikey, signed with the tenant's secret.
    let bearer = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split_once(' '))
        .filter(|(scheme, _)| scheme.eq_ignore_ascii_case("bearer"))
        .map(|(_, token)| token.to_owned());
    let token = bearer.unwrap_or_else(|| apikey.to_owned());
    if ![SERVICE_KEY, ANON_KEY].contains(&token.as_str()) {
        return message(401, "Unauthorized");
    }
    let received = if broadcast.is_empty() || broadcast == "/" {
        match batch(&body) {
            Ok(messages) => messages,
            Err(response) => return response,
        }
    } else {
        // /:topic/events/:event, the body is the payload.
        let parts: Vec<&str> = broadcast.trim_start_matches('/').split('/').collect();
        let [topic, "events", event] = parts.as_slice() else {
            return message(404, "Not found");
        };
        let Ok(payload) = serde_json::from_slice::<Value>(&body) else {
            return invalid("payload", "is invalid");
        };
        let private = uri.query().unwrap_or_default().split('&').any(|pair| pair == "private=true");
        let decode = |s: &str| {
            reqwest::Url::parse(&format!("http://x/?v={s}"))
                .ok()
                .and_then(|u| u.query_pairs().next().map(|(_, v)| v.into_owned()))
                .unwrap_or_default()
        };
        vec![Received { topic: decode(topic), event: decode(event), payload, private }]
    };
    state.lock().unwrap_or_else(|p| p.into_inner()).messages.extend(received);
    accepted()
}

/// `{messages: [{topic, event, payload, private?}]}` as Realtime's BatchBroadcast changeset reads it.
fn batch(body: &[u8]) -> Result<Vec<Received>, Response> {
    let value: Value = serde_json::from_slice(body).map_err(|_| invalid("messages", "can't be blank"))?;
    let Some(messages) = value.get("messages").and_then(Value::as_array).filter(|m| !m.is_empty()) else {
        return Err(invalid("messages", "can't be blank"));
    };
    messages
        .iter()
        .map(|m| {
            let text = |field: &str| m.get(field).and_then(Value::as_str).filter(|s| !s.is_empty()).map(str::to_owned);
            let topic = text("topic").ok_or_else(|| invalid("topic", "can't be blank"))?;
            let event = text("event").ok_or_else(|| invalid("event", "can't be blank"))?;
            let payload = m.get("payload").filter(|p| p.is_object()).cloned();
            let payload = payload.ok_or_else(|| invalid("payload", "can't be blank"))?;
            let private = m.get("private").and_then(Value::as_bool).unwrap_or(false);
            Ok(Received { topic, event, payload, private })
        })
        .collect()
}
