//! The Storage API's error bodies: `{"statusCode": "<string>", "code", "error", "message"}`. The REST routes
//! answer HTTP 400 for every non-500 error and put the real status in the body (404 not found, 409 duplicate
//! or bucket not empty, 403 row-level security, 413 too large, 415 MIME type); only JWT errors are real 403s
//! and range errors 416. So the body's statusCode decides, the HTTP status only when the body has none.

use crate::failure::Failure;
use crate::supabase::gateway::GatewayReply;
use serde_json::Value;

/// A Storage error as the service rendered it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StorageError {
    /// The HTTP status of the reply.
    pub http: u16,
    /// The status the body names (`statusCode`), else the HTTP status.
    pub status: u16,
    /// The error code (`NoSuchBucket`, `ResourceAlreadyExists`, ...), else the legacy `error` text.
    pub code: String,
    pub message: String,
}

impl StorageError {
    /// The error of a reply, `None` for a 2xx reply.
    pub fn from_reply(reply: &GatewayReply) -> Option<StorageError> {
        let http = reply.status.as_u16();
        if reply.status.is_success() {
            return None;
        }
        let body = reply.json().unwrap_or(Value::Null);
        let text = |name: &str| body.get(name).and_then(Value::as_str).map(str::to_owned);
        let status = match body.get("statusCode") {
            Some(Value::String(s)) => s.trim().parse().ok(),
            Some(Value::Number(n)) => n.as_u64().and_then(|n| u16::try_from(n).ok()),
            _ => None,
        }
        .unwrap_or(http);
        let code = text("code").or_else(|| text("error")).unwrap_or_default();
        let message = text("message").or_else(|| text("error")).unwrap_or_else(|| {
            let raw = String::from_utf8_lossy(&reply.body);
            let short: String = raw.chars().take(200).collect();
            if short.trim().is_empty() { format!("HTTP {http} without a body") } else { short }
        });
        Some(StorageError { http, status, code, message })
    }

    pub fn is_not_found(&self) -> bool {
        self.status == 404
    }

    /// The error as a failure of `what` on `instance`, with the fix for its kind.
    pub fn failure(&self, what: &str, instance: &str) -> Failure {
        let code = if self.code.is_empty() { String::new() } else { format!(", {}", self.code) };
        let why = format!("{} (status {}{code}; HTTP {})", self.message, self.status, self.http);
        Failure::new(format!("{what} on instance '{instance}' failed"), why, self.fix())
    }

    fn fix(&self) -> String {
        let code = self.code.as_str();
        let message = self.message.to_ascii_lowercase();
        let fix = match self.status {
            404 if code == "NoSuchBucket" || message.contains("bucket") => {
                "check the bucket id with list_storage_buckets (ids are case-sensitive), or create it with create_bucket"
            }
            404 => "check the path with list_objects (paths are relative to the bucket and case-sensitive)",
            409 if code == "ResourceNotEmpty" || message.contains("not empty") => {
                "empty the bucket first (empty_bucket, confirm: true), then delete it"
            }
            409 => {
                "the name is taken: choose another bucket id or path, or pass upsert: true to replace an existing object"
            }
            401 | 403 if code == "InvalidJWT" || message.contains("jwt") || message.contains("signature") => {
                "check SUPABASE_SERVICE_ROLE_KEY (or service_role_key): it must be this instance's service_role JWT, \
                 signed with its JWT_SECRET, or its sb_secret_ key"
            }
            401 | 403 => {
                "the key lacks the right: use the service_role key (it bypasses row-level security), or add a storage \
                 policy that allows this operation"
            }
            413 => {
                "the object is larger than the bucket's file_size_limit or the global limit (FILE_SIZE_LIMIT on \
                 self-hosted, the project's storage settings on cloud): raise the limit (update_bucket) or send less"
            }
            415 => {
                "the bucket does not allow this content type: pass content_type, or widen allowed_mime_types with update_bucket"
            }
            416 => "the requested range is outside the object",
            400 if code == "InvalidKey" || message.contains("invalid key") => {
                "use an object path of letters, digits and safe punctuation (storage refuses some characters)"
            }
            400 => "check the parameters named in the message",
            500..=599 => "the storage service failed: check its logs (docker logs supabase-storage) and retry",
            _ => "check the message; list_storage_buckets and list_objects show what exists",
        };
        fix.to_owned()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use bytes::Bytes;
    use reqwest::StatusCode;
    use reqwest::header::HeaderMap;

    fn reply(status: u16, body: &str) -> GatewayReply {
        GatewayReply {
            status: StatusCode::from_u16(status).unwrap(),
            headers: HeaderMap::new(),
            body: Bytes::from(body.to_owned()),
        }
    }

    #[test]
    fn the_body_status_wins_over_the_http_status() {
        let body =
            r#"{"statusCode":"404","code":"NoSuchBucket","error":"Bucket not found","message":"Bucket not found"}"#;
        let error = StorageError::from_reply(&reply(400, body)).unwrap();
        assert_eq!((error.http, error.status, error.code.as_str()), (400, 404, "NoSuchBucket"));
        assert!(error.is_not_found());
        let failure = error.failure("get bucket x", "main");
        assert!(failure.fix.contains("list_storage_buckets"), "{failure}");
        let dup = r#"{"statusCode":"409","error":"Duplicate","message":"The resource already exists"}"#;
        let error = StorageError::from_reply(&reply(400, dup)).unwrap();
        assert_eq!((error.status, error.code.as_str()), (409, "Duplicate"));
        assert!(error.failure("create", "main").fix.contains("upsert"));
    }

    #[test]
    fn bodies_without_status_fall_back_to_http() {
        let error = StorageError::from_reply(&reply(502, "<html>bad gateway</html>")).unwrap();
        assert_eq!(error.status, 502);
        assert!(error.message.contains("bad gateway"));
        assert!(StorageError::from_reply(&reply(200, "{}")).is_none());
        let jwt = StorageError::from_reply(&reply(
            403,
            r#"{"statusCode":"403","code":"InvalidJWT","message":"invalid signature"}"#,
        ));
        assert!(jwt.unwrap().failure("list", "main").fix.contains("SUPABASE_SERVICE_ROLE_KEY"));
    }
}
