//! The database wall: a restricted login cannot do what the guard refuses even with no guard in front of it;
//! a privileged login configured as the read-only login is refused; `supamcp setup read-only-role` makes a
//! restricted login and the server uses it; connections go back to the pool with nothing of a call left.

use super::fingerprint::{SETUP, fingerprint};
use crate::{mcp_client, support};
use serde_json::json;
use std::os::unix::fs::PermissionsExt;
use supamcp::pg::readonly_login;

#[tokio::test]
async fn the_restricted_login_cannot_do_what_the_guard_refuses() {
    let db = support::fresh_database("wall_direct").await;
    let admin = db.admin().await;
    admin.batch_execute(SETUP).await.expect("setup");
    let victim = db.client().await;
    let victim_pid: i32 = victim.query_one("select pg_backend_pid()", &[]).await.expect("pid").get(0);
    let before = fingerprint(&admin).await;

    // No guard and no read-only transaction here: only what PostgreSQL allows this login.
    let login = db.client_as(readonly_login::SUPABASE_READ_ONLY_USER).await;
    let (powers, name) = readonly_login::powers(&login).await.expect("powers");
    assert!(powers.is_empty(), "{powers:?}");
    assert_eq!(name, "supabase_read_only_user");
    let target = format!(
        "host={} port={} dbname={} user=supabase_admin",
        db.cluster.socket_dir().display(),
        db.cluster.port(),
        db.name
    );
    let attempts = [
        "delete from public.corpus_target".to_owned(),
        "update public.corpus_target set note = 'x'".to_owned(),
        "insert into public.corpus_target values (500, 'x')".to_owned(),
        "truncate public.corpus_target".to_owned(),
        "create table public.evil (id int)".to_owned(),
        "select nextval('public.counter')".to_owned(),
        format!("select pg_terminate_backend({victim_pid})"),
        format!("select pg_cancel_backend({victim_pid})"),
        "select pg_reload_conf()".to_owned(),
        "select pg_stat_reset()".to_owned(),
        "select pg_stat_reset_shared('bgwriter')".to_owned(),
        "select pg_read_file('/etc/hostname')".to_owned(),
        "select pg_ls_dir('.')".to_owned(),
        "select lo_import('/etc/hostname')".to_owned(),
        "copy public.corpus_target to '/tmp/supamcp-wall-copy'".to_owned(),
        "select pg_create_physical_replication_slot('supamcp_attack_wall', true)".to_owned(),
        "set role supabase_admin".to_owned(),
        "select set_config('role', 'postgres', false)".to_owned(),
        "set session authorization supabase_admin".to_owned(),
        "alter system set work_mem = '1GB'".to_owned(),
        format!("select dblink_exec('{target}', 'delete from public.corpus_target')"),
        "call public.wipe()".to_owned(),
        "select public.volatile_wipe()".to_owned(),
    ];
    for sql in &attempts {
        let error = login.batch_execute(sql).await.err();
        assert!(error.is_some(), "the read-only login could run: {sql}");
    }
    drop(login);
    assert_eq!(fingerprint(&admin).await, before, "the database changed");
    assert!(victim.query_one("select 1", &[]).await.is_ok(), "the victim session was killed");
    assert!(!std::path::Path::new("/tmp/supamcp-wall-copy").exists());
}

#[tokio::test]
async fn a_privileged_read_only_login_is_refused() {
    let db = support::fresh_database("wall_privileged").await;
    let privileged = db.url_as("postgres");
    let server =
        mcp_client::start(&["--read-only", "--database-url", &db.url(), "--read-only-database-url", &privileged]).await;
    let error = server.err("execute_sql", json!({"sql": "select 1"})).await;
    assert!(error.contains("'postgres'") && error.contains("not restricted by PostgreSQL"), "{error}");
    assert!(error.contains("CREATEROLE") && error.contains("can become"), "{error}");
    let connection = server.ok("test_connection", json!({})).await;
    let problem = connection["read_only_problem"].as_str().unwrap_or_default();
    assert!(problem.contains("not restricted"), "{connection}");
    server.stop().await;
}

#[tokio::test]
async fn supabase_read_only_user_with_a_password_is_the_wall() {
    // Trust authentication in the test cluster: the password is sent and not checked; the login is what counts.
    let db = support::fresh_database("wall_password").await;
    let server = mcp_client::start_with_env(
        &["--read-only", "--database-url", &db.admin_url()],
        &[("SUPAMCP_READ_ONLY_PASSWORD", "configured-ro-password")],
    )
    .await;
    let reply = server.ok("execute_sql", json!({"sql": "select current_user::text as u"})).await;
    assert_eq!(reply["rows"][0]["u"], json!("supabase_read_only_user"));
    assert_eq!(reply["read_only_enforcement"]["enforced_by"], json!("database"));
    assert_eq!(reply["role"], json!(null));
    server.stop().await;
}

