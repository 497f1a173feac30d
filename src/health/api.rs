//! The API side of `health_check`: GoTrue, PostgREST and Storage behind the public URL, called with the
//! anon key and timed; and the TLS certificate the URL serves, read on a connection of its own (reqwest
//! does not expose it) that accepts any certificate, with its trust judged separately against the web PKI.

use super::{Alert, Severity, Thresholds};
use crate::secret::Secret;
pub use crate::tlscheck::TlsCertificate;
use schemars::JsonSchema;
use serde::Serialize;

use std::time::{Duration, Instant};

/// The endpoints probed, relative to the public URL.
pub const ENDPOINTS: [(&str, &str); 3] =
    [("auth", "/auth/v1/health"), ("rest", "/rest/v1/"), ("storage", "/storage/v1/status")];

#[derive(Debug, Serialize, JsonSchema)]
pub struct Probe {
    pub service: &'static str,
    pub url: String,
    pub status: Option<u16>,
    pub ok: bool,
    pub millis: f64,
    pub error: Option<String>,
}

#[derive(Debug, Serialize, JsonSchema)]
pub struct ApiHealth {
    pub url: String,
    pub probes: Vec<Probe>,
    /// Present for https URLs.
    pub tls: Option<TlsCertificate>,
    /// Why the certificate could not be read.
    pub tls_error: Option<String>,
}

/// Probes the three services and, for https, reads the certificate; all at once.
pub async fn check(
    base_url: &str,
    anon_key: &Secret,
    timeout: Duration,
    accept_invalid_certs: bool,
    t: &Thresholds,
) -> (ApiHealth, Vec<Alert>) {
    let base = base_url.trim_end_matches('/').to_owned();
    let client = reqwest::Client::builder()
        .use_rustls_tls()
        .timeout(timeout)
        .connect_timeout(timeout)
        .danger_accept_invalid_certs(accept_invalid_certs)
        .user_agent(concat!("supamcp/", env!("CARGO_PKG_VERSION")))
        .build();
    let probes = async {
        match &client {
            Ok(client) => {
                futures_util::future::join_all(
                    ENDPOINTS.iter().map(|(service, path)| probe(client, service, format!("{base}{path}"), anon_key)),
                )
                .await
            }
            Err(e) => ENDPOINTS
                .iter()
                .map(|(service, path)| Probe {
                    service,
                    url: format!("{base}{path}"),
                    status: None,
                    ok: false,
                    millis: 0.0,
                    error: Some(format!("cannot build the HTTP client: {e}")),
                })
                .collect(),
        }
    };
    let certificate = async {
        match reqwest::Url::parse(&base) {
            Ok(url) if url.scheme() == "https" => Some(read_certificate(&url, timeout).await),
            Ok(_) => None,
            Err(e) => Some(Err(format!("the public URL {base} does not parse: {e}"))),
        }
    };
    let (probes, certificate) = tokio::join!(probes, certificate);
    let mut alerts = Vec::new();
    for probe in &probes {
        if !probe.ok {
            let why = probe.error.clone().unwrap_or_else(|| format!("HTTP {}", probe.status.unwrap_or(0)));
            alerts.push(Alert {
                check: "api_endpoint",
                severity: Severity::Critical,
                message: format!("{} ({}) does not answer: {why}", probe.service, probe.url),
                value: probe.status.map(f64::from).unwrap_or(0.0),
                threshold: 0.0,
                unit: "HTTP status",
                fix: fix_for(probe),
            });
        } else if probe.millis >= t.api_slow_ms {
            alerts.push(Alert {
                check: "api_latency",
                severity: Severity::Warning,
                message: format!("{} answered in {:.0} ms", probe.service, probe.millis),
                value: probe.millis,
                threshold: t.api_slow_ms,
                unit: "ms",
                fix: format!("check the {} container's CPU and logs, and the proxy in front of it", probe.service),
            });
        }
    }
    let (tls, tls_error) = match certificate {
        Some(Ok(cert)) => (Some(cert), None),
        Some(Err(e)) => (None, Some(e)),
        None => (None, None),
    };
    if let Some(cert) = &tls {
        if cert.days_left <= 0.0 || cert.days_left < t.tls_expiry_warning_days {
            let (severity, threshold) = if cert.days_left <= 0.0 {
                (Severity::Critical, 0.0)
            } else {
                (Severity::Warning, t.tls_expiry_warning_days)
            };
            alerts.push(Alert {
                check: "tls_expiry",
                severity,
                message: format!(
                    "the certificate of {} expires {} ({:.1} days)",
                    cert.host, cert.not_after, cert.days_left
                ),
                value: (cert.days_left * 10.0).round() / 10.0,
                threshold,
                unit: "days",
                fix: "renew the certificate (certbot renew, or the proxy's ACME settings) and reload the proxy"
                    .to_owned(),
            });
        }
        if !cert.trusted {
            alerts.push(Alert {
                check: "tls_trust",
                severity: Severity::Warning,
                message: format!(
                    "the certificate of {} is not trusted by the public roots: {}",
                    cert.host,
                    cert.trust_error.clone().unwrap_or_default()
                ),
                value: 0.0,
                threshold: 1.0,
                unit: "trusted",
                fix: "serve a certificate from a public CA (e.g. Let's Encrypt) covering this host name, with its full chain".to_owned(),
            });
        }
    }
    if let Some(error) = &tls_error {
        alerts.push(Alert {
            check: "tls_expiry",
            severity: Severity::Warning,
            message: format!("cannot read the TLS certificate: {error}"),
            value: 0.0,
            threshold: t.tls_expiry_warning_days,
            unit: "days",
            fix: "check that the public URL's host and port serve TLS".to_owned(),
        });
    }
    (ApiHealth { url: base, probes, tls, tls_error }, alerts)
}

