//! copy_database between two throwaway clusters: dry run, a full copy (schema, data, auth users, sequences,
//! indexes and keys) verified row for row, the conflict strategies, a copy killed mid-way then resumed, a target
//! server killed mid-copy then resumed after its restart, and a failed post-data step retried.

use crate::mcp_client;
use crate::support;

use serde_json::{Value, json};
use supamcp::pg::local_cluster::{BOOTSTRAP_USER, ClusterOptions, LocalCluster};
use support::Slot;

/// A config file naming the two databases `src` and `dst`, connected as the superuser supabase_admin so the
/// copy may turn triggers off.
fn config(dir: &std::path::Path, source: &support::TestDb, target: &support::TestDb) -> String {
    config_for_urls(dir, &source.url_as("supabase_admin"), &target.url_as("supabase_admin"))
}

fn config_for_urls(dir: &std::path::Path, source: &str, target: &str) -> String {
    let path = dir.join("supamcp.toml");
    let text = format!(
        "default_instance = \"src\"\n[instances.src]\ndatabase_url = \"{source}\"\n[instances.dst]\ndatabase_url = \"{target}\"\n"
    );
    std::fs::write(&path, text).unwrap();
    path.to_str().unwrap().to_owned()
}

/// `supamcp call copy_database` (one table at a time) as a child process to interrupt.
fn spawn_copy(cfg: &str, data_dir: &std::path::Path) -> std::process::Child {
    let arguments = json!({"source": "src", "target": "dst", "parallel": 1, "confirm": true}).to_string();
    std::process::Command::new(env!("CARGO_BIN_EXE_supamcp"))
        .args(["--config", cfg, "--data-dir"])
        .arg(data_dir)
        .args(["call", "copy_database", &arguments])
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap()
}

async fn fingerprint(client: &tokio_postgres::Client) -> Vec<String> {
    let mut out = Vec::new();
    for table in ["public.profiles", "public.projects", "public.todos", "auth.users"] {
        let sql = format!(
            "select count(*)::text || ':' || coalesce(md5(string_agg(t::text, ',' order by t::text)), '') from {table} t"
        );
        out.push(client.query_one(&sql, &[]).await.unwrap().get(0));
    }
    out
}

/// The indexes and constraints of the public schema, as definitions: the post-data step builds them in parallel.
async fn definitions(client: &tokio_postgres::Client) -> Vec<String> {
    let sql = "select indexdef from pg_indexes where schemaname = 'public' \
               union all select conrelid::regclass::text || ' ' || conname || ' ' || pg_get_constraintdef(oid) \
               from pg_constraint where connamespace = 'public'::regnamespace order by 1";
    client.query(sql, &[]).await.unwrap().iter().map(|r| r.get(0)).collect()
}

/// Waits until the copy journal in `journal_dir` records `table`, while `child` (the copy) is still running.
fn wait_for_journal(journal_dir: &std::path::Path, table: &str, child: &mut std::process::Child) {
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(120);
    loop {
        // The journal itself, not the temporary file a save writes before renaming it over the journal.
        let journal = std::fs::read_dir(journal_dir)
            .ok()
            .and_then(|mut d| d.find(|e| e.as_ref().is_ok_and(|e| !e.file_name().to_string_lossy().starts_with('.'))))
            .and_then(|e| e.ok())
            .and_then(|e| std::fs::read_to_string(e.path()).ok());
        if journal.is_some_and(|text| text.contains(table)) {
            return;
        }
        assert!(child.try_wait().unwrap().is_none(), "the copy ended before it could be interrupted");
        assert!(std::time::Instant::now() < deadline, "the journal never recorded a table");
        std::thread::sleep(std::time::Duration::from_millis(10));
    }
}

/// Three tables, the middle one big enough to be interrupted in.
const THREE_TABLES: &str = "create table public.aaa (id int primary key, v text);
     insert into public.aaa select g, md5(g::text) from generate_series(1, 1000) g;
     create table public.big (id bigint primary key, v text, t timestamptz);
     insert into public.big select g, repeat(md5(g::text), 2), now() from generate_series(1, 400000) g;
     create table public.ccc (id int primary key);
     insert into public.ccc select generate_series(1, 10);";

