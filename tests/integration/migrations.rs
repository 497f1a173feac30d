//! Migrations end to end through the real binary on a throwaway cluster: history compatible with the Supabase
//! CLI both ways, atomic apply and dry run, apply_pending stopping at the first failure, statements that refuse
//! transactions, rollback with down files, repair, and drift.

use crate::mcp_client;
use crate::support;

use serde_json::{Value, json};
use std::path::Path;

fn write(dir: &Path, name: &str, sql: &str) {
    std::fs::write(dir.join(name), sql).unwrap();
}

async fn exists(client: &tokio_postgres::Client, relation: &str) -> bool {
    client.query_one("select to_regclass($1) is not null", &[&relation]).await.unwrap().get(0)
}

async fn history(client: &tokio_postgres::Client) -> Vec<(String, String, Vec<String>)> {
    // The CLI's own read query.
    let rows = client
        .query("SELECT version, coalesce(name, '') AS name, statements FROM supabase_migrations.schema_migrations ORDER BY version", &[])
        .await
        .unwrap();
    rows.iter().map(|r| (r.get(0), r.get(1), r.get(2))).collect()
}

#[tokio::test]
async fn history_is_shared_with_the_supabase_cli_both_ways() {
    let db = support::fresh_database("migrations_cli").await;
    let admin = db.client().await;
    // The CLI creates the table like this; the hosted platform adds nullable columns of its own.
    admin
        .batch_execute(
            "CREATE SCHEMA IF NOT EXISTS supabase_migrations;
             CREATE TABLE IF NOT EXISTS supabase_migrations.schema_migrations (version text NOT NULL PRIMARY KEY);
             ALTER TABLE supabase_migrations.schema_migrations ADD COLUMN IF NOT EXISTS statements text[];
             ALTER TABLE supabase_migrations.schema_migrations ADD COLUMN IF NOT EXISTS name text;
             ALTER TABLE supabase_migrations.schema_migrations ADD COLUMN created_by text, ADD COLUMN idempotency_key text, ADD COLUMN rollback text[];
             CREATE TABLE public.notes (id int);
             INSERT INTO supabase_migrations.schema_migrations (version, name, statements)
               VALUES ('20240101000000', 'init', ARRAY['CREATE TABLE public.notes (id int)']);",
        )
        .await
        .unwrap();
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "20240101000000_init.sql", "CREATE TABLE public.notes (id int);\n");
    write(
        dir.path(),
        "20240102000000_add_body.sql",
        "-- add a body\nALTER TABLE public.notes ADD COLUMN body text;\n\n-- done\n",
    );
    let directory = dir.path().to_str().unwrap();
    let server = mcp_client::start(&["--database-url", &db.url()]).await;

    let listed = server.ok("list_migrations", json!({"directory": directory})).await;
    assert_eq!(listed["pending"], json!(["20240102000000"]));
    assert_eq!(listed["drift"], json!([]), "the CLI's row matches the file");
    assert_eq!(listed["migrations"][0]["applied"], json!(true));

    let applied = server.ok("apply_migration", json!({"version": "20240102000000", "directory": directory})).await;
    assert_eq!(applied["transactional"], json!(true));
    assert_eq!(applied["statements"][0]["kind"], json!("ALTER TABLE"));
    let rows = history(&admin).await;
    // As the CLI's SplitAndTrim stores them: the comment stays with its statement, the comment-only tail too.
    assert_eq!(
        rows[1],
        (
            "20240102000000".into(),
            "add_body".into(),
            vec!["-- add a body\nALTER TABLE public.notes ADD COLUMN body text".into(), "-- done".into()]
        )
    );
    let again = server.err("apply_migration", json!({"version": "20240102000000", "directory": directory})).await;
    assert!(again.contains("applied already"), "{again}");
    server.stop().await;
}

#[tokio::test]
async fn apply_is_all_or_nothing_and_dry_runs_leave_nothing() {
    let db = support::fresh_database("migrations_apply").await;
    let client = db.client().await;
    let dir = tempfile::tempdir().unwrap();
    let directory = dir.path().to_str().unwrap();
    let confined = mcp_client::start(&["--database-url", &db.url()]).await;
    let refused =
        confined.err("create_migration", json!({"name": "x", "sql": "select 1", "directory": directory})).await;
    assert!(refused.contains("outside the working directory"), "{refused}");
    assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 0, "nothing was written");
    confined.stop().await;
    let server = mcp_client::start(&["--database-url", &db.url(), "--allow-absolute-paths"]).await;

    let created = server.ok("create_migration", json!({"name": "Add todos", "sql": "create table public.todos (id int primary key);\ninsert into public.todos values (1), (2);", "down_sql": "drop table public.todos;", "directory": directory})).await;
    let version = created["version"].as_str().unwrap().to_owned();
    assert!(created["path"].as_str().unwrap().ends_with("_add_todos.sql"));

    let dry = server.ok("apply_migration", json!({"version": version, "dry_run": true, "directory": directory})).await;
    assert_eq!(dry["statements"][1]["rows_affected"], json!(2));
    assert!(!exists(&client, "public.todos").await, "a dry run leaves no table");
    assert!(history(&client).await.is_empty(), "nor a history row");

    server.ok("apply_migration", json!({"version": version, "directory": directory})).await;
    assert!(exists(&client, "public.todos").await);

    write(dir.path(), "29990101000000_broken.sql", "create table public.half (id int);\nselect 1/0;\n");
    let broken = server.err("apply_migration", json!({"version": "29990101000000", "directory": directory})).await;
    assert!(broken.contains("statement 2 of 2") && broken.contains("22012"), "{broken}");
    assert!(!exists(&client, "public.half").await, "nothing of the failed migration is left");

    let refused = server.err("rollback_migration", json!({"version": version, "directory": directory})).await;
    assert!(refused.contains("confirm"), "{refused}");
    let reverted =
        server.ok("rollback_migration", json!({"version": version, "directory": directory, "confirm": true})).await;
    assert_eq!(reverted["statements"][0]["kind"], json!("DROP TABLE"));
    assert!(!exists(&client, "public.todos").await);
    assert!(history(&client).await.is_empty(), "the history row went with it");
    server.stop().await;
}

