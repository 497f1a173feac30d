//! The schema diff converges: for every case of `fixtures/diff/<case>/{source,target}.sql`, source.sql is
//! loaded on cluster A and target.sql on cluster B, the diff is applied to B in one transaction, and diffing
//! again gives nothing (and the first script holds the lines of the case's optional expect.txt). Then `generate_diff` and `create_migration` with from_diff through the real binary,
//! including a migrations directory applied to a scratch database. And migra (PyPI) on the same pairs: whether
//! its script applies and converges is recorded (printed as a table), not asserted.

use crate::mcp_client;
use crate::support;

use serde_json::json;
use std::path::{Path, PathBuf};
use supamcp::diff::{self, Diff, DiffOptions, ExtractOptions};
use support::Slot;

fn cases() -> Vec<PathBuf> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/diff");
    let mut cases: Vec<PathBuf> = std::fs::read_dir(root).unwrap().map(|e| e.unwrap().path()).collect();
    cases.sort();
    cases
}

async fn diff_of(source: &tokio_postgres::Client, target: &tokio_postgres::Client, allow: bool) -> Diff {
    let options = ExtractOptions::default();
    let source = diff::extract(source, &options).await.unwrap();
    let target = diff::extract(target, &options).await.unwrap();
    diff::diff(&source, &target, DiffOptions { allow_destructive: allow })
}

/// Runs one case; `Err` describes how it failed.
async fn converge(case: &Path) -> Result<usize, String> {
    let name = case.file_name().unwrap().to_string_lossy().into_owned();
    let a = support::fresh_database_in(Slot::A, &name, false).await;
    let b = support::fresh_database_in(Slot::B, &name, false).await;
    let (source, target) = (a.admin().await, b.admin().await);
    source.batch_execute(&std::fs::read_to_string(case.join("source.sql")).unwrap()).await.unwrap();
    target.batch_execute(&std::fs::read_to_string(case.join("target.sql")).unwrap()).await.unwrap();

    let held = diff_of(&source, &target, false).await;
    assert!(held.statements.iter().all(|s| !s.destructive), "{name}: a destructive statement in the main script");
    assert!(held.held_back.iter().all(|s| s.destructive), "{name}: a held-back statement not marked destructive");
    let full = diff_of(&source, &target, true).await;
    if full.is_empty() {
        return Err(format!("{name}: the first diff is empty"));
    }
    assert!(full.held_back.is_empty());
    let script = full.script();
    // Lines the first script must hold (`expect.txt`, optional): the diff saw what the case is about.
    if let Ok(expected) = std::fs::read_to_string(case.join("expect.txt")) {
        for line in expected.lines().filter(|l| !l.trim().is_empty()) {
            if !script.contains(line.trim()) {
                return Err(format!("{name}: the script lacks `{}`:\n{script}", line.trim()));
            }
        }
    }
    if let Err(e) = target.batch_execute(&format!("BEGIN;\n{script}\nCOMMIT;")).await {
        let _ = target.batch_execute("ROLLBACK").await;
        return Err(format!("{name}: applying the diff failed: {e:?}\n{script}"));
    }
    let again = diff_of(&source, &target, true).await;
    if !again.is_empty() {
        return Err(format!("{name}: not converged; first script:\n{script}\nsecond script:\n{}", again.script()));
    }
    // The default mode: the script, then (after review) the held-back statements, on a second copy.
    let c = support::fresh_database_in(Slot::B, &name, false).await;
    let second = c.admin().await;
    second.batch_execute(&std::fs::read_to_string(case.join("target.sql")).unwrap()).await.unwrap();
    for part in [held.script(), held.held_back_script()] {
        if let Err(e) = second.batch_execute(&format!("BEGIN;\n{part}\nCOMMIT;")).await {
            return Err(format!("{name}: the script or its held-back part failed: {e:?}\n{part}"));
        }
    }
    let again = diff_of(&source, &second, true).await;
    if !again.is_empty() {
        return Err(format!("{name}: script + held-back part did not converge:\n{}", again.script()));
    }
    Ok(full.statements.len())
}

#[tokio::test]
async fn every_case_converges() {
    let cases = cases();
    assert!(cases.len() >= 15, "the corpus has {} cases", cases.len());
    let mut failures = Vec::new();
    for case in &cases {
        match converge(case).await {
            Ok(statements) => eprintln!("{}: {statements} statements, converged", case.display()),
            Err(failure) => failures.push(failure),
        }
    }
    assert!(failures.is_empty(), "{} of {} cases failed:\n\n{}", failures.len(), cases.len(), failures.join("\n\n"));
}

#[tokio::test]
async fn identical_databases_give_an_empty_diff() {
    let a = support::fresh_database_in(Slot::A, "diff_same", true).await;
    let b = support::fresh_database_in(Slot::B, "diff_same", true).await;
    let d = diff_of(&a.admin().await, &b.admin().await, true).await;
    assert!(d.is_empty(), "{}", d.script());
}