async fn same_rows(source: &tokio_postgres::Client, target: &tokio_postgres::Client) {
    for table in ["public.aaa", "public.big", "public.ccc"] {
        let sql = format!("select count(*)::text || ':' || md5(string_agg(t::text, ',' order by t.id)) from {table} t");
        let left: String = source.query_one(&sql, &[]).await.unwrap().get(0);
        let right: String = target.query_one(&sql, &[]).await.unwrap().get(0);
        assert_eq!(left, right, "{table}");
    }
}

#[tokio::test]
async fn a_full_copy_is_identical_and_conflicts_follow_the_strategy() {
    let source = support::fresh_database_in(Slot::A, "copy_src", true).await;
    let target = support::fresh_database_in(Slot::B, "copy_dst", false).await;
    let dir = tempfile::tempdir().unwrap();
    let server = mcp_client::start(&["--config", &config(dir.path(), &source, &target)]).await;

    let plan = server
        .ok("copy_database", json!({"source": "src", "target": "dst", "include_auth": true, "dry_run": true}))
        .await;
    let planned: Vec<&str> = plan["tables"].as_array().unwrap().iter().map(|t| t["table"].as_str().unwrap()).collect();
    assert!(planned.contains(&"public.todos") && planned.contains(&"auth.users"), "{planned:?}");
    assert!(plan["tables"].as_array().unwrap().iter().all(|t| t["status"] == "planned"));
    let target_client = target.admin().await;
    let exists: bool =
        target_client.query_one("select to_regclass('public.todos') is not null", &[]).await.unwrap().get(0);
    assert!(!exists, "a dry run changes nothing");
    let refused = server.err("copy_database", json!({"source": "src", "target": "dst"})).await;
    assert!(refused.contains("confirm"), "{refused}");

    let copied = server
        .ok("copy_database", json!({"source": "src", "target": "dst", "include_auth": true, "confirm": true}))
        .await;
    assert_eq!(copied["schema_copied"], json!(true));
    assert_eq!(copied["triggers_disabled"], json!(true));
    assert_eq!(copied["binary"], json!(true));
    assert!(copied["sequences_set"].as_u64().unwrap() >= 2, "{copied}");
    let source_client = source.admin().await;
    assert_eq!(fingerprint(&target_client).await, fingerprint(&source_client).await);
    let built = definitions(&target_client).await;
    assert!(built.iter().any(|d| d.contains("PRIMARY KEY")) && built.iter().any(|d| d.contains("FOREIGN KEY")));
    assert_eq!(built, definitions(&source_client).await, "every index and constraint rebuilt on the target");
    // Identity sequences continue after the copied rows.
    let next: i64 = target_client
        .query_one(
            "insert into public.projects (owner_id, name) select id, 'new' from auth.users limit 1 returning id",
            &[],
        )
        .await
        .unwrap()
        .get(0);
    let max: i64 = source_client.query_one("select max(id) from public.projects", &[]).await.unwrap().get(0);
    assert!(next > max, "sequence set: next id {next} after {max}");
    target_client.execute("delete from public.projects where name = 'new'", &[]).await.unwrap();

    let again = server
        .err("copy_database", json!({"source": "src", "target": "dst", "include_schema": false, "confirm": true}))
        .await;
    assert!(again.contains("already holds rows") && again.contains("truncate"), "{again}");
    let skipped = server
        .ok(
            "copy_database",
            json!({"source": "src", "target": "dst", "include_schema": false, "conflict": "skip", "confirm": true}),
        )
        .await;
    assert!(skipped["tables"].as_array().unwrap().iter().all(|t| t["status"] == "skipped"), "{skipped}");

    target_client.execute("delete from public.todos where id % 3 = 0", &[]).await.unwrap();
    let merged = server.ok("copy_database", json!({"source": "src", "target": "dst", "tables": ["public.todos"], "include_schema": false, "conflict": "merge", "confirm": true})).await;
    assert_eq!(merged["tables"][0]["rows"], json!(100), "the deleted third of 300 todos came back: {merged}");
    assert_eq!(fingerprint(&target_client).await, fingerprint(&source_client).await);

    let truncated = server.ok("copy_database", json!({"source": "src", "target": "dst", "tables": ["public.todos"], "include_schema": false, "conflict": "truncate", "confirm": true})).await;
    assert_eq!(truncated["tables"][0]["rows"], json!(300));
    assert_eq!(fingerprint(&target_client).await, fingerprint(&source_client).await);

    let compatible = server.ok("check_compatibility", json!({"source": "src", "target": "dst"})).await;
    assert_eq!(compatible["compatible"], json!(true), "{compatible}");
    server.stop().await;
}

