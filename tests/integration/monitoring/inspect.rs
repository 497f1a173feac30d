//! Every `inspect db` report through the binary, on a cluster with pg_stat_statements loaded and on one
//! without it; Supabase-internal schemas left out by default.

use crate::{mcp_client, support};
use serde_json::{Value, json};
use supamcp::pg::inspect::REPORTS;
use supamcp::pg::local_cluster::{BOOTSTRAP_USER, ClusterOptions, LocalCluster};
use tokio::sync::OnceCell;

static STATEMENTS_CLUSTER: OnceCell<LocalCluster> = OnceCell::const_new();

/// A cluster started with pg_stat_statements preloaded, holding database `app` with the sample app and
/// the extension created in `extensions`.
pub async fn statements_cluster() -> &'static LocalCluster {
    STATEMENTS_CLUSTER
        .get_or_init(|| async {
            let options = ClusterOptions { pg_stat_statements: true, ..ClusterOptions::default() };
            let cluster = support::own_cluster_with_sample_app(options).await;
            cluster
                .run_sql("app", "create extension pg_stat_statements with schema extensions; analyze;")
                .await
                .unwrap_or_else(|f| panic!("{f}"));
            cluster
        })
        .await
}

fn rows(report: &Value) -> &Vec<Value> {
    report["rows"].as_array().unwrap()
}

fn has_row(report: &Value, column: &str, value: &str) -> bool {
    rows(report).iter().any(|r| r[column] == json!(value))
}

#[tokio::test]
async fn every_report_runs_with_pg_stat_statements_loaded() {
    let cluster = statements_cluster().await;
    let workload = cluster.connect("app", "postgres").await.unwrap();
    for _ in 0..5 {
        workload.query("select count(*) from public.todos where status = 'done'", &[]).await.unwrap();
    }
    let server = mcp_client::start(&["--database-url", &cluster.url("app", "postgres")]).await;
    for report in REPORTS {
        let reply = server.ok("inspect_db", json!({ "report": report })).await;
        assert_eq!(reply["report"], json!(report));
        assert!(reply["description"].as_str().unwrap().len() > 20, "{report}");
        assert_eq!(reply["note"], Value::Null, "{report}: {reply}");
    }
    let outliers = server.ok("inspect_db", json!({"report": "outliers", "limit": 50})).await;
    assert!(rows(&outliers).iter().any(|r| r["query"].as_str().unwrap().contains("public.todos")), "{outliers}");
    for column in ["role", "query", "calls", "total_exec_ms", "percent_of_total", "mean_exec_ms", "sync_io_ms"] {
        assert!(outliers["columns"].as_array().unwrap().contains(&json!(column)), "{column}");
    }
    let calls = server.ok("inspect_db", json!({"report": "calls", "limit": 1})).await;
    assert_eq!(rows(&calls).len(), 1);
    assert_eq!(calls["truncated"], json!(true));
    assert!(rows(&calls)[0]["calls"].as_i64().unwrap() >= 5, "{calls}");
    server.stop().await;
}

