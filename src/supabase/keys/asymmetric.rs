//! The new key system (opt-in on self-hosted stacks): opaque `sb_publishable_…` / `sb_secret_…` keys in
//! the self-hosted format, the ES256 signing set for `JWT_KEYS`, its public `JWT_JWKS`, and the ES256
//! ANON/SERVICE_ROLE JWTs the gateway swaps opaque keys for. Also reads those variables back.

use super::generate::{legacy_claims, random_bytes};
use super::jwt::{b64url_decode, b64url_encode, encode_es256};
use p256::EncodedPoint;
use p256::ecdsa::{SigningKey, VerifyingKey};
use serde_json::{Value, json};
use sha2::{Digest, Sha256};

pub const PUBLISHABLE_PREFIX: &str = "sb_publishable_";
pub const SECRET_PREFIX: &str = "sb_secret_";
const CHECKSUM_SALT: &str = "supabase-self-hosted|";

/// One generated new-style key set, every value ready for the `.env`.
pub struct AsymmetricSet {
    pub publishable: String,
    pub secret: String,
    pub jwt_keys: String,
    pub jwt_jwks: String,
    pub anon: String,
    pub service_role: String,
}

fn checksum(prefix: &str, random: &str) -> String {
    let digest = Sha256::digest(format!("{CHECKSUM_SALT}{prefix}{random}").as_bytes());
    b64url_encode(&digest).chars().take(8).collect()
}

/// An opaque key: `prefix` + 22 random base64url characters + `_` + an 8-character checksum.
pub fn opaque_key(prefix: &str) -> String {
    let random: String = b64url_encode(&random_bytes::<17>()).chars().take(22).collect();
    let sum = checksum(prefix, &random);
    format!("{prefix}{random}_{sum}")
}

/// What is wrong with an opaque key.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum OpaqueProblem {
    /// Not `sb_publishable_<22>_<8>` / `sb_secret_<22>_<8>` with the expected prefix.
    Malformed,
    /// Well-formed, but the checksum is not the self-hosted one (gateways do not check it).
    Checksum,
}

/// Checks `key` against the format for `prefix`.
pub fn check_opaque(key: &str, prefix: &str) -> Option<OpaqueProblem> {
    let Some(rest) = key.strip_prefix(prefix) else {
        return Some(OpaqueProblem::Malformed);
    };
    let url_char = |c: char| c.is_ascii_alphanumeric() || c == '_' || c == '-';
    let well_formed = rest.len() == 31 && rest.chars().all(url_char) && rest.as_bytes().get(22) == Some(&b'_');
    if !well_formed {
        return Some(OpaqueProblem::Malformed);
    }
    (checksum(prefix, &rest[..22]) != rest[23..]).then_some(OpaqueProblem::Checksum)
}

fn new_signing_key() -> SigningKey {
    loop {
        let bytes = random_bytes::<32>();
        // Fails only for zero or values above the curve order: about one draw in 2^32.
        if let Ok(key) = SigningKey::from_bytes(&bytes.into()) {
            return key;
        }
    }
}

fn public_jwk(key: &VerifyingKey, kid: &str) -> Value {
    let point = key.to_encoded_point(false);
    let coordinate = |c: Option<&p256::FieldBytes>| c.map(|b| b64url_encode(b)).unwrap_or_default();
    json!({
        "kty": "EC", "kid": kid, "use": "sig", "key_ops": ["verify"], "alg": "ES256", "ext": true,
        "crv": "P-256", "x": coordinate(point.x()), "y": coordinate(point.y()),
    })
}

fn oct_jwk(jwt_secret: &str) -> Value {
    json!({"kty": "oct", "k": b64url_encode(jwt_secret.as_bytes()), "alg": "HS256"})
}

/// Generates the whole new-style set; the ES256 JWTs carry `{role, iss: "supabase", iat, exp}`.
pub fn generate_set(jwt_secret: &str, iat: i64, exp: i64) -> AsymmetricSet {
    let key = new_signing_key();
    let kid = uuid::Uuid::new_v4().to_string();
    let mut private = public_jwk(key.verifying_key(), &kid);
    private["key_ops"] = json!(["sign", "verify"]);
    private["d"] = json!(b64url_encode(&key.to_bytes()));
    let jwt_keys = json!([private, oct_jwk(jwt_secret)]).to_string();
    let jwt_jwks = json!({"keys": [public_jwk(key.verifying_key(), &kid), oct_jwk(jwt_secret)]}).to_string();
    AsymmetricSet {
        publishable: opaque_key(PUBLISHABLE_PREFIX),
        secret: opaque_key(SECRET_PREFIX),
        jwt_keys,
        jwt_jwks,
        anon: encode_es256(&legacy_claims("anon", iat, exp), &key, &kid),
        service_role: encode_es256(&legacy_claims("service_role", iat, exp), &key, &kid),
    }
}

/// A public key read from a JWK.
#[derive(Clone, Debug)]
pub struct PublicKey {
    pub kid: Option<String>,
    pub key: VerifyingKey,
}

/// What `JWT_KEYS` holds.
#[derive(Clone, Debug)]
pub struct SigningSet {
    /// The one key allowed to sign (GoTrue requires exactly one).
    pub signer: PublicKey,
    /// The `k` of the HS256 `oct` key, decoded, when there is one.
    pub oct_secret: Option<Vec<u8>>,
}

