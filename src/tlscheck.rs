//! Reads the TLS certificate a host serves: a handshake that accepts any certificate (so an expired or
//! self-signed one can still be read), the leaf's notAfter, and, separately, whether the chain verifies against
//! the web PKI roots for the host name. The one implementation behind health_check's and Dokploy's domain checks.

use rustls::client::WebPkiServerVerifier;
use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::pki_types::{CertificateDer, ServerName, UnixTime};
use rustls::{ClientConfig, DigitallySignedStruct, SignatureScheme};
use schemars::JsonSchema;
use serde::Serialize;
use std::sync::{Arc, Mutex};
use std::time::Duration;

#[derive(Clone, Debug, Serialize, JsonSchema)]
pub struct TlsCertificate {
    pub host: String,
    pub port: u16,
    /// The certificate's notAfter, RFC 3339.
    pub not_after: String,
    pub days_left: f64,
    /// Whether the chain verifies against the public web PKI roots for this host name.
    pub trusted: bool,
    pub trust_error: Option<String>,
    /// notAfter as Unix seconds.
    #[serde(skip)]
    #[schemars(skip)]
    pub not_after_unix: i64,
}

/// Accepts any certificate so that its dates can be read, recording whether the web PKI trusts it. Handshake
/// signatures are still checked.
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

/// Completes a TLS handshake with `host:port` within `timeout` and reads the leaf certificate.
pub async fn read_certificate(host: &str, port: u16, timeout: Duration) -> Result<TlsCertificate, String> {
    let host = host.trim_matches(['[', ']']).to_owned();
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
    let expiry = not_after(leaf.as_ref())?;
    let days_left = (expiry - chrono::Utc::now().timestamp()) as f64 / 86_400.0;
    let verdict = verifier.verdict.lock().ok().and_then(|v| v.clone()).unwrap_or(Err("not verified".to_owned()));
    Ok(TlsCertificate {
        host,
        port,
        not_after: chrono::DateTime::from_timestamp(expiry, 0).map(|t| t.to_rfc3339()).unwrap_or_default(),
        days_left: (days_left * 100.0).round() / 100.0,
        trusted: verdict.is_ok(),
        trust_error: verdict.err(),
        not_after_unix: expiry,
    })
}

/// The notAfter of a DER certificate, as Unix seconds.
pub fn not_after(der: &[u8]) -> Result<i64, String> {
    use x509_cert::der::Decode;
    let certificate =
        x509_cert::Certificate::from_der(der).map_err(|e| format!("cannot parse the certificate: {e}"))?;
    i64::try_from(certificate.tbs_certificate.validity.not_after.to_unix_duration().as_secs())
        .map_err(|_| "the certificate's notAfter is out of range".to_owned())
}
