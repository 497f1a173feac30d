//! OAuth 2.1 resource-server mode for `serve --http`: access tokens issued by an authorization server (GoTrue's
//! OAuth server or any OIDC issuer) are accepted besides the static bearer tokens. The issuer's keys come from
//! its JWKS (found through `/.well-known/openid-configuration`, or given), fetched at start and again for an
//! unknown `kid` (at most once a minute). A token must verify (ES256 or RS256), be current (exp/nbf with a
//! minute of leeway), come from the issuer and name this server in `aud`; a wrong audience is 403. Clients
//! find the issuer through the protected-resource metadata (RFC 9728) that 401 replies point to.

use crate::supabase::keys::asymmetric::ec_public;
use crate::supabase::keys::jwt::{Jwt, b64url_decode, decode};
use serde_json::{Value, json};
use std::sync::RwLock;
use std::time::{Duration, Instant};

/// Clock skew tolerated on `exp` and `nbf`.
const LEEWAY_SECONDS: i64 = 60;
/// An unknown `kid` refetches the JWKS at most this often.
const REFETCH_EVERY: Duration = Duration::from_secs(60);

/// How `serve --http` validates OAuth access tokens.
#[derive(Clone, Debug)]
pub struct OAuthOptions {
    /// The authorization server's issuer URL (the tokens' `iss`).
    pub issuer: String,
    /// This server's resource URL (the tokens' `aud` must contain it), e.g. https://mcp.example.com/mcp.
    pub audience: String,
    /// The JWKS URL; default: `jwks_uri` of the issuer's openid-configuration.
    pub jwks_url: Option<String>,
}

/// A verification key of the issuer.
#[derive(Clone)]
enum IssuerKey {
    Es256(p256::ecdsa::VerifyingKey),
    Rs256 { n: Vec<u8>, e: Vec<u8> },
}

/// Why a token is refused: the HTTP status (401 or 403) and the OAuth error.
#[derive(Debug, PartialEq, Eq)]
pub struct Rejection {
    pub status: u16,
    pub error: &'static str,
    pub description: String,
}

fn invalid(description: impl Into<String>) -> Rejection {
    Rejection { status: 401, error: "invalid_token", description: description.into() }
}

/// The identity of a verified token.
pub struct OAuthCaller {
    /// `oauth:<sub>` (the audit log's caller).
    pub name: String,
}

/// The issuer's keys by kid, and when they were fetched.
type KeySet = (Vec<(Option<String>, IssuerKey)>, Instant);

/// Verifies access tokens against the issuer's keys.
pub struct OAuthVerifier {
    options: OAuthOptions,
    jwks_url: String,
    http: reqwest::Client,
    keys: RwLock<KeySet>,
}

impl OAuthVerifier {
    /// Finds the JWKS and fetches it; fails when neither works (the server must not start half-configured).
    pub async fn start(options: OAuthOptions) -> Result<OAuthVerifier, String> {
        let http = reqwest::Client::builder()
            .timeout(Duration::from_secs(10))
            .build()
            .map_err(|e| format!("cannot build the HTTP client: {e}"))?;
        let jwks_url = match &options.jwks_url {
            Some(url) => url.clone(),
            None => {
                let discovery = format!("{}/.well-known/openid-configuration", options.issuer.trim_end_matches('/'));
                let document: Value = fetch_json(&http, &discovery).await?;
                document["jwks_uri"]
                    .as_str()
                    .map(str::to_owned)
                    .ok_or(format!("{discovery} names no jwks_uri: pass --oauth-jwks-url"))?
            }
        };
        let keys = read_keys(&fetch_json(&http, &jwks_url).await?)?;
        if keys.is_empty() {
            return Err(format!("{jwks_url} holds no ES256 or RS256 key"));
        }
        Ok(OAuthVerifier { options, jwks_url, http, keys: RwLock::new((keys, Instant::now())) })
    }

    /// The RFC 9728 protected-resource metadata of this server.
    pub fn metadata(&self) -> Value {
        json!({
            "resource": self.options.audience,
            "authorization_servers": [self.options.issuer],
            "bearer_methods_supported": ["header"],
            "resource_name": "supamcp",
        })
    }

    /// The URL of [`Self::metadata`]: the resource's origin + `/.well-known/oauth-protected-resource` + its path.
    pub fn metadata_url(&self) -> String {
        metadata_url(&self.options.audience)
    }

    /// Checks `token`; its caller when it is valid.
    pub async fn verify(&self, token: &str) -> Result<OAuthCaller, Rejection> {
        let jwt = decode(token).map_err(|e| invalid(format!("not a JWT: {e}")))?;
        let kid = jwt.header.get("kid").and_then(Value::as_str).map(str::to_owned);
        let alg = jwt.header.get("alg").and_then(Value::as_str).unwrap_or_default().to_owned();
        if !matches!(alg.as_str(), "ES256" | "RS256") {
            return Err(invalid(format!("alg {alg:?} is not accepted (ES256 or RS256)")));
        }
        let mut verified = self.check_signature(&jwt, kid.as_deref(), &alg);
        if verified.is_none() && self.may_refetch() {
            if let Ok(document) = fetch_json(&self.http, &self.jwks_url).await
                && let Ok(keys) = read_keys(&document)
                && let Ok(mut stored) = self.keys.write()
            {
                *stored = (keys, Instant::now());
            }
            verified = self.check_signature(&jwt, kid.as_deref(), &alg);
        }
        if verified != Some(true) {
            return Err(invalid("the signature does not verify with the issuer's keys"));
        }
        self.check_claims(&jwt)
    }

    fn may_refetch(&self) -> bool {
        self.keys.read().map(|keys| keys.1.elapsed() >= REFETCH_EVERY).unwrap_or(false)
    }

