use super::*;

#[test]
fn reading_statements_pass() {
    for sql in [
        "select 1",
        "  (select 1) union (select 2);",
        "with t as (select 1) select * from t",
        "values (1), (2)",
        "table public.todos",
        "show search_path",
        "explain select 1",
        "explain (verbose, costs off) select 1",
        "select 'pg_read_file(x)' as not_a_call, \"nextval_count\" from t -- nextval(\n",
        "select http_status, lo_size, is_empty from t",
        "select * from logs where message like '%pg_terminate_backend%'",
        "select $$ delete from t $$, E'update \\' x'",
        "select \"update\", \"into\" from t",
    ] {
        assert_eq!(check(sql), Ok(()), "{sql}");
    }
}

#[test]
fn writes_and_side_effects_are_refused() {
    for sql in [
        "delete from t",
        "commit; drop table t",
        "select 1; select 2",
        "set transaction read write",
        "do $$ begin perform 1; end $$",
        "call p()",
        "copy t to program 'id'",
        "alter system set work_mem = '1GB'",
        "prepare p as delete from t",
        "explain analyze delete from t",
        "explain analyze select 1",
        "explain (analyze) select 1",
        "explain (buffers, analyse true) select 1",
        "with gone as (delete from t returning *) select * from gone",
        "select * into stolen from t",
        "select * from t for update",
        "select * from t for no key update",
        "select * from t for key share",
        "select pg_catalog.pg_read_file('/etc/passwd')",
        "select \"pg_terminate_backend\"(1)",
        "select set_config('transaction_read_only', 'off', false)",
        "select set_config('role', 'supabase_admin', true)",
        "select query_to_xml('delete from t', true, true, '')",
        "select PG_ADVISORY_LOCK (1)",
        "select pg_advisory_xact_lock(1)",
        "select nextval('s')",
        "select txid_current()",
        "select pg_current_xact_id()",
        "select pg_stat_reset()",
        "select pg_stat_reset_shared('bgwriter')",
        "select pg_stat_reset_single_table_counters(1)",
        "select extensions.pg_stat_statements_reset()",
        "select pg_create_physical_replication_slot('s', true)",
        "select pg_drop_replication_slot('s')",
        "select dblink_exec('dbname=x', 'delete from t')",
        "select * from dblink('dbname=x', 'select 1') as t(x int)",
        "select lo_unlink(1)",
        "select lives_ok('select pg_terminate_backend(1)')",
        "select net.http_post('http://x')",
        "select (row('GET','http://x',null,null,null)::http_request).http",
        "select x.pg_terminate_backend from t x",
        "",
    ] {
        assert!(check(sql).is_err(), "{sql} should be refused");
    }
}

#[test]
fn the_lexer_tricks_of_the_attack_are_refused() {
    for sql in [
        "select 1 --\r, pg_terminate_backend(1)",
        "select 1 --\r; delete from t",
        r#"select U&"pg_terminate_backen\0064"(1)"#,
        r#"select U&"!0070g_cancel_backend" UESCAPE '!' (1)"#,
        r#"select u&"set_confi\+000067"('role', 'postgres', true)"#,
        "select /* outer /* inner */ still comment */ pg_reload_conf()",
        "select pg_terminate_backend/**/(1)",
        "select pg_terminate_backend\x0b(1)",
        "select $q$ $$ $q$, pg_terminate_backend(1)",
        "select E'\\'', pg_terminate_backend(1)",
        "select 'a''', pg_terminate_backend(1)",
        r#"select U&"\00zz""#,
    ] {
        assert!(check(sql).is_err(), "{sql:?} should be refused");
    }
}

#[test]
fn called_functions_are_read_as_postgres_resolves_them() {
    let tokens = tokenize(r#"select public.F(1), U&"\0067"(2), "Q"(3), x.y from t where g (1)"#).unwrap_or_default();
    assert_eq!(called_functions(&tokens), vec!["f", "g", "Q", "g"]);
}