fn run_setup(db: &support::TestDb, data_dir: &std::path::Path, role: &str, yes: bool) -> std::process::Output {
    let mut command = std::process::Command::new(env!("CARGO_BIN_EXE_supamcp"));
    command
        .args(["--database-url", &db.admin_url(), "--data-dir"])
        .arg(data_dir)
        .args(["setup", "read-only-role", "--role", role])
        .env("SUPAMCP_LOG", "warn")
        .env_remove("SUPAMCP_CONFIG");
    if yes {
        command.arg("--yes");
    }
    command.output().expect("run supamcp setup")
}

#[tokio::test]
async fn setup_read_only_role_makes_a_restricted_login_the_server_uses() {
    let db = support::fresh_database("wall_setup").await;
    let role = format!("ro_{}", db.name);
    let data_dir = tempfile::tempdir().expect("data dir");
    let admin = db.admin().await;

    let plan = run_setup(&db, data_dir.path(), &role, false);
    assert_eq!(plan.status.code(), Some(1), "{}", String::from_utf8_lossy(&plan.stderr));
    assert!(String::from_utf8_lossy(&plan.stdout).contains("Run again with --yes"));
    let found = admin.query_opt("select 1 from pg_roles where rolname = $1", &[&role]).await.expect("roles");
    assert!(found.is_none(), "the plan alone created the role");

    let done = run_setup(&db, data_dir.path(), &role, true);
    let stdout = String::from_utf8_lossy(&done.stdout).into_owned();
    assert_eq!(done.status.code(), Some(0), "{stdout}\n{}", String::from_utf8_lossy(&done.stderr));
    let row = admin
        .query_one(
            "select rolsuper, rolcanlogin, rolreplication, rolcreaterole, rolbypassrls, \
             pg_has_role(oid, 'pg_read_all_data', 'MEMBER'), rolpassword like 'SCRAM-SHA-256$%' \
             from pg_authid where rolname = $1",
            &[&role],
        )
        .await
        .expect("role");
    let flags: Vec<bool> = (0..7).map(|i| row.get(i)).collect();
    assert_eq!(flags, vec![false, true, false, false, true, true, true]);
    let stored = data_dir.path().join("read-only").join("default.json");
    let mode = |path: &std::path::Path| std::fs::metadata(path).expect("metadata").permissions().mode() & 0o777;
    assert_eq!(mode(&stored), 0o600);
    assert_eq!(mode(&data_dir.path().join("read-only")), 0o700);
    let text = std::fs::read_to_string(&stored).expect("stored login");
    assert!(!stdout.contains(text.split('"').nth(7).unwrap_or("none")), "the password was printed");

    let server = mcp_client::start_in(&["--read-only", "--database-url", &db.admin_url()], data_dir.path()).await;
    let reply = server.ok("execute_sql", json!({"sql": "select current_user::text as u"})).await;
    assert_eq!(reply["rows"][0]["u"], json!(role));
    assert_eq!(reply["read_only_enforcement"]["enforced_by"], json!("database"));
    server.stop().await;

    let refused = run_setup(&db, data_dir.path(), "supabase_admin", true);
    assert_eq!(refused.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&refused.stderr).contains("is a superuser"));
    admin.batch_execute(&format!("drop owned by \"{role}\"; drop role \"{role}\"")).await.expect("drop role");
}

#[tokio::test]
async fn connections_go_back_to_the_pool_clean() {
    let db = support::fresh_database("wall_clean").await;
    let admin = db.admin().await;
    let server = mcp_client::start(&["--database-url", &db.url(), "--pool-size", "1"]).await;
    server.ok("execute_sql", json!({"sql": "select pg_advisory_lock(7)"})).await;
    let locks: i64 = admin
        .query_one(
            "select count(*) from pg_locks l join pg_database d on d.oid = l.database \
             where l.locktype = 'advisory' and d.datname = current_database()",
            &[],
        )
        .await
        .expect("locks")
        .get(0);
    assert_eq!(locks, 0, "a session advisory lock stayed on the pooled connection");
    server.ok("execute_sql", json!({"sql": "select set_config('search_path', 'evil', false)"})).await;
    server.ok("execute_sql", json!({"sql": "select set_config('role', 'anon', false)"})).await;
    let reply = server
        .ok("execute_sql", json!({"sql": "select current_setting('search_path') as path, current_user::text as u"}))
        .await;
    assert_ne!(reply["rows"][0]["path"], json!("evil"));
    assert_eq!(reply["rows"][0]["u"], json!("postgres"));
    server.stop().await;
}
