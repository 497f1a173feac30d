//! Calls written for the official server, answered by the real binary on a real database: `execute_sql` with
//! `query`, `apply_migration` with `name` + `query` (file written, applied, recorded; nothing left behind
//! when it fails), `project_id` by instance name and by project ref, and the official `--features` names.

use crate::mcp_client;
use crate::support;
use crate::tool_catalog::tools_with_env;
use serde_json::json;

const REF: &str = "abcdefghijklmnopqrst";

#[test]
fn official_feature_names_select_our_groups() {
    let listed = tools_with_env(&["--features", "database,docs"], &[]);
    let names: Vec<&str> = listed.iter().filter_map(|t| t["name"].as_str()).collect();
    for wanted in ["execute_sql", "list_tables", "list_extensions", "list_migrations", "apply_migration"] {
        assert!(names.contains(&wanted), "{wanted} missing from {names:?}");
    }
    assert!(!names.contains(&"health_check"), "debugging was not asked for: {names:?}");
    let debugging = tools_with_env(&["--features", "debugging"], &[]);
    assert!(debugging.iter().any(|t| t["name"] == "get_advisors"));
}

#[tokio::test]
async fn official_calls_work_unchanged() {
    let db = support::fresh_database("compat_calls").await;
    let client = db.client().await;
    let cwd = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(cwd.path().join("supabase/migrations")).unwrap();
    let env = [("SUPABASE_URL", "https://abcdefghijklmnopqrst.supabase.co")];
    let server = mcp_client::start_in_dir(&["--database-url", &db.url()], &env, cwd.path()).await;

    let rows = server.ok("execute_sql", json!({"query": "select 41 + 1 as answer", "project_id": REF})).await;
    assert_eq!(rows["rows"][0]["answer"], json!(42));
    let by_name = server.ok("execute_sql", json!({"query": "select 1 as one", "project_id": "default"})).await;
    assert_eq!(by_name["rows"][0]["one"], json!(1));
    let both = server.err("execute_sql", json!({"query": "select 1", "sql": "select 2"})).await;
    assert!(both.contains("both sql and query"), "{both}");
    let unknown = server.err("execute_sql", json!({"query": "select 1", "project_id": "zzzzzzzzzzzzzzzzzzzz"})).await;
    assert!(unknown.contains("names no configured instance") && unknown.contains(REF), "{unknown}");

    let applied = server
        .ok("apply_migration", json!({"project_id": REF, "name": "create_notes", "query": "create table public.notes (id bigint primary key, body text);"}))
        .await;
    let version = applied["version"].as_str().unwrap().to_owned();
    let file = applied["file"].as_str().unwrap().to_owned();
    assert!(file.ends_with(&format!("supabase/migrations/{version}_create_notes.sql")), "{file}");
    assert!(std::path::Path::new(&file).is_file());
    let recorded: i64 = client
        .query_one(
            "select count(*) from supabase_migrations.schema_migrations where version = $1 and name = 'create_notes'",
            &[&version],
        )
        .await
        .unwrap()
        .get(0);
    assert_eq!(recorded, 1, "the history records the migration");
    let listed = server.ok("list_migrations", json!({"project_id": REF})).await;
    assert!(listed.to_string().contains(&version), "{listed}");
    let tables = server.ok("list_tables", json!({"project_id": REF, "schemas": ["public"]})).await;
    assert!(tables.to_string().contains("notes"), "{tables}");

    let failed = server
        .err(
            "apply_migration",
            json!({"name": "broken_one", "query": "create table public.half (id int); select 1/0;"}),
        )
        .await;
    assert!(failed.contains("22012"), "{failed}");
    let left: Vec<_> = std::fs::read_dir(cwd.path().join("supabase/migrations"))
        .unwrap()
        .filter_map(|e| e.ok())
        .filter(|e| e.file_name().to_string_lossy().contains("broken_one"))
        .collect();
    assert!(left.is_empty(), "the file of a failed apply is removed");
    let refused =
        server.err("apply_migration", json!({"name": "drop_notes", "query": "drop table public.notes;"})).await;
    assert!(refused.contains("confirm"), "{refused}");
    let dry = server
        .ok("apply_migration", json!({"name": "drop_notes", "query": "drop table public.notes;", "dry_run": true}))
        .await;
    assert_eq!(dry["dry_run"], json!(true));
    assert!(dry.get("file").is_none(), "a dry run keeps no file: {dry}");
    let files = std::fs::read_dir(cwd.path().join("supabase/migrations")).unwrap().count();
    assert_eq!(files, 1, "only the applied migration's file is left");
    let neither = server.err("apply_migration", json!({"name": "no_sql"})).await;
    assert!(neither.contains("either version, or name and query"), "{neither}");
    server.stop().await;
}

#[tokio::test]
async fn without_a_project_directory_the_migration_goes_to_the_data_directory() {
    let db = support::fresh_database("compat_nodir").await;
    let cwd = tempfile::tempdir().unwrap();
    let server = mcp_client::start_in_dir(&["--database-url", &db.url()], &[], cwd.path()).await;
    let applied = server
        .ok("apply_migration", json!({"name": "add_flags", "query": "create table public.flags (id int);"}))
        .await;
    let file = applied["file"].as_str().unwrap();
    assert!(file.contains("/migrations/default/") && std::path::Path::new(file).is_file(), "{file}");
    assert!(!cwd.path().join("supabase").exists(), "nothing written into the working directory");
    server.stop().await;
}

#[tokio::test]
async fn with_project_ref_the_calls_need_no_project_id() {
    let db = support::fresh_database("compat_scoped").await;
    let env = [("SUPABASE_URL", "https://abcdefghijklmnopqrst.supabase.co")];
    let server = mcp_client::start_with_env(&["--database-url", &db.url(), "--project-ref", REF], &env).await;
    let tools = server.client.list_all_tools().await.unwrap();
    let execute = tools.iter().find(|t| t.name == "execute_sql").unwrap();
    assert!(execute.input_schema.get("properties").unwrap().get("project_id").is_none(), "project_id is injected");
    let rows = server.ok("execute_sql", json!({"query": "select 7 as seven"})).await;
    assert_eq!(rows["rows"][0]["seven"], json!(7));
    let other = server.err("execute_sql", json!({"query": "select 1", "project_id": "zzzzzzzzzzzzzzzzzzzz"})).await;
    assert!(other.contains("scoped to project"), "{other}");
    server.stop().await;
}
