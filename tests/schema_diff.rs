//! The schema diff converges: for every case of `fixtures/diff/<case>/{source,target}.sql`, source.sql is
//! loaded on cluster A and target.sql on cluster B, the diff is applied to B in one transaction, and diffing
//! again gives nothing.

#![allow(clippy::expect_used, clippy::unwrap_used, clippy::panic)]

mod support;

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
    if let Err(e) = target.batch_execute(&format!("BEGIN;\n{script}\nCOMMIT;")).await {
        let _ = target.batch_execute("ROLLBACK").await;
        return Err(format!("{name}: applying the diff failed: {e:?}\n{script}"));
    }
    let again = diff_of(&source, &target, true).await;
    if !again.is_empty() {
        return Err(format!("{name}: not converged; first script:\n{script}\nsecond script:\n{}", again.script()));
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
