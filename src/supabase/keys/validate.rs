//! Validates a key set the way the services check it: PostgREST and GoTrue need a valid signature, a
//! `role` claim, `exp` (when present) not passed, with 30 s leeway. They ignore `iss`; an `iss` of
//! "dokploy" or "supabase-demo" is reported anyway as evidence of a broken or public key set.

use super::asymmetric::{self, OpaqueProblem, PUBLISHABLE_PREFIX, SECRET_PREFIX};
use super::jwt::{self, Jwt};
use crate::supabase::finding::{Finding, Severity};
use p256::ecdsa::VerifyingKey;

/// The secret in Supabase's public `.env.example`: any stack using it accepts tokens anyone can sign.
pub const DEMO_JWT_SECRET: &str = "your-super-secret-jwt-token-with-at-least-32-characters-long";
/// Leeway PostgREST applies to `exp`, `iat` and `nbf`.
pub const LEEWAY_SECONDS: i64 = 30;
/// Keys expiring within this window are reported.
pub const EXPIRY_WARNING_SECONDS: i64 = 30 * 86_400;

const REGENERATE: &str = "regenerate the keys (supamcp keys generate, or fix_config) and restart the stack";

/// Validates every key variable that `get` returns. Empty values count as missing.
pub fn validate_keys<'a>(get: impl Fn(&str) -> Option<&'a str>, now: i64) -> Vec<Finding> {
    let get = |name: &str| get(name).filter(|v| !v.trim().is_empty());
    let mut out = Vec::new();
    let secret = check_secret(get("JWT_SECRET"), &mut out);
    let legacy = [("ANON_KEY", "anon"), ("SERVICE_ROLE_KEY", "service_role")];
    for (variable, role) in legacy {
        let Some(token) = get(variable) else {
            out.push(missing(variable, "an HS256 JWT signed with JWT_SECRET"));
            continue;
        };
        if let Some(decoded) = decode_or_report(variable, token, "HS256", &mut out) {
            if let Some(secret) = secret
                && !decoded.verifies_hs256(secret)
            {
                out.push(bad_signature(variable, token, "JWT_SECRET"));
            }
            check_claims(variable, token, &decoded, role, now, &mut out);
        }
    }
    if let (Some(anon), Some(service)) = (get("ANON_KEY"), get("SERVICE_ROLE_KEY"))
        && anon.trim() == service.trim()
    {
        out.push(identical("SERVICE_ROLE_KEY", service, "ANON_KEY"));
    }
    check_new_system(&get, secret, now, &mut out);
    out
}

fn check_secret<'a>(secret: Option<&'a str>, out: &mut Vec<Finding>) -> Option<&'a str> {
    let Some(secret) = secret else {
        out.push(missing("JWT_SECRET", "a random secret of at least 32 characters"));
        return None;
    };
    let length = secret.chars().count();
    if secret == DEMO_JWT_SECRET {
        out.push(
            Finding::new("jwt_secret_demo", Severity::Critical, "JWT_SECRET")
                .current(secret)
                .expected("a random secret of at least 32 characters")
                .message("JWT_SECRET is the public demo secret from Supabase's .env.example: anyone can sign a service_role token for this stack")
                .fix(format!("generate a new JWT_SECRET, then {REGENERATE}")),
        );
    } else if length < 32 {
        out.push(
            Finding::new("jwt_secret_short", Severity::Critical, "JWT_SECRET")
                .current(secret)
                .expected("at least 32 characters")
                .message(format!("JWT_SECRET has {length} characters; PostgREST refuses secrets shorter than 32"))
                .fix(format!("generate a JWT_SECRET of 40 characters, then {REGENERATE}")),
        );
    }
    Some(secret)
}

fn missing(variable: &str, expected: &str) -> Finding {
    Finding::new("key_missing", Severity::Critical, variable)
        .expected(expected)
        .message(format!(
            "{variable} is missing or empty; the services that need it cannot start or reject every request"
        ))
        .fix(format!("set {variable}: {REGENERATE}"))
}

