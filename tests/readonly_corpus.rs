//! Read-only mode against a corpus of write attempts: every one is refused through the real binary over
//! MCP, connected both as `postgres` (what Supabase users hold) and as the superuser `supabase_admin`
//! (the worst case), and afterwards the data, the sequences, the roles, the server files and a victim
//! session are exactly as before.

#![allow(clippy::expect_used, clippy::unwrap_used, clippy::panic)]

mod mcp_client;
mod support;

use serde_json::json;

/// Objects the corpus aims at, created before the server starts.
const SETUP: &str = "
    create procedure public.wipe() language sql as $$ delete from public.todos $$;
    create function public.volatile_wipe() returns int language plpgsql volatile as $$
      begin delete from public.todos; return 1; end $$;
    create sequence public.counter;";

fn corpus(victim_pid: i32) -> Vec<String> {
    let fixed = [
        "delete from public.todos",
        "update public.todos set title = 'x'",
        "insert into public.todos (project_id, title) values (1, 'x')",
        "truncate public.todos",
        "drop table public.todos",
        "create table public.evil (id int)",
        "grant all on public.todos to anon",
        "commit; drop table public.todos",
        "rollback; delete from public.todos",
        "select 1; delete from public.todos",
        "/* hidden */ delete from public.todos",
        "set transaction read write",
        "set transaction read write; delete from public.todos",
        "select set_config('transaction_read_only', 'off', false)",
        "select set_config('default_transaction_read_only', 'off', false)",
        "select pg_catalog.set_config('role', 'supabase_admin', false)",
        "reset role",
        "set role supabase_admin",
        "select * into public.stolen from public.todos",
        "copy (select 1) to program 'touch /tmp/supamcp-readonly-pwned'",
        "copy public.todos to '/tmp/supamcp-readonly-copy'",
        "do $$ begin delete from public.todos; end $$",
        "call public.wipe()",
        "select public.volatile_wipe()",
        "select nextval('public.counter')",
        "select setval('public.counter', 100)",
        "select lo_import('/etc/hostname')",
        "select pg_read_file('/etc/hostname')",
        "select pg_ls_dir('.')",
        "alter system set work_mem = '1GB'",
        "select pg_reload_conf()",
        "prepare p as delete from public.todos",
        "execute p",
        "explain analyze delete from public.todos",
        "with gone as (delete from public.todos returning *) select count(*) from gone",
        "with x as (select 1) insert into public.todos (project_id, title) select 1, 'x' from x",
        "select pg_advisory_lock(42)",
        "select query_to_xml('delete from public.todos', true, true, '')",
        "lock table public.todos",
        "vacuum public.todos",
        "notify supamcp",
        "select * from public.todos for update",
        "create temp table scratch as select 1",
    ];
    let mut attempts: Vec<String> = fixed.iter().map(|s| (*s).to_owned()).collect();
    attempts.push(format!("select pg_terminate_backend({victim_pid})"));
    attempts.push(format!("select pg_cancel_backend({victim_pid})"));
    attempts
}

/// Everything the corpus could change, as one comparable text.
async fn fingerprint(client: &tokio_postgres::Client) -> String {
    let sql = "select concat_ws(' | ',
        (select md5(coalesce(string_agg(t::text, ',' order by t.id), '')) from public.todos t),
        (select count(*) from public.projects),
        (select count(*) from pg_class c join pg_namespace n on n.oid = c.relnamespace where n.nspname = 'public'),
        (select last_value::text || is_called::text from public.counter),
        (select string_agg(rolname || rolsuper::text, ',' order by rolname) from pg_roles),
        (select count(*) from pg_largeobject_metadata),
        (select string_agg(name || '=' || setting, ',' order by name) from pg_file_settings),
        (select count(*) from pg_locks where locktype = 'advisory'),
        (select count(*) from pg_prepared_statements))";
    client.query_one(sql, &[]).await.expect("fingerprint").get(0)
}

async fn run_corpus_as(user: &str, expected_role: Option<&str>) {
    let db = support::fresh_sample_database(&format!("readonly_{user}")).await;
    let admin = db.admin().await;
    admin.batch_execute(SETUP).await.expect("setup");
    let victim = db.client().await;
    let victim_pid: i32 = victim.query_one("select pg_backend_pid()", &[]).await.expect("pid").get(0);
    let before = fingerprint(&admin).await;
    let rows_before: i64 = admin.query_one("select count(*) from public.todos", &[]).await.expect("count").get(0);
    assert!(rows_before > 0, "the sample data has todos");

    let url = db.url_as(user);
    let server = mcp_client::start(&["--read-only", "--database-url", &url]).await;
    let attempts = corpus(victim_pid);
    assert!(attempts.len() >= 25);
    for sql in &attempts {
        let result = server.call("execute_sql", json!({ "sql": sql })).await;
        assert_eq!(
            result.is_error,
            Some(true),
            "as {user}, read-only mode let through: {sql}\n{}",
            mcp_client::text(&result)
        );
    }
    // Reading still works, and runs as the read-only role.
    let reply = server.ok("execute_sql", json!({"sql": "select count(*) as n from public.todos"})).await;
    assert_eq!(reply["rows"][0]["n"], json!(rows_before));
    assert_eq!(reply["read_only"], json!(true));
    assert_eq!(reply["role"], json!(expected_role), "as {user}");
    server.stop().await;

    assert_eq!(fingerprint(&admin).await, before, "as {user}: the database changed");
    assert!(victim.query_one("select 1", &[]).await.is_ok(), "as {user}: the victim session was killed");
    for path in ["/tmp/supamcp-readonly-pwned", "/tmp/supamcp-readonly-copy"] {
        assert!(!std::path::Path::new(path).exists(), "as {user}: {path} was written");
    }
}

#[tokio::test]
async fn write_attempts_are_refused_as_postgres() {
    // postgres is not a member of supabase_read_only_user, so the guard and the transaction carry it alone.
    run_corpus_as("postgres", None).await;
}

#[tokio::test]
async fn write_attempts_are_refused_even_as_a_superuser() {
    run_corpus_as("supabase_admin", Some("supabase_read_only_user")).await;
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
