//! The HTTP layer of the Dokploy client: `x-api-key` auth, GET with one query parameter per input
//! field, POST with a JSON body, empty 200 bodies, both error shapes, and retries with exponential
//! backoff for idempotent calls only (on 5xx, 429 and timeouts). The key is sent and never logged:
//! it is a [`Secret`], and log lines carry the server name, procedure, attempt and status only.

use super::error::{ApiError, DokployError};
use super::version::VersionInfo;
use crate::config::DokployServer;
use crate::secret::Secret;
use serde::de::DeserializeOwned;
use serde_json::Value;
use std::time::Duration;
use tokio::sync::OnceCell;

/// Timeouts and retries of one client.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ClientOptions {
    /// Per request.
    pub timeout: Duration,
    /// Extra attempts for idempotent calls.
    pub retries: u32,
    /// Delay before the first retry; doubled for each further one.
    pub backoff: Duration,
}

impl Default for ClientOptions {
    fn default() -> Self {
        ClientOptions { timeout: Duration::from_secs(30), retries: 3, backoff: Duration::from_millis(500) }
    }
}

/// Whether a call may be repeated without changing the outcome.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Idempotency {
    /// Reads, and writes that set a value (update, saveEnvironment): retried.
    Idempotent,
    /// Creates, deploys, deletes: sent once.
    Once,
}

/// One GET or POST to `/api/<procedure>`.
#[derive(Clone, Debug)]
pub enum Call {
    Get(Vec<(&'static str, String)>),
    Post(Value),
}

/// A client for one Dokploy server.
#[derive(Debug)]
pub struct Client {
    name: String,
    base: String,
    key: Secret,
    http: reqwest::Client,
    options: ClientOptions,
    pub(super) version: OnceCell<VersionInfo>,
}

impl Client {
    /// A client for `url` (with or without the trailing `/api`).
    pub fn new(name: &str, url: &str, key: Secret, options: ClientOptions) -> Result<Client, DokployError> {
        let http = reqwest::Client::builder()
            .timeout(options.timeout)
            .build()
            .map_err(|e| DokployError::Transport { procedure: "client setup".to_owned(), detail: e.to_string() })?;
        let trimmed = url.trim().trim_end_matches('/');
        let base = if trimmed.ends_with("/api") { trimmed.to_owned() } else { format!("{trimmed}/api") };
        Ok(Client { name: name.to_owned(), base, key, http, options, version: OnceCell::new() })
    }

    /// A client for a configured server, with the default options.
    pub fn for_server(server: &DokployServer) -> Result<Client, DokployError> {
        Client::new(&server.name, &server.url, server.api_key.clone(), ClientOptions::default())
    }

    /// The configured name of the server (`default` for DOKPLOY_URL).
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The API base, `https://host/api`.
    pub fn base_url(&self) -> &str {
        &self.base
    }

    /// Calls a procedure and decodes its JSON reply; an empty body decodes as `null`.
    pub async fn call<T: DeserializeOwned>(
        &self,
        procedure: &str,
        call: Call,
        idempotency: Idempotency,
    ) -> Result<T, DokployError> {
        let body = self.send(procedure, &call, idempotency).await?;
        let value = if body.trim().is_empty() {
            Value::Null
        } else {
            serde_json::from_str(&body).map_err(|e| DokployError::Decode {
                procedure: procedure.to_owned(),
                detail: format!("not JSON ({e}): {}", body.chars().take(120).collect::<String>()),
            })?
        };
        serde_json::from_value(value)
            .map_err(|e| DokployError::Decode { procedure: procedure.to_owned(), detail: e.to_string() })
    }

    /// Sends the request, retrying idempotent calls on 5xx, 429 and timeouts; returns the body text.
    async fn send(&self, procedure: &str, call: &Call, idempotency: Idempotency) -> Result<String, DokployError> {
        let attempts = match idempotency {
            Idempotency::Idempotent => self.options.retries + 1,
            Idempotency::Once => 1,
        };
        let url = format!("{}/{procedure}", self.base);
        let mut last = DokployError::Timeout { procedure: procedure.to_owned() };
        for attempt in 0..attempts {
            if attempt > 0 {
                let factor = 1u32 << (attempt - 1).min(6);
                tokio::time::sleep(self.options.backoff.saturating_mul(factor)).await;
            }
            let request = match call {
                Call::Get(query) => self.http.get(&url).query(query),
                Call::Post(body) => self.http.post(&url).json(body),
            };
            let response = request.header("x-api-key", self.key.expose()).send().await;
            match response {
                Ok(response) => {
                    let status = response.status().as_u16();
                    tracing::debug!(server = %self.name, procedure, attempt, status, "dokploy call");
                    let text = match response.text().await {
                        Ok(text) => text,
                        Err(e) if e.is_timeout() => {
                            last = DokployError::Timeout { procedure: procedure.to_owned() };
                            continue;
                        }
                        Err(e) => {
                            return Err(DokployError::Transport {
                                procedure: procedure.to_owned(),
                                detail: e.to_string(),
                            });
                        }
                    };
                    if (200..300).contains(&status) {
                        return Ok(text);
                    }
                    let error =
                        DokployError::Api { procedure: procedure.to_owned(), error: ApiError::parse(status, &text) };
                    if status == 429 || status >= 500 {
                        last = error;
                        continue;
                    }
                    return Err(error);
                }
                Err(e) if e.is_timeout() => {
                    tracing::debug!(server = %self.name, procedure, attempt, "dokploy call timed out");
                    last = DokployError::Timeout { procedure: procedure.to_owned() };
                }
                Err(e) => {
                    let detail = std::error::Error::source(&e).map_or_else(|| e.to_string(), |s| format!("{e}: {s}"));
                    return Err(DokployError::Transport { procedure: procedure.to_owned(), detail });
                }
            }
        }
        Err(last)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_base_gets_api_once() {
        let a = Client::new("a", "https://dk.example.com/", Secret::new("k"), ClientOptions::default());
        let b = Client::new("b", "https://dk.example.com/api", Secret::new("k"), ClientOptions::default());
        assert_eq!(a.map(|c| c.base.clone()).ok().as_deref(), Some("https://dk.example.com/api"));
        assert_eq!(b.map(|c| c.base.clone()).ok().as_deref(), Some("https://dk.example.com/api"));
    }

    #[test]
    fn debug_does_not_show_the_key() {
        let client = Client::new("a", "http://x", Secret::new("dk_live_secret_value"), ClientOptions::default());
        let text = client.map(|c| format!("{c:?}")).unwrap_or_default();
        assert!(!text.contains("dk_live_secret_value") && text.contains("redacted"), "{text}");
    }
}