fn bad_signature(variable: &str, token: &str, by: &str) -> Finding {
    Finding::new("jwt_bad_signature", Severity::Critical, variable)
        .current(token)
        .expected(format!("a JWT whose signature verifies with {by}"))
        .message(format!("{variable} was not signed with {by}: PostgREST, GoTrue, Storage and Realtime reject it (401 invalid signature)"))
        .fix(format!("re-sign it with the current {by}: {REGENERATE}"))
}

fn identical(variable: &str, token: &str, other: &str) -> Finding {
    Finding::new("jwt_keys_identical", Severity::Critical, variable)
        .current(token)
        .expected(format!("a key different from {other}"))
        .message(format!("{variable} is identical to {other} (Dokploy 0.21.8–0.25.5 wrote two equal role-less keys): the public key and the admin key are the same"))
        .fix(REGENERATE)
}

/// Decodes `token`, reporting a token that is not a JWT or has the wrong algorithm.
fn decode_or_report(variable: &str, token: &str, alg: &str, out: &mut Vec<Finding>) -> Option<Jwt> {
    match jwt::decode(token) {
        Err(error) => {
            let trimmed = token.trim();
            let hex = trimmed.len() >= 64 && trimmed.chars().all(|c| c.is_ascii_hexdigit());
            let why = if hex {
                format!(
                    "{variable} is {} hexadecimal characters of random data, not a JWT (Dokploy before 0.21.8 wrote these)",
                    trimmed.len()
                )
            } else {
                format!("{variable} is not a JWT: {error}")
            };
            out.push(
                Finding::new("jwt_not_a_jwt", Severity::Critical, variable)
                    .current(token)
                    .expected(format!("an {alg} JWT (three base64url parts)"))
                    .message(why)
                    .fix(REGENERATE),
            );
            None
        }
        Ok(decoded) if decoded.alg() != Some(alg) => {
            out.push(
                Finding::new("jwt_alg", Severity::Critical, variable)
                    .current(token)
                    .expected(format!("alg {alg}"))
                    .message(format!(
                        "{variable} has alg {:?}; the services accept only {alg} for this key",
                        decoded.alg().unwrap_or("none")
                    ))
                    .fix(REGENERATE),
            );
            None
        }
        Ok(decoded) => Some(decoded),
    }
}

/// The claim checks shared by the legacy and the asymmetric keys.
fn check_claims(variable: &str, token: &str, decoded: &Jwt, role: &str, now: i64, out: &mut Vec<Finding>) {
    let finding = |rule: &str, severity| Finding::new(rule, severity, variable).current(token);
    let demo = decoded.claim_str("iss") == Some("supabase-demo") || decoded.verifies_hs256(DEMO_JWT_SECRET);
    if demo {
        out.push(finding("jwt_demo_key", Severity::Critical).expected("a key generated for this stack")
            .message(format!("{variable} is a public demo key from Supabase's .env.example (iss \"supabase-demo\" or signed with the demo secret): anyone has it"))
            .fix(format!("generate a new JWT_SECRET, then {REGENERATE}")));
    }
    match decoded.claims.get("role").map(|r| r.as_str()) {
        None => out.push(finding("jwt_role_missing", Severity::Critical).expected(format!("role \"{role}\""))
            .message(format!("{variable} has no role claim: PostgREST runs it as anon and GoTrue answers \"this token needs to have one of the following roles: service_role\""))
            .fix(REGENERATE)),
        Some(Some(actual)) if actual == role => {}
        Some(actual) => out.push(finding("jwt_role_wrong", Severity::Critical).expected(format!("role \"{role}\""))
            .message(format!("{variable} has role {}, not \"{role}\"", actual.map(|a| format!("\"{a}\"")).unwrap_or_else(|| "that is not a string".into())))
            .fix(REGENERATE)),
    }
    if decoded.claim_str("iss") == Some("dokploy") {
        out.push(finding("jwt_iss_dokploy", Severity::Warning).expected("iss \"supabase\"")
            .message(format!("{variable} has iss \"dokploy\": it was made by Dokploy's JWT helper without its payload (Dokploy 0.21.8–0.25.5, or the 2025-05…2025-10 template with a trailing comma)"))
            .fix(REGENERATE));
    }
    check_times(variable, token, decoded, now, out);
}

