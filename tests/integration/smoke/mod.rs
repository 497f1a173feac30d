//! `scripts/smoke.sh` run as users run it in CI, here against the project's own fakes instead of the dockerised
//! stack: a throwaway database with the Supabase layout, the GoTrue, Storage, functions and Realtime fakes behind
//! one Kong-like router (`stack_fake`), a `.env` naming them, and a `volumes/functions` directory beside it with
//! the main router, as a self-hosted stack has. Every check line must pass, none may be skipped, and what the
//! suite created must be gone afterwards (the fakes' state and the database say so).

#![allow(clippy::expect_used, clippy::unwrap_used, clippy::panic)]

mod stack_files;

use crate::functions_fake::Answer;
use crate::stack_fake::{self, Stack};
use crate::support;
use std::path::Path;
use std::process::Command;

const RUN_ID: &str = "fakes";

/// A stack directory as `ci/supabase` lays it out: `.env` and `volumes/functions/main`.
fn stack_dir(database_url: &str, api_url: &str) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let env = format!(
        "DATABASE_URL={database_url}\nSUPABASE_PUBLIC_URL={api_url}\nANON_KEY={}\nSERVICE_ROLE_KEY={}\n",
        stack_fake::ANON_KEY,
        stack_fake::SERVICE_KEY
    );
    std::fs::write(dir.path().join(".env"), env).unwrap();
    let main = dir.path().join("volumes/functions/main");
    std::fs::create_dir_all(&main).unwrap();
    std::fs::write(main.join("index.ts"), "// the stack's main router\n").unwrap();
    dir
}

/// Runs scripts/smoke.sh on the stack directory `dir` with a TMPDIR of its own; returns its output.
async fn run_smoke(dir: &Path, tmp: &Path) -> std::process::Output {
    run_smoke_on(dir.join(".env").to_str().unwrap(), tmp, "1").await
}

/// Runs scripts/smoke.sh on `target` (a .env or a URL) with SMOKE_REQUIRE_ALL=`require_all`.
async fn run_smoke_on(target: &str, tmp: &Path, require_all: &'static str) -> std::process::Output {
    let script = concat!(env!("CARGO_MANIFEST_DIR"), "/scripts/smoke.sh");
    let target = target.to_owned();
    let tmp = tmp.to_path_buf();
    tokio::task::spawn_blocking(move || {
        Command::new("bash")
            .arg(script)
            .arg(&target)
            .env("SUPAMCP", env!("CARGO_BIN_EXE_supamcp"))
            .env("SMOKE_RUN_ID", RUN_ID)
            .env("SMOKE_REQUIRE_ALL", require_all)
            // The fakes have no PostgREST: health_check's API probes would find /rest/v1 missing.
            .env("SMOKE_CHECK_API", "0")
            .env("TMPDIR", &tmp)
            .env_remove("SUPAMCP_FUNCTIONS_DIR")
            .env_remove("SUPABASE_URL")
            .env_remove("SUPABASE_SERVICE_ROLE_KEY")
            .env_remove("DATABASE_URL")
            .env_remove("SUPABASE_ANON_KEY")
            .env_remove("SUPABASE_ACCESS_TOKEN")
            .output()
            .unwrap()
    })
    .await
    .unwrap()
}

#[tokio::test]
async fn the_smoke_suite_passes_every_check_against_the_fakes_and_leaves_nothing_behind() {
    let db = support::fresh_sample_database("smoke").await;
    let stack = Stack::start().await;
    let slug = format!("supamcp-smoke-{RUN_ID}");
    stack.functions.answer(&slug, Answer::Echo);
    let dir = stack_dir(&db.url(), &stack.url);
    let tmp = tempfile::tempdir().unwrap();
    let output = run_smoke(dir.path(), tmp.path()).await;
    let stdout = String::from_utf8_lossy(&output.stdout);
    let report = format!("{stdout}\n--- stderr ---\n{}", String::from_utf8_lossy(&output.stderr));
    assert!(output.status.success(), "smoke.sh failed:\n{report}");
    eprintln!("{stdout}");
    for key in [stack_fake::SERVICE_KEY, stack_fake::ANON_KEY] {
        assert!(!report.contains(key), "a key in the suite's output:\n{report}");
    }

    let checks: Vec<&str> = stdout.lines().filter(|l| !l.starts_with("smoke: ")).collect();
    for line in &checks {
        assert!(line.starts_with("PASS "), "a check did not pass: {line}\n{report}");
    }
    let names: Vec<&str> = checks.iter().map(|l| l.split(' ').nth(1).unwrap()).collect();
    for group in ["core", "migrations", "backups", "auth", "storage", "functions", "realtime", "monitoring"] {
        assert!(names.iter().any(|n| n.starts_with(&format!("{group}."))), "no {group} check:\n{report}");
    }
    for group in ["development", "knowledge"] {
        assert!(names.iter().any(|n| n.starts_with(&format!("{group}."))), "no {group} check:\n{report}");
    }
    for cleanup in ["cleanup.function", "cleanup.bucket", "cleanup.user"] {
        assert!(names.contains(&cleanup), "no {cleanup} line:\n{report}");
    }
    // The realtime migration and the table's, newest first.
    let rollbacks: Vec<&&str> = checks.iter().filter(|l| l.starts_with("PASS cleanup.migration ")).collect();
    assert_eq!(rollbacks.len(), 2, "{report}");
    assert!(rollbacks[0].contains("(enable_realtime)") && rollbacks[1].contains("(supamcp_smoke)"), "{report}");

    // The round trips reached the services: a user, a bucket with an object, an invocation, a broadcast.
    let auth_requests = stack.auth.state().requests.join("\n");
    assert!(auth_requests.contains("POST /auth/v1/admin/users"), "{auth_requests}");
    assert!(stack.storage.count("POST", "/object/") >= 1 || stack.storage.count("PUT", "/object/") >= 1);
    assert_eq!(stack.functions.requests().iter().filter(|r| r.path == format!("/{slug}")).count(), 1);
    let topic = format!("supamcp-smoke-{RUN_ID}");
    assert!(stack.realtime.state().messages.iter().any(|m| m.topic == topic), "no broadcast to {topic}");

    // Nothing is left behind: no user, no bucket, no function directory, no table, no history row.
    assert!(stack.auth.state().users.is_empty(), "the smoke user is still there");
    assert!(stack.storage.state().buckets.is_empty(), "the smoke bucket is still there");
    assert!(!dir.path().join("volumes/functions").join(&slug).exists(), "the smoke function is still deployed");
    assert!(dir.path().join("volumes/functions/main/index.ts").exists(), "main/ was touched");
    let client = db.client().await;
    let left = client
        .query_one(
            "select (select count(*) from pg_tables where tablename like 'supamcp_smoke_%') \
                    + (select count(*) from supabase_migrations.schema_migrations) \
                    + (select count(*) from pg_publication_tables where tablename like 'supamcp_smoke_%')",
            &[],
        )
        .await
        .unwrap();
    assert_eq!(left.get::<_, i64>(0), 0, "the smoke table, a history row or a publication entry is still there");
    let leftovers: Vec<_> = std::fs::read_dir(tmp.path()).unwrap().filter_map(Result::ok).map(|e| e.path()).collect();
    assert!(leftovers.is_empty(), "the script's work directory is still there: {leftovers:?}");
}