fn config(dir: &Path, source: &support::TestDb, target: &support::TestDb) -> String {
    let path = dir.join("supamcp.toml");
    let text = format!(
        "default_instance = \"dst\"\n[instances.src]\ndatabase_url = \"{}\"\n[instances.dst]\ndatabase_url = \"{}\"\n",
        source.url_as("supabase_admin"),
        target.url_as("supabase_admin")
    );
    std::fs::write(&path, text).unwrap();
    path.to_str().unwrap().to_owned()
}

#[tokio::test]
async fn generate_diff_and_create_migration_through_the_binary() {
    let source = support::fresh_database_in(Slot::A, "diff_tool_src", true).await;
    let target = support::fresh_database_in(Slot::B, "diff_tool_dst", false).await;
    target.admin().await.batch_execute("CREATE TABLE public.extra (id int)").await.unwrap();
    let dir = tempfile::tempdir().unwrap();
    let migrations = dir.path().join("migrations");
    // The migrations directory is a temporary one, outside the working directory of the test.
    let server =
        mcp_client::start(&["--config", &config(dir.path(), &source, &target), "--allow-absolute-paths"]).await;

    let diff = server.ok("generate_diff", json!({"source": "src", "target": "dst"})).await;
    assert_eq!(diff["empty"], json!(false));
    let script = diff["script"].as_str().unwrap();
    assert!(script.contains("CREATE TABLE public.todos"), "{script}");
    assert!(!script.contains("DROP TABLE"), "destructive statements stay out of the script: {script}");
    let held: Vec<&str> = diff["held_back"].as_array().unwrap().iter().map(|s| s["sql"].as_str().unwrap()).collect();
    assert_eq!(held, vec!["DROP TABLE public.extra"]);
    assert!(diff["statements"].as_array().unwrap().iter().any(|s| s["kind"] == "create policy"));

    let created = server
        .ok(
            "create_migration",
            json!({"name": "sync from src", "directory": migrations, "from_diff": {"source": "src", "target": "dst"}}),
        )
        .await;
    assert_eq!(created["held_back"], json!(["DROP TABLE public.extra"]));
    let written = std::fs::read_to_string(created["path"].as_str().unwrap()).unwrap();
    assert!(written.contains("CREATE TABLE public.todos") && !written.contains("DROP TABLE"), "{written}");

    // The directory as the source: applied to a scratch database, it equals the target once the target has
    // the migration too; the scratch database is gone afterwards.
    let version = created["version"].as_str().unwrap();
    server.ok("apply_migration", json!({"version": version, "directory": migrations, "instance": "dst"})).await;
    let again = server.ok("generate_diff", json!({"source_migrations_dir": migrations, "target": "dst"})).await;
    assert_eq!(again["counts"]["statements"], json!(0), "{again}");
    assert_eq!(again["counts"]["held_back"], json!(1), "{again}");
    let scratch: i64 = target
        .admin()
        .await
        .query_one("select count(*) from pg_database where datname like 'supamcp_scratch_%'", &[])
        .await
        .unwrap()
        .get(0);
    assert_eq!(scratch, 0);

    // The CLI subcommand: the same tool, JSON on stdout.
    let cli = std::process::Command::new(env!("CARGO_BIN_EXE_supamcp"))
        .args(["--config", &config(dir.path(), &source, &target), "diff", "--source", "src", "--target", "dst"])
        .stdin(std::process::Stdio::null())
        .output()
        .unwrap();
    assert!(cli.status.success(), "{}", String::from_utf8_lossy(&cli.stderr));
    let printed: serde_json::Value = serde_json::from_slice(&cli.stdout).unwrap();
    assert_eq!(printed["counts"]["held_back"], json!(1), "{printed}");

    let refused = server
        .err(
            "create_migration",
            json!({"name": "nothing", "directory": migrations, "from_diff": {"source_migrations_dir": migrations}}),
        )
        .await;
    assert!(refused.contains("only destructive statements differ"), "{refused}");
    server.stop().await;

    // Read-only mode lists generate_diff (it reads) but refuses the scratch database.
    let read_only = mcp_client::start(&["--config", &config(dir.path(), &source, &target), "--read-only"]).await;
    let listed = read_only.ok("generate_diff", json!({"source": "src", "target": "dst"})).await;
    assert_eq!(listed["counts"]["held_back"], json!(1));
    let refused = read_only.err("generate_diff", json!({"source_migrations_dir": migrations, "target": "dst"})).await;
    assert!(refused.contains("read-only mode"), "{refused}");
    read_only.stop().await;

    // A diff larger than the spill threshold: the first statements in the reply, all of them behind a
    // read_result handle, and the whole script in a file.
    let small = dir.path().join("small.toml");
    let text = std::fs::read_to_string(config(dir.path(), &source, &target)).unwrap();
    std::fs::write(&small, format!("spill_threshold_bytes = 2000\n{text}")).unwrap();
    let server = mcp_client::start(&["--config", small.to_str().unwrap()]).await;
    let spilled = server.ok("generate_diff", json!({"source": "src", "target": "dst"})).await;
    assert_eq!(spilled["script"], json!(null), "{spilled}");
    let script_file = spilled["spilled"]["script_file"].as_str().unwrap();
    let whole = std::fs::read_to_string(script_file).unwrap();
    let first = spilled["statements"][0]["sql"].as_str().unwrap();
    assert!(whole.contains(first) && whole.contains("-- DROP TABLE public.extra"), "{whole}");
    let total = spilled["counts"]["statements"].as_u64().unwrap() + 1;
    let page = server.ok("read_result", json!({"handle": spilled["spilled"]["handle"], "limit": 1000})).await;
    assert_eq!(page["total_rows"], json!(total), "{page}");
    server.stop().await;

    // A login without CREATEDB is told so, with the fix.
    target
        .admin()
        .await
        .batch_execute(
            "DO $$ BEGIN CREATE ROLE diff_no_createdb LOGIN; EXCEPTION WHEN duplicate_object THEN NULL; END $$",
        )
        .await
        .unwrap();
    let limited = dir.path().join("limited.toml");
    std::fs::write(&limited, format!("[instances.dst]\ndatabase_url = \"{}\"\n", target.url_as("diff_no_createdb")))
        .unwrap();
    let server = mcp_client::start(&["--config", limited.to_str().unwrap()]).await;
    let refused = server.err("generate_diff", json!({"source_migrations_dir": migrations})).await;
    assert!(refused.contains("lacks CREATEDB") && refused.contains("diff_no_createdb"), "{refused}");
    server.stop().await;
}

