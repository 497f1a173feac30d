//! Invariant 4: no secret is ever logged or echoed unredacted. The binary runs with trace logs (asked for the
//! libraries that log payloads too), a database password in its URL and a Supabase .env full of secrets;
//! every tool that touches them is called, SQL carries a role password and bound parameters carry a secret,
//! and the captured stderr, every tool output, the audit log and the spilled files are scanned for the secrets.

use crate::mcp_client;
use crate::support;

use rmcp::model::CallToolRequestParams;
use serde_json::json;

const ENV_FILE: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/fixtures/env/healthy.env");
const DB_PASSWORD: &str = "Db-Passw0rd-That-Must-Not-Leak";
/// A secret the caller passes as a tool argument.
const ARGUMENT_SECRET: &str = "Argument-Secret-0f-At-Least-32-Chars";
/// A role password inside SQL, and a secret passed as a bound parameter.
const SQL_PASSWORD: &str = "hunter2-secret-in-sql";
const PARAM_SECRET: &str = "Param-Secret-Bound-As-$1";
/// SQL text that tokio-postgres would log when it prepares the statement.
const LOGGED_SQL: &str = "generate_series(1, 500)";
/// Asks for everything, naming the payload-logging targets explicitly: the ceiling must hold anyway.
const LOG_SPEC: &str = "trace,rmcp=trace,rmcp::service=trace,tokio_postgres=trace,tokio_postgres::prepare=trace";

fn fixture_secrets() -> Vec<String> {
    let text = std::fs::read_to_string(ENV_FILE).expect("fixture");
    let mut secrets: Vec<String> = text
        .lines()
        .filter_map(|line| line.split_once('='))
        .filter(|(name, _)| {
            [
                "POSTGRES_PASSWORD",
                "JWT_SECRET",
                "SERVICE_ROLE_KEY",
                "DASHBOARD_PASSWORD",
                "SECRET_KEY_BASE",
                "VAULT_ENC_KEY",
                "SMTP_PASS",
                "PG_META_CRYPTO_KEY",
            ]
            .contains(name)
        })
        .map(|(_, value)| value.trim_matches(['"', '\'']).to_owned())
        .filter(|value| value.len() >= 12)
        .collect();
    secrets.push(DB_PASSWORD.to_owned());
    secrets.push(ARGUMENT_SECRET.to_owned());
    secrets.push(SQL_PASSWORD.to_owned());
    secrets.push(PARAM_SECRET.to_owned());
    assert!(secrets.len() >= 8, "the fixture holds the secrets this test looks for: {secrets:?}");
    secrets
}

#[tokio::test]
async fn no_secret_reaches_logs_outputs_or_files() {
    let db = support::fresh_sample_database("secret_leaks").await;
    // Trust authentication ignores the password, so the URL can carry one that must never be shown.
    let url = db.url().replacen("postgres://postgres@", &format!("postgres://postgres:{DB_PASSWORD}@"), 1);
    let data_dir = tempfile::tempdir().unwrap();
    let mut command = tokio::process::Command::new(env!("CARGO_BIN_EXE_supamcp"));
    command
        .args(["--database-url", &url, "--env-file", ENV_FILE, "--spill-threshold-bytes", "2048", "--data-dir"])
        .arg(data_dir.path())
        .env("SUPAMCP_LOG", LOG_SPEC)
        .env_remove("SUPAMCP_CONFIG");
    let (client, log_reader) = mcp_client::serve_capturing_logs(command).await;

    let calls = [
        ("test_connection", json!({})),
        ("execute_sql", json!({"sql": "select current_user, md5(g::text) from generate_series(1, 500) g"})),
        ("execute_sql", json!({"sql": "select * from no_such_table"})),
        ("execute_sql", json!({"sql": "select 1", "role": "no_such_role"})),
        ("execute_sql", json!({"sql": format!("ALTER ROLE supamcp_no_such_role PASSWORD '{SQL_PASSWORD}'")})),
        // A script that fails, so the role is never created on the shared cluster.
        ("execute_sql", json!({"sql": format!("create role leak_probe password $pw${SQL_PASSWORD}$pw$; select 1/0")})),
        ("execute_sql", json!({"sql": "select length($1::text) as n", "params": [PARAM_SECRET]})),
        ("validate_config", json!({"path": ENV_FILE})),
        ("validate_keys", json!({"path": ENV_FILE})),
        ("validate_keys", json!({"path": ENV_FILE, "jwt_secret": ARGUMENT_SECRET})),
        ("fix_config", json!({"path": ENV_FILE})),
        ("convert_protocols", json!({"path": ENV_FILE})),
        ("generate_keys", json!({})),
        ("create_backup", json!({"key": ARGUMENT_SECRET, "tables": ["public.todos"]})),
        ("create_backup", json!({"key": "short-secret"})),
        ("list_backups", json!({})),
        ("verify_backup", json!({"backup_id": "nope", "key": ARGUMENT_SECRET})),
        ("read_audit_log", json!({})),
    ];
    // PostgreSQL quotes a parameter it cannot read; the reply may show the caller its own value, the audit log not.
    let echoed = json!({"sql": "select $1::int", "params": [PARAM_SECRET]});
    client
        .call_tool(CallToolRequestParams::new("execute_sql").with_arguments(echoed.as_object().cloned().unwrap()))
        .await
        .unwrap();
    let mut outputs = String::new();
    for (tool, arguments) in calls {
        let result = client
            .call_tool(CallToolRequestParams::new(tool).with_arguments(arguments.as_object().cloned().unwrap()))
            .await
            .unwrap_or_else(|e| panic!("{tool}: {e}"));
        outputs.push_str(&serde_json::to_string(&result).unwrap());
        outputs.push('\n');
    }
    let _ = client.cancel().await;
    let logs = log_reader.await.unwrap();
    assert!(logs.contains("DEBUG"), "debug logs were captured");
    assert!(!logs.contains(LOGGED_SQL), "SQL text reached the logs");

    let mut files = String::new();
    for entry in walk(data_dir.path()) {
        files.push_str(&std::fs::read_to_string(&entry).unwrap_or_default());
    }
    assert!(files.contains("execute_sql"), "the audit log was written");
    assert!(files.contains("PASSWORD '[redacted]'"), "the audit log keeps the redacted SQL");
    for secret in fixture_secrets() {
        for (place, text) in [("stderr logs", &logs), ("tool outputs", &outputs), ("data directory", &files)] {
            assert!(!text.contains(&secret), "a secret ({}…) leaked into the {place}", &secret[..6]);
        }
    }
}

