//! One case per rule not covered by the fixture corpus: the healthy fixture with one edit, and the exact
//! findings that edit must produce.

use super::{CheckOptions, EnvFile, FixOptions, findings, fix};
use crate::supabase::finding::Severity;

const HEALTHY: &str = include_str!("../../../fixtures/env/healthy.env");

fn with(edits: &[(&str, Option<&str>)]) -> EnvFile {
    let mut file = EnvFile::parse(HEALTHY).unwrap_or_else(|e| panic!("{e}"));
    for (key, value) in edits {
        match value {
            Some(value) => file.set(key, value),
            None => file.unset(key),
        };
    }
    file
}

fn rules(file: &EnvFile, max_connections: i64) -> Vec<(String, String)> {
    let options = CheckOptions { max_connections, ..CheckOptions::default() };
    let mut out: Vec<_> = findings(file, &options).into_iter().map(|f| (f.rule, f.variable)).collect();
    out.sort();
    out
}

#[test]
fn each_rule_fires_on_its_edit() {
    type Case<'a> = (&'a [(&'a str, Option<&'a str>)], &'a [(&'a str, &'a str)]);
    let cases: &[Case] = &[
        (&[("VAULT_ENC_KEY", Some("your-32-character-encryption-key"))], &[("secret_default", "VAULT_ENC_KEY")]),
        (&[("SECRET_KEY_BASE", Some("tooshortforphoenix"))], &[("secret_weak", "SECRET_KEY_BASE")]),
        (&[("DASHBOARD_PASSWORD", Some("12345678901234567890"))], &[("secret_weak", "DASHBOARD_PASSWORD")]),
        (&[("POSTGRES_PASSWORD", Some("postgres"))], &[("secret_weak", "POSTGRES_PASSWORD")]),
        (&[("SITE_URL", Some("shop-example.dev"))], &[("url_invalid", "SITE_URL")]),
        (&[("SUPABASE_PUBLIC_URL", Some("https://studio.other.dev"))], &[("url_host_mismatch", "SUPABASE_PUBLIC_URL")]),
        (&[("SUPABASE_HOST", Some("other.dev"))], &[("url_host_mismatch", "SUPABASE_HOST")]),
        (&[("SITE_URL", Some("http://localhost:3000"))], &[]),
        (
            &[
                ("API_EXTERNAL_URL", Some("http://localhost:8000")),
                ("SUPABASE_PUBLIC_URL", Some("http://localhost:8000")),
            ],
            &[("url_http", "API_EXTERNAL_URL"), ("url_http", "SUPABASE_PUBLIC_URL")],
        ),
        (&[("POOLER_TENANT_ID", None)], &[("required_missing", "POOLER_TENANT_ID")]),
        (&[("PGRST_DB_SCHEMAS", Some(""))], &[("required_missing", "PGRST_DB_SCHEMAS")]),
        (&[("GLOBAL_S3_BUCKET", None)], &[("variable_missing", "GLOBAL_S3_BUCKET")]),
        (&[("POOLER_DEFAULT_POOL_SIZE", Some("0"))], &[("pooler_pool_too_small", "POOLER_DEFAULT_POOL_SIZE")]),
        (&[("POOLER_DEFAULT_POOL_SIZE", Some("70"))], &[("pooler_pool_too_large", "POOLER_DEFAULT_POOL_SIZE")]),
        (&[("JWT_EXPIRY", Some("60"))], &[("jwt_expiry_range", "JWT_EXPIRY")]),
        (&[("JWT_EXPIRY", Some("2592000"))], &[("jwt_expiry_range", "JWT_EXPIRY")]),
        (&[("JWT_EXPIRY", Some("1h"))], &[("value_not_integer", "JWT_EXPIRY")]),
        (&[("POSTGRES_DB", Some("app"))], &[("infra_changed", "POSTGRES_DB")]),
        (&[("CONTAINER_PREFIX", Some("Supabase_Old"))], &[("container_prefix_invalid", "CONTAINER_PREFIX")]),
        (&[("COMPOSE_PROJECT_NAME", Some("dokploy"))], &[("project_name_invalid", "COMPOSE_PROJECT_NAME")]),
        (
            &[("SMTP_HOST", Some("supabase-mail")), ("ENABLE_EMAIL_AUTOCONFIRM", Some("true"))],
            &[("smtp_fake", "SMTP_HOST")],
        ),
    ];
    for (edits, expected) in cases {
        let mut want: Vec<(String, String)> = expected.iter().map(|(r, v)| (r.to_string(), v.to_string())).collect();
        want.sort();
        assert_eq!(rules(&with(edits), 100), want, "{edits:?}");
    }
}

