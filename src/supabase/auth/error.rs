//! GoTrue's error replies read into a [`Failure`]: both body shapes (the default
//! `{code: <status>, error_code, msg, error_id?}` and, with `X-Supabase-Api-Version: 2024-01-01`,
//! `{code: "<error_code>", message}`), the `x-sb-error-code` header, and the gateway's own refusals
//! (Kong's `{"message": "Invalid authentication credentials"}`), each with what to do about it.

use crate::failure::Failure;
use crate::supabase::gateway::GatewayReply;
use serde_json::Value;

/// What an error reply says, whichever shape it came in.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct AuthError {
    pub status: u16,
    /// GoTrue's error code (`user_not_found`, `email_exists`, ...), empty when the reply had none.
    pub code: String,
    pub message: String,
    /// GoTrue's request id, sent with 5xx replies.
    pub error_id: Option<String>,
    /// `weak_password.reasons`.
    pub reasons: Vec<String>,
}

impl AuthError {
    /// Reads the error of a non-2xx reply.
    pub fn read(reply: &GatewayReply) -> AuthError {
        let header_code =
            reply.headers.get("x-sb-error-code").and_then(|v| v.to_str().ok()).unwrap_or_default().to_owned();
        let body = reply.json().unwrap_or(Value::Null);
        let text = |key: &str| body.get(key).and_then(Value::as_str).map(str::to_owned);
        let code = text("error_code").or_else(|| text("code")).unwrap_or(header_code);
        let message = text("msg")
            .or_else(|| text("message"))
            .or_else(|| text("error_description"))
            .or_else(|| text("error"))
            .unwrap_or_else(|| String::from_utf8_lossy(&reply.body).chars().take(300).collect());
        let reasons = body
            .pointer("/weak_password/reasons")
            .and_then(Value::as_array)
            .map(|list| list.iter().filter_map(Value::as_str).map(str::to_owned).collect())
            .unwrap_or_default();
        AuthError { status: reply.status.as_u16(), code, message, error_id: text("error_id"), reasons }
    }

    /// The failure a tool reports for this error of call `what` against `base_url`.
    pub fn failure(&self, what: &str, base_url: &str) -> Failure {
        let said = if self.code.is_empty() {
            format!("{} {}", self.status, self.message)
        } else {
            format!("{} {}: {}", self.status, self.code, self.message)
        };
        let why = |extra: &str| if extra.is_empty() { said.clone() } else { format!("{said} ({extra})") };
        let (why, fix) = match (self.status, self.code.as_str()) {
            (401, "no_authorization") | (401, "") => (
                why(&format!("{base_url} refused the key")),
                "set SUPABASE_SERVICE_ROLE_KEY (or service_role_key in the config file) to the stack's SERVICE_ROLE_KEY \
                 or sb_secret_ key: the anon key and user tokens cannot use the admin API"
                    .to_owned(),
            ),
            (403, "bad_jwt") => (
                why("the key's signature does not match the stack's JWT secret"),
                "use the SERVICE_ROLE_KEY made with this stack's JWT_SECRET (keys_check finds mismatched keys)".to_owned(),
            ),
            (403, "not_admin") => (
                why("the key's role claim is not an admin role"),
                "use the service_role key, not the anon key".to_owned(),
            ),
            (404, "user_not_found") => (why(""), "find the user's id with list_users (filter by email)".to_owned()),
            (404, "mfa_factor_not_found") => {
                (why(""), "list the user's factors with list_user_factors and pass one of their ids".to_owned())
            }
            (404, "") => (
                why(&format!("{base_url} has no GoTrue admin API at this path")),
                "check SUPABASE_URL: it is the API gateway (https://<ref>.supabase.co or Kong, e.g. http://localhost:8000)"
                    .to_owned(),
            ),
            (422, "email_exists") | (422, "phone_exists") | (422, "user_already_exists") => (
                why(""),
                "find the existing user with list_users (filter by the email) and change it with update_user".to_owned(),
            ),
            (422, "weak_password") => (
                why(&self.reasons.join(", ")),
                "choose a longer password meeting the project's password requirements".to_owned(),
            ),
            (400, "user_banned") | (403, "user_banned") => {
                (why(""), "unban with update_user ban_duration \"none\"".to_owned())
            }
            (429, _) => (
                why("rate limited"),
                "wait and retry; for email rate limits raise GOTRUE_RATE_LIMIT_EMAIL_SENT or configure real SMTP"
                    .to_owned(),
            ),
            (500, _) if self.message.contains("Database error") => (
                why(&self.id_note()),
                "a trigger, constraint or grant on auth.users failed inside GoTrue's transaction: check the triggers \
                 on auth.users (e.g. handle_new_user) and the GoTrue logs for this error_id"
                    .to_owned(),
            ),
            (status, _) if status >= 500 => (
                why(&self.id_note()),
                "the auth service failed: check that it is up (health_check) and read its logs, then retry".to_owned(),
            ),
            (400, _) | (422, _) => (why(""), "correct the arguments as the message says and call again".to_owned()),
            _ => (why(""), "check the arguments and the auth service, then retry".to_owned()),
        };
        Failure::new(format!("{what} failed"), why, fix)
    }

    fn id_note(&self) -> String {
        self.error_id.as_ref().map(|id| format!("error_id {id}")).unwrap_or_default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use reqwest::StatusCode;
    use reqwest::header::{HeaderMap, HeaderValue};

    fn reply(status: u16, body: &str, header: Option<&str>) -> GatewayReply {
        let mut headers = HeaderMap::new();
        if let Some(code) = header {
            headers.insert("x-sb-error-code", HeaderValue::from_str(code).unwrap());
        }
        GatewayReply {
            status: StatusCode::from_u16(status).unwrap(),
            headers,
            body: bytes::Bytes::from(body.to_owned()),
        }
    }

    #[test]
    fn both_gotrue_shapes_read_the_same() {
        let legacy = AuthError::read(&reply(
            422,
            r#"{"code":422,"error_code":"email_exists","msg":"A user with this email address has already been registered"}"#,
            Some("email_exists"),
        ));
        let versioned = AuthError::read(&reply(
            422,
            r#"{"code":"email_exists","message":"A user with this email address has already been registered"}"#,
            Some("email_exists"),
        ));
        assert_eq!(legacy, versioned);
        assert_eq!(legacy.code, "email_exists");
        let failure = legacy.failure("create user", "http://x");
        assert!(failure.fix.contains("update_user"), "{failure}");
    }

    #[test]
    fn kong_refusal_and_weak_password_and_5xx_id() {
        let kong = AuthError::read(&reply(401, r#"{"message":"Invalid authentication credentials"}"#, None));
        assert_eq!(kong.code, "");
        let failure = kong.failure("list users", "http://kong:8000");
        assert!(failure.why.contains("http://kong:8000 refused the key"), "{failure}");
        assert!(failure.fix.contains("SUPABASE_SERVICE_ROLE_KEY"), "{failure}");
        let weak = AuthError::read(&reply(
            422,
            r#"{"code":422,"error_code":"weak_password","msg":"Password should be at least 6 characters.","weak_password":{"reasons":["length"]}}"#,
            None,
        ));
        assert_eq!(weak.reasons, vec!["length".to_owned()]);
        let broken = AuthError::read(&reply(
            500,
            r#"{"code":500,"error_code":"unexpected_failure","msg":"Database error creating new user","error_id":"req-1"}"#,
            None,
        ));
        let failure = broken.failure("create user", "http://x");
        assert!(failure.why.contains("req-1") && failure.fix.contains("trigger"), "{failure}");
    }
}