async fn probe(client: &reqwest::Client, service: &'static str, url: String, anon_key: &Secret) -> Probe {
    let started = Instant::now();
    let result = client
        .get(&url)
        .header("apikey", anon_key.expose())
        .header("Authorization", format!("Bearer {}", anon_key.expose()))
        .send()
        .await;
    let millis = (started.elapsed().as_secs_f64() * 10_000.0).round() / 10.0;
    match result {
        Ok(response) => {
            let status = response.status();
            Probe { service, url, status: Some(status.as_u16()), ok: status.is_success(), millis, error: None }
        }
        Err(e) => Probe { service, url, status: None, ok: false, millis, error: Some(error_chain(&e)) },
    }
}

fn error_chain(error: &dyn std::error::Error) -> String {
    let mut text = error.to_string();
    let mut source = error.source();
    while let Some(cause) = source {
        text.push_str(": ");
        text.push_str(&cause.to_string());
        source = cause.source();
    }
    text
}

fn fix_for(probe: &Probe) -> String {
    match probe.status {
        Some(401) | Some(403) => {
            "the gateway refuses the anon key: check that ANON_KEY in the config matches the stack's .env (validate_keys)"
                .to_owned()
        }
        Some(404) => "the gateway has no route for it: check kong.yml and that the public URL points at Kong".to_owned(),
        Some(502) | Some(503) | Some(504) => {
            format!("the gateway cannot reach the {} service: check its container (docker compose ps, logs)", probe.service)
        }
        Some(_) => format!("read the {} container's logs for the error", probe.service),
        None => "check that the public URL is right and reachable from here (DNS, firewall, proxy), and that the \
                 certificate is valid (accept_invalid_certs to probe anyway)"
            .to_owned(),
    }
}

/// Reads the certificate the URL's host serves.
pub async fn read_certificate(url: &reqwest::Url, timeout: Duration) -> Result<TlsCertificate, String> {
    let host = url.host_str().ok_or("the URL has no host")?;
    crate::tlscheck::read_certificate(host, url.port_or_known_default().unwrap_or(443), timeout).await
}
