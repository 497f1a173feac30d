//! The API gateway of an instance: Kong (or Envoy) on a self-hosted stack, `https://<ref>.supabase.co` on
//! Supabase Cloud. It owns the base URL and the service-role key of an instance, resolved from its settings,
//! and the one way service calls (GoTrue admin, Storage, Edge Functions) reach it: the key in `apikey`, and
//! in `Authorization: Bearer` when it is a JWT (an opaque `sb_secret_` key is swapped for a JWT by the
//! gateway itself and must not be sent as a bearer token). Transport failures become [`Failure`]s here;
//! each service module reads its own error bodies from the [`GatewayReply`].

use crate::config::{Instance, Settings};
use crate::failure::Failure;
use crate::secret::Secret;
use reqwest::header::{HeaderMap, HeaderValue};
use reqwest::{Method, RequestBuilder, StatusCode, Url};
use std::collections::HashMap;
use std::sync::{Mutex, OnceLock};
use std::time::Duration;

/// How long one service call may take before it is abandoned.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(30);

/// The gateway of one instance.
#[derive(Clone, Debug)]
pub struct Gateway {
    instance: String,
    base: Url,
    key: Secret,
    http: reqwest::Client,
}

/// A reply as the gateway sent it: status, headers and the whole body.
#[derive(Debug)]
pub struct GatewayReply {
    pub status: StatusCode,
    pub headers: HeaderMap,
    pub body: bytes::Bytes,
}

impl GatewayReply {
    /// The body parsed as JSON, `None` when it is not JSON.
    pub fn json(&self) -> Option<serde_json::Value> {
        serde_json::from_slice(&self.body).ok()
    }
}

/// The HTTP client of every gateway with this timeout, built once per process: its connection pool keeps
/// connections (and TLS sessions) open between tool calls, so a call does not pay a new handshake.
fn shared_client(timeout: Duration) -> Result<reqwest::Client, Failure> {
    static CLIENTS: OnceLock<Mutex<HashMap<Duration, reqwest::Client>>> = OnceLock::new();
    let clients = CLIENTS.get_or_init(|| Mutex::new(HashMap::new()));
    let mut clients = clients.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
    if let Some(client) = clients.get(&timeout) {
        return Ok(client.clone());
    }
    let client = reqwest::Client::builder()
        .use_rustls_tls()
        .timeout(timeout)
        .connect_timeout(timeout.min(Duration::from_secs(10)))
        .user_agent(concat!("supamcp/", env!("CARGO_PKG_VERSION")))
        .build()
        .map_err(|error| Failure::new("cannot build the HTTP client", error.to_string(), "report this as a bug"))?;
    clients.insert(timeout, client.clone());
    Ok(client)
}

impl Gateway {
    /// The gateway of `instance` (the default instance when `None`), or why it cannot be used.
    pub fn for_instance(settings: &Settings, instance: Option<&str>) -> Result<Gateway, Failure> {
        let config = settings.instance(instance).map_err(|why| {
            Failure::new(
                "the Supabase API of that instance cannot be used",
                why,
                "pass one of the configured names as `instance`, or add it to the config file",
            )
        })?;
        Gateway::for_config(config, DEFAULT_TIMEOUT)
    }

    /// The gateway described by one instance's configuration.
    pub fn for_config(config: &Instance, timeout: Duration) -> Result<Gateway, Failure> {
        let missing = |what: &str, fix: &str| {
            Failure::new(
                format!("instance '{}' has no Supabase API {what}", config.name),
                "the auth, storage and functions tools call the API gateway with the service-role key",
                fix.to_owned(),
            )
        };
        let raw_url = config.supabase_url.as_deref().ok_or_else(|| {
            missing("URL", "set SUPABASE_URL (or API_EXTERNAL_URL in --env-file), or supabase_url in the config file")
        })?;
        let key = config.service_role_key.clone().ok_or_else(|| {
            missing("service-role key", "set SUPABASE_SERVICE_ROLE_KEY, or service_role_key in the config file")
        })?;
        let base = parse_base(raw_url)?;
        let http = shared_client(timeout)?;
        Ok(Gateway { instance: config.name.clone(), base, key, http })
    }

    pub fn instance(&self) -> &str {
        &self.instance
    }

    /// The public base URL, without a trailing slash.
    pub fn base_url(&self) -> &str {
        self.base.as_str().trim_end_matches('/')
    }

    /// The absolute URL of `path`, which starts with the service prefix (`/auth/v1/admin/users`).
    pub fn url(&self, path: &str) -> Result<Url, Failure> {
        let joined = format!("{}/{}", self.base_url(), path.trim_start_matches('/'));
        Url::parse(&joined).map_err(|error| {
            Failure::new(format!("cannot build the URL for {path}"), error.to_string(), "check the path segments")
        })
    }

    /// A request to `path` carrying the service-role key.
    pub fn request(&self, method: Method, path: &str) -> Result<RequestBuilder, Failure> {
        let url = self.url(path)?;
        Ok(self.http.request(method, url).headers(self.key_headers()?))
    }

    /// A request to `url` without the service-role key: the caller chooses who it is (a function invoked as
    /// anon or as a user).
    pub fn bare_request(&self, method: Method, url: Url) -> RequestBuilder {
        self.http.request(method, url)
    }

