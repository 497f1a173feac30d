//! A loopback HTTP proxy in front of moto that answers chosen requests with a 5xx S3 error instead of
//! forwarding them: "every UploadPart of part 2" or "the first N of them". Counts what it injected.

use axum::body::{Body, to_bytes};
use axum::extract::{Request, State};
use axum::http::{HeaderName, Method, StatusCode};
use axum::response::Response;
use std::sync::{Arc, Mutex};

/// Requests with this method whose query holds all of `query` get `status`, `times` times (then pass).
#[derive(Clone, Debug)]
pub struct Rule {
    pub method: Method,
    pub query: Vec<(String, String)>,
    pub status: u16,
    pub times: usize,
}

impl Rule {
    /// `status` for UploadPart of part `number`, `times` times.
    pub fn upload_part(number: u32, status: u16, times: usize) -> Rule {
        Rule { method: Method::PUT, query: vec![("partNumber".into(), number.to_string())], status, times }
    }
}

#[derive(Clone)]
struct Shared {
    target: String,
    rules: Arc<Mutex<Vec<Rule>>>,
    injected: Arc<Mutex<usize>>,
    http: reqwest::Client,
}

/// The running proxy; stops with the test's runtime.
pub struct FaultProxy {
    pub endpoint: String,
    shared: Shared,
}

impl FaultProxy {
    pub async fn start(target: &str, rules: Vec<Rule>) -> FaultProxy {
        let shared = Shared {
            target: target.to_owned(),
            rules: Arc::new(Mutex::new(rules)),
            injected: Arc::new(Mutex::new(0)),
            http: reqwest::Client::new(),
        };
        let app = axum::Router::new().fallback(forward).with_state(shared.clone());
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let endpoint = format!("http://{}", listener.local_addr().unwrap());
        tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
        FaultProxy { endpoint, shared }
    }

    /// How many faults were injected so far.
    pub fn injected(&self) -> usize {
        *self.shared.injected.lock().unwrap()
    }
}

fn fault(shared: &Shared, method: &Method, query: &str) -> Option<u16> {
    let pairs: Vec<(String, String)> =
        query.split('&').filter_map(|pair| pair.split_once('=').map(|(k, v)| (k.to_owned(), v.to_owned()))).collect();
    let mut rules = shared.rules.lock().unwrap();
    let rule =
        rules.iter_mut().find(|r| r.times > 0 && r.method == method && r.query.iter().all(|q| pairs.contains(q)))?;
    rule.times -= 1;
    *shared.injected.lock().unwrap() += 1;
    Some(rule.status)
}

async fn forward(State(shared): State<Shared>, request: Request) -> Response {
    let (parts, body) = request.into_parts();
    let query = parts.uri.query().unwrap_or("").to_owned();
    // Read the body first, as a real server would before failing.
    let body = to_bytes(body, 64 * 1024 * 1024).await.unwrap();
    if let Some(status) = fault(&shared, &parts.method, &query) {
        let code = if status == 503 { "SlowDown" } else { "InternalError" };
        let xml = format!(
            "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<Error><Code>{code}</Code><Message>injected fault</Message><RequestId>fault</RequestId></Error>"
        );
        return Response::builder()
            .status(StatusCode::from_u16(status).unwrap())
            .header("content-type", "application/xml")
            .body(Body::from(xml))
            .unwrap();
    }
    let path = parts.uri.path_and_query().map(|p| p.as_str()).unwrap_or("/");
    let method = reqwest::Method::from_bytes(parts.method.as_str().as_bytes()).unwrap();
    let mut upstream = shared.http.request(method, format!("{}{path}", shared.target));
    for (name, value) in &parts.headers {
        if !skip_header(name) {
            upstream = upstream.header(name.as_str(), value.as_bytes());
        }
    }
    let reply = upstream.body(body).send().await.unwrap();
    let mut response = Response::builder().status(reply.status().as_u16());
    for (name, value) in reply.headers() {
        if !matches!(name.as_str(), "content-length" | "transfer-encoding" | "connection") {
            response = response.header(name.as_str(), value.as_bytes());
        }
    }
    response.body(Body::from(reply.bytes().await.unwrap())).unwrap()
}

fn skip_header(name: &HeaderName) -> bool {
    matches!(name.as_str(), "host" | "content-length" | "transfer-encoding" | "connection")
}
