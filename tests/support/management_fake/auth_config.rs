//! `GET`/`PATCH /v1/projects/{ref}/config/auth` of the fake Management API: a project's auth config (a subset of
//! the real object's fields, with the real names and types), created on first read; a PATCH with an unknown field
//! or a value of the wrong type is refused with 400 and changes nothing.

use super::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};

fn default_config() -> Value {
    json!({
        "site_url": "http://localhost:3000",
        "uri_allow_list": "",
        "disable_signup": false,
        "mailer_autoconfirm": false,
        "external_email_enabled": true,
        "external_phone_enabled": false,
        "external_anonymous_users_enabled": false,
        "external_google_enabled": false,
        "external_google_client_id": "",
        "external_google_secret": "",
        "jwt_exp": 3600,
        "mfa_totp_enroll_enabled": true,
        "smtp_host": "smtp.example.com",
        "smtp_port": "587",
        "smtp_user": "mailer",
        "smtp_pass": "fake-smtp-password-0123456789",
        "smtp_admin_email": "admin@example.com"
    })
}

fn message(status: StatusCode, text: &str) -> Response {
    (status, axum::Json(json!({ "message": text }))).into_response()
}

pub fn handle(state: &mut State, method: &str, reference: &str, body: &Value) -> Response {
    if state.project_mut(reference).is_none() {
        return message(StatusCode::NOT_FOUND, "Project not found");
    }
    let config = state.auth_configs.entry(reference.to_owned()).or_insert_with(default_config);
    if method == "GET" {
        return (StatusCode::OK, axum::Json(config.clone())).into_response();
    }
    let Some(changes) = body.as_object() else {
        return message(StatusCode::BAD_REQUEST, "body must be an object");
    };
    for (name, value) in changes {
        let Some(current) = config.get(name) else {
            return message(StatusCode::BAD_REQUEST, &format!("property {name} should not exist"));
        };
        let same_type = std::mem::discriminant(current) == std::mem::discriminant(value);
        if !same_type {
            return message(StatusCode::BAD_REQUEST, &format!("{name} has the wrong type"));
        }
    }
    for (name, value) in changes {
        config[name] = value.clone();
    }
    (StatusCode::OK, axum::Json(config.clone())).into_response()
}
