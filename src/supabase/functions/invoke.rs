//! Invoking a function through the instance's gateway, as a client app does: `<API URL>/functions/v1/<slug>`
//! plus an optional sub-path and query, with the caller's method, headers and body, as anon (the anon key),
//! as service role, or as a user (a JWT the caller gives), or with no key at all. The reply is taken whole
//! up to [`MAX_BODY_BYTES`] and timed; nothing is retried (an invocation may have effects).

use crate::failure::Failure;
use crate::secret::Secret;
use crate::supabase::gateway::Gateway;
use reqwest::Method;
use reqwest::header::{HeaderMap, HeaderName, HeaderValue};
use std::collections::BTreeMap;
use std::time::{Duration, Instant};

/// The largest reply body read; a longer one is cut and marked.
pub const MAX_BODY_BYTES: usize = 16 * 1024 * 1024;
/// How long an invocation may run (Kong's read timeout for /functions/v1 on self-hosted stacks).
pub const TIMEOUT: Duration = Duration::from_secs(150);

/// Who the request is from.
#[derive(Clone, Debug)]
pub enum Caller {
    /// No apikey and no Authorization header.
    Nobody,
    /// The anon key (as apikey, and as Bearer when it is a JWT).
    Anon(Secret),
    /// The service-role key, as every gateway call sends it.
    ServiceRole,
    /// A user's access token as Bearer, with the anon key as apikey when there is one.
    User { jwt: Secret, anon: Option<Secret> },
}

/// One invocation.
#[derive(Clone, Debug)]
pub struct Invocation {
    pub slug: String,
    pub method: Method,
    /// Appended after the slug, e.g. `/users/42`.
    pub path: String,
    pub query: Vec<(String, String)>,
    pub headers: Vec<(String, String)>,
    pub body: Option<(String, String)>,
    pub caller: Caller,
}

/// What came back.
#[derive(Debug)]
pub struct Invoked {
    pub url: String,
    pub status: u16,
    pub headers: BTreeMap<String, String>,
    pub body: bytes::Bytes,
    pub truncated: bool,
    pub duration_ms: u64,
}

/// Headers a caller may not set: the gateway keys come from `as`/`jwt`, the rest belong to the transport.
const RESERVED: [&str; 5] = ["authorization", "apikey", "host", "content-length", "transfer-encoding"];

fn key_headers(caller: &Caller, gateway: &Gateway) -> Result<HeaderMap, Failure> {
    let value = |text: &str| {
        let mut value = HeaderValue::from_str(text).map_err(|_| {
            Failure::new("the key cannot be sent", "it holds characters a header cannot carry", "copy it again")
        })?;
        value.set_sensitive(true);
        Ok::<_, Failure>(value)
    };
    let mut headers = HeaderMap::new();
    match caller {
        Caller::Nobody => {}
        Caller::ServiceRole => headers = gateway.key_headers()?,
        Caller::Anon(key) => {
            headers.insert("apikey", value(key.expose())?);
            if !key.expose().starts_with("sb_") {
                headers.insert(reqwest::header::AUTHORIZATION, value(&format!("Bearer {}", key.expose()))?);
            }
        }
        Caller::User { jwt, anon } => {
            if let Some(anon) = anon {
                headers.insert("apikey", value(anon.expose())?);
            }
            headers.insert(reqwest::header::AUTHORIZATION, value(&format!("Bearer {}", jwt.expose()))?);
        }
    }
    Ok(headers)
}

/// Sends the invocation and reads the reply.
pub async fn invoke(gateway: &Gateway, call: &Invocation) -> Result<Invoked, Failure> {
    super::validate::check_slug(&call.slug)?;
    let extra = call.path.trim_start_matches('/');
    let path = if extra.is_empty() {
        format!("/functions/v1/{}", call.slug)
    } else {
        format!("/functions/v1/{}/{extra}", call.slug)
    };
    let mut url = gateway.url(&path)?;
    if !call.query.is_empty() {
        url.query_pairs_mut().extend_pairs(call.query.iter());
    }
    let mut headers = key_headers(&call.caller, gateway)?;
    for (name, value) in &call.headers {
        let lower = name.to_ascii_lowercase();
        if RESERVED.contains(&lower.as_str()) {
            return Err(Failure::new(
                format!("header {name} cannot be set here"),
                "the keys come from `as` (anon, service_role, user with jwt) and the transport sets the rest",
                "leave it out of headers",
            ));
        }
        let bad = || Failure::new(format!("header {name} cannot be sent"), "invalid name or value", "fix it");
        let name = HeaderName::from_bytes(lower.as_bytes()).map_err(|_| bad())?;
        headers.append(name, HeaderValue::from_str(value).map_err(|_| bad())?);
    }
    let mut request = gateway.bare_request(call.method.clone(), url.clone()).headers(headers).timeout(TIMEOUT);
    if let Some((content_type, body)) = &call.body {
        request = request.header(reqwest::header::CONTENT_TYPE, content_type.as_str()).body(body.clone());
    }
    let what = format!("invoke edge function {}", call.slug);
    let started = Instant::now();
    let mut response = request.send().await.map_err(|e| gateway.transport_failure(&what, &e))?;
    let status = response.status().as_u16();
    let mut reply_headers = BTreeMap::new();
    for (name, value) in response.headers() {
        let text = String::from_utf8_lossy(value.as_bytes()).into_owned();
        reply_headers
            .entry(name.as_str().to_owned())
            .and_modify(|v: &mut String| v.push_str(&format!(", {text}")))
            .or_insert(text);
    }
    let mut body = Vec::new();
    let mut truncated = false;
    while let Some(chunk) = response.chunk().await.map_err(|e| gateway.transport_failure(&what, &e))? {
        let room = MAX_BODY_BYTES - body.len();
        if chunk.len() > room {
            body.extend_from_slice(&chunk[..room]);
            truncated = true;
            break;
        }
        body.extend_from_slice(&chunk);
    }
    let duration_ms = u64::try_from(started.elapsed().as_millis()).unwrap_or(u64::MAX);
    Ok(Invoked { url: url.to_string(), status, headers: reply_headers, body: body.into(), truncated, duration_ms })
}
