//! Progress: a call whose request carries a progressToken gets notifications/progress (growing values, before
//! its reply) once it runs past its first second; a call without one gets none.

use super::raw::Raw;
use crate::support;
use serde_json::json;

#[tokio::test]
async fn a_slow_query_reports_progress_only_when_asked() {
    let db = support::fresh_database("progress").await;
    let mut raw = Raw::spawn(&["--database-url", &db.url()]);
    raw.initialize("2025-06-18").await;
    let sql = json!({"sql": "select pg_sleep(2.6) as slept"});
    let (reply, before) = raw.call(1, "execute_sql", sql.clone(), Some(json!({"progressToken": "tok-1"}))).await;
    assert_eq!(reply["result"]["isError"], json!(false), "{reply}");
    let progress: Vec<f64> = before
        .iter()
        .filter(|n| n["method"] == "notifications/progress")
        .map(|n| {
            assert_eq!(n["params"]["progressToken"], json!("tok-1"), "{n}");
            assert!(n["params"]["message"].as_str().unwrap().starts_with("execute_sql: running for"), "{n}");
            n["params"]["progress"].as_f64().unwrap()
        })
        .collect();
    assert!(!progress.is_empty(), "at least one notification after the first second: {before:?}");
    assert!(progress.windows(2).all(|w| w[0] < w[1]), "growing: {progress:?}");

    let (_, before) = raw.call(2, "execute_sql", json!({"sql": "select pg_sleep(1.5)"}), None).await;
    assert!(before.iter().all(|n| n["method"] != "notifications/progress"), "no token, no progress: {before:?}");
}

#[tokio::test]
async fn a_backup_reports_tables_of_their_total() {
    let db = support::fresh_database("progress_backup").await;
    let admin = db.admin().await;
    for table in ["a", "b", "c"] {
        let sql = format!("create table public.{table} as select g from generate_series(1, 1000) g");
        admin.batch_execute(&sql).await.unwrap();
    }
    let backups = tempfile::tempdir().unwrap();
    let mut raw = Raw::spawn(&["--database-url", &db.url(), "--backup-dir", backups.path().to_str().unwrap()]);
    raw.initialize("2025-06-18").await;
    let arguments = json!({"compression": "none", "encrypt": false});
    let (reply, before) = raw.call(1, "create_backup", arguments, Some(json!({"progressToken": 7}))).await;
    assert_eq!(reply["result"]["isError"], json!(false), "{reply}");
    let notes: Vec<_> = before.iter().filter(|n| n["method"] == "notifications/progress").collect();
    assert!(!notes.is_empty(), "{before:?}");
    let last = notes.last().unwrap();
    assert_eq!(last["params"]["progressToken"], json!(7));
    let total = last["params"]["total"].as_f64().unwrap_or_else(|| panic!("the tables' total is known: {last}"));
    assert!(total >= 3.0 && last["params"]["progress"].as_f64().unwrap() <= total, "{last}");
    assert!(last["params"]["message"].as_str().unwrap().contains(&format!("table {total}/{total}")), "{last}");
    let values: Vec<f64> = notes.iter().map(|n| n["params"]["progress"].as_f64().unwrap()).collect();
    assert!(values.windows(2).all(|w| w[0] < w[1]), "growing: {values:?}");
}
