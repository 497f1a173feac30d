//! The `.env` doctor against the fixture corpus: exact findings per fixture, fixes that leave only what a
//! human must do, byte-identical round trips, no secret in any report, the CLI's exit codes and its
//! backup-then-write, and a bounded no-panic fuzz of the parser and the rules.

// Test helpers outside #[test] functions may panic too: this whole crate is test code.
#![allow(clippy::panic)]

use proptest::prelude::*;
use std::path::{Path, PathBuf};
use std::process::Command;
use supamcp::supabase::env::{self, CheckOptions, EnvFile, FixOptions};
use supamcp::supabase::keys::{EXPIRY_WARNING_SECONDS, LEEWAY_SECONDS};

fn fixture(name: &str) -> (PathBuf, String, EnvFile) {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/env").join(name);
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{name}: {e}"));
    let file = EnvFile::parse(&text).unwrap_or_else(|e| panic!("{name}: {e}"));
    (path, text, file)
}

fn found(file: &EnvFile) -> Vec<(String, String)> {
    let mut out: Vec<_> =
        env::findings(file, &CheckOptions::default()).into_iter().map(|f| (f.rule, f.variable)).collect();
    out.sort();
    out
}

fn sorted(expected: &[(&str, &str)]) -> Vec<(String, String)> {
    let mut out: Vec<_> = expected.iter().map(|(r, v)| (r.to_string(), v.to_string())).collect();
    out.sort();
    out
}

/// The demo keys expire 2027-01-09 23:00 UTC; what that means depends on today.
fn demo_expiry(variable: &'static str) -> Vec<(&'static str, &'static str)> {
    let now = chrono::Utc::now().timestamp();
    let exp = 1_799_535_600;
    if exp + LEEWAY_SECONDS < now {
        vec![("jwt_expired", variable)]
    } else if exp < now + EXPIRY_WARNING_SECONDS {
        vec![("jwt_expiring", variable)]
    } else {
        vec![]
    }
}

const FAKE_SMTP: [(&str, &str); 6] = [
    ("smtp_fake", "SMTP_HOST"),
    ("smtp_fake", "SMTP_PORT"),
    ("smtp_fake", "SMTP_USER"),
    ("smtp_fake", "SMTP_PASS"),
    ("smtp_fake", "SMTP_SENDER_NAME"),
    ("smtp_fake", "SMTP_ADMIN_EMAIL"),
];
const ROLELESS: [(&str, &str); 5] = [
    ("jwt_role_missing", "ANON_KEY"),
    ("jwt_iss_dokploy", "ANON_KEY"),
    ("jwt_role_missing", "SERVICE_ROLE_KEY"),
    ("jwt_iss_dokploy", "SERVICE_ROLE_KEY"),
    ("jwt_keys_identical", "SERVICE_ROLE_KEY"),
];

fn table() -> Vec<(&'static str, Vec<(&'static str, &'static str)>)> {
    let mut demo =
        vec![("jwt_secret_demo", "JWT_SECRET"), ("jwt_demo_key", "ANON_KEY"), ("jwt_demo_key", "SERVICE_ROLE_KEY")];
    demo.extend(demo_expiry("ANON_KEY"));
    demo.extend(demo_expiry("SERVICE_ROLE_KEY"));
    let local_redirect = ("url_http", "ADDITIONAL_REDIRECT_URLS");
    vec![
        ("healthy.env", vec![]),
        ("dokploy-0.25.5-roleless.env", [&ROLELESS[..], &FAKE_SMTP[..], &[local_redirect]].concat()),
        (
            "dokploy-template-2025-trailing-comma.env",
            [
                &ROLELESS[..],
                &FAKE_SMTP[..],
                &[
                    ("url_http", "SITE_URL"),
                    ("url_http", "API_EXTERNAL_URL"),
                    ("url_http", "SUPABASE_PUBLIC_URL"),
                    ("url_http", "ADDITIONAL_REDIRECT_URLS"),
                    local_redirect,
                ],
            ]
            .concat(),
        ),
        ("dokploy-pre-0.21.8-hex.env", vec![("jwt_not_a_jwt", "ANON_KEY"), ("jwt_not_a_jwt", "SERVICE_ROLE_KEY")]),
        ("dokploy-pre-0.22.5-demo.env", demo),
        (
            "http-urls.env",
            vec![("url_http", "SITE_URL"), ("url_http", "SUPABASE_PUBLIC_URL"), ("url_mixed_scheme", "SITE_URL")],
        ),
        ("fake-smtp.env", FAKE_SMTP.to_vec()),
        ("password-at-colon.env", vec![("password_url_unsafe", "POSTGRES_PASSWORD")]),
        (
            "infra-changed.env",
            vec![
                ("project_name_invalid", "APP_NAME"),
                ("jwt_expiry_range", "JWT_EXPIRY"),
                ("pooler_pool_too_large", "POOLER_DEFAULT_POOL_SIZE"),
                ("pooler_clients_below_pool", "POOLER_MAX_CLIENT_CONN"),
                ("infra_changed", "POSTGRES_HOST"),
                ("infra_changed", "KONG_HTTP_PORT"),
                ("value_not_integer", "POSTGRES_PORT"),
            ],
        ),
    ]
}

#[test]
fn every_fixture_has_exactly_its_findings() {
    for (name, expected) in table() {
        let (_, text, file) = fixture(name);
        assert_eq!(file.to_string(), text, "{name}: round trip");
        assert_eq!(found(&file), sorted(&expected), "{name}");
    }
}

