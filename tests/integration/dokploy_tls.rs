//! The live certificate check of `dokploy_manage_domain` against a TLS server on loopback with
//! self-signed certificates: days to expiry, the 7-day warning, untrusted chains, unreachable ports.
use std::sync::Arc;
use std::time::Duration;
use supamcp::dokploy::tls::{check, not_after};
use tokio_rustls::TlsAcceptor;
use tokio_rustls::rustls::ServerConfig;
use tokio_rustls::rustls::pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer};

fn certificate(days: i64) -> (Vec<u8>, Vec<u8>) {
    let mut params = rcgen::CertificateParams::new(vec!["localhost".to_owned()]).unwrap();
    let expiry = chrono::Utc::now() + chrono::Duration::days(days) + chrono::Duration::hours(12);
    params.not_after = rcgen::date_time_ymd(
        expiry.format("%Y").to_string().parse().unwrap(),
        expiry.format("%m").to_string().parse().unwrap(),
        expiry.format("%d").to_string().parse().unwrap(),
    );
    let key = rcgen::KeyPair::generate().unwrap();
    let cert = params.self_signed(&key).unwrap();
    (cert.der().to_vec(), key.serialize_der())
}

async fn serve(days: i64) -> u16 {
    let (cert, key) = certificate(days);
    let provider = Arc::new(tokio_rustls::rustls::crypto::ring::default_provider());
    let config = ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .unwrap()
        .with_no_client_auth()
        .with_single_cert(vec![CertificateDer::from(cert)], PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(key)))
        .unwrap();
    let acceptor = TlsAcceptor::from(Arc::new(config));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    tokio::spawn(async move {
        while let Ok((tcp, _)) = listener.accept().await {
            let acceptor = acceptor.clone();
            tokio::spawn(async move {
                let _ = acceptor.accept(tcp).await;
            });
        }
    });
    port
}

#[test]
fn reads_not_after_from_der() {
    let (der, _) = certificate(30);
    let days = (not_after(&der).unwrap() - chrono::Utc::now().timestamp()) / 86_400;
    assert!((29..=31).contains(&days), "{days}");
}

#[tokio::test]
async fn a_certificate_close_to_expiry_warns() {
    let port = serve(3).await;
    let result = check("localhost", port, Duration::from_secs(10)).await;
    assert_eq!(result.verdict, "expiring", "{result:?}");
    assert!(matches!(result.days_left, Some(2..=3)), "{result:?}");
    assert!(!result.trusted);
}

#[tokio::test]
async fn a_self_signed_certificate_is_untrusted() {
    let port = serve(60).await;
    let result = check("localhost", port, Duration::from_secs(10)).await;
    assert_eq!(result.verdict, "untrusted", "{result:?}");
    assert!(result.not_after.is_some());
}

#[tokio::test]
async fn a_closed_port_is_unreachable() {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    drop(listener);
    let result = check("localhost", port, Duration::from_secs(5)).await;
    assert_eq!(result.verdict, "unreachable");
    assert!(result.detail.is_some());
}