    /// `Some(verified)` when a key with this kid (or any key, without a kid) and algorithm exists.
    fn check_signature(&self, jwt: &Jwt, kid: Option<&str>, alg: &str) -> Option<bool> {
        let keys = self.keys.read().ok()?;
        let candidates: Vec<&IssuerKey> = keys
            .0
            .iter()
            .filter(|(id, key)| {
                (kid.is_none() || id.as_deref() == kid)
                    && matches!((key, alg), (IssuerKey::Es256(_), "ES256") | (IssuerKey::Rs256 { .. }, "RS256"))
            })
            .map(|(_, key)| key)
            .collect();
        (!candidates.is_empty()).then(|| {
            candidates.iter().any(|key| match key {
                IssuerKey::Es256(key) => jwt.verifies_es256(key),
                IssuerKey::Rs256 { n, e } => ring::signature::RsaPublicKeyComponents { n, e }
                    .verify(&ring::signature::RSA_PKCS1_2048_8192_SHA256, jwt.signing_input.as_bytes(), &jwt.signature)
                    .is_ok(),
            })
        })
    }

    fn check_claims(&self, jwt: &Jwt) -> Result<OAuthCaller, Rejection> {
        let now = chrono::Utc::now().timestamp();
        match jwt.claim_time("exp") {
            Some(Ok(exp)) if exp + LEEWAY_SECONDS >= now => {}
            Some(Ok(_)) => return Err(invalid("the token has expired")),
            _ => return Err(invalid("the token has no exp")),
        }
        if let Some(Ok(nbf)) = jwt.claim_time("nbf")
            && nbf - LEEWAY_SECONDS > now
        {
            return Err(invalid("the token is not valid yet (nbf)"));
        }
        let issuer = jwt.claims.get("iss").and_then(Value::as_str).unwrap_or_default();
        if issuer.trim_end_matches('/') != self.options.issuer.trim_end_matches('/') {
            return Err(invalid(format!("the token was issued by {issuer:?}, not {}", self.options.issuer)));
        }
        let audiences: Vec<&str> = match jwt.claims.get("aud") {
            Some(Value::String(one)) => vec![one.as_str()],
            Some(Value::Array(many)) => many.iter().filter_map(Value::as_str).collect(),
            _ => Vec::new(),
        };
        if !audiences.contains(&self.options.audience.as_str()) {
            return Err(Rejection {
                status: 403,
                error: "insufficient_scope",
                description: format!("the token's audience is not this server ({})", self.options.audience),
            });
        }
        let subject = jwt.claims.get("sub").and_then(Value::as_str).unwrap_or("unknown");
        Ok(OAuthCaller { name: format!("oauth:{subject}") })
    }
}

/// `https://host/.well-known/oauth-protected-resource/<path>` for resource `https://host/<path>`.
pub fn metadata_url(resource: &str) -> String {
    match reqwest::Url::parse(resource) {
        Ok(url) => {
            let path = url.path().trim_end_matches('/');
            format!("{}/.well-known/oauth-protected-resource{path}", url.origin().ascii_serialization())
        }
        Err(_) => format!("{}/.well-known/oauth-protected-resource", resource.trim_end_matches('/')),
    }
}

async fn fetch_json(http: &reqwest::Client, url: &str) -> Result<Value, String> {
    let response = http.get(url).send().await.map_err(|e| format!("cannot reach {url}: {e}"))?;
    if !response.status().is_success() {
        return Err(format!("{url} answered HTTP {}", response.status().as_u16()));
    }
    response.json().await.map_err(|e| format!("{url} did not answer JSON: {e}"))
}

/// The ES256 (EC P-256) and RS256 (RSA) keys of a JWKS document; other keys are skipped.
fn read_keys(document: &Value) -> Result<Vec<(Option<String>, IssuerKey)>, String> {
    let keys = document["keys"].as_array().ok_or("the JWKS has no \"keys\" array")?;
    let mut read = Vec::new();
    for jwk in keys {
        let kid = jwk["kid"].as_str().map(str::to_owned);
        match jwk["kty"].as_str() {
            Some("EC") => {
                if let Ok(public) = ec_public(jwk) {
                    read.push((kid, IssuerKey::Es256(public.key)));
                }
            }
            Some("RSA") => {
                let part = |name: &str| jwk[name].as_str().and_then(b64url_decode);
                if let (Some(n), Some(e)) = (part("n"), part("e")) {
                    read.push((kid, IssuerKey::Rs256 { n, e }));
                }
            }
            _ => {}
        }
    }
    Ok(read)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn metadata_lives_under_the_resource_origin_with_its_path() {
        assert_eq!(
            metadata_url("https://mcp.example.com/mcp"),
            "https://mcp.example.com/.well-known/oauth-protected-resource/mcp"
        );
        assert_eq!(
            metadata_url("http://127.0.0.1:8080/"),
            "http://127.0.0.1:8080/.well-known/oauth-protected-resource"
        );
    }

    #[test]
    fn jwks_keep_ec_and_rsa_keys_only() {
        let set = crate::supabase::keys::asymmetric::generate_set("a-jwt-secret-of-at-least-32-characters", 1, 2);
        let mut document: Value = serde_json::from_str(&set.jwt_jwks).unwrap();
        document["keys"].as_array_mut().unwrap().push(json!({"kty": "RSA", "kid": "r1", "n": "AQAB", "e": "AQAB"}));
        document["keys"].as_array_mut().unwrap().push(json!({"kty": "oct", "k": "c2VjcmV0"}));
        let keys = read_keys(&document).unwrap();
        assert_eq!(keys.len(), 2);
        assert!(matches!(keys[1], (Some(ref kid), IssuerKey::Rs256 { .. }) if kid == "r1"));
    }
}