#[test]
fn pool_rules_follow_max_connections_and_lines_are_checked() {
    let file = with(&[]);
    assert_eq!(rules(&file, 20), vec![("pooler_pool_too_large".into(), "POOLER_DEFAULT_POOL_SIZE".into())]);
    let text = format!("{HEALTHY}this is not an assignment\nJWT_EXPIRY=3600\n");
    let file = EnvFile::parse(&text).unwrap_or_else(|e| panic!("{e}"));
    let line = format!("line {}", HEALTHY.lines().count() + 1);
    let mut want = vec![("line_unparsed".to_owned(), line), ("variable_duplicate".to_owned(), "JWT_EXPIRY".to_owned())];
    want.sort();
    assert_eq!(rules(&file, 100), want);
}

#[test]
fn fixes_for_rule_edits() {
    let file = with(&[
        ("VAULT_ENC_KEY", Some("your-32-character-encryption-key")),
        ("POOLER_TENANT_ID", None),
        ("JWT_EXPIRY", Some("0")),
        ("POSTGRES_DB", Some("app")),
        ("CONTAINER_PREFIX", Some("Supabase_Old")),
    ]);
    let outcome = fix(&file, &FixOptions::default());
    assert!(outcome.remaining.is_empty(), "{:?}", outcome.remaining);
    assert_eq!(outcome.fixed.get("JWT_EXPIRY"), Some("3600"));
    assert_eq!(outcome.fixed.get("POSTGRES_DB"), Some("postgres"));
    assert_eq!(outcome.fixed.get("CONTAINER_PREFIX"), Some("supabase-old"));
    assert_eq!(outcome.fixed.get("POOLER_TENANT_ID").map(str::len), Some(36));
    assert_eq!(outcome.fixed.get("VAULT_ENC_KEY").map(str::len), Some(32));
    assert_eq!(outcome.fixed.get("JWT_SECRET"), file.get("JWT_SECRET"), "healthy secrets are kept");
}

#[test]
fn a_broken_service_key_is_replaced_and_the_healthy_anon_key_kept() {
    let file = with(&[("SERVICE_ROLE_KEY", Some("ab"))]);
    let outcome = fix(&file, &FixOptions::default());
    assert_eq!(outcome.changes.iter().map(|c| c.variable.as_str()).collect::<Vec<_>>(), ["SERVICE_ROLE_KEY"]);
    assert_eq!(outcome.fixed.get("ANON_KEY"), file.get("ANON_KEY"));
    assert!(outcome.remaining.is_empty(), "{:?}", outcome.remaining);
}

#[test]
fn duplicate_keys_name_their_lines_and_differing_values_warn() {
    let end = HEALTHY.lines().count();
    let text = format!("{HEALTHY}JWT_EXPIRY=3600\nPOSTGRES_PASSWORD=another-password-0f-length\n");
    let file = EnvFile::parse(&text).unwrap_or_else(|e| panic!("{e}"));
    let found: Vec<_> =
        findings(&file, &CheckOptions::default()).into_iter().filter(|f| f.rule == "variable_duplicate").collect();
    let password = found.iter().find(|f| f.variable == "POSTGRES_PASSWORD").unwrap_or_else(|| panic!("{found:?}"));
    assert_eq!(password.severity, Severity::Warning);
    assert!(password.message.contains(&format!("and {}", end + 2)), "{}", password.message);
    assert!(!password.message.contains("another-password"), "{}", password.message);
    let expiry = found.iter().find(|f| f.variable == "JWT_EXPIRY").unwrap_or_else(|| panic!("{found:?}"));
    assert_eq!(expiry.severity, Severity::Info, "same value twice");
    assert!(expiry.message.contains(&format!("line {}", end + 1)), "{}", expiry.message);
}