#[tokio::test]
async fn a_failing_service_fails_its_check_and_the_run_and_the_rest_is_still_cleaned_up() {
    let db = support::fresh_sample_database("smoke_fault").await;
    let stack = Stack::start().await;
    stack.functions.answer(&format!("supamcp-smoke-{RUN_ID}"), Answer::Echo);
    // Creating the bucket (a POST, never retried) meets a storage outage.
    stack.storage.state().faults.fail_next.push_back(503);
    let dir = stack_dir(&db.url(), &stack.url);
    let tmp = tempfile::tempdir().unwrap();
    let output = run_smoke(dir.path(), tmp.path()).await;
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert_eq!(output.status.code(), Some(1), "{stdout}");
    let failed: Vec<&str> = stdout.lines().filter(|l| l.starts_with("FAIL ")).collect();
    assert_eq!(failed.len(), 1, "{stdout}");
    assert!(failed[0].starts_with("FAIL storage.round_trip create_bucket: "), "{stdout}");
    assert!(stdout.contains("PASS auth.round_trip") && stdout.contains("PASS cleanup.user"), "{stdout}");
    assert!(!stdout.contains("cleanup.bucket"), "no bucket was made, none to delete:\n{stdout}");
    assert!(stdout.ends_with("smoke: 1 check(s) failed, 0 skipped\n"), "{stdout}");
    assert!(stack.auth.state().users.is_empty());
    assert_eq!(std::fs::read_dir(tmp.path()).unwrap().count(), 0);

    // A usage error is exit status 2, before anything runs.
    let usage = Command::new("bash").arg(concat!(env!("CARGO_MANIFEST_DIR"), "/scripts/smoke.sh")).output().unwrap();
    assert_eq!(usage.status.code(), Some(2));
}

#[tokio::test]
async fn with_a_database_url_alone_the_api_groups_are_skipped_with_the_reason() {
    let db = support::fresh_sample_database("smoke_url").await;
    let tmp = tempfile::tempdir().unwrap();
    let output = run_smoke_on(&db.url(), tmp.path(), "0").await;
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(output.status.success(), "{stdout}");
    let skipped: Vec<&str> = stdout.lines().filter(|l| l.starts_with("SKIP ")).collect();
    let names: Vec<&str> = skipped.iter().map(|l| l.split(' ').nth(1).unwrap()).collect();
    assert_eq!(names, ["auth.round_trip", "storage.round_trip", "functions.round_trip", "realtime.broadcast"]);
    assert!(skipped[0].contains("SUPABASE_URL and SUPABASE_SERVICE_ROLE_KEY"), "supamcp's reason: {stdout}");
    for check in ["core.sql", "migrations.round_trip", "backups.round_trip", "monitoring.health", "knowledge.search"] {
        assert!(stdout.contains(&format!("PASS {check} ")), "{check}: {stdout}");
    }
    assert!(stdout.ends_with("smoke: all checks passed (4 skipped)\n"), "{stdout}");

    // In CI every group is expected: the same run fails.
    let strict = run_smoke_on(&db.url(), tmp.path(), "1").await;
    assert_eq!(strict.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&strict.stdout).ends_with("smoke: 4 check(s) skipped and SMOKE_REQUIRE_ALL=1\n"));
}

#[test]
fn a_reader_that_stops_early_does_not_make_supamcp_call_panic() {
    // Scripts pipe replies into head or grep -q, which close the pipe before the reply is written out.
    let mut child = Command::new(env!("CARGO_BIN_EXE_supamcp"))
        .args(["--content-api-url", "off", "call", "search_docs", r#"{"query": "row level security", "limit": 10}"#])
        .env("SUPAMCP_DATA_DIR", tempfile::tempdir().unwrap().path())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    drop(child.stdout.take());
    let output = child.wait_with_output().unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(!stderr.contains("panicked"), "{stderr}");
    assert_eq!(output.status.code(), Some(0), "{stderr}");
}
