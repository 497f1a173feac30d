//! The fake's HTTP surface: Kong's route and key checks, faults, GoTrue's admin check, both error shapes,
//! then dispatch on `(method, path)` to the state machine in `users.rs`.

use super::users;
use super::{ANON_KEY, FOREIGN_KEY, SECRET_KEY, SERVICE_KEY, State};
use axum::Router;
use axum::body::Bytes;
use axum::extract::State as AxState;
use axum::http::{HeaderMap, HeaderName, HeaderValue, Method, StatusCode, Uri, header};
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};
use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};

pub type Shared = Arc<Mutex<State>>;
/// The fixture database the fake mirrors its state into, when it has one.
pub type Database = Arc<tokio::sync::Mutex<tokio_postgres::Client>>;

#[derive(Clone)]
pub struct App {
    state: Shared,
    database: Option<Database>,
}

/// A GoTrue error: status, error code, message and extra fields (weak_password).
#[derive(Debug)]
pub struct ApiError {
    pub status: u16,
    pub code: String,
    pub msg: String,
    pub extra: Option<(String, Value)>,
}

impl ApiError {
    pub fn new(status: u16, code: &str, msg: impl Into<String>) -> ApiError {
        ApiError { status, code: code.to_owned(), msg: msg.into(), extra: None }
    }

    fn response(self, versioned: bool) -> Response {
        let mut body = if versioned {
            json!({"code": self.code, "message": self.msg})
        } else {
            json!({"code": self.status, "error_code": self.code, "msg": self.msg})
        };
        if self.status >= 500 && !versioned {
            body["error_id"] = json!(uuid::Uuid::new_v4().to_string());
        }
        if let Some((key, value)) = self.extra {
            body[key.as_str()] = value;
        }
        let mut response =
            (status(self.status), [(header::CONTENT_TYPE, "application/json")], body.to_string()).into_response();
        let headers = response.headers_mut();
        headers.insert("x-sb-error-code", HeaderValue::from_str(&self.code).unwrap());
        if versioned {
            headers.insert("x-supabase-api-version", HeaderValue::from_static("2024-01-01"));
        }
        response
    }
}

/// A success: status, extra headers and the JSON body.
pub struct Reply {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: Value,
}

impl Reply {
    pub fn ok(body: Value) -> Reply {
        Reply { status: 200, headers: Vec::new(), body }
    }
}

fn status(code: u16) -> StatusCode {
    StatusCode::from_u16(code).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR)
}

fn kong(code: u16, message: &str) -> Response {
    (status(code), [(header::CONTENT_TYPE, "application/json")], json!({"message": message}).to_string())
        .into_response()
}

pub fn router(state: Shared, database: Option<Database>) -> Router {
    Router::new().fallback(handle).with_state(App { state, database })
}

