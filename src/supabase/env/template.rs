//! The current Supabase self-hosted `.env` template as data: every variable the docker stack reads, its
//! default, whether the stack needs it, the infrastructure values that must not change, and the public
//! defaults that must never reach production. Also the diff of a file against that template.

use super::EnvFile;
use serde::Serialize;

/// How much the stack needs a variable.
#[derive(Clone, Copy, Debug, PartialEq, Eq, schemars::JsonSchema)]
pub enum Need {
    /// A service fails or runs insecurely without a non-empty value.
    Required,
    /// In the template; compose substitutes an empty string and warns when it is absent.
    Expected,
}

/// `(variable, template default, need)` in template order. Secret defaults are the public example values.
pub const TEMPLATE: &[(&str, &str, Need)] = &[
    ("POSTGRES_PASSWORD", "your-super-secret-and-long-postgres-password", Need::Required),
    ("JWT_SECRET", "your-super-secret-jwt-token-with-at-least-32-characters-long", Need::Required),
    ("ANON_KEY", "", Need::Required),
    ("SERVICE_ROLE_KEY", "", Need::Required),
    ("DASHBOARD_USERNAME", "supabase", Need::Required),
    ("DASHBOARD_PASSWORD", "this_password_is_insecure_and_should_be_updated", Need::Required),
    ("SECRET_KEY_BASE", "UpNVntn3cDxHJpq99YMc1T1AQgQpc8kfYTuRgBiYa15BLrx8etQoXz3gZv1/u2oq", Need::Required),
    ("VAULT_ENC_KEY", "your-32-character-encryption-key", Need::Required),
    ("PG_META_CRYPTO_KEY", "your-encryption-key-32-chars-min", Need::Required),
    ("LOGFLARE_PUBLIC_ACCESS_TOKEN", "your-super-secret-and-long-logflare-key-public", Need::Required),
    ("LOGFLARE_PRIVATE_ACCESS_TOKEN", "your-super-secret-and-long-logflare-key-private", Need::Required),
    ("S3_PROTOCOL_ACCESS_KEY_ID", "625729a08b95bf1b7ff351a663f3a23c", Need::Expected),
    (
        "S3_PROTOCOL_ACCESS_KEY_SECRET",
        "850181e4652dd023b7a98c58ae0d2d34bd487ee0cc3254aed6eda37307425907",
        Need::Expected,
    ),
    ("SUPABASE_PUBLISHABLE_KEY", "", Need::Expected),
    ("SUPABASE_SECRET_KEY", "", Need::Expected),
    ("JWT_KEYS", "", Need::Expected),
    ("JWT_JWKS", "", Need::Expected),
    ("SUPABASE_PUBLIC_URL", "http://localhost:8000", Need::Required),
    ("API_EXTERNAL_URL", "http://localhost:8000", Need::Required),
    ("POSTGRES_HOST", "db", Need::Required),
    ("POSTGRES_DB", "postgres", Need::Required),
    ("POSTGRES_PORT", "5432", Need::Required),
    ("POOLER_PROXY_PORT_TRANSACTION", "6543", Need::Required),
    ("POOLER_DEFAULT_POOL_SIZE", "20", Need::Required),
    ("POOLER_MAX_CLIENT_CONN", "100", Need::Required),
    ("POOLER_TENANT_ID", "your-tenant-id", Need::Required),
    ("POOLER_DB_POOL_SIZE", "5", Need::Required),
    ("STUDIO_DEFAULT_ORGANIZATION", "Default Organization", Need::Expected),
    ("STUDIO_DEFAULT_PROJECT", "Default Project", Need::Expected),
    ("OPENAI_API_KEY", "", Need::Expected),
    ("SITE_URL", "http://localhost:3000", Need::Required),
    ("ADDITIONAL_REDIRECT_URLS", "", Need::Expected),
    ("JWT_EXPIRY", "3600", Need::Required),
    ("DISABLE_SIGNUP", "false", Need::Expected),
    ("MAILER_URLPATHS_CONFIRMATION", "/auth/v1/verify", Need::Expected),
    ("MAILER_URLPATHS_INVITE", "/auth/v1/verify", Need::Expected),
    ("MAILER_URLPATHS_RECOVERY", "/auth/v1/verify", Need::Expected),
    ("MAILER_URLPATHS_EMAIL_CHANGE", "/auth/v1/verify", Need::Expected),
    ("ENABLE_EMAIL_SIGNUP", "true", Need::Expected),
    ("ENABLE_EMAIL_AUTOCONFIRM", "false", Need::Expected),
    ("SMTP_ADMIN_EMAIL", "admin@example.com", Need::Expected),
    ("SMTP_HOST", "supabase-mail", Need::Expected),
    ("SMTP_PORT", "2500", Need::Expected),
    ("SMTP_USER", "fake_mail_user", Need::Expected),
    ("SMTP_PASS", "fake_mail_password", Need::Expected),
    ("SMTP_SENDER_NAME", "fake_sender", Need::Expected),
    ("ENABLE_ANONYMOUS_USERS", "false", Need::Expected),
    ("ENABLE_PHONE_SIGNUP", "true", Need::Expected),
    ("ENABLE_PHONE_AUTOCONFIRM", "true", Need::Expected),
    ("GLOBAL_S3_BUCKET", "stub", Need::Expected),
    ("REGION", "stub", Need::Expected),
    ("STORAGE_TENANT_ID", "stub", Need::Expected),
    ("FUNCTIONS_VERIFY_JWT", "false", Need::Expected),
    ("PGRST_DB_SCHEMAS", "public,storage,graphql_public", Need::Required),
    ("DOCKER_SOCKET_LOCATION", "/var/run/docker.sock", Need::Expected),
    ("GOOGLE_PROJECT_ID", "GOOGLE_PROJECT_ID", Need::Expected),
    ("GOOGLE_PROJECT_NUMBER", "GOOGLE_PROJECT_NUMBER", Need::Expected),
    ("KONG_HTTP_PORT", "8000", Need::Required),
    ("KONG_HTTPS_PORT", "8443", Need::Required),
];