#[tokio::test]
async fn every_report_runs_without_pg_stat_statements() {
    let db = support::fresh_sample_database("inspect_plain").await;
    db.admin().await.batch_execute("analyze").await.unwrap();
    let server = mcp_client::start(&["--database-url", &db.url()]).await;
    for report in REPORTS {
        let reply = server.ok("inspect_db", json!({ "report": report })).await;
        assert_eq!(reply["report"], json!(report));
        if report == "outliers" || report == "calls" {
            let note = reply["note"].as_str().unwrap_or_default();
            assert!(note.contains("pg_stat_statements is not installed") && note.contains("shared_preload_libraries"));
            assert!(rows(&reply).is_empty());
        } else {
            assert_eq!(reply["note"], Value::Null, "{report}");
        }
    }

    let db_stats = server.ok("inspect_db", json!({"report": "db-stats"})).await;
    assert_eq!(rows(&db_stats)[0]["database"], json!(db.name));
    assert!(rows(&db_stats)[0]["wal_size"].is_string(), "postgres is in pg_monitor: {db_stats}");

    let tables = server.ok("inspect_db", json!({"report": "table-stats"})).await;
    assert!(has_row(&tables, "name", "todos"));
    assert!(!has_row(&tables, "name", "users"), "auth.users is internal");
    let all = server.ok("inspect_db", json!({"report": "table-stats", "include_internal": true, "limit": 1000})).await;
    assert!(rows(&all).iter().any(|r| r["schema"] == "auth" && r["name"] == "users"));

    let indexes = server.ok("inspect_db", json!({"report": "index-stats"})).await;
    let status = rows(&indexes).iter().find(|r| r["index"] == "todos_status_idx").expect("todos_status_idx");
    assert_eq!(status["unused"], json!(true));
    let bloat = server.ok("inspect_db", json!({"report": "bloat"})).await;
    assert!(rows(&bloat).iter().any(|r| r["type"] == "table" && r["name"] == "todos"), "{bloat}");
    assert!(rows(&bloat).iter().any(|r| r["type"] == "index"), "{bloat}");
    let vacuum = server.ok("inspect_db", json!({"report": "vacuum-stats"})).await;
    let todos = rows(&vacuum).iter().find(|r| r["table"] == "todos").expect("todos");
    assert!(todos["expect_autovacuum"].is_boolean() && todos["autovacuum_threshold"].is_i64(), "{todos}");
    let roles = server.ok("inspect_db", json!({"report": "role-stats", "limit": 1000})).await;
    assert!(has_row(&roles, "role", "anon") && has_row(&roles, "role", "authenticated"));
    let traffic = server.ok("inspect_db", json!({"report": "traffic-profile"})).await;
    assert!(rows(&traffic).iter().any(|r| r["table"] == "todos"));
    for row in rows(&traffic) {
        let (read, written) = (row["blocks_read"].as_i64().unwrap(), row["estimated_blocks_written"].as_i64().unwrap());
        let expected = if read >= 5 * written && read > 0 {
            "read-heavy"
        } else if written >= 5 * read && written > 0 {
            "write-heavy"
        } else {
            "balanced"
        };
        assert_eq!(row["profile"], json!(expected), "{row}");
    }

    let unknown = server.call("inspect_db", json!({"report": "cache-hit"})).await;
    assert_ne!(unknown.is_error, Some(false), "a deprecated alias is not a report");
    server.stop().await;
}

#[tokio::test]
async fn pg_stat_statements_created_but_not_preloaded_is_explained() {
    let db = support::fresh_database("inspect_not_loaded").await;
    db.admin().await.batch_execute("create extension pg_stat_statements with schema extensions").await.unwrap();
    let server = mcp_client::start(&["--database-url", &db.url()]).await;
    let reply = server.ok("inspect_db", json!({"report": "outliers"})).await;
    let note = reply["note"].as_str().unwrap_or_default();
    assert!(note.contains("installed but not loaded") && note.contains("shared_preload_libraries"), "{note}");
    server.stop().await;
}

#[tokio::test]
async fn replication_slots_and_an_inactive_slot_alert() {
    let cluster = statements_cluster().await;
    cluster
        .run_sql("app", "select pg_create_logical_replication_slot('monitoring_test_slot', 'pgoutput')")
        .await
        .unwrap();
    let server = mcp_client::start(&["--database-url", &cluster.url("app", BOOTSTRAP_USER)]).await;
    let slots = server.ok("inspect_db", json!({"report": "replication-slots"})).await;
    let slot = rows(&slots).iter().find(|r| r["slot_name"] == "monitoring_test_slot").expect("the slot");
    assert_eq!(slot["active"], json!(false));
    assert_eq!(slot["slot_type"], json!("logical"));
    let health = server.ok("health_check", json!({})).await;
    let alert = health["alerts"]
        .as_array()
        .unwrap()
        .iter()
        .find(|a| a["check"] == "inactive_replication_slot")
        .expect("inactive slot alert");
    assert_eq!(alert["severity"], json!("warning"));
    assert!(alert["fix"].as_str().unwrap().contains("pg_drop_replication_slot('monitoring_test_slot')"));
    assert_eq!(health["database"]["inactive_slots"], json!(1));
    server.stop().await;
    cluster.run_sql("app", "select pg_drop_replication_slot('monitoring_test_slot')").await.unwrap();
}
