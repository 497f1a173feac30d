//! The certificate check of a live Dokploy domain: `crate::tlscheck` reads the certificate (also when expired or
//! self-signed) and whether the web PKI trusts it; this module turns that into days left and a verdict.

use serde::Serialize;
use std::time::Duration;

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

pub use crate::tlscheck::not_after;

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
    let certificate = match crate::tlscheck::read_certificate(host, port, timeout).await {
        Ok(certificate) => certificate,
        Err(e) => {
            out.detail = Some(e);
            return out;
        }
    };
    out.trusted = certificate.trusted;
    let expiry = certificate.not_after_unix;
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