pub(crate) fn ec_public(jwk: &Value) -> Result<PublicKey, String> {
    let field = |name: &str| jwk.get(name).and_then(Value::as_str);
    if field("kty") != Some("EC") || field("crv") != Some("P-256") {
        return Err("a key is not an EC P-256 JWK (kty \"EC\", crv \"P-256\")".into());
    }
    let coordinate = |name: &str| {
        field(name)
            .and_then(b64url_decode)
            .filter(|b| b.len() == 32)
            .ok_or(format!("the EC key's {name} is not 32 base64url bytes"))
    };
    let (x, y) = (coordinate("x")?, coordinate("y")?);
    let point = EncodedPoint::from_affine_coordinates(x.as_slice().into(), y.as_slice().into(), false);
    let key =
        VerifyingKey::from_encoded_point(&point).map_err(|_| "the EC key's x/y are not a point on P-256".to_owned())?;
    Ok(PublicKey { kid: field("kid").map(str::to_owned), key })
}

fn oct_secret(jwk: &Value) -> Option<Vec<u8>> {
    (jwk.get("kty").and_then(Value::as_str) == Some("oct"))
        .then(|| jwk.get("k").and_then(Value::as_str).and_then(b64url_decode))
        .flatten()
}

/// Reads `JWT_KEYS`. `Ok(None)` for legacy-only mode (empty or `[]`).
pub fn parse_jwt_keys(text: &str) -> Result<Option<SigningSet>, String> {
    let text = text.trim();
    if text.is_empty() {
        return Ok(None);
    }
    let Ok(Value::Array(keys)) = serde_json::from_str::<Value>(text) else {
        return Err("it is not a JSON array of JWKs".into());
    };
    if keys.is_empty() {
        return Ok(None);
    }
    let can_sign =
        |k: &&Value| k.get("key_ops").and_then(Value::as_array).is_some_and(|ops| ops.iter().any(|o| o == "sign"));
    let signers: Vec<&Value> = keys.iter().filter(can_sign).collect();
    let [signer] = signers[..] else {
        return Err(format!("{} keys have \"sign\" in key_ops; GoTrue needs exactly one", signers.len()));
    };
    if signer.get("alg").and_then(Value::as_str) != Some("ES256") {
        return Err("the signing key is not alg ES256".into());
    }
    let public = ec_public(signer)?;
    let d = signer
        .get("d")
        .and_then(Value::as_str)
        .and_then(b64url_decode)
        .ok_or("the signing key has no private part d")?;
    let private =
        SigningKey::from_slice(&d).map_err(|_| "the signing key's d is not a P-256 private key".to_owned())?;
    if private.verifying_key() != &public.key {
        return Err("the signing key's d does not belong to its x/y".into());
    }
    Ok(Some(SigningSet { signer: public, oct_secret: keys.iter().find_map(oct_secret) }))
}

/// Reads the EC public keys of `JWT_JWKS` (`{"keys": [...]}`); oct keys are skipped.
pub fn parse_jwks(text: &str) -> Result<Vec<PublicKey>, String> {
    let Ok(value) = serde_json::from_str::<Value>(text.trim()) else {
        return Err("it is not JSON".into());
    };
    let Some(keys) = value.get("keys").and_then(Value::as_array) else {
        return Err("it has no \"keys\" array".into());
    };
    keys.iter().filter(|k| k.get("kty").and_then(Value::as_str) == Some("EC")).map(ec_public).collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::supabase::keys::jwt::decode;

    #[test]
    fn opaque_keys_have_the_documented_shape() {
        let publishable = opaque_key(PUBLISHABLE_PREFIX);
        let secret = opaque_key(SECRET_PREFIX);
        assert_eq!((publishable.len(), secret.len()), (46, 41));
        assert_eq!(check_opaque(&publishable, PUBLISHABLE_PREFIX), None);
        assert_eq!(check_opaque(&secret, SECRET_PREFIX), None);
        assert_eq!(check_opaque(&secret, PUBLISHABLE_PREFIX), Some(OpaqueProblem::Malformed));
        assert_eq!(check_opaque("sb_secret_short", SECRET_PREFIX), Some(OpaqueProblem::Malformed));
        let mut tampered = secret.clone();
        tampered.replace_range(40..41, if secret.ends_with('A') { "B" } else { "A" });
        assert_eq!(check_opaque(&tampered, SECRET_PREFIX), Some(OpaqueProblem::Checksum));
    }

    #[test]
    fn generated_set_reads_back_and_verifies() {
        let set = generate_set("a-jwt-secret-of-at-least-32-characters", 100, 200);
        let signing = parse_jwt_keys(&set.jwt_keys).ok().flatten().unwrap_or_else(|| panic!("JWT_KEYS unreadable"));
        assert_eq!(signing.oct_secret.as_deref(), Some(&b"a-jwt-secret-of-at-least-32-characters"[..]));
        let jwks = parse_jwks(&set.jwt_jwks).unwrap_or_default();
        assert_eq!(jwks.len(), 1);
        assert_eq!(jwks[0].key, signing.signer.key);
        let anon = decode(&set.anon).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(anon.kid(), signing.signer.kid.as_deref());
        assert!(anon.verifies_es256(&signing.signer.key));
        assert_eq!(parse_jwt_keys("[]").ok().map(|s| s.is_none()), Some(true));
        assert!(parse_jwt_keys("{}").is_err());
    }
}
