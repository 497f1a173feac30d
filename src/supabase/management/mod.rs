//! The Supabase Management API (`api.supabase.com`, or `--api-url`): one client for every caller (the cloud
//! group, the storage config tools, and the SQL tools through `/database/query` when only a token is configured). A bearer personal
//! access token; 401/403/404/422 turned into what/why/fix failures; 429 retried after its Retry-After (a
//! refused request did nothing, so any method may be sent again); the token never appears in a failure or a
//! log line. No rmcp here: typed values and `Failure`s only.

pub mod advisors;
pub mod auth_config;
pub mod branches;
pub mod database;
pub mod logs;
pub mod projects;
pub mod realtime_config;
pub mod recovery;
pub mod types;

use crate::config::Settings;
use crate::failure::Failure;
use crate::secret::Secret;
use reqwest::{Method, StatusCode};
use serde::de::DeserializeOwned;
use serde_json::Value;
use std::time::Duration;

/// Requests sent at most for one call when the API answers 429.
const ATTEMPTS: u32 = 4;
/// The longest Retry-After waited for; a longer one fails at once, naming the wait.
const LONGEST_WAIT: Duration = Duration::from_secs(10);
/// Bytes of an error body quoted in a failure.
const QUOTED_BODY: usize = 300;

/// The Management API of one account.
#[derive(Clone)]
pub struct ManagementApi {
    base: String,
    token: Secret,
    /// Self-hosted Studio behind the gateway: basic auth with this user and `token` as the password.
    basic_user: Option<String>,
    http: reqwest::Client,
}

impl std::fmt::Debug for ManagementApi {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ManagementApi").field("base", &self.base).field("token", &self.token).finish()
    }
}

/// A body the API answered with: its bytes and whether it was JSON.
pub struct Reply {
    pub status: StatusCode,
    /// The reply's Content-Type, when it sent one.
    pub content_type: Option<String>,
    pub body: bytes::Bytes,
}

/// What a request carries.
#[derive(Clone, Copy)]
pub enum Payload<'a> {
    Empty,
    Json(&'a Value),
    /// A body of its own type, e.g. `multipart/form-data; boundary=...`.
    Raw {
        content_type: &'a str,
        body: &'a [u8],
    },
}

impl ManagementApi {
    /// A client of the API at `base` with `token`; without a token, a failure that says where to get one.
    pub fn new(base: &str, token: Option<&Secret>) -> Result<ManagementApi, Failure> {
        let token = token.filter(|t| !t.is_empty()).cloned().ok_or_else(|| {
            Failure::new(
                "the Supabase Management API cannot be called",
                "no Supabase access token is configured (only Supabase Cloud has the Management API; a self-hosted \
                 stack is reached through its database and API URL instead)",
                "set SUPABASE_ACCESS_TOKEN or pass --access-token (a personal access token from \
                 supabase.com/dashboard/account/tokens)",
            )
        })?;
        let http = reqwest::Client::builder()
            .use_rustls_tls()
            .connect_timeout(Duration::from_secs(10))
            .timeout(Duration::from_secs(60))
            .user_agent(concat!("supamcp/", env!("CARGO_PKG_VERSION")))
            .build()
            .map_err(|e| Failure::new("cannot build the HTTP client", e.to_string(), "report this as a bug"))?;
        Ok(ManagementApi { base: base.trim_end_matches('/').to_owned(), token, basic_user: None, http })
    }

    /// Self-hosted Studio's Management-API-shaped routes (`<gateway>/api/v1/projects/default/...`), behind
    /// Kong's basic auth with the dashboard login.
    pub fn studio(gateway: &str, user: &str, password: &Secret) -> Result<ManagementApi, Failure> {
        let mut api = ManagementApi::new(&format!("{}/api", gateway.trim_end_matches('/')), Some(password))?;
        api.basic_user = Some(user.to_owned());
        Ok(api)
    }

    /// True for self-hosted Studio.
    pub fn is_studio(&self) -> bool {
        self.basic_user.is_some()
    }

    /// The client the settings describe (`--api-url`/SUPAMCP_MANAGEMENT_API_URL, the access token).
    pub fn from_settings(settings: &Settings) -> Result<ManagementApi, Failure> {
        ManagementApi::new(&settings.management_api_url, settings.access_token.as_ref())
    }

    /// The client and the project ref a config tool works on: `given`, or the ref in the URL of `instance`
    /// (`https://<ref>.supabase.co`); `self_hosted` says where a self-hosted stack keeps the setting instead.
    pub fn for_project(
        settings: &Settings,
        given: Option<&str>,
        instance: Option<&str>,
        self_hosted: &str,
    ) -> Result<(ManagementApi, String), Failure> {
        let api = ManagementApi::from_settings(settings)?;
        let url = settings.instance(instance).ok().and_then(|i| i.supabase_url.clone()).unwrap_or_default();
        let reference =
            given.map(str::to_owned).or_else(|| crate::config::project_ref::api_url_ref(&url)).ok_or_else(|| {
                Failure::new(
                    "no Supabase Cloud project named",
                    format!("the instance URL '{url}' is not https://<ref>.supabase.co and no project_id was given"),
                    format!("pass project_id (the project ref); {self_hosted}"),
                )
            })?;
        Ok((api, reference))
    }

