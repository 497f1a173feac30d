//! `GET`/`PATCH /v1/projects/{ref}/config/realtime` of the fake Management API: a project's Realtime settings
//! (the real field names and types; `max_presence_events_per_second` unset, as on a project that never changed
//! it), created on first read; a PATCH answers 204, and one with an unknown field or a value of the wrong type
//! is refused with 400 and changes nothing.

use super::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};

fn default_config() -> Value {
    json!({
        "private_only": false,
        "connection_pool": 2,
        "max_concurrent_users": 200,
        "max_events_per_second": 100,
        "max_bytes_per_second": 100000,
        "max_channels_per_client": 100,
        "max_joins_per_second": 100,
        "max_presence_events_per_second": null,
        "max_payload_size_in_kb": 100,
        "suspend": false,
        "presence_enabled": true
    })
}

fn message(status: StatusCode, text: &str) -> Response {
    (status, axum::Json(json!({ "message": text }))).into_response()
}

fn integer_field(name: &str) -> bool {
    name.starts_with("max_") || name == "connection_pool"
}

pub fn handle(state: &mut State, method: &str, reference: &str, body: &Value) -> Response {
    if state.project_mut(reference).is_none() {
        return message(StatusCode::NOT_FOUND, "Project not found");
    }
    let config = state.realtime_configs.entry(reference.to_owned()).or_insert_with(default_config);
    if method == "GET" {
        return (StatusCode::OK, axum::Json(config.clone())).into_response();
    }
    let Some(changes) = body.as_object() else {
        return message(StatusCode::BAD_REQUEST, "body must be an object");
    };
    for (name, value) in changes {
        if config.get(name).is_none() {
            return message(StatusCode::BAD_REQUEST, &format!("property {name} should not exist"));
        }
        let fits = if integer_field(name) { value.is_i64() } else { value.is_boolean() };
        if !fits {
            return message(StatusCode::BAD_REQUEST, &format!("{name} has the wrong type"));
        }
    }
    for (name, value) in changes {
        config[name] = value.clone();
    }
    StatusCode::NO_CONTENT.into_response()
}