fn check_times(variable: &str, token: &str, decoded: &Jwt, now: i64, out: &mut Vec<Finding>) {
    let finding = |rule: &str, severity| Finding::new(rule, severity, variable).current(token);
    let date = |t: i64| chrono::DateTime::from_timestamp(t, 0).map(|d| d.to_rfc3339()).unwrap_or_else(|| t.to_string());
    for claim in ["exp", "iat", "nbf"] {
        if let Some(Err(())) = decoded.claim_time(claim) {
            out.push(
                finding("jwt_claim_invalid", Severity::Critical)
                    .expected(format!("{claim} as a number of seconds"))
                    .message(format!("{variable}'s {claim} claim is not a number; PostgREST rejects the token"))
                    .fix(REGENERATE),
            );
        }
    }
    if let Some(Ok(exp)) = decoded.claim_time("exp") {
        if exp + LEEWAY_SECONDS < now {
            out.push(
                finding("jwt_expired", Severity::Critical)
                    .expected("exp in the future")
                    .message(format!("{variable} expired at {}; every service rejects it (JWT expired)", date(exp)))
                    .fix(REGENERATE),
            );
        } else if exp < now + EXPIRY_WARNING_SECONDS {
            out.push(
                finding("jwt_expiring", Severity::Warning)
                    .expected("exp more than 30 days away")
                    .message(format!("{variable} expires at {}, within 30 days", date(exp)))
                    .fix(format!("{REGENERATE} before it expires")),
            );
        }
    }
    for claim in ["iat", "nbf"] {
        if let Some(Ok(at)) = decoded.claim_time(claim)
            && at > now + LEEWAY_SECONDS
        {
            out.push(
                finding("jwt_not_yet_valid", Severity::Critical)
                    .expected(format!("{claim} not in the future"))
                    .message(format!(
                        "{variable}'s {claim} is {} (in the future); PostgREST answers PGRST303",
                        date(at)
                    ))
                    .fix(format!("check the clock of the machine that made it, then {REGENERATE}")),
            );
        }
    }
}

