//! `get_postgres_logs`: the refusal naming the privilege (postgres is no superuser on the Supabase image),
//! the explanation when the logging collector is off, and reading, filtering and spilling on a cluster
//! started with the logging collector on.

use crate::{mcp_client, support};
use serde_json::json;
use std::time::Duration;
use supamcp::pg::local_cluster::{BOOTSTRAP_USER, ClusterOptions, LocalCluster};

#[tokio::test]
async fn a_role_without_the_file_privileges_is_told_which_it_lacks() {
    let db = support::fresh_database("logs_refused").await;
    let server = mcp_client::start(&["--database-url", &db.url()]).await;
    let refused = server.err("get_postgres_logs", json!({})).await;
    assert!(refused.contains("role postgres may not read the server log"), "{refused}");
    assert!(refused.contains("pg_read_binary_file") && refused.contains("superuser"), "{refused}");
    assert!(refused.contains("GRANT EXECUTE ON FUNCTION"), "{refused}");
    server.stop().await;
}

#[tokio::test]
async fn without_the_logging_collector_the_reply_says_how_to_enable_it() {
    let db = support::fresh_database("logs_no_collector").await;
    let server = mcp_client::start(&["--database-url", &db.url_as(BOOTSTRAP_USER)]).await;
    let off = server.err("get_postgres_logs", json!({})).await;
    assert!(off.contains("logging_collector is off"), "{off}");
    assert!(off.contains("logging_collector = on"), "{off}");
    server.stop().await;
}

#[tokio::test]
async fn the_log_is_read_filtered_and_spilled_when_large() {
    let options = ClusterOptions {
        extra_settings: vec!["logging_collector = on".to_owned(), "log_directory = 'log'".to_owned()],
        ..ClusterOptions::default()
    };
    let cluster = tokio::task::spawn_blocking(move || LocalCluster::start(&options)).await.unwrap().unwrap();
    let admin = cluster.connect("postgres", BOOTSTRAP_USER).await.unwrap();
    assert!(admin.batch_execute("select * from supamcp_no_such_table").await.is_err());
    admin
        .batch_execute(
            "do $$ begin for i in 1..60 loop raise warning 'supamcp-warning-% %', i, repeat('w', 80); end loop; end $$",
        )
        .await
        .unwrap();
    let url = cluster.url("postgres", BOOTSTRAP_USER);
    let server = mcp_client::start(&["--database-url", &url, "--spill-threshold-bytes", "4000"]).await;

    let mut errors = json!(null);
    for _ in 0..100 {
        errors = server.ok("get_postgres_logs", json!({"min_level": "error", "contains": "SUPAMCP_NO_SUCH"})).await;
        if errors["matched"] == json!(1) {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert_eq!(errors["matched"], json!(1), "{errors}");
    let entry = &errors["entries"][0];
    assert_eq!(entry["level"], json!("ERROR"));
    assert!(entry["message"].as_str().unwrap().contains("relation \"supamcp_no_such_table\" does not exist"));
    assert!(entry["detail"].as_str().unwrap().contains("STATEMENT: select * from supamcp_no_such_table"));
    assert!(entry["time"].as_str().unwrap().starts_with("20") && entry["pid"].is_i64(), "{entry}");
    assert!(errors["file"].as_str().unwrap().starts_with("log/"), "{errors}");

    let recent = server.ok("get_postgres_logs", json!({"min_level": "error", "since_minutes": 10})).await;
    assert!(recent["matched"].as_u64().unwrap() >= 1);
    let warnings = server
        .ok("get_postgres_logs", json!({"min_level": "warning", "contains": "supamcp-warning", "limit": 5}))
        .await;
    assert_eq!(warnings["matched"], json!(60));
    let shown: Vec<&str> =
        warnings["entries"].as_array().unwrap().iter().map(|e| e["message"].as_str().unwrap()).collect();
    assert_eq!(shown.len(), 5);
    assert!(shown[4].starts_with("supamcp-warning-60 "), "the newest last: {shown:?}");
    assert_eq!(warnings["spilled"], json!(null));

    let all = server
        .ok("get_postgres_logs", json!({"min_level": "warning", "contains": "supamcp-warning", "limit": 1000}))
        .await;
    let spilled = &all["spilled"];
    assert_eq!(spilled["rows"], json!(60), "{all}");
    let page = server.ok("read_result", json!({"handle": spilled["handle"], "offset": 55, "limit": 10})).await;
    assert_eq!(page["rows"].as_array().unwrap().len(), 5);
    assert!(page["rows"][4]["message"].as_str().unwrap().starts_with("supamcp-warning-60 "), "{page}");
    server.stop().await;
}