/// Variables other than the template's that a healthy file may carry (Dokploy's additions, older
/// template revisions, the optional overlays).
pub const KNOWN_EXTRA: &[&str] = &[
    "APP_NAME",
    "COMPOSE_PROJECT_NAME",
    "DOCKER_CONFIG",
    "SUPABASE_HOST",
    "POSTGRES_USER",
    "CONTAINER_PREFIX",
    "LOGFLARE_API_KEY",
    "PGRST_DB_MAX_ROWS",
    "PGRST_DB_EXTRA_SEARCH_PATH",
    "IMGPROXY_AUTO_WEBP",
    "IMGPROXY_ENABLE_WEBP_DETECTION",
    "ANON_KEY_ASYMMETRIC",
    "SERVICE_ROLE_KEY_ASYMMETRIC",
    "MINIO_ROOT_USER",
    "MINIO_ROOT_PASSWORD",
    "PROXY_DOMAIN",
    "CERTBOT_EMAIL",
];

/// Values the stack's containers are wired to; changing them in `.env` breaks the wiring.
pub const FIXED: &[(&str, &str)] = &[
    ("POSTGRES_HOST", "db"),
    ("POSTGRES_DB", "postgres"),
    ("POSTGRES_PORT", "5432"),
    ("POSTGRES_USER", "postgres"),
    ("POOLER_PROXY_PORT_TRANSACTION", "6543"),
    ("KONG_HTTP_PORT", "8000"),
    ("KONG_HTTPS_PORT", "8443"),
];

/// The template default of `variable`, when it is in the template.
pub fn default_of(variable: &str) -> Option<&'static str> {
    TEMPLATE.iter().find(|(name, _, _)| *name == variable).map(|(_, default, _)| *default)
}

/// How a file differs from the template.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, schemars::JsonSchema)]
pub struct TemplateDiff {
    /// Template variables the file does not assign.
    pub missing: Vec<String>,
    /// Variables the file assigns that neither the template nor the known additions have (typos, leftovers).
    pub unknown: Vec<String>,
    /// Template variables whose value differs from the template default (secrets are expected here).
    pub changed: Vec<String>,
    /// Template variables still at the template default.
    pub unchanged: Vec<String>,
}

/// Compares `file` with [`TEMPLATE`].
pub fn diff_template(file: &EnvFile) -> TemplateDiff {
    let mut diff = TemplateDiff::default();
    for (name, default, _) in TEMPLATE {
        match file.get(name) {
            None => diff.missing.push((*name).to_owned()),
            Some(value) if value == *default => diff.unchanged.push((*name).to_owned()),
            Some(_) => diff.changed.push((*name).to_owned()),
        }
    }
    let mut seen = std::collections::BTreeSet::new();
    for entry in file.entries() {
        let known = default_of(&entry.key).is_some() || KNOWN_EXTRA.contains(&entry.key.as_str());
        if !known && seen.insert(entry.key.clone()) {
            diff.unknown.push(entry.key.clone());
        }
    }
    diff
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn diff_lists_missing_unknown_and_defaults() {
        let file = EnvFile::parse("POSTGRES_HOST=db\nJWT_SECRET=changed-secret\nSITE_URLL=x\n").unwrap_or_default();
        let diff = diff_template(&file);
        assert_eq!(diff.unknown, vec!["SITE_URLL"]);
        assert_eq!(diff.changed, vec!["JWT_SECRET"]);
        assert_eq!(diff.unchanged, vec!["POSTGRES_HOST"]);
        assert_eq!(diff.missing.len(), TEMPLATE.len() - 2);
        assert_eq!(default_of("KONG_HTTP_PORT"), Some("8000"));
    }
}
