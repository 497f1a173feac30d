//! The API side of `health_check`: GoTrue, PostgREST and Storage behind the public URL, called with the
//! anon key and timed; and the TLS certificate the URL serves, read on a connection of its own (reqwest
//! does not expose it) that accepts any certificate, with its trust judged separately against the web PKI.

use super::{Alert, Severity, Thresholds};
use crate::secret::Secret;
use rustls::client::WebPkiServerVerifier;
use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::pki_types::{CertificateDer, ServerName, UnixTime};
use rustls::{ClientConfig, DigitallySignedStruct, SignatureScheme};
use schemars::JsonSchema;
use serde::Serialize;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant, SystemTime};

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
pub struct TlsCertificate {
    pub host: String,
    pub port: u16,
    /// The certificate's notAfter, RFC 3339.
    pub not_after: String,
    pub days_left: f64,
    /// Whether the chain verifies against the public web PKI roots for this host name.
    pub trusted: bool,
    pub trust_error: Option<String>,
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

/// Accepts any certificate so that its dates can be read, recording whether the web PKI trusts it.
#[derive(Debug)]
struct RecordTrust {
    inner: Arc<WebPkiServerVerifier>,
    verdict: Mutex<Option<Result<(), String>>>,
}

impl ServerCertVerifier for RecordTrust {
    fn verify_server_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        intermediates: &[CertificateDer<'_>],
        server_name: &ServerName<'_>,
        ocsp: &[u8],
        now: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        let verdict = self.inner.verify_server_cert(end_entity, intermediates, server_name, ocsp, now);
        if let Ok(mut slot) = self.verdict.lock() {
            *slot = Some(verdict.map(|_| ()).map_err(|e| e.to_string()));
        }
        Ok(ServerCertVerified::assertion())
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        self.inner.verify_tls12_signature(message, cert, dss)
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        self.inner.verify_tls13_signature(message, cert, dss)
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.inner.supported_verify_schemes()
    }
}

/// Connects to the URL's host, completes a TLS handshake and reads the leaf certificate's notAfter.
pub async fn read_certificate(url: &reqwest::Url, timeout: Duration) -> Result<TlsCertificate, String> {
    let host = url.host_str().ok_or("the URL has no host")?.trim_matches(['[', ']']).to_owned();
    let port = url.port_or_known_default().unwrap_or(443);
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let roots = rustls::RootCertStore { roots: webpki_roots::TLS_SERVER_ROOTS.to_vec() };
    let inner = WebPkiServerVerifier::builder_with_provider(Arc::new(roots), provider.clone())
        .build()
        .map_err(|e| e.to_string())?;
    let verifier = Arc::new(RecordTrust { inner, verdict: Mutex::new(None) });
    let config = ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|e| e.to_string())?
        .dangerous()
        .with_custom_certificate_verifier(verifier.clone())
        .with_no_client_auth();
    let name = ServerName::try_from(host.clone()).map_err(|e| format!("{host} is not a valid TLS name: {e}"))?;
    let handshake = async {
        let tcp = tokio::net::TcpStream::connect((host.as_str(), port)).await.map_err(|e| e.to_string())?;
        let connector = tokio_rustls::TlsConnector::from(Arc::new(config));
        connector.connect(name, tcp).await.map_err(|e| e.to_string())
    };
    let stream = tokio::time::timeout(timeout, handshake)
        .await
        .map_err(|_| format!("no TLS handshake with {host}:{port} within {} ms", timeout.as_millis()))??;
    let leaf = stream
        .get_ref()
        .1
        .peer_certificates()
        .and_then(|chain| chain.first())
        .ok_or("the server sent no certificate")?
        .clone();
    let not_after = not_after(&leaf)?;
    let now = SystemTime::now().duration_since(SystemTime::UNIX_EPOCH).map_err(|e| e.to_string())?;
    let days_left = (not_after.as_secs_f64() - now.as_secs_f64()) / 86_400.0;
    let verdict = verifier.verdict.lock().ok().and_then(|v| v.clone()).unwrap_or(Err("not verified".to_owned()));
    let not_after =
        chrono::DateTime::from_timestamp(not_after.as_secs() as i64, 0).map(|t| t.to_rfc3339()).unwrap_or_default();
    Ok(TlsCertificate {
        host,
        port,
        not_after,
        days_left: (days_left * 100.0).round() / 100.0,
        trusted: verdict.is_ok(),
        trust_error: verdict.err(),
    })
}

/// The notAfter of a DER certificate, as time since the Unix epoch.
fn not_after(der: &CertificateDer<'_>) -> Result<Duration, String> {
    use x509_cert::der::Decode;
    let certificate =
        x509_cert::Certificate::from_der(der.as_ref()).map_err(|e| format!("cannot parse the certificate: {e}"))?;
    Ok(certificate.tbs_certificate.validity.not_after.to_unix_duration())
}
