//! Rules about secret values other than the JWT keys: public template defaults, weak or short secrets,
//! database passwords with characters that break the connection URLs the compose file builds from them,
//! and the template's fake SMTP settings.

use super::EnvFile;
use super::template::default_of;
use crate::supabase::finding::{Finding, Severity};

/// `(variable, minimum length, severity when shorter, why)`.
const MINIMUMS: &[(&str, usize, Severity, &str)] = &[
    ("POSTGRES_PASSWORD", 16, Severity::Warning, "the database is reachable through Supavisor on the host"),
    ("DASHBOARD_PASSWORD", 16, Severity::Warning, "Studio is exposed through Kong's basic auth"),
    (
        "SECRET_KEY_BASE",
        64,
        Severity::Critical,
        "Realtime and Supavisor (Phoenix) refuse a secret_key_base under 64 bytes",
    ),
    ("VAULT_ENC_KEY", 32, Severity::Critical, "Supavisor encrypts tenant secrets with it and needs 32 characters"),
    (
        "PG_META_CRYPTO_KEY",
        32,
        Severity::Critical,
        "postgres-meta encrypts Studio's connection strings with it and needs 32 characters",
    ),
    ("LOGFLARE_PUBLIC_ACCESS_TOKEN", 16, Severity::Warning, "it authenticates log ingestion"),
    ("LOGFLARE_PRIVATE_ACCESS_TOKEN", 16, Severity::Warning, "it gives full access to the logs"),
];

/// Passwords people pick first; any of these as a whole value is weak.
const COMMON: &[&str] =
    &["password", "postgres", "supabase", "changeme", "admin", "secret", "123456", "12345678", "qwerty", "letmein"];

/// Characters that break `postgres://user:${POSTGRES_PASSWORD}@db:5432/postgres` (the services interpolate
/// the password unencoded) or compose's own interpolation and quoting.
pub const URL_UNSAFE: &[char] = &['@', ':', '/', '?', '#', '[', ']', '%', '$', ' ', '"', '\'', '\\', '`'];

pub fn check(file: &EnvFile, out: &mut Vec<Finding>) {
    defaults_and_weak(file, out);
    url_unsafe_password(file, out);
    fake_smtp(file, out);
}

fn defaults_and_weak(file: &EnvFile, out: &mut Vec<Finding>) {
    let secrets =
        MINIMUMS.iter().map(|(v, ..)| *v).chain(["S3_PROTOCOL_ACCESS_KEY_ID", "S3_PROTOCOL_ACCESS_KEY_SECRET"]);
    for variable in secrets {
        let Some(value) = file.get(variable).filter(|v| !v.is_empty()) else {
            continue;
        };
        if default_of(variable) == Some(value) {
            out.push(
                Finding::new("secret_default", Severity::Critical, variable)
                    .current(value)
                    .expected("a random value generated for this stack")
                    .message(format!("{variable} is still the public default from Supabase's .env.example"))
                    .fix(format!("generate a new {variable} (fix_config does it){}", restart_note(variable))),
            );
            continue;
        }
        let Some((_, minimum, severity, why)) = MINIMUMS.iter().find(|(v, ..)| *v == variable) else {
            continue;
        };
        let length = value.chars().count();
        let lower = value.to_ascii_lowercase();
        let weakness = if length < *minimum {
            Some((*severity, format!("{variable} has {length} characters, at least {minimum} are needed: {why}")))
        } else if COMMON.iter().any(|w| lower == *w) || value.chars().all(|c| value.starts_with(c)) {
            Some((Severity::Warning, format!("{variable} is a common or repetitive value")))
        } else if variable == "DASHBOARD_PASSWORD" && value.chars().all(|c| c.is_ascii_digit()) {
            Some((
                Severity::Warning,
                "DASHBOARD_PASSWORD has only digits; Studio's basic auth needs at least one letter".to_owned(),
            ))
        } else {
            None
        };
        if let Some((severity, message)) = weakness {
            out.push(
                Finding::new("secret_weak", severity, variable)
                    .current(value)
                    .expected(format!("at least {minimum} random characters"))
                    .message(message)
                    .fix(format!("generate a new {variable} (fix_config does it){}", restart_note(variable))),
            );
        }
    }
}

fn restart_note(variable: &str) -> &'static str {
    if variable == "POSTGRES_PASSWORD" {
        "; the database keeps the password it was initialised with, so also run ALTER ROLE ... PASSWORD for postgres, \
         supabase_admin, authenticator, pgbouncer, supabase_auth_admin, supabase_storage_admin and \
         supabase_functions_admin before restarting"
    } else {
        "; then restart the stack"
    }
}

fn url_unsafe_password(file: &EnvFile, out: &mut Vec<Finding>) {
    let Some(value) = file.get("POSTGRES_PASSWORD") else {
        return;
    };
    let mut bad: Vec<char> = value.chars().filter(|c| URL_UNSAFE.contains(c)).collect();
    bad.sort_unstable();
    bad.dedup();
    if bad.is_empty() {
        return;
    }
    let shown: String = bad.iter().collect();
    out.push(
        Finding::new("password_url_unsafe", Severity::Critical, "POSTGRES_PASSWORD")
            .current(value)
            .expected("only letters, digits, '-', '_', '.' and '~'")
            .message(format!(
                "POSTGRES_PASSWORD contains {shown:?}: the services build postgres://user:PASSWORD@db:5432/postgres \
            without encoding it, so auth, storage, realtime and the pooler cannot parse their connection URL"
            ))
            .fix(format!(
                "use a password of letters and digits (fix_config generates one){}",
                restart_note("POSTGRES_PASSWORD")
            )),
    );
}

fn fake_smtp(file: &EnvFile, out: &mut Vec<Finding>) {
    let signup = file.get("ENABLE_EMAIL_SIGNUP").map(str::trim) != Some("false");
    let autoconfirm = file.get("ENABLE_EMAIL_AUTOCONFIRM").map(str::trim) == Some("true");
    let fakes = [
        ("SMTP_HOST", "supabase-mail"),
        ("SMTP_PORT", "2500"),
        ("SMTP_USER", "fake_mail_user"),
        ("SMTP_PASS", "fake_mail_password"),
        ("SMTP_SENDER_NAME", "fake_sender"),
        ("SMTP_ADMIN_EMAIL", "admin@example.com"),
    ];
    for (variable, fake) in fakes {
        if file.get(variable).map(str::trim) != Some(fake) {
            continue;
        }
        let stuck = variable == "SMTP_HOST" && signup && !autoconfirm;
        let (severity, consequence) = if stuck {
            (
                Severity::Critical,
                "no service of that name exists, and with email signup on and autoconfirm off every new user waits for a confirmation mail that is never sent",
            )
        } else {
            (
                Severity::Warning,
                "it is a placeholder from the template: confirmation, invite and recovery mails are not delivered",
            )
        };
        out.push(Finding::new("smtp_fake", severity, variable).current(fake)
            .expected("your mail provider's setting")
            .message(format!("{variable} is the template placeholder: {consequence}"))
            .fix("set SMTP_HOST, SMTP_PORT, SMTP_USER, SMTP_PASS, SMTP_SENDER_NAME and SMTP_ADMIN_EMAIL to a real SMTP service, then restart auth"));
    }
}
