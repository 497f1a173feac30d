//! Generates the secrets of a self-hosted stack from the operating system's CSPRNG: JWT_SECRET and the
//! legacy HS256 ANON/SERVICE_ROLE keys, the database, dashboard, Phoenix, Vault, postgres-meta and Logflare
//! secrets, and (opt-in) the new key system from `asymmetric`. Formats avoid characters that break URLs
//! and shells: lowercase alphanumerics for passwords that end up inside connection strings.

use super::asymmetric;
use super::jwt::encode_hs256;
use crate::failure::Failure;
use crate::secret::Secret;
use rand::Rng;
use serde_json::json;

/// Seconds in a day.
const DAY: i64 = 86_400;
/// Five years, leap day included: the lifetime Supabase's own generator gives its keys.
pub const DEFAULT_LIFETIME_DAYS: u32 = 1826;
pub const DEFAULT_JWT_SECRET_LENGTH: usize = 40;
pub const MIN_JWT_SECRET_LENGTH: usize = 32;

const LOWER_ALNUM: &[u8] = b"abcdefghijklmnopqrstuvwxyz0123456789";
const ALNUM: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
const HEX: &[u8] = b"0123456789abcdef";

/// `length` characters drawn uniformly from `alphabet` with the thread CSPRNG (ChaCha, seeded by the OS).
pub fn random_string(alphabet: &[u8], length: usize) -> String {
    let mut rng = rand::rng();
    (0..length).map(|_| char::from(alphabet[rng.random_range(0..alphabet.len())])).collect()
}

pub fn random_lower_alnum(length: usize) -> String {
    random_string(LOWER_ALNUM, length)
}

pub fn random_alnum(length: usize) -> String {
    random_string(ALNUM, length)
}

pub fn random_hex(length: usize) -> String {
    random_string(HEX, length)
}

/// `count` random bytes.
pub fn random_bytes<const N: usize>() -> [u8; N] {
    let mut bytes = [0u8; N];
    rand::rng().fill(&mut bytes[..]);
    bytes
}

/// A fresh value for a generated variable, in the format the stack accepts; `None` for variables this
/// module does not generate.
pub fn fresh_secret(variable: &str) -> Option<String> {
    Some(match variable {
        "JWT_SECRET" => random_alnum(DEFAULT_JWT_SECRET_LENGTH),
        "POSTGRES_PASSWORD" | "LOGFLARE_PUBLIC_ACCESS_TOKEN" | "LOGFLARE_PRIVATE_ACCESS_TOKEN" => {
            random_lower_alnum(32)
        }
        "DASHBOARD_PASSWORD" => dashboard_password(),
        "SECRET_KEY_BASE" => random_alnum(64),
        "VAULT_ENC_KEY" | "PG_META_CRYPTO_KEY" => random_alnum(32),
        "S3_PROTOCOL_ACCESS_KEY_ID" => random_hex(32),
        "S3_PROTOCOL_ACCESS_KEY_SECRET" => random_hex(64),
        _ => return None,
    })
}

/// Studio's basic-auth password must contain a letter (all-digit passwords are rejected).
fn dashboard_password() -> String {
    let mut password = random_lower_alnum(31);
    password.insert(0, char::from(b'a' + rand::rng().random_range(0..26u8)));
    password
}

/// What to generate.
#[derive(Clone, Debug)]
pub struct GenerateOptions {
    /// Keep this JWT_SECRET instead of generating one (must be at least 32 characters).
    pub jwt_secret: Option<Secret>,
    pub jwt_secret_length: usize,
    pub lifetime_days: u32,
    /// Also generate the new key system: opaque keys, JWT_KEYS, JWT_JWKS and the ES256 keys.
    pub asymmetric: bool,
    /// Also generate the non-JWT secrets (passwords, SECRET_KEY_BASE, VAULT_ENC_KEY, ...).
    pub other_secrets: bool,
    /// Unix time used as `iat`.
    pub now: i64,
}

impl Default for GenerateOptions {
    fn default() -> Self {
        GenerateOptions {
            jwt_secret: None,
            jwt_secret_length: DEFAULT_JWT_SECRET_LENGTH,
            lifetime_days: DEFAULT_LIFETIME_DAYS,
            asymmetric: false,
            other_secrets: true,
            now: chrono::Utc::now().timestamp(),
        }
    }
}

/// Generated variables, in the order they belong in a `.env`.
#[derive(Clone, Debug, Default)]
pub struct GeneratedKeys {
    pub vars: Vec<(&'static str, Secret)>,
    pub expires_at: i64,
}

impl GeneratedKeys {
    pub fn get(&self, name: &str) -> Option<&str> {
        self.vars.iter().find(|(key, _)| *key == name).map(|(_, value)| value.expose())
    }