    /// The headers that authenticate a service-role call.
    pub fn key_headers(&self) -> Result<HeaderMap, Failure> {
        let key = self.key.expose();
        let invalid = || {
            Failure::new(
                "the service-role key cannot be sent",
                "it holds characters an HTTP header cannot carry",
                "copy the key again without spaces or line breaks",
            )
        };
        let mut headers = HeaderMap::new();
        let mut apikey = HeaderValue::from_str(key).map_err(|_| invalid())?;
        apikey.set_sensitive(true);
        headers.insert("apikey", apikey);
        if !key.starts_with("sb_") {
            let mut bearer = HeaderValue::from_str(&format!("Bearer {key}")).map_err(|_| invalid())?;
            bearer.set_sensitive(true);
            headers.insert(reqwest::header::AUTHORIZATION, bearer);
        }
        Ok(headers)
    }

    /// Sends `request` and reads the whole reply; `what` names the call in failures ("list users").
    /// Any HTTP status is a reply: the caller judges it with the service's own error body.
    pub async fn send(&self, request: RequestBuilder, what: &str) -> Result<GatewayReply, Failure> {
        let response = request.send().await.map_err(|error| self.transport_failure(what, &error))?;
        let status = response.status();
        let headers = response.headers().clone();
        let body = response.bytes().await.map_err(|error| self.transport_failure(what, &error))?;
        Ok(GatewayReply { status, headers, body })
    }

    /// The failure of a call that never got a whole reply (refused, timed out, cut).
    pub fn transport_failure(&self, what: &str, error: &reqwest::Error) -> Failure {
        let base = self.base_url();
        let (why, fix) = if error.is_timeout() {
            (format!("{base} did not answer in time"), "check that the stack is up (health_check), then retry")
        } else if error.is_connect() {
            (
                format!("cannot connect to {base}: {}", error_chain(error)),
                "check the URL (SUPABASE_URL) and that the gateway (Kong) is running and reachable from here",
            )
        } else {
            (format!("{base}: {}", error_chain(error)), "check the URL and the gateway, then retry")
        };
        Failure::new(format!("{what} on instance '{}' failed", self.instance), why, fix)
    }
}

fn parse_base(raw: &str) -> Result<Url, Failure> {
    let url = Url::parse(raw.trim()).map_err(|error| {
        Failure::new(
            format!("the Supabase URL '{raw}' is not a URL"),
            error.to_string(),
            "use the public API URL, such as https://<ref>.supabase.co or http://localhost:8000",
        )
    })?;
    if !matches!(url.scheme(), "http" | "https") || url.host_str().is_none() {
        return Err(Failure::new(
            format!("the Supabase URL '{raw}' cannot be used"),
            "it needs an http or https scheme and a host",
            "use the public API URL, such as https://<ref>.supabase.co or http://localhost:8000",
        ));
    }
    Ok(url)
}

/// The error and its causes, joined: reqwest's own text hides the reason (refused, DNS, TLS).
fn error_chain(error: &(dyn std::error::Error + 'static)) -> String {
    let mut parts = vec![error.to_string()];
    let mut source = error.source();
    while let Some(cause) = source {
        parts.push(cause.to_string());
        source = cause.source();
    }
    parts.dedup();
    parts.join(": ")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn instance(url: &str, key: &str) -> Instance {
        Instance {
            supabase_url: Some(url.to_owned()),
            service_role_key: Some(Secret::new(key.to_owned())),
            ..Instance::empty("main")
        }
    }

    #[test]
    fn jwt_keys_go_in_apikey_and_bearer_opaque_keys_only_in_apikey() {
        let jwt = Gateway::for_config(&instance("http://localhost:8000/", "eyJ.a.b"), DEFAULT_TIMEOUT).unwrap();
        let headers = jwt.key_headers().unwrap();
        assert_eq!(headers["apikey"], "eyJ.a.b");
        assert_eq!(headers["authorization"], "Bearer eyJ.a.b");
        assert!(headers["apikey"].is_sensitive());
        let opaque = Gateway::for_config(&instance("http://localhost:8000", "sb_secret_x"), DEFAULT_TIMEOUT).unwrap();
        let headers = opaque.key_headers().unwrap();
        assert_eq!(headers["apikey"], "sb_secret_x");
        assert!(headers.get("authorization").is_none());
    }

    #[test]
    fn paths_join_the_base_once() {
        let gateway = Gateway::for_config(&instance("https://abc.supabase.co/", "k"), DEFAULT_TIMEOUT).unwrap();
        assert_eq!(
            gateway.url("/auth/v1/admin/users").unwrap().as_str(),
            "https://abc.supabase.co/auth/v1/admin/users"
        );
        assert_eq!(gateway.url("storage/v1/bucket").unwrap().as_str(), "https://abc.supabase.co/storage/v1/bucket");
    }

    #[test]
    fn a_missing_key_or_a_bad_url_says_how_to_fix_it() {
        let mut config = instance("http://localhost:8000", "k");
        config.service_role_key = None;
        let failure = Gateway::for_config(&config, DEFAULT_TIMEOUT).unwrap_err();
        assert!(failure.fix.contains("SUPABASE_SERVICE_ROLE_KEY"), "{failure}");
        let failure = Gateway::for_config(&instance("localhost:8000", "k"), DEFAULT_TIMEOUT).unwrap_err();
        assert!(failure.why.contains("http or https"), "{failure}");
    }
}