    pub fn base(&self) -> &str {
        &self.base
    }

    /// Sends one request (again after a 429, at most [`ATTEMPTS`] times) and returns a 2xx reply; any other
    /// status becomes a failure naming `what`.
    pub async fn send(
        &self,
        method: Method,
        path: &str,
        query: &[(&str, String)],
        body: Option<&Value>,
        what: &str,
    ) -> Result<Reply, Failure> {
        let payload = body.map_or(Payload::Empty, Payload::Json);
        self.send_payload(method, path, query, payload, None, what).await
    }

    /// [`ManagementApi::send`] with any payload and an optional Accept header.
    pub async fn send_payload(
        &self,
        method: Method,
        path: &str,
        query: &[(&str, String)],
        payload: Payload<'_>,
        accept: Option<&str>,
        what: &str,
    ) -> Result<Reply, Failure> {
        let url = format!("{}{path}", self.base);
        let mut attempt = 0;
        loop {
            attempt += 1;
            let request = self.http.request(method.clone(), &url);
            let mut request = match &self.basic_user {
                Some(user) => request.basic_auth(user, Some(self.token.expose())),
                None => request.bearer_auth(self.token.expose()),
            };
            if !query.is_empty() {
                request = request.query(query);
            }
            match payload {
                Payload::Empty => {}
                Payload::Json(body) => request = request.json(body),
                Payload::Raw { content_type, body } => {
                    request = request.header(reqwest::header::CONTENT_TYPE, content_type).body(body.to_vec());
                }
            }
            if let Some(accept) = accept {
                request = request.header(reqwest::header::ACCEPT, accept);
            }
            let response = request.send().await.map_err(|e| self.transport_failure(what, e))?;
            let status = response.status();
            let retry_after = retry_after(response.headers());
            let content_type =
                response.headers().get(reqwest::header::CONTENT_TYPE).and_then(|v| v.to_str().ok()).map(str::to_owned);
            let bytes = response.bytes().await.map_err(|e| self.transport_failure(what, e))?;
            tracing::debug!(method = %method, path, status = status.as_u16(), attempt, "management api");
            if status.is_success() {
                return Ok(Reply { status, content_type, body: bytes });
            }
            if status == StatusCode::TOO_MANY_REQUESTS && attempt < ATTEMPTS {
                let wait = retry_after.unwrap_or(Duration::from_secs(u64::from(attempt)));
                if wait <= LONGEST_WAIT {
                    tokio::time::sleep(wait).await;
                    continue;
                }
            }
            return Err(self.status_failure(what, status, &bytes, retry_after, attempt));
        }
    }

    /// GET `path` and read its JSON.
    pub async fn get_json<T: DeserializeOwned>(
        &self,
        path: &str,
        query: &[(&str, String)],
        what: &str,
    ) -> Result<T, Failure> {
        let reply = self.send(Method::GET, path, query, None, what).await?;
        self.decode(&reply, what)
    }

    /// POST `body` to `path` and read its JSON (an empty reply reads as `null`).
    pub async fn post_json<T: DeserializeOwned>(&self, path: &str, body: &Value, what: &str) -> Result<T, Failure> {
        let reply = self.send(Method::POST, path, &[], Some(body), what).await?;
        self.decode(&reply, what)
    }

    /// GET `path` as text (logs, diffs).
    pub async fn get_text(&self, path: &str, query: &[(&str, String)], what: &str) -> Result<String, Failure> {
        let reply = self.send(Method::GET, path, query, None, what).await?;
        Ok(String::from_utf8_lossy(&reply.body).into_owned())
    }

    /// Reads a reply's JSON; an empty body reads as `null`.
    pub fn decode<T: DeserializeOwned>(&self, reply: &Reply, what: &str) -> Result<T, Failure> {
        let body: &[u8] = if reply.body.iter().all(u8::is_ascii_whitespace) { b"null" } else { &reply.body };
        serde_json::from_slice(body).map_err(|e| {
            Failure::new(
                format!("{what}: the Management API's reply is unreadable"),
                format!("{e} (HTTP {})", reply.status.as_u16()),
                format!("check that {} is the Supabase Management API (--api-url)", self.base),
            )
        })
    }

    fn transport_failure(&self, what: &str, error: reqwest::Error) -> Failure {
        let why = if error.is_timeout() {
            format!("{} did not answer in time", self.base)
        } else if error.is_connect() {
            format!("cannot connect to {}", self.base)
        } else {
            format!("{}: {}", self.base, error.without_url())
        };
        Failure::new(
            format!("{what} failed"),
            self.scrub(&why),
            "check the network and --api-url (SUPAMCP_MANAGEMENT_API_URL), then retry",
        )
    }