/// migra's script turning `target` into `source` (`migra --unsafe --with-privileges TARGET SOURCE`).
fn migra(source: &support::TestDb, target: &support::TestDb) -> Result<String, String> {
    let url = |db: &support::TestDb| db.url_as("supabase_admin").replacen("postgres://", "postgresql+psycopg2://", 1);
    let output = std::process::Command::new("migra")
        .args(["--unsafe", "--with-privileges", &url(target), &url(source)])
        .stdin(std::process::Stdio::null())
        .output()
        .map_err(|e| format!("migra did not start ({e}): run scripts/test.sh, which installs it"))?;
    // 0: no differences, 2: differences printed; anything else is a failure.
    match output.status.code() {
        Some(0 | 2) => Ok(String::from_utf8_lossy(&output.stdout).into_owned()),
        _ => Err(String::from_utf8_lossy(&output.stderr).lines().last().unwrap_or_default().to_owned()),
    }
}

/// One row of the comparison: case, migra's script applied, then empty by our diff, then empty by migra.
async fn migra_case(case: &Path) -> (String, String, String, String) {
    let name = case.file_name().unwrap().to_string_lossy().into_owned();
    let a = support::fresh_database_in(Slot::A, &format!("migra_{name}"), false).await;
    let b = support::fresh_database_in(Slot::B, &format!("migra_{name}"), false).await;
    let (source, target) = (a.admin().await, b.admin().await);
    source.batch_execute(&std::fs::read_to_string(case.join("source.sql")).unwrap()).await.unwrap();
    target.batch_execute(&std::fs::read_to_string(case.join("target.sql")).unwrap()).await.unwrap();
    let script = match migra(&a, &b) {
        Ok(script) => script,
        Err(e) => return (name, format!("migra failed: {e}"), "-".into(), "-".into()),
    };
    if let Err(e) = target.batch_execute(&format!("BEGIN;\n{script}\nCOMMIT;")).await {
        let _ = target.batch_execute("ROLLBACK").await;
        let reason = e.as_db_error().map(|d| d.message().to_owned()).unwrap_or_else(|| e.to_string());
        return (name, format!("fails: {}", reason.replace('|', "/")), "-".into(), "-".into());
    }
    let ours = diff_of(&source, &target, true).await;
    let ours = if ours.is_empty() {
        "yes".to_owned()
    } else {
        let mut kinds = std::collections::BTreeMap::<&str, usize>::new();
        for statement in &ours.statements {
            *kinds.entry(statement.kind.as_str()).or_default() += 1;
        }
        let kinds: Vec<String> = kinds.iter().map(|(kind, n)| format!("{kind} ×{n}")).collect();
        format!("no: {}", kinds.join(", "))
    };
    let theirs = match migra(&a, &b) {
        Ok(again) if again.trim().is_empty() => "yes".to_owned(),
        Ok(again) => format!("no ({} statements)", again.matches(';').count()),
        Err(e) => format!("migra failed: {e}"),
    };
    (name, "applies".into(), ours, theirs)
}

#[tokio::test]
async fn migra_on_the_same_corpus() {
    let mut table =
        String::from("| case | migra's script | then empty by our diff | then empty by migra |\n|---|---|---|---|\n");
    let mut converged = 0;
    let cases = cases();
    for case in &cases {
        let (name, applied, ours, theirs) = migra_case(case).await;
        assert!(!applied.starts_with("migra failed: migra did not start"), "{applied}");
        converged += usize::from(ours == "yes");
        table.push_str(&format!("| {name} | {applied} | {ours} | {theirs} |\n"));
    }
    eprintln!("{table}\nmigra converged on {converged} of {} cases (by our diff)", cases.len());
    std::fs::write(Path::new(env!("CARGO_TARGET_TMPDIR")).join("migra_comparison.md"), table).unwrap();
}