#[tokio::test]
async fn missing_roles_and_extensions_are_found_before_copying() {
    let source = support::fresh_database_in(Slot::A, "compat_src", false).await;
    let target = support::fresh_database_in(Slot::B, "compat_dst", false).await;
    let admin = source.admin().await;
    admin
        .batch_execute(
            "create extension if not exists pg_trgm;
             do $$ begin if not exists (select 1 from pg_roles where rolname = 'reporting_only_on_a') then create role reporting_only_on_a; end if; end $$;
             create table public.reports (id int primary key);
             alter table public.reports enable row level security;
             create policy reports_read on public.reports for select to reporting_only_on_a using (true);",
        )
        .await
        .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let server = mcp_client::start(&["--config", &config(dir.path(), &source, &target)]).await;
    let report = server.ok("check_compatibility", json!({"source": "src", "target": "dst"})).await;
    let kinds: Vec<&str> = report["findings"].as_array().unwrap().iter().map(|f| f["kind"].as_str().unwrap()).collect();
    assert_eq!(report["compatible"], json!(false));
    assert!(kinds.contains(&"role_missing") && kinds.contains(&"extension_not_installed"), "{report}");
    let refused = server.err("copy_database", json!({"source": "src", "target": "dst", "confirm": true})).await;
    assert!(refused.contains("reporting_only_on_a"), "{refused}");
    server.stop().await;
}

#[tokio::test]
async fn a_killed_copy_resumes_where_it_stopped() {
    let source = support::fresh_database_in(Slot::A, "resume_src", false).await;
    let target = support::fresh_database_in(Slot::B, "resume_dst", false).await;
    source.admin().await.batch_execute(THREE_TABLES).await.unwrap();
    let dir = tempfile::tempdir().unwrap();
    let cfg = config(dir.path(), &source, &target);
    let data_dir = dir.path().join("data");
    let mut child = spawn_copy(&cfg, &data_dir);
    // Kill it once the journal records the first table and before the whole copy is done.
    let journal_dir = data_dir.join("copies");
    wait_for_journal(&journal_dir, "public.aaa", &mut child);
    child.kill().unwrap();
    child.wait().unwrap();

    let server = mcp_client::start_in(&["--config", &cfg], &data_dir).await;
    let resumed =
        server.ok("copy_database", json!({"source": "src", "target": "dst", "parallel": 1, "confirm": true})).await;
    let status: Vec<(Value, Value)> =
        resumed["tables"].as_array().unwrap().iter().map(|t| (t["table"].clone(), t["status"].clone())).collect();
    assert_eq!(status[0], (json!("public.aaa"), json!("done_before")), "{resumed}");
    assert_eq!(resumed["schema_copied"], json!(false), "the schema step was done before the kill");
    same_rows(&source.admin().await, &target.admin().await).await;
    assert!(std::fs::read_dir(&journal_dir).unwrap().next().is_none(), "a completed copy removes its journal");
    server.stop().await;
}

#[tokio::test]
async fn the_copy_subcommand_runs_the_same_tool() {
    let source = support::fresh_database_in(Slot::A, "cli_copy_src", true).await;
    let target = support::fresh_database_in(Slot::B, "cli_copy_dst", false).await;
    let dir = tempfile::tempdir().unwrap();
    let cfg = config(dir.path(), &source, &target);
    let run = |extra: &[&str]| {
        std::process::Command::new(env!("CARGO_BIN_EXE_supamcp"))
            .args(["--config", &cfg, "--data-dir"])
            .arg(dir.path().join("data"))
            .args(["copy", "src", "dst"])
            .args(extra)
            .env("SUPAMCP_LOG", "error")
            .output()
            .unwrap()
    };
    let plan = run(&["--dry-run"]);
    assert!(plan.status.success(), "{}", String::from_utf8_lossy(&plan.stderr));
    let plan: Value = serde_json::from_slice(&plan.stdout).unwrap();
    assert!(plan["tables"].as_array().unwrap().iter().any(|t| t["table"] == "public.todos"));
    let refused = run(&[]);
    assert_eq!(refused.status.code(), Some(1));
    assert!(
        String::from_utf8_lossy(&refused.stderr).contains("--yes")
            || String::from_utf8_lossy(&refused.stderr).contains("confirm")
    );
    let copied = run(&["--yes", "--parallel", "2", "--include-auth"]);
    assert!(copied.status.success(), "{}", String::from_utf8_lossy(&copied.stderr));
    let rows: i64 = target.admin().await.query_one("select count(*) from public.todos", &[]).await.unwrap().get(0);
    assert_eq!(rows, 300);
}

