//! Ranking on real texts: each error of `fixtures/knowledge/errors.toml` puts its entry first, and so do the
//! failure texts supamcp itself produces (built here by the same functions the tools call), so the base and
//! our own messages stay in step. Codes with a typo still find their entry.

#![allow(clippy::expect_used, clippy::unwrap_used, clippy::panic)]

use serde::Deserialize;
use std::time::Duration;
use supamcp::failure::Failure;
use supamcp::knowledge::{self, answer};

#[derive(Deserialize)]
struct Cases {
    case: Vec<Case>,
}

#[derive(Deserialize)]
struct Case {
    text: String,
    expect: String,
}

fn first(text: &str) -> String {
    let base = knowledge::base().expect("the embedded base");
    answer::local_matches(base, text, 3).first().map(|m| m.id.clone()).unwrap_or_default()
}

#[test]
fn real_error_texts_put_the_right_entry_first() {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/knowledge/errors.toml");
    let cases: Cases = toml::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
    assert!(cases.case.len() >= 30, "{} cases", cases.case.len());
    let base = knowledge::base().unwrap();
    let mut wrong = Vec::new();
    for case in &cases.case {
        assert!(base.get(&case.expect).is_some(), "{}: no entry {}", case.text, case.expect);
        let got = first(&case.text);
        if got != case.expect {
            wrong.push(format!("{:?}: expected {}, got {got}", case.text, case.expect));
        }
    }
    assert!(wrong.is_empty(), "{} of {} ranked wrong:\n{}", wrong.len(), cases.case.len(), wrong.join("\n"));
}

#[test]
fn codes_with_a_typo_find_their_entry() {
    for (typo, expect) in [
        ("PGRST250", "postgrest-schema-cache"),
        ("invalid_credential", "auth-invalid-credentials"),
        ("NoSuchBuket", "storage-bucket-not-found"),
        ("28P10", "password-authentication-failed"),
        ("refresh_token_not_fund", "auth-refresh-token"),
    ] {
        assert_eq!(first(typo), expect, "{typo}");
    }
    // an exact code outranks a typo of another entry's code
    assert_eq!(first("PGRST116"), "postgrest-single-row");
}

fn connection_failure(url: &str, error: std::io::Error) -> Failure {
    let spec = supamcp::pg::conninfo::ConnSpec::parse(url).unwrap();
    supamcp::pg::diagnose::explain(&spec, &error).1
}

#[test]
fn supamcp_failures_point_at_their_entries() {
    use std::io::{Error, ErrorKind};
    let url = "postgres://postgres:pw@db.example.com:5432/postgres";
    let auth = supamcp::supabase::auth::error::AuthError {
        status: 400,
        code: "invalid_credentials".into(),
        message: "Invalid login credentials".into(),
        ..Default::default()
    };
    let settings = supamcp::config::Settings::load(&supamcp::config::Overrides::default(), &|_| None).unwrap();
    let samples: Vec<(Failure, &str)> = vec![
        (
            connection_failure(url, Error::new(ErrorKind::ConnectionRefused, "Connection refused (os error 111)")),
            "connection-refused",
        ),
        (
            connection_failure(url, Error::other("password authentication failed for user \"postgres\"")),
            "password-authentication-failed",
        ),
        (
            connection_failure("postgres://postgres.x:pw@h:6543/postgres", Error::other("Tenant or user not found")),
            "pooler-tenant-not-found",
        ),
        (connection_failure(url, Error::other("sorry, too many clients already")), "too-many-connections"),
        (
            connection_failure(
                "postgres://postgres:pw@db:5432/postgres",
                Error::other("failed to lookup address information: Name or service not known"),
            ),
            "docker-internal-host",
        ),
        (auth.failure("sign-in", "http://localhost:8000"), "auth-invalid-credentials"),
        (Failure::new("list_tables failed", settings.no_database_reason(), "configure one"), "supamcp-no-database"),
        (supamcp::backup::key::missing_key("create_backup"), "supamcp-backup-key"),
        (supamcp::pg::sql_errors::timeout_failure(Duration::from_secs(30)), "statement-timeout"),
    ];
    for (failure, expect) in samples {
        let text = failure.text();
        assert_eq!(first(&text), expect, "{text}");
    }
}
