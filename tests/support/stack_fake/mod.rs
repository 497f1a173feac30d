//! A whole self-hosted stack's API on one loopback address, for tools and scripts that take one Supabase URL
//! (`scripts/smoke.sh`): a Kong-like router that sends `/auth/v1` to the GoTrue fake, `/storage/v1` to the
//! Storage fake, `/functions/v1` to the functions fake and `/realtime/v1` to the Realtime fake, paths unchanged.
//!
//! Kong's part: a request must carry one of the stack's two keys in `apikey` (401 `{"message": ...}` otherwise,
//! as Kong's key-auth answers), except on `/storage/v1` and `/functions/v1`, which Kong leaves to the service.
//! Each fake was written with keys of its own, so the router swaps the stack's service-role and anon keys for
//! the upstream fake's in `apikey` and `Authorization` (any other bearer, a user's JWT, passes unchanged). On a
//! real stack every service verifies the same keys; here the swap stands in for that shared JWT secret.
//!
//! Include it with `#[path = "../support/stack_fake/mod.rs"] mod stack_fake;` beside the four fakes.
#![allow(dead_code, clippy::expect_used, clippy::unwrap_used, clippy::panic)]

use crate::{functions_fake, gotrue_fake, realtime_fake, storage_fake};
use axum::Router;
use axum::body::Bytes;
use axum::extract::State as AxState;
use axum::http::{HeaderMap, Method, StatusCode, Uri, header};
use axum::response::{IntoResponse, Response};
use serde_json::json;
use std::sync::Arc;

/// The stack's service-role key (JWT-shaped: supamcp also sends it as the bearer).
pub const SERVICE_KEY: &str = "eyJhbGciOiJIUzI1NiJ9.eyJyb2xlIjoic2VydmljZV9yb2xlIn0.stack-fake-service-signature";
/// The stack's anon key.
pub const ANON_KEY: &str = "eyJhbGciOiJIUzI1NiJ9.eyJyb2xlIjoiYW5vbiJ9.stack-fake-anon-signature";

/// One upstream: its path prefix, its URL, whether Kong checks the key, and its own service and anon keys.
struct Upstream {
    prefix: &'static str,
    url: String,
    key_auth: bool,
    service_key: String,
    anon_key: String,
}

/// The four fakes behind one router. Dropping it stops them all.
pub struct Stack {
    /// What SUPABASE_URL / SUPABASE_PUBLIC_URL would be.
    pub url: String,
    pub auth: gotrue_fake::Fake,
    pub storage: storage_fake::Fake,
    pub functions: functions_fake::Fake,
    pub realtime: realtime_fake::Fake,
    task: tokio::task::JoinHandle<()>,
}

impl Drop for Stack {
    fn drop(&mut self) {
        self.task.abort();
    }
}

impl Stack {
    /// Starts the four fakes (the functions endpoint without JWT verification, as the stock stack's
    /// FUNCTIONS_VERIFY_JWT=false) and the router in front of them.
    pub async fn start() -> Stack {
        let auth = gotrue_fake::Fake::start().await;
        let storage = storage_fake::Fake::start().await;
        let functions = functions_fake::Fake::start(false).await;
        let realtime = realtime_fake::Fake::start().await;
        let upstreams = vec![
            Upstream {
                prefix: "/auth/v1",
                url: auth.url.clone(),
                key_auth: true,
                service_key: gotrue_fake::SERVICE_KEY.to_owned(),
                anon_key: gotrue_fake::ANON_KEY.to_owned(),
            },
            Upstream {
                prefix: "/storage/v1",
                url: storage.url.clone(),
                key_auth: false,
                service_key: storage_fake::SERVICE_KEY.to_owned(),
                anon_key: ANON_KEY.to_owned(),
            },
            Upstream {
                prefix: "/functions/v1",
                url: functions.url.clone(),
                key_auth: false,
                service_key: functions_fake::Fake::token("service_role"),
                anon_key: functions_fake::Fake::token("anon"),
            },
            Upstream {
                prefix: "/realtime/v1",
                url: realtime.url.clone(),
                key_auth: true,
                service_key: realtime_fake::SERVICE_KEY.to_owned(),
                anon_key: realtime_fake::ANON_KEY.to_owned(),
            },
        ];
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind the stack router");
        let url = format!("http://{}", listener.local_addr().expect("router address"));
        let app = Router::new().fallback(route).with_state(Arc::new(upstreams));
        let task = tokio::spawn(async move {
            axum::serve(listener, app).await.expect("stack router");
        });
        Stack { url, auth, storage, functions, realtime, task }
    }
}

fn kong(status: u16, message: &str) -> Response {
    (StatusCode::from_u16(status).unwrap(), axum::Json(json!({ "message": message }))).into_response()
}

/// Swaps a stack key for the upstream's own; anything else passes unchanged.
fn swap(value: &str, upstream: &Upstream) -> String {
    match value {
        SERVICE_KEY => upstream.service_key.clone(),
        ANON_KEY => upstream.anon_key.clone(),
        other => other.to_owned(),
    }
}

async fn route(
    AxState(upstreams): AxState<Arc<Vec<Upstream>>>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let path = uri.path();
    let Some(upstream) = upstreams.iter().find(|u| path == u.prefix || path.starts_with(&format!("{}/", u.prefix)))
    else {
        return kong(404, "no Route matched with those values");
    };
    let apikey = headers.get("apikey").and_then(|v| v.to_str().ok());
    if upstream.key_auth {
        match apikey {
            None => return kong(401, "No API key found in request"),
            Some(key) if key != SERVICE_KEY && key != ANON_KEY => {
                return kong(401, "Invalid authentication credentials");
            }
            Some(_) => {}
        }
    }
    let target = format!("{}{}", upstream.url, uri.path_and_query().map_or(path, |p| p.as_str()));
    let mut request = reqwest::Client::new().request(method, target).body(body);
    for (name, value) in &headers {
        if [header::HOST, header::CONTENT_LENGTH, header::CONNECTION].contains(name) {
            continue;
        }
        let value = match (name.as_str(), value.to_str()) {
            ("apikey", Ok(key)) => swap(key, upstream),
            ("authorization", Ok(auth)) => match auth.strip_prefix("Bearer ") {
                Some(token) => format!("Bearer {}", swap(token, upstream)),
                None => auth.to_owned(),
            },
            _ => {
                request = request.header(name, value);
                continue;
            }
        };
        request = request.header(name, value);
    }
    let reply = match request.send().await {
        Ok(reply) => reply,
        Err(_) => return kong(502, "An invalid response was received from the upstream server"),
    };
    let status = reply.status();
    let mut response_headers = HeaderMap::new();
    for (name, value) in reply.headers() {
        if [header::CONTENT_LENGTH, header::TRANSFER_ENCODING, header::CONNECTION].contains(name) {
            continue;
        }
        response_headers.append(name.clone(), value.clone());
    }
    let body = reply.bytes().await.unwrap_or_default();
    let mut response = (status, body).into_response();
    response.headers_mut().remove(header::CONTENT_TYPE);
    response.headers_mut().extend(response_headers);
    response
}