/// A child process (pg_dump here: a script that records its environment) sees none of supamcp's secrets: not
/// SUPAMCP_*, not AWS_*, not the caller's tokens; it gets the password of its connection and nothing else.
#[tokio::test]
async fn child_processes_get_a_minimal_environment() {
    use std::os::unix::fs::PermissionsExt;
    let db = support::fresh_sample_database("child_env").await;
    let url = db.url().replacen("postgres://postgres@", &format!("postgres://postgres:{DB_PASSWORD}@"), 1);
    let bin = tempfile::tempdir().unwrap();
    let recorded = bin.path().join("environment.txt");
    let fake = bin.path().join("pg_dump");
    let script = format!(
        "#!/bin/sh\nif [ \"$1\" = --version ]; then echo 'pg_dump (PostgreSQL) 99.0'; exit 0; fi\nenv > '{}'\nexit 1\n",
        recorded.display()
    );
    std::fs::write(&fake, script).unwrap();
    std::fs::set_permissions(&fake, std::fs::Permissions::from_mode(0o755)).unwrap();
    let secrets = [
        ("SUPAMCP_BACKUP_KEY", "Backup-Passphrase-That-Must-Not-Leak"),
        ("AWS_ACCESS_KEY_ID", "AKIA-MUST-NOT-LEAK"),
        ("AWS_SECRET_ACCESS_KEY", "Aws-Secret-That-Must-Not-Leak"),
        ("SUPABASE_ACCESS_TOKEN", "sbp_token_that_must_not_leak"),
        ("PGOPTIONS", "-c search_path=must_not_leak"),
    ];
    let mut env: Vec<(&str, &str)> = secrets.to_vec();
    let bindir = bin.path().display().to_string();
    env.push(("SUPAMCP_PG_BINDIR", &bindir));
    let server = mcp_client::start_with_env(&["--database-url", &url, "--features", "core,backups"], &env).await;
    let failed = server.err("create_backup", json!({"tables": ["public.todos"]})).await;
    server.stop().await;

    let seen = std::fs::read_to_string(&recorded).unwrap_or_else(|e| panic!("the fake pg_dump ran ({e}): {failed}"));
    let names: Vec<&str> = seen.lines().filter_map(|line| line.split_once('=').map(|(name, _)| name)).collect();
    for (name, value) in secrets {
        assert!(!seen.contains(value), "{name}'s value reached pg_dump: {names:?}");
    }
    for name in &names {
        assert!(!name.starts_with("SUPAMCP_") && !name.starts_with("AWS_"), "{name} reached pg_dump");
    }
    assert!(seen.contains(&format!("PGPASSWORD={DB_PASSWORD}")), "pg_dump gets its password: {names:?}");
    assert!(names.contains(&"PATH") && names.contains(&"PGSSLMODE"), "{names:?}");
}

fn walk(dir: &std::path::Path) -> Vec<std::path::PathBuf> {
    let mut found = Vec::new();
    for entry in std::fs::read_dir(dir).into_iter().flatten().flatten() {
        let path = entry.path();
        if path.is_dir() { found.extend(walk(&path)) } else { found.push(path) }
    }
    found
}
