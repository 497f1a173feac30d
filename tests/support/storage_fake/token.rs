//! Signed URL tokens as Storage makes them: HS256 JWTs whose payload names the object (`url`: `bucket/path`),
//! with `iat` and `exp`; upload tokens also carry `upsert`. Verified with the fake's secret.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use hmac::{Hmac, Mac};
use serde_json::{Value, json};
use sha2::Sha256;

fn mac(input: &str) -> Vec<u8> {
    let mut mac = Hmac::<Sha256>::new_from_slice(super::JWT_SECRET.as_bytes()).expect("hmac key");
    mac.update(input.as_bytes());
    mac.finalize().into_bytes().to_vec()
}

pub fn now() -> i64 {
    chrono::Utc::now().timestamp()
}

/// A token for `url` valid `expires_in` seconds, with extra claims.
pub fn sign(url: &str, expires_in: i64, extra: Value) -> String {
    let header = URL_SAFE_NO_PAD.encode(br#"{"alg":"HS256","typ":"JWT"}"#);
    let mut claims = json!({ "url": url, "iat": now(), "exp": now() + expires_in });
    if let (Some(claims), Some(extra)) = (claims.as_object_mut(), extra.as_object()) {
        claims.extend(extra.clone());
    }
    let payload = URL_SAFE_NO_PAD.encode(claims.to_string());
    let signing = format!("{header}.{payload}");
    let signature = URL_SAFE_NO_PAD.encode(mac(&signing));
    format!("{signing}.{signature}")
}

/// The claims of a valid token for `url`, or the error message Storage gives.
pub fn verify(token: &str, url: &str) -> Result<Value, &'static str> {
    let mut parts = token.split('.');
    let (Some(header), Some(payload), Some(signature), None) = (parts.next(), parts.next(), parts.next(), parts.next())
    else {
        return Err("jwt malformed");
    };
    let expected = URL_SAFE_NO_PAD.encode(mac(&format!("{header}.{payload}")));
    if expected != signature {
        return Err("invalid signature");
    }
    let claims: Value = URL_SAFE_NO_PAD
        .decode(payload)
        .ok()
        .and_then(|bytes| serde_json::from_slice(&bytes).ok())
        .ok_or("jwt malformed")?;
    if claims["exp"].as_i64().is_none_or(|exp| exp <= now()) {
        return Err("jwt expired");
    }
    if claims["url"].as_str() != Some(url) {
        return Err("InvalidSignature");
    }
    Ok(claims)
}