#[tokio::test]
async fn apply_pending_stops_at_the_first_failure() {
    let db = support::fresh_database("migrations_pending").await;
    let client = db.client().await;
    let dir = tempfile::tempdir().unwrap();
    let directory = dir.path().to_str().unwrap();
    write(dir.path(), "1_one.sql", "create table public.one (id int);");
    write(dir.path(), "2_two.sql", "create table public.two (id int); insert into public.missing values (1);");
    write(dir.path(), "3_three.sql", "create table public.three (id int);");
    let server = mcp_client::start(&["--database-url", &db.url()]).await;
    let failed = server.err("apply_pending", json!({"directory": directory})).await;
    assert!(
        failed.contains("2_two") && failed.contains("applied before it: 1") && failed.contains("left pending: 2, 3"),
        "{failed}"
    );
    assert!(
        exists(&client, "public.one").await
            && !exists(&client, "public.two").await
            && !exists(&client, "public.three").await
    );

    write(dir.path(), "2_two.sql", "create table public.two (id int);");
    let rest = server.ok("apply_pending", json!({"directory": directory, "up_to": "2"})).await;
    assert_eq!(rest["applied"].as_array().unwrap().len(), 1);
    assert_eq!(rest["remaining"], json!([]));
    let status = server.ok("list_migrations", json!({"directory": directory})).await;
    assert_eq!(status["pending"], json!(["3"]));
    server.stop().await;
}

#[tokio::test]
async fn statements_that_refuse_transactions_are_handled_explicitly() {
    let db = support::fresh_database("migrations_concurrently").await;
    let client = db.client().await;
    client.batch_execute("create table public.t (a int)").await.unwrap();
    let dir = tempfile::tempdir().unwrap();
    let directory = dir.path().to_str().unwrap();
    write(dir.path(), "1_index.sql", "-- build online\ncreate index concurrently t_a on public.t (a);");
    write(dir.path(), "2_mixed.sql", "create table public.u (b int);\ncreate index concurrently u_b on public.u (b);");
    let server = mcp_client::start(&["--database-url", &db.url()]).await;
    let online = server.ok("apply_migration", json!({"version": "1", "directory": directory})).await;
    assert_eq!(online["transactional"], json!(false));
    assert!(exists(&client, "public.t_a").await);
    let mixed = server.err("apply_migration", json!({"version": "2", "directory": directory})).await;
    assert!(mixed.contains("mixes") && mixed.contains("own"), "{mixed}");
    assert!(!exists(&client, "public.u").await);
    server.stop().await;
}

#[tokio::test]
async fn destructive_migrations_need_confirmation_and_drift_is_reported() {
    let db = support::fresh_database("migrations_drift").await;
    let dir = tempfile::tempdir().unwrap();
    let directory = dir.path().to_str().unwrap();
    write(dir.path(), "10_a.sql", "create table public.a (id int);");
    write(dir.path(), "20_drop.sql", "drop table public.a;");
    let server = mcp_client::start(&["--database-url", &db.url()]).await;
    server.ok("apply_migration", json!({"version": "10", "directory": directory})).await;
    let refused = server.err("apply_migration", json!({"version": "20", "directory": directory})).await;
    assert!(refused.contains("confirm: true") && refused.contains("drop table public.a"), "{refused}");
    server.ok("apply_migration", json!({"version": "20", "directory": directory, "confirm": true})).await;

    write(dir.path(), "10_a.sql", "create table public.a (id bigint);");
    std::fs::remove_file(dir.path().join("20_drop.sql")).unwrap();
    write(dir.path(), "15_late.sql", "select 1;");
    let status = server.ok("list_migrations", json!({"directory": directory})).await;
    let kinds: Vec<(Value, Value)> =
        status["drift"].as_array().unwrap().iter().map(|d| (d["version"].clone(), d["kind"].clone())).collect();
    assert_eq!(
        kinds,
        vec![
            (json!("10"), json!("statements_differ")),
            (json!("15"), json!("out_of_order")),
            (json!("20"), json!("applied_without_file"))
        ]
    );
    let blocked = server.err("apply_pending", json!({"directory": directory})).await;
    assert!(blocked.contains("include_all"), "{blocked}");

    let repaired = server
        .ok("repair_migration_history", json!({"versions": ["10"], "status": "applied", "directory": directory}))
        .await;
    assert_eq!(repaired["marked_applied"], json!(["10"]));
    let removed = server
        .ok("repair_migration_history", json!({"versions": ["20"], "status": "reverted", "directory": directory}))
        .await;
    assert_eq!(removed["removed"], json!(1));
    let status = server.ok("list_migrations", json!({"directory": directory})).await;
    assert_eq!(status["drift"], json!([]), "10 matches its file again, 20 is gone, and 15 is now the newest");
    assert_eq!(status["pending"], json!(["15"]));
    server.stop().await;
}
