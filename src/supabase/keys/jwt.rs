//! The JWT codec: base64url, compact JWS encoding for HS256 and ES256, and a decoder that never panics
//! and says which part of a token is broken. Verification is separate from decoding so that a validator
//! can report a bad signature and bad claims of the same token at once.

use base64::Engine;
use base64::engine::general_purpose::{GeneralPurpose, GeneralPurposeConfig};
use base64::engine::{DecodePaddingMode, general_purpose::URL_SAFE_NO_PAD};
use hmac::{Hmac, Mac};
use p256::ecdsa::signature::{Signer, Verifier};
use p256::ecdsa::{Signature, SigningKey, VerifyingKey};
use serde_json::{Map, Value};
use sha2::Sha256;

/// base64url that accepts input with or without `=` padding.
const URL_SAFE_LENIENT: GeneralPurpose = GeneralPurpose::new(
    &base64::alphabet::URL_SAFE,
    GeneralPurposeConfig::new().with_decode_padding_mode(DecodePaddingMode::Indifferent),
);

pub fn b64url_encode(bytes: &[u8]) -> String {
    URL_SAFE_NO_PAD.encode(bytes)
}

pub fn b64url_decode(text: &str) -> Option<Vec<u8>> {
    URL_SAFE_LENIENT.decode(text).ok()
}

/// Why a string is not a readable JWT.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum JwtError {
    #[error("it has {0} dot-separated parts, a JWT has 3 (header.payload.signature)")]
    Parts(usize),
    #[error("its {0} is not base64url")]
    Base64(&'static str),
    #[error("its {0} is not a JSON object")]
    Json(&'static str),
}

/// A decoded, not yet verified, token.
#[derive(Clone, Debug)]
pub struct Jwt {
    pub header: Map<String, Value>,
    pub claims: Map<String, Value>,
    /// `header.payload` as it appeared in the token: the bytes the signature covers.
    pub signing_input: String,
    pub signature: Vec<u8>,
}

impl Jwt {
    pub fn alg(&self) -> Option<&str> {
        self.header.get("alg").and_then(Value::as_str)
    }

    pub fn kid(&self) -> Option<&str> {
        self.header.get("kid").and_then(Value::as_str)
    }

    pub fn claim_str(&self, name: &str) -> Option<&str> {
        self.claims.get(name).and_then(Value::as_str)
    }

    /// A numeric date claim (`exp`, `iat`, `nbf`). `Some(Err(()))` when present but not a number.
    pub fn claim_time(&self, name: &str) -> Option<Result<i64, ()>> {
        self.claims.get(name).map(|value| value.as_f64().map(|f| f as i64).ok_or(()))
    }

    /// True when the HS256 signature verifies with `secret` (the secret's text as UTF-8 bytes, as every
    /// Supabase service uses it).
    pub fn verifies_hs256(&self, secret: &str) -> bool {
        let Ok(mut mac) = Hmac::<Sha256>::new_from_slice(secret.as_bytes()) else {
            return false;
        };
        mac.update(self.signing_input.as_bytes());
        mac.verify_slice(&self.signature).is_ok()
    }

    /// True when the ES256 signature (raw r‖s, 64 bytes) verifies with `key`.
    pub fn verifies_es256(&self, key: &VerifyingKey) -> bool {
        Signature::from_slice(&self.signature)
            .map(|signature| key.verify(self.signing_input.as_bytes(), &signature).is_ok())
            .unwrap_or(false)
    }
}

/// Decodes `token` without verifying it.
pub fn decode(token: &str) -> Result<Jwt, JwtError> {
    let parts: Vec<&str> = token.trim().split('.').collect();
    let [header, payload, signature] = parts[..] else {
        return Err(JwtError::Parts(parts.len()));
    };
    let header_json = json_object(header, "header")?;
    let claims = json_object(payload, "payload")?;
    let signature = b64url_decode(signature).ok_or(JwtError::Base64("signature"))?;
    Ok(Jwt { header: header_json, claims, signing_input: format!("{header}.{payload}"), signature })
}

fn json_object(part: &str, name: &'static str) -> Result<Map<String, Value>, JwtError> {
    let bytes = b64url_decode(part).ok_or(JwtError::Base64(name))?;
    match serde_json::from_slice::<Value>(&bytes) {
        Ok(Value::Object(map)) => Ok(map),
        _ => Err(JwtError::Json(name)),
    }
}

/// Signs `claims` as an HS256 JWT with header `{"alg":"HS256","typ":"JWT"}`.
pub fn encode_hs256(claims: &Value, secret: &str) -> String {
    let input = signing_input(&serde_json::json!({"alg": "HS256", "typ": "JWT"}), claims);
    let signature = match Hmac::<Sha256>::new_from_slice(secret.as_bytes()) {
        Ok(mut mac) => {
            mac.update(input.as_bytes());
            mac.finalize().into_bytes().to_vec()
        }
        // HMAC accepts keys of any length; this arm is unreachable in practice.
        Err(_) => Vec::new(),
    };
    format!("{input}.{}", b64url_encode(&signature))
}

/// Signs `claims` as an ES256 JWT with header `{"alg":"ES256","typ":"JWT","kid":kid}` and a raw r‖s signature.
pub fn encode_es256(claims: &Value, key: &SigningKey, kid: &str) -> String {
    let input = signing_input(&serde_json::json!({"alg": "ES256", "typ": "JWT", "kid": kid}), claims);
    let signature: Signature = key.sign(input.as_bytes());
    format!("{input}.{}", b64url_encode(&signature.to_bytes()))
}

fn signing_input(header: &Value, claims: &Value) -> String {
    format!("{}.{}", b64url_encode(header.to_string().as_bytes()), b64url_encode(claims.to_string().as_bytes()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn hs256_round_trip_and_wrong_secret() {
        let token = encode_hs256(&json!({"role": "anon", "exp": 10}), "a-secret-of-at-least-32-characters!!");
        let jwt = decode(&token).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(jwt.alg(), Some("HS256"));
        assert_eq!(jwt.claim_str("role"), Some("anon"));
        assert_eq!(jwt.claim_time("exp"), Some(Ok(10)));
        assert!(jwt.verifies_hs256("a-secret-of-at-least-32-characters!!"));
        assert!(!jwt.verifies_hs256("another-secret-of-at-least-32-characters"));
    }

    #[test]
    fn decode_errors_name_the_broken_part() {
        assert_eq!(decode(&"ab".repeat(256)).err(), Some(JwtError::Parts(1)));
        assert_eq!(decode("a.b").err(), Some(JwtError::Parts(2)));
        assert_eq!(decode("!!.e30.sig").err(), Some(JwtError::Base64("header")));
        assert_eq!(decode("e30.WzFd.sig").err(), Some(JwtError::Json("payload")));
        assert_eq!(decode("e30.e30.***").err(), Some(JwtError::Base64("signature")));
        assert!(decode("e30=.e30.").is_ok(), "padding is tolerated");
    }
}