    fn status_failure(
        &self,
        what: &str,
        status: StatusCode,
        body: &[u8],
        retry_after: Option<Duration>,
        attempts: u32,
    ) -> Failure {
        let message = error_message(body);
        let code = status.as_u16();
        let fix = match code {
            401 if self.is_studio() => "the gateway refused the dashboard login: check DASHBOARD_USERNAME and \
                                        DASHBOARD_PASSWORD (dashboard_username/dashboard_password)"
                .to_owned(),
            404 | 405 if self.is_studio() => "this Studio lacks the route: self-hosted Studio serves edge functions \
                                              through /api/v1/projects/default/functions only in recent versions; \
                                              upgrade Studio or set functions_dir"
                .to_owned(),
            401 => "the access token is invalid, expired or not a personal access token (sbp_...): create one at \
                    supabase.com/dashboard/account/tokens and set SUPABASE_ACCESS_TOKEN or --access-token"
                .to_owned(),
            403 => "the token's account may not do this here: check that the project or organisation belongs to an \
                    organisation of this account, and the token's scopes"
                .to_owned(),
            404 => "nothing has that id: check project_id, organization_id or branch_id (list_projects, \
                    list_organizations and list_branches give them)"
                .to_owned(),
            422 => "the request was refused as it stands: read the reason, change the arguments and retry".to_owned(),
            429 => match retry_after {
                Some(wait) => format!("rate limited after {attempts} attempts: retry in {} s", wait.as_secs()),
                None => format!("rate limited after {attempts} attempts: wait a minute and retry"),
            },
            500..=599 => "the Management API failed: retry; if it repeats, check status.supabase.com".to_owned(),
            _ => "check the arguments and retry".to_owned(),
        };
        Failure::new(format!("{what} failed"), self.scrub(&format!("{message} (HTTP {code})")), fix)
    }

    /// `text` with the token removed, should an error body or a library echo it.
    fn scrub(&self, text: &str) -> String {
        let token = self.token.expose();
        if token.len() >= 4 { text.replace(token, "[redacted]") } else { text.to_owned() }
    }
}

/// The message of a Management API error body (`{"message": ...}`, or `{"error": ...}`), else its head.
fn error_message(body: &[u8]) -> String {
    let parsed = serde_json::from_slice::<Value>(body).ok();
    let field = |name: &str| parsed.as_ref().and_then(|v| v.get(name)).and_then(Value::as_str).map(str::to_owned);
    let nested = parsed.as_ref().and_then(|v| v.get("error")).and_then(|e| e.get("message")).and_then(Value::as_str);
    field("message").or_else(|| field("error")).or_else(|| nested.map(str::to_owned)).unwrap_or_else(|| {
        let text = String::from_utf8_lossy(body);
        let text = text.trim();
        if text.is_empty() { "no message".to_owned() } else { text.chars().take(QUOTED_BODY).collect() }
    })
}

/// Writes the previous values of a config change to `<data_dir>/<area>-config/<ref>-<time>.json`, owner-only,
/// to change them back with.
pub fn keep_previous(
    data_dir: &std::path::Path,
    area: &str,
    reference: &str,
    previous: &serde_json::Map<String, Value>,
) -> Result<std::path::PathBuf, Failure> {
    let dir = data_dir.join(format!("{area}-config"));
    crate::fsutil::ensure_dir(&dir, "the data directory (--data-dir)")?;
    let stamp = chrono::Utc::now().format("%Y%m%dT%H%M%S%3fZ");
    let path = dir.join(format!("{reference}-{stamp}.json"));
    let text = serde_json::to_string_pretty(previous).unwrap_or_default();
    crate::fsutil::write_new(&path, text.as_bytes(), "the data directory (--data-dir)")?;
    Ok(path)
}

/// A Retry-After header in seconds (the API sends seconds; an HTTP date is not used by it).
fn retry_after(headers: &reqwest::header::HeaderMap) -> Option<Duration> {
    let value = headers.get(reqwest::header::RETRY_AFTER)?.to_str().ok()?;
    value.trim().parse::<u64>().ok().map(Duration::from_secs)
}

/// A path segment percent-encoded (refs and ids are plain, but a caller's text is never trusted as a path).
pub fn segment(value: &str) -> String {
    crate::supabase::storage::encode_segment(value)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn error_bodies_give_their_message() {
        assert_eq!(error_message(br#"{"message":"Project not found"}"#), "Project not found");
        assert_eq!(error_message(br#"{"error":"Unauthorized"}"#), "Unauthorized");
        assert_eq!(error_message(b"  "), "no message");
        assert_eq!(error_message(b"gateway timeout"), "gateway timeout");
    }

    #[test]
    fn the_token_is_scrubbed_and_required() {
        let api = ManagementApi::new("http://x/", Some(&Secret::new("sbp_secret_token"))).unwrap();
        assert_eq!(api.base(), "http://x");
        assert_eq!(api.scrub("bad sbp_secret_token here"), "bad [redacted] here");
        assert!(!format!("{api:?}").contains("sbp_secret_token"));
        let missing = ManagementApi::new("http://x", None).err().unwrap();
        assert!(missing.fix.contains("SUPABASE_ACCESS_TOKEN"));
        let failure = api.status_failure("x", StatusCode::TOO_MANY_REQUESTS, b"{}", Some(Duration::from_secs(30)), 4);
        assert!(failure.fix.contains("retry in 30 s"), "{failure}");
    }
}
