//! The TLS certificate a live domain serves: fetched with a handshake that accepts any certificate (so
//! an expired or self-signed one is still read), then its `notAfter` taken from the DER and turned into
//! days left. Whether the chain verifies is reported separately against the webpki roots.

use serde::Serialize;
use std::sync::Arc;
use std::time::Duration;
use tokio_rustls::TlsConnector;
use tokio_rustls::rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use tokio_rustls::rustls::crypto::{CryptoProvider, ring, verify_tls12_signature, verify_tls13_signature};
use tokio_rustls::rustls::pki_types::{CertificateDer, ServerName, UnixTime};
use tokio_rustls::rustls::{ClientConfig, DigitallySignedStruct, Error, RootCertStore, SignatureScheme};

/// Days before expiry at which the check warns.
pub const EXPIRY_WARNING_DAYS: i64 = 7;

/// What the check found.
#[derive(Clone, Debug, Serialize, schemars::JsonSchema)]
pub struct CertificateCheck {
    pub host: String,
    /// The certificate's notAfter (RFC 3339).
    pub not_after: Option<String>,
    pub days_left: Option<i64>,
    /// True when the chain verifies against the public roots for this host name.
    pub trusted: bool,
    /// ok, expiring (under 7 days), expired, untrusted or unreachable.
    pub verdict: String,
    pub detail: Option<String>,
}

#[derive(Debug)]
struct Capture {
    provider: Arc<CryptoProvider>,
    inner: Arc<dyn ServerCertVerifier>,
    trusted: std::sync::Mutex<Option<bool>>,
}

impl ServerCertVerifier for Capture {
    fn verify_server_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        intermediates: &[CertificateDer<'_>],
        server_name: &ServerName<'_>,
        ocsp: &[u8],
        now: UnixTime,
    ) -> Result<ServerCertVerified, Error> {
        let ok = self.inner.verify_server_cert(end_entity, intermediates, server_name, ocsp, now).is_ok();
        if let Ok(mut slot) = self.trusted.lock() {
            *slot = Some(ok);
        }
        Ok(ServerCertVerified::assertion())
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, Error> {
        verify_tls12_signature(message, cert, dss, &self.provider.signature_verification_algorithms)
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, Error> {
        verify_tls13_signature(message, cert, dss, &self.provider.signature_verification_algorithms)
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.provider.signature_verification_algorithms.supported_schemes()
    }
}

/// Reads one DER element at `at`: (tag, content start, content end).
fn element(der: &[u8], at: usize) -> Option<(u8, usize, usize)> {
    let tag = *der.get(at)?;
    let first = *der.get(at + 1)? as usize;
    let (length, start) = if first < 0x80 {
        (first, at + 2)
    } else {
        let count = first & 0x7f;
        let bytes = der.get(at + 2..at + 2 + count)?;
        (bytes.iter().fold(0usize, |acc, b| (acc << 8) | *b as usize), at + 2 + count)
    };
    let end = start.checked_add(length)?;
    (end <= der.len()).then_some((tag, start, end))
}

/// The certificate's notAfter as Unix time.
pub fn not_after(der: &[u8]) -> Option<i64> {
    let (_, cert_start, _) = element(der, 0)?;
    let (_, tbs_start, tbs_end) = element(der, cert_start)?;
    let mut at = tbs_start;
    let (tag, _, end) = element(der, at)?;
    if tag == 0xa0 {
        at = end;
    }
    for _ in 0..3 {
        at = element(der, at)?.2; // serial, signature algorithm, issuer
    }
    let (_, validity_start, _) = element(der, at).filter(|(_, _, e)| *e <= tbs_end)?;
    let not_before_end = element(der, validity_start)?.2;
    let (tag, start, end) = element(der, not_before_end)?;
    let text = std::str::from_utf8(&der[start..end]).ok()?;
    let full = match tag {
        0x17 => {
            let year: i32 = text.get(0..2)?.parse().ok()?;
            format!("{}{}", if year >= 50 { "19" } else { "20" }, text)
        }
        0x18 => text.to_owned(),
        _ => return None,
    };
    chrono::NaiveDateTime::parse_from_str(full.trim_end_matches('Z'), "%Y%m%d%H%M%S")
        .ok()
        .map(|t| t.and_utc().timestamp())
}

/// Checks the certificate `host` serves on `port`.
pub async fn check(host: &str, port: u16, timeout: Duration) -> CertificateCheck {
    let mut out = CertificateCheck {
        host: host.to_owned(),
        not_after: None,
        days_left: None,
        trusted: false,
        verdict: "unreachable".to_owned(),
        detail: None,
    };
    let provider = Arc::new(ring::default_provider());
    let roots = RootCertStore { roots: webpki_roots::TLS_SERVER_ROOTS.to_vec() };
    let inner = match tokio_rustls::rustls::client::WebPkiServerVerifier::builder_with_provider(
        Arc::new(roots),
        provider.clone(),
    )
    .build()
    {
        Ok(inner) => inner,
        Err(e) => {
            out.detail = Some(e.to_string());
            return out;
        }
    };
    let capture = Arc::new(Capture { provider: provider.clone(), inner, trusted: std::sync::Mutex::new(None) });
    let config = ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map(|b| b.dangerous().with_custom_certificate_verifier(capture.clone()).with_no_client_auth());
    let (Ok(config), Ok(name)) = (config, ServerName::try_from(host.to_owned())) else {
        out.detail = Some("invalid host name or TLS setup".to_owned());
        return out;
    };
    let attempt = async {
        let tcp = tokio::net::TcpStream::connect((host, port)).await.map_err(|e| e.to_string())?;
        let tls = TlsConnector::from(Arc::new(config)).connect(name, tcp).await.map_err(|e| e.to_string())?;
        let certs = tls.get_ref().1.peer_certificates().map(|c| c.to_vec()).unwrap_or_default();
        certs.first().map(|c| c.as_ref().to_vec()).ok_or_else(|| "no certificate".to_owned())
    };
    let der = match tokio::time::timeout(timeout, attempt).await {
        Ok(Ok(der)) => der,
        Ok(Err(e)) => {
            out.detail = Some(e);
            return out;
        }
        Err(_) => {
            out.detail = Some("timed out".to_owned());
            return out;
        }
    };
    out.trusted = capture.trusted.lock().ok().and_then(|t| *t).unwrap_or(false);
    let Some(expiry) = not_after(&der) else {
        out.verdict = "unreadable".to_owned();
        return out;
    };
    let days = (expiry - chrono::Utc::now().timestamp()).div_euclid(86_400);
    out.not_after = chrono::DateTime::from_timestamp(expiry, 0).map(|t| t.to_rfc3339());
    out.days_left = Some(days);
    out.verdict = if days < 0 {
        "expired"
    } else if days < EXPIRY_WARNING_DAYS {
        "expiring"
    } else if !out.trusted {
        "untrusted"
    } else {
        "ok"
    }
    .to_owned();
    out
}
