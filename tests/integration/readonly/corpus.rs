//! The corpus of write and side-effect attempts, every one refused through the real binary over MCP on
//! every login read-only mode meets, and afterwards nothing changed (fingerprint from another session, the
//! victim session alive, no file written), while ordinary reads still work and say who enforced them.

use super::fingerprint::{SETUP, fingerprint};
use crate::{mcp_client, support};
use serde_json::{Value, json};

fn corpus(victim_pid: i32, dblink_target: &str, database: &str) -> Vec<String> {
    let fixed = [
        // writes, stacked statements, transaction tricks
        "delete from public.corpus_target",
        "update public.corpus_target set note = 'x'",
        "insert into public.corpus_target values (100, 'x')",
        "merge into public.corpus_target t using (select 1 as id) s on t.id = s.id when matched then delete",
        "truncate public.corpus_target",
        "drop table public.corpus_target",
        "create table public.evil (id int)",
        "grant all on public.corpus_target to anon",
        "commit; drop table public.corpus_target",
        "rollback; delete from public.corpus_target",
        "select 1; delete from public.corpus_target",
        "/* hidden */ delete from public.corpus_target",
        "set transaction read write",
        "set transaction read write; delete from public.corpus_target",
        "select set_config('transaction_read_only', 'off', false)",
        "select set_config('default_transaction_read_only', 'off', false)",
        "select pg_catalog.set_config('role', 'supabase_admin', false)",
        "select set_config('role', 'supabase_admin', true)",
        "select set_config('session_authorization', 'supabase_admin', true)",
        "reset role",
        "set role supabase_admin",
        "select * into public.stolen from public.corpus_target",
        "copy (select 1) to program 'touch /tmp/supamcp-readonly-pwned'",
        "copy public.corpus_target to '/tmp/supamcp-readonly-copy'",
        "do $$ begin delete from public.corpus_target; end $$",
        "call public.wipe()",
        "select public.volatile_wipe()",
        "select nextval('public.counter')",
        "select setval('public.counter', 100)",
        "prepare p as delete from public.corpus_target",
        "execute p",
        "explain analyze delete from public.corpus_target",
        "explain analyze select public.volatile_wipe()",
        "explain (analyze, buffers) select 1",
        "with gone as (delete from public.corpus_target returning *) select count(*) from gone",
        "with x as (select 1) insert into public.corpus_target select 200, 'x' from x",
        "select * from public.corpus_target for update",
        "select * from public.corpus_target for key share",
        "lock table public.corpus_target",
        "vacuum public.corpus_target",
        "notify supamcp",
        "create temp table scratch as select 1",
        "alter system set work_mem = '1GB'",
        // the lexer: carriage-return comments, Unicode escapes, nested comments
        "select 1 --\r, public.volatile_wipe()",
        "select 1 --\r; delete from public.corpus_target",
        "select /* a /* nested */ comment */ public.volatile_wipe()",
        r#"select U&"pg_reload_con\0066"()"#,
        r#"select U&"!0073et_config" UESCAPE '!' ('role', 'supabase_admin', true)"#,
        r#"select pg_catalog.U&"set_confi\+000067"('transaction_read_only', 'off', false)"#,
        "select set_config/**/('role', 'supabase_admin', true)",
        "select $q$ $$ $q$, public.volatile_wipe()",
        "select E'\\'', public.volatile_wipe()",
        // functions that act outside the transaction
        "select pg_reload_conf()",
        "select pg_rotate_logfile()",
        "select pg_stat_reset()",
        "select pg_stat_reset_shared('bgwriter')",
        "select pg_stat_reset_shared('archiver')",
        "select pg_stat_reset_single_table_counters('public.corpus_target'::regclass)",
        "select pg_stat_statements_reset()",
        "select txid_current()",
        "select pg_current_xact_id()",
        "select pg_advisory_lock(42)",
        "select pg_try_advisory_lock(42)",
        "select pg_advisory_xact_lock(42)",
        "select pg_create_physical_replication_slot('supamcp_attack_phys', true)",
        "select pg_create_logical_replication_slot('supamcp_attack_logical', 'test_decoding')",
        "select pg_notify('supamcp', 'x')",
        "select lo_import('/etc/hostname')",
        "select lo_from_bytea(0, 'x')",
        "select pg_read_file('/etc/hostname')",
        "select pg_read_binary_file('/etc/hostname')",
        "select pg_ls_dir('.')",
        "select pg_stat_file('postgresql.conf')",
        "select query_to_xml('delete from public.corpus_target', true, true, '')",
        "select * from ts_stat('select to_tsvector(note) from public.corpus_target')",
    ];
    let mut attempts: Vec<String> = fixed.iter().map(|s| (*s).to_owned()).collect();
    attempts.push(format!("select pg_terminate_backend({victim_pid})"));
    attempts.push(format!("select pg_cancel_backend({victim_pid})"));
    attempts.push(format!(r#"select U&"pg_terminate_backen\0064"({victim_pid})"#));
    attempts.push(format!("select 1 --\r, pg_terminate_backend({victim_pid})"));
    attempts.push(format!("select pg_drop_replication_slot('victim_{database}')"));
    attempts.push(format!("select dblink_exec('{dblink_target}', 'delete from public.corpus_target')"));
    attempts.push(format!(
        "select * from dblink('{dblink_target}', 'update public.corpus_target set note = ''x'' returning 1') as t(x int)"
    ));
    attempts
}

struct Login<'a> {
    user: &'a str,
    supabase_layout: bool,
    read_only_user: Option<&'a str>,
    expected_role: Option<&'a str>,
    enforced_by: &'a str,
}

async fn run_corpus(login: Login<'_>) {
    let hint = format!("corpus_{}_{}", login.user, login.enforced_by);
    let db = if login.supabase_layout {
        support::fresh_database(&hint).await
    } else {
        support::fresh_database_on_plain_cluster(&hint).await
    };
    let admin = db.admin().await;
    admin.batch_execute(SETUP).await.expect("setup");
    admin
        .query_one("select pg_create_physical_replication_slot($1, true)::text", &[&format!("victim_{}", db.name)])
        .await
        .expect("victim slot");
    let victim = db.client_as("supabase_admin").await;
    let victim_pid: i32 = victim.query_one("select pg_backend_pid()", &[]).await.expect("pid").get(0);
    let before = fingerprint(&admin).await;
    let dblink_target = format!(
        "host={} port={} dbname={} user=supabase_admin",
        db.cluster.socket_dir().display(),
        db.cluster.port(),
        db.name
    );

    let url = db.url_as(login.user);
    let read_only_url = login.read_only_user.map(|user| db.url_as(user));
    let mut args = vec!["--read-only", "--database-url", &url];
    if let Some(read_only_url) = &read_only_url {
        args.extend(["--read-only-database-url", read_only_url.as_str()]);
    }
    let server = mcp_client::start(&args).await;
    let attempts = corpus(victim_pid, &dblink_target, &db.name);
    for sql in &attempts {
        let result = server.call("execute_sql", json!({ "sql": sql })).await;
        assert_eq!(
            result.is_error,
            Some(true),
            "as {}, read-only mode let through: {sql:?}\n{}",
            login.user,
            mcp_client::text(&result)
        );
    }
    let error = server.err("execute_sql", json!({"sql": "select 1", "role": "supabase_admin"})).await;
    assert!(error.contains("`role` is refused in read-only mode"), "{error}");

    // Reading still works, including the spellings the lexer must read as PostgreSQL does.
    for (sql, expected) in [
        ("select count(*) as n from public.corpus_target", json!(25)),
        // PostgreSQL ends the comment at the carriage return: the WHERE clause counts.
        ("select count(*) as n from public.corpus_target --\r where id > 20", json!(5)),
        (r#"select count(*) as n from public.U&"corpus_targe\0074" where note <> E'\'' "#, json!(25)),
        ("/* a /* nested */ one */ select count(*) as n from public.corpus_target where note like $$row%$$", json!(25)),
    ] {
        let reply = server.ok("execute_sql", json!({ "sql": sql })).await;
        assert_eq!(reply["rows"][0]["n"], expected, "{sql:?}");
        assert_eq!(reply["read_only"], json!(true));
        assert_eq!(reply["role"], login.expected_role.map_or(Value::Null, |r| json!(r)), "as {}", login.user);
        assert_eq!(reply["read_only_enforcement"]["enforced_by"], json!(login.enforced_by), "{reply}");
    }
    let connection = server.ok("test_connection", json!({})).await;
    assert_eq!(connection["read_only_enforcement"]["enforced_by"], json!(login.enforced_by), "{connection}");
    if login.enforced_by == "supamcp" {
        let how = connection["read_only_enforcement"]["how_to_enforce"].as_str().unwrap_or_default();
        assert!(how.contains("supamcp setup read-only-role"), "{connection}");
    }
    server.stop().await;

    assert_eq!(fingerprint(&admin).await, before, "as {}: the database changed", login.user);
    assert!(victim.query_one("select 1", &[]).await.is_ok(), "as {}: the victim session was killed", login.user);
    for path in ["/tmp/supamcp-readonly-pwned", "/tmp/supamcp-readonly-copy"] {
        assert!(!std::path::Path::new(path).exists(), "as {}: {path} was written", login.user);
    }
}

#[tokio::test]
async fn a_plain_superuser_login_is_held_by_the_guard() {
    let login = Login {
        user: "supabase_admin",
        supabase_layout: false,
        read_only_user: None,
        expected_role: None,
        enforced_by: "supamcp",
    };
    run_corpus(login).await;
}

#[tokio::test]
async fn supabase_admin_on_the_supabase_layout_is_held_by_the_guard_and_the_role() {
    let login = Login {
        user: "supabase_admin",
        supabase_layout: true,
        read_only_user: None,
        expected_role: Some("supabase_read_only_user"),
        enforced_by: "supamcp",
    };
    run_corpus(login).await;
}

#[tokio::test]
async fn postgres_on_the_supabase_layout_is_held_by_the_guard() {
    // postgres is not a member of supabase_read_only_user, so the guard and the transaction carry it alone.
    let login = Login {
        user: "postgres",
        supabase_layout: true,
        read_only_user: None,
        expected_role: None,
        enforced_by: "supamcp",
    };
    run_corpus(login).await;
}

#[tokio::test]
async fn a_read_only_login_makes_postgres_the_wall() {
    let login = Login {
        user: "supabase_admin",
        supabase_layout: true,
        read_only_user: Some("supabase_read_only_user"),
        expected_role: None,
        enforced_by: "database",
    };
    run_corpus(login).await;
}

#[tokio::test]
async fn a_read_only_call_on_a_writable_server_changes_nothing() {
    let db = support::fresh_sample_database("readonly_per_call").await;
    let server = mcp_client::start(&["--database-url", &db.url()]).await;
    let error = server.err("execute_sql", json!({"sql": "delete from public.todos", "read_only": true})).await;
    assert!(error.contains("read-only"), "{error}");
    let count = server.ok("execute_sql", json!({"sql": "select count(*) as n from public.todos"})).await;
    assert_ne!(count["rows"][0]["n"], json!(0));
    server.stop().await;
}
