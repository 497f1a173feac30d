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