async fn handle(AxState(app): AxState<App>, method: Method, uri: Uri, headers: HeaderMap, body: Bytes) -> Response {
    let state = app.state;
    let versioned = headers.get("x-supabase-api-version").is_some_and(|v| v.as_bytes() >= b"2024-01-01".as_slice());
    let query: BTreeMap<String, String> =
        axum::extract::Query::try_from_uri(&uri).map(|axum::extract::Query(q)| q).unwrap_or_default();
    let (hang, fault) = {
        let mut state = state.lock().unwrap();
        state.requests.push(format!("{method} {uri}"));
        state.bodies.push(String::from_utf8_lossy(&body).into_owned());
        let hang = (state.faults.hang_next > 0).then(|| {
            state.faults.hang_next -= 1;
            state.faults.hang_for
        });
        (hang, state.faults.fail_next.pop_front())
    };
    if let Some(duration) = hang {
        tokio::time::sleep(duration).await;
    }
    // Kong: routes, then key-auth on `apikey` (header or query).
    let Some(path) = uri.path().strip_prefix("/auth/v1") else {
        return kong(404, "no Route matched with those values");
    };
    let apikey = headers.get("apikey").and_then(|v| v.to_str().ok()).or(query.get("apikey").map(String::as_str));
    let Some(apikey) = apikey else {
        return kong(401, "No API key found in request");
    };
    if ![SERVICE_KEY, ANON_KEY, SECRET_KEY, FOREIGN_KEY].contains(&apikey) {
        return kong(401, "Invalid authentication credentials");
    }
    match fault {
        Some(502) => return kong(502, "An invalid response was received from the upstream server"),
        Some(503) => return kong(503, "failure to get a peer from the ring-balancer"),
        Some(429) => {
            return ApiError::new(429, "over_request_rate_limit", "Request rate limit reached").response(versioned);
        }
        Some(code) => return ApiError::new(code, "unexpected_failure", "Unexpected failure").response(versioned),
        None => {}
    }
    // Kong's Lua: an opaque secret key becomes the service-role JWT upstream.
    let authorization = headers.get(header::AUTHORIZATION).and_then(|v| v.to_str().ok()).unwrap_or_default();
    let bearer = match authorization.strip_prefix("Bearer ") {
        Some(token) if !token.starts_with("sb_") => Some(token.to_owned()),
        _ if apikey == SECRET_KEY => Some(SERVICE_KEY.to_owned()),
        _ => None,
    };
    let path = path.trim_end_matches('/').to_owned();
    if path == "/token" && method == Method::POST {
        let grant_type = query.get("grant_type").map(String::as_str).unwrap_or_default();
        let parsed: Value = serde_json::from_slice(&body).unwrap_or(Value::Null);
        return match super::sessions::grant(&state, app.database.as_ref(), grant_type, &parsed).await {
            Ok(reply) => (status(reply.status), [(header::CONTENT_TYPE, "application/json")], reply.body.to_string())
                .into_response(),
            Err(error) => error.response(versioned),
        };
    }
    if path.starts_with("/admin") || path == "/invite" {
        match bearer.as_deref() {
            None => {
                return ApiError::new(401, "no_authorization", "This endpoint requires a valid Bearer token")
                    .response(versioned);
            }
            Some(SERVICE_KEY) => {}
            Some(ANON_KEY) => return ApiError::new(403, "not_admin", "User not allowed").response(versioned),
            Some(_) => {
                return ApiError::new(
                    403,
                    "bad_jwt",
                    "invalid JWT: unable to parse or verify signature, signature is invalid",
                )
                .response(versioned);
            }
        }
    }
    let parsed: Value = if body.is_empty() {
        Value::Null
    } else {
        match serde_json::from_slice(&body) {
            Ok(value) => value,
            Err(_) => {
                return ApiError::new(400, "bad_json", "Could not parse request body as JSON").response(versioned);
            }
        }
    };
    let base =
        format!("http://{}/auth/v1", headers.get(header::HOST).and_then(|h| h.to_str().ok()).unwrap_or("localhost"));
    let (outcome, snapshot) = {
        let mut state = state.lock().unwrap();
        let outcome = dispatch(&mut state, &method, &path, &query, &parsed, &base);
        let snapshot = (app.database.is_some() && method != Method::GET && outcome.is_ok()).then(|| {
            let users = super::mirror::rows(&state);
            let audit = state.audit[state.synced_audit..].to_vec();
            state.synced_audit = state.audit.len();
            (users, audit)
        });
        (outcome, snapshot)
    };
    if let (Some(database), Some((users, audit))) = (&app.database, snapshot) {
        let mut client = database.lock().await;
        if let Err(error) = super::mirror::sync(&mut client, &users, &audit).await {
            return ApiError::new(500, "unexpected_failure", format!("Database error saving user: {error}"))
                .response(versioned);
        }
    }
    match outcome {
        Ok(reply) => {
            let mut response =
                (status(reply.status), [(header::CONTENT_TYPE, "application/json")], reply.body.to_string())
                    .into_response();
            for (name, value) in reply.headers {
                response
                    .headers_mut()
                    .append(HeaderName::from_bytes(name.as_bytes()).unwrap(), HeaderValue::from_str(&value).unwrap());
            }
            response
        }
        Err(error) => error.response(versioned),
    }
}

fn dispatch(
    state: &mut State,
    method: &Method,
    path: &str,
    query: &BTreeMap<String, String>,
    body: &Value,
    base: &str,
) -> Result<Reply, ApiError> {
    let segments: Vec<&str> = path.trim_start_matches('/').split('/').collect();
    match (method.as_str(), segments.as_slice()) {
        ("GET", ["health"]) => Ok(Reply::ok(json!({"version": "v2.186.0", "name": "GoTrue",
            "description": "GoTrue is a user registration and authentication API"}))),
        ("GET", ["settings"]) => {
            let mut settings = users::settings();
            if let Some(map) = settings.as_object_mut() {
                map.extend(state.settings_changes.clone());
            }
            Ok(Reply::ok(settings))
        }
        ("GET", ["admin", "users"]) => users::list(state, query, base),
        ("POST", ["admin", "users"]) => users::insert(state, body).map(Reply::ok),
        ("GET", ["admin", "users", id]) => users::get(state, id).map(Reply::ok),
        ("PUT", ["admin", "users", id]) => users::update(state, id, body).map(Reply::ok),
        ("DELETE", ["admin", "users", id]) => users::delete(state, id, body).map(Reply::ok),
        ("GET", ["admin", "users", id, "factors"]) => users::factors(state, id).map(Reply::ok),
        ("DELETE", ["admin", "users", id, "factors", factor]) => users::delete_factor(state, id, factor).map(Reply::ok),
        ("POST", ["admin", "generate_link"]) => users::generate_link(state, body, base).map(Reply::ok),
        ("POST", ["invite"]) => users::invite(state, body).map(Reply::ok),
        ("GET", ["admin", "audit"]) => users::audit(state, query, base),
        (_, ["admin", ..]) | (_, ["invite"]) | (_, ["health"]) | (_, ["settings"]) => {
            Err(ApiError::new(405, "method_not_allowed", "Method not allowed"))
        }
        _ => Err(ApiError::new(404, "not_found", "Not Found")),
    }
}