#[test]
fn fixes_leave_only_what_needs_a_human() {
    let human = ["smtp_fake", "url_host_mismatch", "url_invalid", "line_unparsed", "variable_duplicate"];
    for (name, _) in table() {
        let (_, text, file) = fixture(name);
        let outcome = env::fix(&file, &FixOptions::default());
        let left: Vec<_> =
            outcome.remaining.iter().filter(|f| f.severity != supamcp::supabase::finding::Severity::Info).collect();
        assert!(left.iter().all(|f| human.contains(&f.rule.as_str())), "{name}: {left:?}");
        // Only changed variables' lines differ.
        let fixed = outcome.fixed.to_string();
        let changed: Vec<&str> = outcome.changes.iter().map(|c| c.variable.as_str()).collect();
        for (before, after) in text.lines().zip(fixed.lines()) {
            if before != after {
                let key = before.split('=').next().unwrap_or_default();
                assert!(changed.contains(&key), "{name}: unexpected change {before:?} -> {after:?}");
            }
        }
        // Healthy secrets are kept.
        if !changed.contains(&"JWT_SECRET") {
            assert_eq!(outcome.fixed.get("JWT_SECRET"), file.get("JWT_SECRET"), "{name}");
        }
        if name == "healthy.env" {
            assert!(outcome.changes.is_empty(), "{name}: {:?}", outcome.changes);
        }
    }
}

#[test]
fn reports_never_contain_a_secret() {
    for (name, _) in table() {
        let (_, _, file) = fixture(name);
        let report = serde_json::to_string(&env::check(&file, &CheckOptions::default())).unwrap_or_default();
        let redacted = env::redacted(&env::fix(&file, &FixOptions::default()).fixed).to_string();
        for entry in file.entries() {
            let secret = supamcp::supabase::finding::is_secret_variable(&entry.key) && entry.value.len() >= 8;
            if secret && !entry.value.starts_with("fake_") {
                assert!(!report.contains(&entry.value), "{name}: {} leaked in the report", entry.key);
                assert!(!redacted.contains(&entry.value), "{name}: {} leaked in the redacted file", entry.key);
            }
        }
    }
}

fn doctor(path: &Path, extra: &[&str]) -> (i32, String) {
    let output = Command::new(env!("CARGO_BIN_EXE_supamcp"))
        .arg("--env-file")
        .arg(path)
        .arg("doctor")
        .args(extra)
        .output()
        .unwrap_or_else(|e| panic!("{e}"));
    (output.status.code().unwrap_or(-1), String::from_utf8_lossy(&output.stdout).into_owned())
}

#[test]
fn cli_exit_codes_and_fix_with_backup() {
    assert_eq!(doctor(&fixture("healthy.env").0, &[]).0, 0);
    assert_eq!(doctor(&fixture("http-urls.env").0, &[]).0, 1);
    let (code, out) = doctor(&fixture("dokploy-0.25.5-roleless.env").0, &[]);
    assert_eq!(code, 2);
    assert!(out.contains("[CRITICAL] jwt_role_missing ANON_KEY"), "{out}");
    let (code, json) = doctor(&fixture("password-at-colon.env").0, &["--json"]);
    assert_eq!(code, 2);
    let report: serde_json::Value = serde_json::from_str(&json).unwrap_or_default();
    assert_eq!(report["findings"][0]["rule"], "password_url_unsafe");

    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let target = dir.path().join(".env");
    let original = fixture("dokploy-pre-0.21.8-hex.env").1;
    std::fs::write(&target, &original).unwrap_or_else(|e| panic!("{e}"));
    let (code, out) = doctor(&target, &["--fix"]);
    assert_eq!(code, 0, "{out}");
    let backups: Vec<_> = std::fs::read_dir(dir.path())
        .unwrap_or_else(|e| panic!("{e}"))
        .filter_map(Result::ok)
        .filter(|e| e.file_name().to_string_lossy().starts_with(".env.bak."))
        .collect();
    assert_eq!(backups.len(), 1);
    assert_eq!(std::fs::read_to_string(backups[0].path()).unwrap_or_default(), original);
    assert_eq!(doctor(&target, &[]).0, 0, "the fixed file is clean");
}

#[test]
fn keys_cli_generate_then_verify() {
    let bin = env!("CARGO_BIN_EXE_supamcp");
    let generated =
        Command::new(bin).args(["keys", "generate", "--asymmetric"]).output().unwrap_or_else(|e| panic!("{e}"));
    assert!(generated.status.success());
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let path = dir.path().join("keys.env");
    std::fs::write(&path, &generated.stdout).unwrap_or_else(|e| panic!("{e}"));
    let verify = Command::new(bin)
        .arg("--env-file")
        .arg(&path)
        .args(["keys", "verify"])
        .output()
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(verify.status.code(), Some(0), "{}", String::from_utf8_lossy(&verify.stdout));
    let short = Command::new(bin)
        .args(["keys", "generate", "--jwt-secret", "short"])
        .output()
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(short.status.code(), Some(2));
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn parser_and_rules_never_panic(text in "(\\PC{0,40}[\\n\\r]{0,2}){0,12}", key in "[A-Z_]{1,20}", value in "\\PC{0,60}") {
        let tail = format!("{key}={value}\nexport {key}=\"{value}\nSITE_URL='{value}'\n");
        for candidate in [text.clone(), format!("{text}\n{tail}")] {
            if let Ok(mut file) = EnvFile::parse(&candidate) {
                prop_assert_eq!(file.to_string(), candidate.clone());
                let _ = env::check(&file, &CheckOptions::default());
                let _ = env::fix(&file, &FixOptions::default());
                file.set(&key, &value);
                let reparsed = EnvFile::parse(&file.to_string());
                prop_assert!(reparsed.is_ok(), "set produced an unreadable file: {:?}", file.to_string());
                prop_assert_eq!(reparsed.ok().and_then(|f| f.get(&key).map(str::to_owned)), Some(value.clone()));
            }
        }
    }
}
