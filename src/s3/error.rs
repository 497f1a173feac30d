//! SDK errors -> `Failure`: which operation on which object failed, why (missing bucket, credentials,
//! region, unreachable endpoint, 5xx after retries) and what to do. Secrets are scrubbed from every text.

use super::config::S3Config;
use crate::failure::Failure;
pub(crate) use aws_sdk_s3::config::http::HttpResponse as Response;
use aws_sdk_s3::error::{ProvideErrorMetadata, SdkError};

/// What was being done, for messages: `UploadPart 2 of s3://bk/p/key`.
pub(crate) struct Op<'a> {
    pub name: &'a str,
    pub object: String,
}

/// Turns an SDK error of `op` into a `Failure` naming the bucket and endpoint of `config`.
pub(crate) fn failure<E>(config: &S3Config, op: &Op<'_>, max_attempts: u32, err: SdkError<E, Response>) -> Failure
where
    E: ProvideErrorMetadata + std::error::Error + 'static,
{
    let endpoint = endpoint_text(config);
    let what = format!("S3 {} of {} failed", op.name, op.object);
    let failure = match &err {
        SdkError::DispatchFailure(dispatch) => {
            let why = if dispatch.is_timeout() {
                format!("connecting to {endpoint} timed out")
            } else {
                format!("{endpoint} is unreachable: {}", source_chain(&err))
            };
            Failure::new(
                what,
                why,
                "check AWS_ENDPOINT_URL (scheme, host, port) and that the store is running and reachable from here",
            )
        }
        SdkError::TimeoutError(_) => Failure::new(
            what,
            format!("no answer from {endpoint} in time"),
            "check the network to the store and retry; a slow link needs a smaller database or a closer store",
        ),
        SdkError::ConstructionFailure(_) => Failure::new(
            what,
            format!("the request could not be built: {}", source_chain(&err)),
            "check the S3 settings (bucket, region, endpoint, credentials)",
        ),
        SdkError::ResponseError(response) => Failure::new(
            what,
            format!("{endpoint} sent an unreadable reply (HTTP {})", response.raw().status().as_u16()),
            "check that AWS_ENDPOINT_URL points at an S3-compatible API, not a web console or a proxy page",
        ),
        SdkError::ServiceError(service) => {
            let status = service.raw().status().as_u16();
            let code = service.err().code().unwrap_or("").to_owned();
            let message = service.err().message().unwrap_or("").to_owned();
            let region_hint = service.raw().headers().get("x-amz-bucket-region").map(str::to_owned);
            let message = if code.is_empty() && message.is_empty() {
                format!("{}", aws_sdk_s3::error::DisplayErrorContext(&err))
            } else {
                message
            };
            service_failure(config, op, max_attempts, what, Reply { status, code, message, region_hint })
        }
        _ => Failure::new(what, source_chain(&err), "retry; if it persists, check the store's status"),
    };
    scrub(config, failure)
}

struct Reply {
    status: u16,
    code: String,
    message: String,
    region_hint: Option<String>,
}

fn service_failure(config: &S3Config, op: &Op<'_>, max_attempts: u32, what: String, reply: Reply) -> Failure {
    let endpoint = endpoint_text(config);
    let bucket = &config.bucket;
    let said = if reply.message.is_empty() {
        format!("HTTP {} {}", reply.status, reply.code)
    } else {
        format!("HTTP {} {}: {}", reply.status, reply.code, reply.message)
    };
    let code = reply.code.as_str();
    let head_bucket = op.name == "HeadBucket";
    if code == "NoSuchBucket" || (head_bucket && reply.status == 404) {
        return Failure::new(
            what,
            format!("bucket {bucket:?} does not exist at {endpoint} ({said})"),
            format!(
                "create it (for example `aws s3 mb s3://{bucket}{}`, or in the provider's console) or set \
                 SUPAMCP_BACKUP_S3_BUCKET to an existing bucket",
                config.endpoint_url.as_deref().map(|e| format!(" --endpoint-url {e}")).unwrap_or_default()
            ),
        );
    }
    if matches!(code, "NoSuchKey" | "NotFound") || reply.status == 404 {
        return Failure::new(
            what,
            format!("no such object in bucket {bucket:?} at {endpoint} ({said})"),
            "list the backups to see which exist; it may have been removed by retention",
        );
    }
    if matches!(code, "PermanentRedirect" | "AuthorizationHeaderMalformed" | "IllegalLocationConstraintException")
        || reply.status == 301
    {
        let region = reply.region_hint.map(|r| format!(" (the bucket is in {r})")).unwrap_or_default();
        return Failure::new(
            what,
            format!("wrong region: the request was signed for {:?}{region} ({said})", config.region),
            "set AWS_REGION to the bucket's region (or pass region per call)",
        );
    }
    if matches!(code, "InvalidAccessKeyId" | "SignatureDoesNotMatch" | "InvalidToken" | "ExpiredToken")
        || reply.status == 401
    {
        return Failure::new(
            what,
            format!("the store rejected the credentials ({said})"),
            "check AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY (and AWS_SESSION_TOKEN for temporary keys) for this endpoint",
        );
    }
    if reply.status == 403 {
        return Failure::new(
            what,
            format!("access denied on bucket {bucket:?} ({said})"),
            "the key lacks permission: grant s3:PutObject, s3:GetObject, s3:ListBucket, s3:DeleteObject and \
             s3:AbortMultipartUpload on the bucket and prefix, or check the credentials",
        );
    }
    if reply.status >= 500 {
        return Failure::new(
            what,
            format!("the store failed with {said}, still after {max_attempts} attempts"),
            "the store is failing or overloaded: retry later and check the provider's status page",
        );
    }
    Failure::new(what, format!("the store refused the request ({said})"), "check the S3 settings and retry")
}

fn endpoint_text(config: &S3Config) -> String {
    match &config.endpoint_url {
        Some(endpoint) => endpoint.clone(),
        None => format!("AWS S3 ({})", config.region),
    }
}

/// The error and its sources, `a: b: c` (the SDK's own Display says only "dispatch failure").
fn source_chain(err: &dyn std::error::Error) -> String {
    let mut text = err.to_string();
    let mut source = err.source();
    while let Some(next) = source {
        let part = next.to_string();
        if !text.contains(&part) {
            text.push_str(": ");
            text.push_str(&part);
        }
        source = next.source();
    }
    text
}

/// Removes any credential that a reply might echo.
fn scrub(config: &S3Config, failure: Failure) -> Failure {
    let secrets: Vec<&str> = [&config.access_key_id, &config.secret_access_key, &config.session_token]
        .into_iter()
        .flatten()
        .map(|s| s.expose())
        .filter(|s| s.len() >= 4)
        .collect();
    let clean = |text: String| secrets.iter().fold(text, |text, secret| text.replace(secret, "[redacted]"));
    Failure { what: clean(failure.what), why: clean(failure.why), fix: clean(failure.fix) }
}

/// A `Failure` for a local problem while talking to S3 (a body that broke off, a task that died).
pub(crate) fn local(op: &Op<'_>, why: impl std::fmt::Display) -> Failure {
    Failure::new(format!("S3 {} of {} failed", op.name, op.object), why.to_string(), "retry; if it persists, report it")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::secret::Secret;

    fn config() -> S3Config {
        S3Config {
            endpoint_url: Some("http://127.0.0.1:9".into()),
            access_key_id: Some(Secret::new("AKIDSECRETVALUE")),
            ..S3Config::new("bk")
        }
    }

    fn op() -> Op<'static> {
        Op { name: "PutObject", object: "s3://bk/k".into() }
    }

    fn reply(status: u16, code: &str, message: &str) -> Reply {
        Reply { status, code: code.into(), message: message.into(), region_hint: None }
    }

    #[test]
    fn classifies_by_code_and_status() {
        let f = service_failure(&config(), &op(), 3, "w".into(), reply(404, "NoSuchBucket", ""));
        assert!(f.why.contains("\"bk\" does not exist at http://127.0.0.1:9") && f.fix.contains("aws s3 mb"));
        let f = service_failure(&config(), &op(), 3, "w".into(), reply(403, "AccessDenied", "no"));
        assert!(f.why.contains("access denied"), "{f}");
        let f = service_failure(&config(), &op(), 3, "w".into(), reply(403, "InvalidAccessKeyId", ""));
        assert!(f.fix.contains("AWS_ACCESS_KEY_ID"), "{f}");
        let f = service_failure(&config(), &op(), 3, "w".into(), reply(400, "AuthorizationHeaderMalformed", ""));
        assert!(f.why.contains("wrong region") && f.fix.contains("AWS_REGION"), "{f}");
        let f = service_failure(&config(), &op(), 5, "w".into(), reply(503, "SlowDown", "reduce rate"));
        assert!(f.why.contains("HTTP 503 SlowDown") && f.why.contains("after 5 attempts"), "{f}");
    }

    #[test]
    fn scrub_removes_credentials() {
        let f = scrub(&config(), Failure::new("a AKIDSECRETVALUE", "b", "c"));
        assert_eq!(f.what, "a [redacted]");
    }
}
