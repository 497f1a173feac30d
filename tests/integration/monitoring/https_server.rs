//! A local HTTPS server standing in for a self-hosted stack's gateway: a self-signed certificate made with
//! rcgen that expires in a given number of days, served with tokio-rustls and hyper on 127.0.0.1:0.
//! `/auth/v1/health` and `/rest/v1/` answer 200 to the right apikey (401 otherwise); `/storage/v1/status`
//! answers 503, as a gateway does when the service is down.

use bytes::Bytes;
use http_body_util::Full;
use hyper::body::Incoming;
use hyper::service::service_fn;
use hyper::{Request, Response, StatusCode};
use rustls::pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer};
use std::convert::Infallible;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

pub struct TestGateway {
    pub url: String,
    /// Requests that carried the expected apikey.
    pub authorised: Arc<AtomicUsize>,
    task: tokio::task::JoinHandle<()>,
}

impl Drop for TestGateway {
    fn drop(&mut self) {
        self.task.abort();
    }
}

fn respond(request: &Request<Incoming>, anon_key: &str, authorised: &AtomicUsize) -> (StatusCode, &'static str) {
    let key_ok = request.headers().get("apikey").and_then(|v| v.to_str().ok()) == Some(anon_key)
        && request.headers().get("authorization").and_then(|v| v.to_str().ok())
            == Some(format!("Bearer {anon_key}").as_str());
    if !key_ok {
        return (StatusCode::UNAUTHORIZED, r#"{"message":"Invalid authentication credentials"}"#);
    }
    authorised.fetch_add(1, Ordering::Relaxed);
    match request.uri().path() {
        "/auth/v1/health" => (StatusCode::OK, r#"{"version":"v2.186.0","name":"GoTrue"}"#),
        "/rest/v1/" => (StatusCode::OK, r#"{"swagger":"2.0"}"#),
        "/storage/v1/status" => (StatusCode::SERVICE_UNAVAILABLE, r#"{"message":"name resolution failed"}"#),
        _ => (StatusCode::NOT_FOUND, r#"{"message":"no Route matched with those values"}"#),
    }
}

/// Starts the gateway with a certificate for 127.0.0.1 and localhost valid for `days` more days.
pub async fn start(days: i64, anon_key: &str) -> TestGateway {
    let mut params = rcgen::CertificateParams::new(vec!["localhost".to_owned(), "127.0.0.1".to_owned()]).unwrap();
    let now = time::OffsetDateTime::now_utc();
    params.not_before = now - time::Duration::days(1);
    params.not_after = now + time::Duration::days(days);
    let key = rcgen::KeyPair::generate().unwrap();
    let certificate = params.self_signed(&key).unwrap();
    let chain = vec![CertificateDer::from(certificate.der().to_vec())];
    let private = PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(key.serialize_der()));
    let config = rustls::ServerConfig::builder_with_provider(Arc::new(rustls::crypto::ring::default_provider()))
        .with_safe_default_protocol_versions()
        .unwrap()
        .with_no_client_auth()
        .with_single_cert(chain, private)
        .unwrap();
    let acceptor = tokio_rustls::TlsAcceptor::from(Arc::new(config));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("https://127.0.0.1:{}", listener.local_addr().unwrap().port());
    let authorised = Arc::new(AtomicUsize::new(0));
    let key = anon_key.to_owned();
    let counter = authorised.clone();
    let task = tokio::spawn(async move {
        while let Ok((tcp, _)) = listener.accept().await {
            let (acceptor, key, counter) = (acceptor.clone(), key.clone(), counter.clone());
            tokio::spawn(async move {
                // Handshakes that the client abandons (certificate refused) simply end here.
                let Ok(tls) = acceptor.accept(tcp).await else {
                    return;
                };
                let service = service_fn(move |request: Request<Incoming>| {
                    let (status, body) = respond(&request, &key, &counter);
                    async move {
                        Ok::<_, Infallible>(
                            Response::builder()
                                .status(status)
                                .header("content-type", "application/json")
                                .body(Full::new(Bytes::from_static(body.as_bytes())))
                                .unwrap(),
                        )
                    }
                });
                let _ = hyper::server::conn::http1::Builder::new()
                    .serve_connection(hyper_util::rt::TokioIo::new(tls), service)
                    .await;
            });
        }
    });
    TestGateway { url, authorised, task }
}
