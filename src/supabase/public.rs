//! What a client app may know about a self-hosted project: its public URL and its public keys (the legacy
//! anon JWT, the `sb_publishable_` key). Anything that would grant more (a `service_role` JWT, an
//! `sb_secret_` key) is refused, never returned.

use super::keys::jwt;
use serde::Serialize;

/// A key an app may ship to browsers.
#[derive(Clone, Debug, Serialize, schemars::JsonSchema)]
pub struct PublicKey {
    /// `anon` (legacy HS256/ES256 JWT with role anon) or `publishable` (`sb_publishable_...`).
    pub kind: String,
    /// Where it came from: `config` (the instance) or the .env variable name.
    pub source: String,
    /// The key itself: public by design.
    pub key: String,
    /// Expiry of a JWT key (seconds since the epoch), when it has one.
    pub expires_at: Option<i64>,
}

/// Why a value was not returned.
#[derive(Clone, Debug, Serialize, schemars::JsonSchema)]
pub struct Withheld {
    pub source: String,
    pub reason: String,
}

/// Classifies `value` found at `source`: a public key, or the reason it is withheld.
pub fn classify(source: &str, value: &str) -> Result<PublicKey, Withheld> {
    let value = value.trim();
    let withheld = |reason: String| Withheld { source: source.to_string(), reason };
    if value.starts_with("sb_secret_") {
        return Err(withheld("an sb_secret_ key grants full access; it is never returned".to_string()));
    }
    if value.starts_with("sb_publishable_") {
        return Ok(PublicKey {
            kind: "publishable".into(),
            source: source.into(),
            key: value.into(),
            expires_at: None,
        });
    }
    match jwt::decode(value) {
        Ok(token) => match token.claims.get("role").and_then(|r| r.as_str()) {
            Some("anon") => Ok(PublicKey {
                kind: "anon".into(),
                source: source.into(),
                key: value.into(),
                expires_at: token.claim_time("exp").and_then(Result::ok),
            }),
            Some(role) => Err(withheld(format!("the JWT has role '{role}', not anon; it is never returned"))),
            None => Err(withheld("the JWT has no role claim".to_string())),
        },
        Err(_) => Err(withheld("neither a JWT nor an sb_publishable_ key".to_string())),
    }
}

#[cfg(test)]
mod tests {
    use super::classify;
    use crate::supabase::keys::jwt::encode_hs256;
    use crate::supabase::keys::legacy_claims;

    #[test]
    fn anon_and_publishable_keys_pass_secret_ones_never() {
        let secret = "x".repeat(40);
        let anon = encode_hs256(&legacy_claims("anon", 1, 2_000_000_000), &secret);
        let service = encode_hs256(&legacy_claims("service_role", 1, 2_000_000_000), &secret);
        assert_eq!(classify("ANON_KEY", &anon).map(|k| k.kind).ok(), Some("anon".to_string()));
        assert!(classify("ANON_KEY", &service).is_err());
        assert!(classify("X", "sb_secret_abcdefghijklmnopqrstuv_12345678").is_err());
        let publishable = "sb_publishable_abcdefghijklmnopqrstuv_12345678";
        assert_eq!(classify("X", publishable).map(|k| k.key).ok(), Some(publishable.to_string()));
    }
}