/// Opaque keys, JWT_KEYS, JWT_JWKS and the ES256 keys, checked only when the new system is in use.
fn check_new_system<'a>(
    get: &impl Fn(&str) -> Option<&'a str>,
    secret: Option<&str>,
    now: i64,
    out: &mut Vec<Finding>,
) {
    let opaque = [("SUPABASE_PUBLISHABLE_KEY", PUBLISHABLE_PREFIX), ("SUPABASE_SECRET_KEY", SECRET_PREFIX)];
    let signing = match get("JWT_KEYS").map(asymmetric::parse_jwt_keys) {
        Some(Err(why)) => {
            out.push(
                Finding::new("jwt_keys_invalid", Severity::Critical, "JWT_KEYS")
                    .current(get("JWT_KEYS").unwrap_or_default())
                    .expected("a JSON array with one ES256 signing JWK and the HS256 oct key")
                    .message(format!("JWT_KEYS cannot be used: {why}; GoTrue does not start"))
                    .fix("regenerate the set with supamcp keys generate --asymmetric"),
            );
            None
        }
        Some(Ok(set)) => set,
        None => None,
    };
    let in_use = signing.is_some()
        || opaque.iter().any(|(v, _)| get(v).is_some())
        || ["ANON_KEY_ASYMMETRIC", "SERVICE_ROLE_KEY_ASYMMETRIC"].iter().any(|v| get(v).is_some());
    if !in_use {
        return;
    }
    for (variable, prefix) in opaque {
        let Some(key) = get(variable) else {
            out.push(missing(variable, &format!("{prefix}<22>_<8>")));
            continue;
        };
        let (rule, severity, why) = match asymmetric::check_opaque(key.trim(), prefix) {
            None => continue,
            Some(OpaqueProblem::Malformed) => (
                "opaque_key_malformed",
                Severity::Critical,
                "it is not in the format {prefix}<22 base64url>_<8 checksum>; the gateway matches keys as strings, so clients holding the right key are refused",
            ),
            Some(OpaqueProblem::Checksum) => (
                "opaque_key_checksum",
                Severity::Info,
                "its checksum is not the self-hosted one; self-hosted gateways do not check it, but the key was not made by Supabase's generator",
            ),
        };
        out.push(
            Finding::new(rule, severity, variable)
                .current(key)
                .expected(format!("{prefix}<22>_<8>"))
                .message(format!("{variable}: {}", why.replace("{prefix}", prefix)))
                .fix("regenerate the opaque keys with supamcp keys generate --asymmetric"),
        );
    }
    let Some(signing) = signing else {
        if get("JWT_KEYS").is_none() {
            out.push(missing("JWT_KEYS", "a JSON array with one ES256 signing JWK and the HS256 oct key"));
        }
        return;
    };
    if let (Some(oct), Some(secret)) = (&signing.oct_secret, secret)
        && oct.as_slice() != secret.as_bytes()
    {
        out.push(Finding::new("jwt_keys_secret_mismatch", Severity::Critical, "JWT_KEYS").current(get("JWT_KEYS").unwrap_or_default())
                .expected("its oct key k = base64url(JWT_SECRET)")
                .message("JWT_KEYS holds an HS256 key that is not JWT_SECRET: GoTrue signs and checks legacy tokens with a different secret than the other services")
                .fix("regenerate JWT_KEYS and JWT_JWKS from the current JWT_SECRET"));
    }
    check_jwks(get, &signing.signer.key, out);
    for (variable, role) in [("ANON_KEY_ASYMMETRIC", "anon"), ("SERVICE_ROLE_KEY_ASYMMETRIC", "service_role")] {
        let Some(token) = get(variable) else {
            out.push(missing(variable, "an ES256 JWT signed with the JWT_KEYS signing key"));
            continue;
        };
        if let Some(decoded) = decode_or_report(variable, token, "ES256", out) {
            if !decoded.verifies_es256(&signing.signer.key) {
                out.push(bad_signature(variable, token, "the JWT_KEYS signing key"));
            }
            check_claims(variable, token, &decoded, role, now, out);
        }
    }
    if let (Some(anon), Some(service)) = (get("ANON_KEY_ASYMMETRIC"), get("SERVICE_ROLE_KEY_ASYMMETRIC"))
        && anon.trim() == service.trim()
    {
        out.push(identical("SERVICE_ROLE_KEY_ASYMMETRIC", service, "ANON_KEY_ASYMMETRIC"));
    }
}

fn check_jwks<'a>(get: &impl Fn(&str) -> Option<&'a str>, signer: &VerifyingKey, out: &mut Vec<Finding>) {
    let Some(text) = get("JWT_JWKS") else {
        out.push(missing("JWT_JWKS", "{\"keys\": [the public signing key, the oct key]}"));
        return;
    };
    let finding = Finding::new("jwt_jwks_invalid", Severity::Critical, "JWT_JWKS")
        .current(text)
        .expected("{\"keys\": [the public signing key, the oct key]}")
        .fix("regenerate JWT_JWKS from JWT_KEYS (supamcp keys generate --asymmetric)");
    match asymmetric::parse_jwks(text) {
        Err(why) => out.push(finding.message(format!("JWT_JWKS cannot be read: {why}; PostgREST, Storage and Realtime cannot verify tokens"))),
        Ok(keys) if !keys.iter().any(|k| &k.key == signer) => out.push(finding.renamed("jwt_jwks_mismatch").message(
            "JWT_JWKS does not contain the public half of the JWT_KEYS signing key: tokens GoTrue signs are rejected by PostgREST, Storage and Realtime",
        )),
        Ok(_) => {}
    }
}