    fn push(&mut self, name: &'static str, value: String) {
        self.vars.push((name, Secret::new(value)));
    }
}

/// The claims Supabase's generator uses: `{role, iss: "supabase", iat, exp}`.
pub fn legacy_claims(role: &str, iat: i64, exp: i64) -> serde_json::Value {
    json!({"role": role, "iss": "supabase", "iat": iat, "exp": exp})
}

/// Signs the ANON_KEY and SERVICE_ROLE_KEY for `secret`.
pub fn legacy_keys(secret: &str, iat: i64, exp: i64) -> (String, String) {
    (
        encode_hs256(&legacy_claims("anon", iat, exp), secret),
        encode_hs256(&legacy_claims("service_role", iat, exp), secret),
    )
}

/// Generates a key set.
pub fn generate(options: &GenerateOptions) -> Result<GeneratedKeys, Failure> {
    if options.jwt_secret_length < MIN_JWT_SECRET_LENGTH {
        return Err(Failure::new(
            "cannot generate a JWT_SECRET that short",
            format!("{} characters were asked; PostgREST needs at least 32", options.jwt_secret_length),
            "ask for 32 characters or more (the default is 40)",
        ));
    }
    let secret = match &options.jwt_secret {
        Some(given) if given.expose().chars().count() < MIN_JWT_SECRET_LENGTH => {
            return Err(Failure::new(
                "the given JWT_SECRET is too short",
                format!("it has {} characters; PostgREST refuses secrets under 32", given.expose().chars().count()),
                "pass a secret of at least 32 characters, or none to have one generated",
            ));
        }
        Some(given) => given.expose().to_owned(),
        None => random_alnum(options.jwt_secret_length),
    };
    let exp = options.now + i64::from(options.lifetime_days) * DAY;
    let (anon, service) = legacy_keys(&secret, options.now, exp);
    let mut out = GeneratedKeys { vars: Vec::new(), expires_at: exp };
    out.push("JWT_SECRET", secret.clone());
    out.push("ANON_KEY", anon);
    out.push("SERVICE_ROLE_KEY", service);
    if options.other_secrets {
        for name in [
            "POSTGRES_PASSWORD",
            "DASHBOARD_PASSWORD",
            "SECRET_KEY_BASE",
            "VAULT_ENC_KEY",
            "PG_META_CRYPTO_KEY",
            "LOGFLARE_PUBLIC_ACCESS_TOKEN",
            "LOGFLARE_PRIVATE_ACCESS_TOKEN",
        ] {
            out.push(name, fresh_secret(name).unwrap_or_default());
        }
    }
    if options.asymmetric {
        let set = asymmetric::generate_set(&secret, options.now, exp);
        out.push("SUPABASE_PUBLISHABLE_KEY", set.publishable);
        out.push("SUPABASE_SECRET_KEY", set.secret);
        out.push("JWT_KEYS", set.jwt_keys);
        out.push("JWT_JWKS", set.jwt_jwks);
        out.push("ANON_KEY_ASYMMETRIC", set.anon);
        out.push("SERVICE_ROLE_KEY_ASYMMETRIC", set.service_role);
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats_and_lengths() {
        let keys = generate(&GenerateOptions::default()).unwrap_or_else(|e| panic!("{e}"));
        let len = |name: &str| keys.get(name).map(|v| v.len());
        assert_eq!(len("JWT_SECRET"), Some(40));
        assert_eq!(len("SECRET_KEY_BASE"), Some(64));
        assert_eq!(len("VAULT_ENC_KEY"), Some(32));
        let password = keys.get("POSTGRES_PASSWORD").unwrap_or_default();
        assert!(password.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit()), "{password}");
        assert!(keys.get("DASHBOARD_PASSWORD").unwrap_or_default().starts_with(|c: char| c.is_ascii_lowercase()));
        assert_ne!(keys.get("ANON_KEY"), keys.get("SERVICE_ROLE_KEY"));
        assert_eq!(keys.get("JWT_KEYS"), None, "the new key system is opt-in");
    }

    #[test]
    fn short_secrets_are_refused() {
        let options = GenerateOptions { jwt_secret: Some(Secret::new("short")), ..GenerateOptions::default() };
        assert!(generate(&options).is_err());
        let options = GenerateOptions { jwt_secret_length: 31, ..GenerateOptions::default() };
        assert!(generate(&options).is_err());
    }
}
