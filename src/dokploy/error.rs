//! Errors of the Dokploy client. Dokploy answers failures with one of two bodies: `{message, code,
//! data?, issues?}` from the OpenAPI wrapper (data since v0.28, issues on validation errors) and
//! `{"message":"Unauthorized"}` (no code) from the key check. Both parse into [`ApiError`]; every error
//! turns into a [`Failure`] with what failed, why and the fix.

use crate::failure::Failure;
use serde::Deserialize;
use serde_json::Value;
use std::fmt;

/// An error reply from the Dokploy API.
#[derive(Clone, Debug, PartialEq)]
pub struct ApiError {
    pub status: u16,
    pub message: String,
    /// The tRPC code (`NOT_FOUND`, `BAD_REQUEST` ...); empty for the 401 of the key check.
    pub code: String,
    /// Field errors of a validation failure (`issues[].path` joined with '.' and the message).
    pub issues: Vec<String>,
}

#[derive(Deserialize)]
struct Body {
    message: String,
    #[serde(default)]
    code: Option<String>,
    #[serde(default)]
    #[allow(dead_code)]
    data: Option<Value>,
    #[serde(default)]
    issues: Option<Vec<Issue>>,
}

#[derive(Deserialize)]
struct Issue {
    #[serde(default)]
    path: Vec<Value>,
    #[serde(default)]
    message: String,
}

impl ApiError {
    /// Parses an error body; a body that is not JSON keeps its first 200 characters as the message.
    pub fn parse(status: u16, body: &str) -> ApiError {
        match serde_json::from_str::<Body>(body) {
            Ok(parsed) => ApiError {
                status,
                message: parsed.message,
                code: parsed.code.unwrap_or_default(),
                issues: parsed
                    .issues
                    .unwrap_or_default()
                    .into_iter()
                    .map(|issue| {
                        let path: Vec<String> = issue
                            .path
                            .iter()
                            .map(|part| part.as_str().map_or_else(|| part.to_string(), str::to_owned))
                            .collect();
                        format!("{}: {}", path.join("."), issue.message)
                    })
                    .collect(),
            },
            Err(_) => ApiError {
                status,
                message: body.chars().take(200).collect::<String>().trim().to_owned(),
                code: String::new(),
                issues: Vec::new(),
            },
        }
    }
}

/// Why a Dokploy call failed.
#[derive(Clone, Debug, PartialEq)]
pub enum DokployError {
    /// Dokploy answered with an error status.
    Api { procedure: String, error: ApiError },
    /// No answer within the timeout (after the retries an idempotent call gets).
    Timeout { procedure: String },
    /// The server could not be reached (DNS, refused, TLS).
    Transport { procedure: String, detail: String },
    /// The answer was not the JSON the procedure returns.
    Decode { procedure: String, detail: String },
}

impl DokployError {
    /// The HTTP status of an API error.
    pub fn status(&self) -> Option<u16> {
        match self {
            DokployError::Api { error, .. } => Some(error.status),
            _ => None,
        }
    }

    /// True for a 404 (the object does not exist, or the procedure is unknown to this version).
    pub fn is_not_found(&self) -> bool {
        self.status() == Some(404)
    }

    /// The error as what/why/fix for the tools.
    pub fn failure(&self, server: &str) -> Failure {
        match self {
            DokployError::Api { procedure, error } => {
                let what = format!("Dokploy '{server}' refused {procedure}");
                let mut why = format!("HTTP {} {}", error.status, error.message);
                if !error.code.is_empty() {
                    why.push_str(&format!(" ({})", error.code));
                }
                if !error.issues.is_empty() {
                    why.push_str(&format!("; {}", error.issues.join("; ")));
                }
                let fix = match error.status {
                    401 => "the API key is missing, expired or not tied to an organization: create a new key in Dokploy under Settings > Profile > API Keys and set DOKPLOY_API_KEY (or api_key in [dokploy.<name>])".to_owned(),
                    403 => "the API key's user lacks permission for this project: use an owner or admin key".to_owned(),
                    404 => "check the id (list the composes with dokploy_list_instances); a procedure missing on this Dokploy version needs an upgrade".to_owned(),
                    409 => "a service with this name already exists: choose another name".to_owned(),
                    429 => "Dokploy is rate limiting: wait and retry".to_owned(),
                    500..=599 => "Dokploy failed internally: check its logs (docker service logs dokploy) and retry".to_owned(),
                    _ => "correct the input named above and retry".to_owned(),
                };
                Failure::new(what, why, fix)
            }
            DokployError::Timeout { procedure } => Failure::new(
                format!("Dokploy '{server}' did not answer {procedure}"),
                "the request timed out",
                "check that Dokploy is up and reachable from here, then retry",
            ),
            DokployError::Transport { procedure, detail } => Failure::new(
                format!("cannot reach Dokploy '{server}' for {procedure}"),
                detail.clone(),
                "check DOKPLOY_URL (scheme, host, port; the client adds /api) and the network",
            ),
            DokployError::Decode { procedure, detail } => Failure::new(
                format!("Dokploy '{server}' answered {procedure} with an unexpected body"),
                detail.clone(),
                "check that DOKPLOY_URL points at Dokploy itself (not a proxy page) and that its version is supported",
            ),
        }
    }
}

impl fmt::Display for DokployError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.failure("dokploy").text())
    }
}

impl std::error::Error for DokployError {}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_the_openapi_error_with_issues() {
        let body = r#"{"message":"Input validation failed","code":"BAD_REQUEST","data":{"code":"BAD_REQUEST","httpStatus":400,"path":"compose.deploy","zodError":null},"issues":[{"origin":"string","code":"too_small","minimum":1,"path":["composeId"],"message":"Too small"}]}"#;
        let error = ApiError::parse(400, body);
        assert_eq!(error.code, "BAD_REQUEST");
        assert_eq!(error.issues, vec!["composeId: Too small".to_owned()]);
    }

    #[test]
    fn parses_the_unauthorized_body_without_code() {
        let error = ApiError::parse(401, r#"{"message":"Unauthorized"}"#);
        assert_eq!((error.message.as_str(), error.code.as_str()), ("Unauthorized", ""));
        let failure = DokployError::Api { procedure: "project.all".into(), error }.failure("main");
        assert!(failure.fix.contains("API key"), "{failure}");
    }

    #[test]
    fn keeps_a_non_json_body_short() {
        let error = ApiError::parse(502, &"<html>bad gateway</html>".repeat(30));
        assert_eq!(error.message.chars().count(), 200);
        assert!(error.code.is_empty());
    }
}
