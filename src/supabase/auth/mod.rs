//! GoTrue's admin API (`<API URL>/auth/v1/...`) through the instance's [`Gateway`] with the service-role key:
//! users, MFA factors, links and invites, the audit log, the public settings and health. Users are only ever
//! created or changed here, never with SQL on auth.* (raw inserts leave NULL token columns that break GoTrue).
//! Only reads are retried (once per 502/503/504); every error reply becomes a [`Failure`] through [`error`].

pub mod envconfig;
pub mod error;
pub mod listing;
pub mod sessions;
pub mod settings;
pub mod sql;
pub mod triggers;
pub mod types;
mod users;

pub use error::AuthError;
pub use listing::{UserFilter, UserListing};
pub use types::{AuditEntry, Factor, Identity, User, UserRow};
pub use users::{GeneratedLink, LinkType, UserAttributes, UserPage};

use crate::failure::Failure;
use crate::supabase::gateway::{Gateway, GatewayReply};
use reqwest::{Method, StatusCode};
use serde_json::Value;
use std::time::Duration;

/// The API version header: GoTrue then answers errors as `{code: "<error_code>", message}`.
const API_VERSION: (&str, &str) = ("X-Supabase-Api-Version", "2024-01-01");

/// How often a read is tried when the gateway answers 502/503/504.
const READ_ATTEMPTS: u32 = 3;

/// The GoTrue admin API of one instance.
#[derive(Clone, Debug)]
pub struct AuthAdmin {
    gateway: Gateway,
}

impl AuthAdmin {
    pub fn new(gateway: Gateway) -> AuthAdmin {
        AuthAdmin { gateway }
    }

    pub fn base_url(&self) -> &str {
        self.gateway.base_url()
    }

    pub fn instance(&self) -> &str {
        self.gateway.instance()
    }

    /// One call: `path` below `/auth/v1`, optional query and JSON body. Reads (GET) are retried on 502/503/504.
    async fn call(
        &self,
        method: Method,
        path: &str,
        query: &[(&str, String)],
        body: Option<&Value>,
        what: &str,
    ) -> Result<GatewayReply, Failure> {
        let full = format!("/auth/v1{path}");
        let attempts = if method == Method::GET { READ_ATTEMPTS } else { 1 };
        let mut attempt = 0;
        loop {
            attempt += 1;
            let mut request = self.gateway.request(method.clone(), &full)?.header(API_VERSION.0, API_VERSION.1);
            if !query.is_empty() {
                request = request.query(query);
            }
            if let Some(body) = body {
                request = request.json(body);
            }
            let reply = self.gateway.send(request, what).await.map_err(mark_unreachable)?;
            let transient = matches!(
                reply.status,
                StatusCode::BAD_GATEWAY | StatusCode::SERVICE_UNAVAILABLE | StatusCode::GATEWAY_TIMEOUT
            );
            if transient && attempt < attempts {
                tracing::debug!("{what}: {} from the gateway, retrying", reply.status);
                tokio::time::sleep(Duration::from_millis(200 * u64::from(attempt))).await;
                continue;
            }
            if !reply.status.is_success() {
                let failure = AuthError::read(&reply).failure(
                    &format!("{what} on instance '{}' ({} {})", self.instance(), method, self.url_text(&full)),
                    self.base_url(),
                );
                return Err(if transient { mark_unreachable(failure) } else { failure });
            }
            return Ok(reply);
        }
    }

    fn url_text(&self, path: &str) -> String {
        format!("{}{path}", self.base_url())
    }

    /// Parses a success body as `T`.
    fn parse<T: serde::de::DeserializeOwned>(&self, reply: &GatewayReply, what: &str) -> Result<T, Failure> {
        serde_json::from_slice(&reply.body).map_err(|error| {
            Failure::new(
                format!("{what}: the reply of {} is not what GoTrue sends", self.base_url()),
                error.to_string(),
                "check that SUPABASE_URL points at the Supabase API gateway (Kong) or GoTrue itself",
            )
        })
    }

    /// `GET /settings`: which providers are on, signup, autoconfirm (open, but sent with the key).
    pub async fn settings(&self) -> Result<Value, Failure> {
        let reply = self.call(Method::GET, "/settings", &[], None, "read the auth settings").await?;
        self.parse(&reply, "read the auth settings")
    }

    /// `GET /health`: the service's name, version and description.
    pub async fn health(&self) -> Result<Value, Failure> {
        let reply = self.call(Method::GET, "/health", &[], None, "check auth health").await?;
        self.parse(&reply, "check auth health")
    }

    /// `GET /admin/audit`, newest first; `query` is `author:..`, `action:..` or `type:..`.
    pub async fn audit(
        &self,
        page: u32,
        per_page: u32,
        query: Option<String>,
    ) -> Result<(Vec<AuditEntry>, Option<u64>), Failure> {
        let mut params = vec![("page", page.to_string()), ("per_page", per_page.to_string())];
        if let Some(query) = query {
            params.push(("query", query));
        }
        let what = "read the auth audit log";
        let reply = self.call(Method::GET, "/admin/audit", &params, None, what).await?;
        Ok((self.parse(&reply, what)?, total_count(&reply)))
    }
}

/// Appended to the `what` of a failure that means the auth service could not be reached (no connection, no
/// answer in time, the gateway's 502/503/504 after retries): reads may then fall back to SQL.
const UNREACHABLE: &str = " (the auth service is unreachable)";

fn mark_unreachable(mut failure: Failure) -> Failure {
    failure.what.push_str(UNREACHABLE);
    failure
}

/// Whether `failure` says the auth service could not be reached.
pub fn is_unreachable(failure: &Failure) -> bool {
    failure.what.ends_with(UNREACHABLE)
}

/// The `X-Total-Count` header.
fn total_count(reply: &GatewayReply) -> Option<u64> {
    reply.headers.get("x-total-count").and_then(|v| v.to_str().ok()).and_then(|v| v.trim().parse().ok())
}

/// Whether the `Link` header names a next page.
fn has_next(reply: &GatewayReply) -> bool {
    reply.headers.get_all("link").iter().filter_map(|v| v.to_str().ok()).any(|v| v.contains("rel=\"next\""))
}

/// A user or factor id as GoTrue wants it: a UUID (checked here, so nothing else reaches the path).
pub fn checked_uuid(value: &str, name: &str) -> Result<String, Failure> {
    uuid::Uuid::parse_str(value.trim()).map(|id| id.to_string()).map_err(|_| {
        Failure::new(
            format!("{name} '{}' is not a UUID", value.chars().take(60).collect::<String>()),
            "GoTrue identifies users and factors by UUID",
            "pass the id from list_users (or list_user_factors), not an email",
        )
    })
}