#[tokio::test]
async fn a_failed_post_data_step_is_retried_and_keeps_what_it_built() {
    // The sample app's tables reference auth.users; copied without include_auth, their foreign keys cannot be
    // added on a target whose auth.users is empty, after the primary keys were built.
    let source = support::fresh_database_in(Slot::A, "post_src", true).await;
    let target = support::fresh_database_in(Slot::B, "post_dst", false).await;
    let dir = tempfile::tempdir().unwrap();
    let server = mcp_client::start(&["--config", &config(dir.path(), &source, &target)]).await;
    let arguments = json!({"source": "src", "target": "dst", "schemas": ["public"], "confirm": true});
    let failed = server.err("copy_database", arguments.clone()).await;
    assert!(failed.contains("indexes and constraints") && failed.contains("include_auth"), "{failed}");
    let target_client = target.admin().await;
    let primary_keys =
        "select count(*) from pg_constraint where connamespace = 'public'::regnamespace and contype = 'p'";
    let built: i64 = target_client.query_one(primary_keys, &[]).await.unwrap().get(0);
    assert!(built > 0, "the primary keys were built before the foreign keys failed");

    server
        .ok(
            "copy_database",
            json!({"source": "src", "target": "dst", "tables": ["auth.users"], "schemas": ["auth"], "include_schema": false, "confirm": true}),
        )
        .await;
    let resumed = server.ok("copy_database", arguments).await;
    assert!(resumed["tables"].as_array().unwrap().iter().all(|t| t["status"] == "done_before"), "{resumed}");
    let source_client = source.admin().await;
    assert_eq!(definitions(&target_client).await, definitions(&source_client).await);
    server.stop().await;
}

#[tokio::test]
async fn a_target_server_killed_mid_copy_is_resumed_after_it_restarts() {
    let source = support::fresh_database_in(Slot::A, "crash_src", false).await;
    source.admin().await.batch_execute(THREE_TABLES).await.unwrap();
    // A private target cluster: killing it must not disturb the other tests' clusters.
    let mut cluster = tokio::task::spawn_blocking(|| LocalCluster::start(&ClusterOptions::default()))
        .await
        .unwrap()
        .unwrap_or_else(|failure| panic!("{failure}"));
    cluster.create_database("crash_dst", None).await.unwrap();
    let dir = tempfile::tempdir().unwrap();
    let cfg = config_for_urls(dir.path(), &source.url_as("supabase_admin"), &cluster.url("crash_dst", BOOTSTRAP_USER));
    let data_dir = dir.path().join("data");
    let mut child = spawn_copy(&cfg, &data_dir);
    wait_for_journal(&data_dir.join("copies"), "public.aaa", &mut child);
    cluster.stop().unwrap();
    let crashed = child.wait_with_output().unwrap();
    assert!(!crashed.status.success(), "the copy fails when its target goes away");
    let said = String::from_utf8_lossy(&crashed.stderr);
    assert!(said.contains("public.big"), "the failure names the table it was copying: {said}");

    let cluster = tokio::task::spawn_blocking(move || {
        cluster.restart().unwrap_or_else(|failure| panic!("{failure}"));
        cluster
    })
    .await
    .unwrap();
    let server = mcp_client::start_in(&["--config", &cfg], &data_dir).await;
    let resumed =
        server.ok("copy_database", json!({"source": "src", "target": "dst", "parallel": 1, "confirm": true})).await;
    assert_eq!(resumed["tables"][0]["status"], json!("done_before"), "{resumed}");
    assert_eq!(resumed["tables"][1]["status"], json!("copied"), "{resumed}");
    let target = cluster.connect("crash_dst", BOOTSTRAP_USER).await.unwrap();
    same_rows(&source.admin().await, &target).await;
    server.stop().await;
}
