//! The fake's HTTP surface: one handler that authenticates, routes on `(method, /api/<procedure>)`,
//! decodes the input (query or JSON), validates required fields, injects faults and dispatches.

use super::procedures::{Fail, dispatch};
use super::{API_KEY, State};
use axum::Router;
use axum::body::Bytes;
use axum::extract::State as AxState;
use axum::http::{HeaderMap, Method, StatusCode, Uri, header};
use axum::response::{IntoResponse, Response};
use serde_json::{Map, Value, json};
use std::sync::{Arc, Mutex};
use supamcp::dokploy::Version;

pub type Shared = Arc<Mutex<State>>;

/// What a procedure answers: JSON, or 200 with an empty body (procedures returning undefined).
pub enum Reply {
    Json(Value),
    Empty,
}

pub fn router(state: Shared) -> Router {
    Router::new().fallback(handle).with_state(state)
}

/// `(procedure, is POST, required fields, first version that has it)`.
type Spec = (&'static str, bool, &'static [&'static str], (u32, u32, u32));

const PROCEDURES: &[Spec] = &[
    ("settings.getDokployVersion", false, &[], (0, 0, 0)),
    ("project.all", false, &[], (0, 0, 0)),
    ("project.one", false, &["projectId"], (0, 0, 0)),
    ("project.create", true, &["name"], (0, 0, 0)),
    ("project.remove", true, &["projectId"], (0, 0, 0)),
    ("environment.create", true, &["name", "projectId"], (0, 25, 0)),
    ("environment.one", false, &["environmentId"], (0, 25, 0)),
    ("environment.byProjectId", false, &["projectId"], (0, 25, 0)),
    ("compose.create", true, &["name", "environmentId"], (0, 0, 0)),
    ("compose.one", false, &["composeId"], (0, 0, 0)),
    ("compose.update", true, &["composeId"], (0, 0, 0)),
    ("compose.saveEnvironment", true, &["composeId", "env"], (0, 29, 0)),
    ("compose.delete", true, &["composeId", "deleteVolumes"], (0, 0, 0)),
    ("compose.deploy", true, &["composeId"], (0, 0, 0)),
    ("compose.redeploy", true, &["composeId"], (0, 0, 0)),
    ("compose.stop", true, &["composeId"], (0, 0, 0)),
    ("compose.start", true, &["composeId"], (0, 0, 0)),
    ("compose.deployTemplate", true, &["environmentId", "id"], (0, 0, 0)),
    ("compose.templates", false, &[], (0, 0, 0)),
    ("compose.loadServices", false, &["composeId"], (0, 0, 0)),
    ("compose.readLogs", false, &["composeId", "containerId"], (0, 29, 0)),
    ("deployment.allByCompose", false, &["composeId"], (0, 0, 0)),
    ("deployment.readLogs", false, &["deploymentId"], (0, 29, 6)),
    ("domain.create", true, &["host"], (0, 0, 0)),
    ("domain.update", true, &["host", "domainId"], (0, 0, 0)),
    ("domain.byComposeId", false, &["composeId"], (0, 0, 0)),
    ("domain.delete", true, &["domainId"], (0, 0, 0)),
    ("docker.getContainersByAppNameMatch", false, &["appName"], (0, 0, 0)),
    ("docker.restartContainer", true, &["containerId"], (0, 0, 0)),
    ("server.all", false, &[], (0, 0, 0)),
    ("mounts.create", true, &["type", "mountPath", "serviceType", "serviceId"], (0, 0, 0)),
    ("mounts.one", false, &["mountId"], (0, 0, 0)),
    ("mounts.update", true, &["mountId"], (0, 0, 0)),
    ("mounts.remove", true, &["mountId"], (0, 0, 0)),
];

fn body(
    status: u16,
    code: &str,
    message: &str,
    path: Option<&str>,
    version: Version,
    extra: Option<Value>,
) -> Response {
    let mut value = json!({"message": message, "code": code});
    if version >= Version::new(0, 28, 0) {
        value["data"] = json!({"code": code, "httpStatus": status, "path": path, "zodError": null});
    }
    if let Some(issues) = extra {
        value["issues"] = issues;
    }
    let status = StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    (status, [(header::CONTENT_TYPE, "application/json")], value.to_string()).into_response()
}

async fn handle(
    AxState(shared): AxState<Shared>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    raw: Bytes,
) -> Response {
    let procedure = uri.path().strip_prefix("/api/").unwrap_or("").to_owned();
    let (hang, failure, version, key_expired) = {
        let mut state = shared.lock().unwrap_or_else(|p| p.into_inner());
        state.requests.push((method.to_string(), procedure.clone()));
        let hang = (state.faults.hang_next > 0).then(|| {
            state.faults.hang_next -= 1;
            state.faults.hang_for
        });
        let targeted = state.faults.fail_procedure.as_ref().filter(|(p, _)| *p == procedure).map(|(_, status)| *status);
        let failure = targeted.or_else(|| state.faults.fail_next.pop_front());
        (hang, failure, state.parsed_version(), state.faults.key_expired)
    };
    if let Some(delay) = hang {
        tokio::time::sleep(delay).await;
    }
    if let Some(status) = failure {
        let code = if status == 429 { "TOO_MANY_REQUESTS" } else { "INTERNAL_SERVER_ERROR" };
        return body(status, code, "Injected failure", Some(&procedure), version, None);
    }
    let key = headers.get("x-api-key").and_then(|v| v.to_str().ok());
    if key != Some(API_KEY) || key_expired {
        return (
            StatusCode::UNAUTHORIZED,
            [(header::CONTENT_TYPE, "application/json")],
            r#"{"message":"Unauthorized"}"#,
        )
            .into_response();
    }
    let spec = PROCEDURES
        .iter()
        .find(|(name, _, _, since)| *name == procedure && version >= Version::new(since.0, since.1, since.2));
    let Some((_, post, required, _)) = spec else {
        return body(404, "NOT_FOUND", "Not found", None, version, None);
    };
    if *post != (method == Method::POST) || !(method == Method::GET || method == Method::POST) {
        return body(404, "NOT_FOUND", "Not found", None, version, None);
    }
    let input = if *post {
        let content_type = headers.get(header::CONTENT_TYPE).and_then(|v| v.to_str().ok()).unwrap_or("");
        if !content_type.starts_with("application/json") {
            let message = format!("Unsupported content-type \"{content_type}");
            return body(415, "UNSUPPORTED_MEDIA_TYPE", &message, Some(&procedure), version, None);
        }
        match serde_json::from_slice::<Value>(&raw) {
            Ok(Value::Object(map)) => map,
            _ => return body(400, "PARSE_ERROR", "Failed to parse request body", Some(&procedure), version, None),
        }
    } else {
        let mut map = Map::new();
        for pair in uri.query().unwrap_or("").split('&').filter(|p| !p.is_empty()) {
            let (k, v) = pair.split_once('=').unwrap_or((pair, ""));
            let decoded = |s: &str| percent_decode(s);
            map.insert(decoded(k), json!(decoded(v)));
        }
        map
    };
    let legacy = !version.has_environments();
    let mut missing = Vec::new();
    for field in required.iter() {
        let field = if legacy && *field == "environmentId" { "projectId" } else { *field };
        let present = match input.get(field) {
            Some(Value::String(s)) => !s.is_empty(),
            Some(Value::Null) | None => false,
            Some(_) => true,
        };
        if !present {
            missing.push(json!({"origin":"string","code":"too_small","minimum":1,"inclusive":true,"path":[field],
                "message":"Too small: expected string to have >=1 characters"}));
        }
    }
    if !missing.is_empty() {
        return body(
            400,
            "BAD_REQUEST",
            "Input validation failed",
            Some(&procedure),
            version,
            Some(Value::Array(missing)),
        );
    }
    let outcome = dispatch(&shared, &procedure, &Value::Object(input));
    match outcome {
        Ok(Reply::Json(value)) => {
            (StatusCode::OK, [(header::CONTENT_TYPE, "application/json")], value.to_string()).into_response()
        }
        Ok(Reply::Empty) => (StatusCode::OK, "").into_response(),
        Err(Fail(status, code, message)) => body(status, code, &message, Some(&procedure), version, None),
    }
}

fn percent_decode(text: &str) -> String {
    let bytes = text.replace('+', " ").into_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let hex = (bytes[i] == b'%' && i + 2 < bytes.len())
            .then(|| u8::from_str_radix(&String::from_utf8_lossy(&bytes[i + 1..i + 3]), 16).ok())
            .flatten();
        if let Some(byte) = hex {
            out.push(byte);
            i += 3;
            continue;
        }
        out.push(bytes[i]);
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}
