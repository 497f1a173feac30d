//! OAuth resource-server mode: a loopback issuer (openid-configuration + JWKS with an EC and an RSA key) signs
//! access tokens; the server accepts valid ES256 and RS256 tokens for its audience, refuses others (401, or 403
//! for another audience) with a challenge pointing to its RFC 9728 metadata.

use super::{client_with, start_in};
use serde_json::{Value, json};
use supamcp::supabase::keys::jwt::{b64url_encode, encode_es256};

const AUDIENCE: &str = "https://mcp.example.test/mcp";

/// An RSA key made by openssl: its PEM path, modulus (big-endian bytes) and a signer.
struct RsaKey {
    pem: std::path::PathBuf,
    n: Vec<u8>,
}

fn rsa_key(dir: &std::path::Path) -> RsaKey {
    let pem = dir.join("rsa.pem");
    let made = std::process::Command::new("openssl").args(["genrsa", "-out"]).arg(&pem).arg("2048").output().unwrap();
    assert!(made.status.success(), "{made:?}");
    let modulus =
        std::process::Command::new("openssl").args(["rsa", "-noout", "-modulus", "-in"]).arg(&pem).output().unwrap();
    let hex = String::from_utf8(modulus.stdout).unwrap().trim().trim_start_matches("Modulus=").to_owned();
    RsaKey { pem, n: hex::decode(hex).unwrap() }
}

fn sign_rs256(key: &RsaKey, claims: &Value) -> String {
    let header = json!({"alg": "RS256", "typ": "JWT", "kid": "r1"});
    let input =
        format!("{}.{}", b64url_encode(header.to_string().as_bytes()), b64url_encode(claims.to_string().as_bytes()));
    let mut child = std::process::Command::new("openssl")
        .args(["dgst", "-sha256", "-sign"])
        .arg(&key.pem)
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    use std::io::Write;
    child.stdin.take().unwrap().write_all(input.as_bytes()).unwrap();
    let signature = child.wait_with_output().unwrap().stdout;
    format!("{input}.{}", b64url_encode(&signature))
}

/// The issuer on 127.0.0.1:0: its URL.
async fn issuer(jwks: Value) -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    let discovery = json!({ "issuer": url, "jwks_uri": format!("{url}/jwks") });
    let app = axum::Router::new()
        .route("/.well-known/openid-configuration", axum::routing::get(move || async move { axum::Json(discovery) }))
        .route("/jwks", axum::routing::get(move || async move { axum::Json(jwks) }));
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    url
}

fn claims(issuer: &str, audience: &str, exp_in: i64) -> Value {
    let now = chrono::Utc::now().timestamp();
    json!({ "iss": issuer, "aud": [audience, "other"], "sub": "user-42", "iat": now, "exp": now + exp_in })
}

// Multi-threaded: starting the server blocks this thread while the issuer must answer it.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn access_tokens_of_the_issuer_are_accepted_for_this_audience_only() {
    let dir = tempfile::tempdir().unwrap();
    let ec = p256::ecdsa::SigningKey::from_slice(&[7u8; 32]).unwrap();
    let point = ec.verifying_key().to_encoded_point(false);
    let rsa = rsa_key(dir.path());
    let jwks = json!({ "keys": [
        { "kty": "EC", "crv": "P-256", "kid": "k1", "alg": "ES256", "use": "sig",
          "x": b64url_encode(point.x().unwrap()), "y": b64url_encode(point.y().unwrap()) },
        { "kty": "RSA", "kid": "r1", "alg": "RS256", "use": "sig", "n": b64url_encode(&rsa.n), "e": "AQAB" },
    ]});
    let issuer = issuer(jwks).await;
    let data_dir = tempfile::tempdir().unwrap();
    let server = start_in(
        &["--features", "knowledge"],
        &["--oauth-issuer", &issuer, "--oauth-audience", AUDIENCE],
        None,
        data_dir.path(),
    );
    let http = reqwest::Client::new();

    // The metadata, at both RFC 9728 places, unauthenticated.
    for path in ["/.well-known/oauth-protected-resource", "/.well-known/oauth-protected-resource/mcp"] {
        let document: Value = http.get(format!("{}{path}", server.base)).send().await.unwrap().json().await.unwrap();
        assert_eq!(document["resource"], AUDIENCE);
        assert_eq!(document["authorization_servers"], json!([issuer]));
    }

    let post = |token: Option<String>| {
        let request = http.post(format!("{}/mcp", server.base)).header("accept", "application/json, text/event-stream");
        let request = match token {
            Some(token) => request.bearer_auth(token),
            None => request,
        };
        request.json(&json!({"jsonrpc": "2.0", "id": 1, "method": "ping"})).send()
    };
    let anonymous = post(None).await.unwrap();
    assert_eq!(anonymous.status(), 401);
    let challenge = anonymous.headers()["www-authenticate"].to_str().unwrap().to_owned();
    assert!(
        challenge.contains("resource_metadata=\"https://mcp.example.test/.well-known/oauth-protected-resource/mcp\""),
        "{challenge}"
    );

    let expired = encode_es256(&claims(&issuer, AUDIENCE, -3600), &ec, "k1");
    let refused = post(Some(expired)).await.unwrap();
    assert_eq!(refused.status(), 401);
    assert!(refused.headers()["www-authenticate"].to_str().unwrap().contains("expired"));
    let elsewhere = encode_es256(&claims(&issuer, "https://other.example.test/mcp", 600), &ec, "k1");
    assert_eq!(post(Some(elsewhere)).await.unwrap().status(), 403, "another audience");
    let forged =
        encode_es256(&claims(&issuer, AUDIENCE, 600), &p256::ecdsa::SigningKey::from_slice(&[9u8; 32]).unwrap(), "k1");
    assert_eq!(post(Some(forged)).await.unwrap().status(), 401, "signed by another key");
    let wrong_issuer = encode_es256(&claims("https://evil.example.test", AUDIENCE, 600), &ec, "k1");
    assert_eq!(post(Some(wrong_issuer)).await.unwrap().status(), 401);

    for token in
        [encode_es256(&claims(&issuer, AUDIENCE, 600), &ec, "k1"), sign_rs256(&rsa, &claims(&issuer, AUDIENCE, 600))]
    {
        let client = client_with(&server.base, &token).await;
        let tools = client.list_all_tools().await.unwrap();
        assert!(tools.iter().any(|t| t.name == "search_docs"));
        client.cancel().await.unwrap();
    }
}
