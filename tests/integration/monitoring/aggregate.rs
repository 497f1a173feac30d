//! `aggregate_logs` through the real binary: a cluster with the logging collector on, the Dokploy fake's
//! container logs with timestamps interleaved across services, and the audit log, merged in time order and
//! filtered by service, level, text and time window; strong matches carry their knowledge entry; a source
//! that fails (the Dokploy version without compose.readLogs) is reported beside the others; large timelines
//! spill.

use crate::dokploy_fake::{API_KEY, Fake};
use crate::mcp_client;
use serde_json::{Value, json};
use std::time::Duration;
use supamcp::pg::local_cluster::{BOOTSTRAP_USER, ClusterOptions, LocalCluster};

async fn cluster_with_log() -> LocalCluster {
    let options = ClusterOptions {
        extra_settings: vec!["logging_collector = on".to_owned(), "log_directory = 'log'".to_owned()],
        ..ClusterOptions::default()
    };
    tokio::task::spawn_blocking(move || LocalCluster::start(&options)).await.unwrap().unwrap()
}

fn seed_interleaved(fake: &Fake, compose_id: &str) {
    let mut state = fake.state();
    let app = state.compose(compose_id).unwrap()["appName"].as_str().unwrap().to_owned();
    state.container_logs.insert(
        format!("{app}-kong-1"),
        vec![
            "2026-11-22T10:00:01.000000000Z INFO kong started".to_owned(),
            "2026-11-22T10:00:03.000000000Z ERROR upstream: connect: connection refused".to_owned(),
            "2026-11-22T10:00:05.000000000Z INFO kong ready".to_owned(),
        ],
    );
    state.container_logs.insert(
        format!("{app}-auth-1"),
        vec![
            "2026-11-22T10:00:02.000000000Z {\"level\":\"info\",\"msg\":\"GoTrue API started\"}".to_owned(),
            "2026-11-22T10:00:04.000000000Z {\"level\":\"error\",\"msg\":\"password authentication failed for user \\\"supabase_auth_admin\\\"\"}".to_owned(),
        ],
    );
}

fn field(lines: &Value, name: &str) -> Vec<String> {
    lines.as_array().unwrap().iter().map(|l| l[name].as_str().unwrap_or("").to_owned()).collect()
}

#[tokio::test]
async fn postgres_containers_and_audit_merge_in_time_order_with_knowledge_links() {
    let fake = Fake::start().await;
    let compose_id = fake.seed_supabase("shop", true);
    seed_interleaved(&fake, &compose_id);
    let cluster = cluster_with_log().await;
    let admin = cluster.connect("postgres", BOOTSTRAP_USER).await.unwrap();
    assert!(admin.batch_execute("select * from supamcp_agg_missing").await.is_err());
    let url = cluster.url("postgres", BOOTSTRAP_USER);
    let server = mcp_client::start_with_env(
        &["--database-url", &url],
        &[("DOKPLOY_URL", &fake.url), ("DOKPLOY_API_KEY", API_KEY)],
    )
    .await;
    // one audited (not read-only) call, failing, for the supamcp source
    server.err("execute_sql", json!({"sql": "select * from supamcp_agg_missing_too"})).await;

    // the containers alone: kong and auth interleaved by time, each line tagged with its service
    let containers =
        server.call("aggregate_logs", json!({"compose_id": compose_id, "services": ["kong", "auth"]})).await;
    assert!(mcp_client::text(&containers).contains("untrusted-data-"), "the timeline is fenced");
    let merged = containers.structured_content.unwrap();
    assert_eq!(merged["matched"], 5, "{merged}");
    assert_eq!(field(&merged["lines"], "service"), ["kong", "auth", "kong", "auth", "kong"]);
    let times = field(&merged["lines"], "time");
    assert_eq!(times[0], "2026-11-22T10:00:01.000Z");
    assert!(times.windows(2).all(|w| w[0] <= w[1]), "{times:?}");
    assert_eq!(field(&merged["lines"], "level"), ["info", "info", "error", "error", "info"]);
    let knowledge = field(&merged["lines"], "knowledge");
    assert!(!knowledge[2].is_empty() && !knowledge[3].is_empty(), "known problems link: {merged}");
    assert!(knowledge[0].is_empty() && knowledge[4].is_empty(), "info lines do not: {merged}");
    let sources = merged["sources"].as_array().unwrap();
    assert_eq!(sources.len(), 2, "only the services asked for: {merged}");

    // all sources, errors only: the server log's error and the audit entry join the container errors
    let mut errors = json!(null);
    for _ in 0..100 {
        errors = server.ok("aggregate_logs", json!({"compose_id": compose_id, "min_level": "error"})).await;
        if field(&errors["lines"], "message").iter().any(|m| m.contains("supamcp_agg_missing_too")) {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let services = field(&errors["lines"], "service");
    assert!(services.iter().any(|s| s == "postgres"), "{errors}");
    assert!(services.iter().any(|s| s == "supamcp"), "{errors}");
    assert!(services.iter().any(|s| s == "kong") && services.iter().any(|s| s == "auth"), "{errors}");
    assert!(field(&errors["lines"], "level").iter().all(|l| l == "error" || l == "fatal"), "{errors}");
    let audit = errors["lines"].as_array().unwrap().iter().find(|l| l["service"] == "supamcp").unwrap();
    assert!(audit["message"].as_str().unwrap().starts_with("execute_sql on "), "{audit}");
    let postgres = errors["lines"].as_array().unwrap().iter().find(|l| l["service"] == "postgres").unwrap();
    assert!(postgres["time"].as_str().unwrap().ends_with('Z'), "{postgres}");

    // text filter (case-insensitive) and a time window that leaves out the fake's old container lines
    let text = server
        .ok(
            "aggregate_logs",
            json!({"compose_id": compose_id, "contains": "SUPAMCP_AGG_MISSING", "services": ["postgres"]}),
        )
        .await;
    assert!(text["matched"].as_u64().unwrap() >= 2, "{text}");
    let window = server.ok("aggregate_logs", json!({"compose_id": compose_id, "since_minutes": 30})).await;
    assert!(field(&window["lines"], "time").iter().all(|t| t.as_str() > "2026-11-22T11"), "{window}");
    assert!(field(&window["lines"], "service").iter().all(|s| s == "postgres" || s == "supamcp"), "{window}");

    let bad = server.err("aggregate_logs", json!({"min_level": "loud"})).await;
    assert!(bad.contains("debug, info, warning, error or fatal"), "{bad}");
    server.stop().await;
}

#[tokio::test]
async fn a_failing_source_is_reported_and_large_timelines_spill() {
    // compose.readLogs came with Dokploy v0.29.0: older ones cannot give container logs
    let old = Fake::with_version("v0.28.4").await;
    let compose_id = old.seed_supabase("blog", true);
    let cluster = cluster_with_log().await;
    let admin = cluster.connect("postgres", BOOTSTRAP_USER).await.unwrap();
    admin
        .batch_execute(
            "do $$ begin for i in 1..80 loop raise warning 'supamcp-agg-% %', i, repeat('x', 80); end loop; end $$",
        )
        .await
        .unwrap();
    let url = cluster.url("postgres", BOOTSTRAP_USER);
    let server = mcp_client::start_with_env(
        &["--database-url", &url, "--spill-threshold-bytes", "4000"],
        &[("DOKPLOY_URL", &old.url), ("DOKPLOY_API_KEY", API_KEY)],
    )
    .await;
    let mut reply = json!(null);
    for _ in 0..100 {
        reply = server
            .ok("aggregate_logs", json!({"compose_id": compose_id, "contains": "supamcp-agg-", "min_level": "warning"}))
            .await;
        if reply["matched"] == 80 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert_eq!(reply["matched"], 80, "{reply}");
    let failed = reply["sources"].as_array().unwrap().iter().find(|s| s["error"].is_string()).unwrap();
    assert!(failed["error"].as_str().unwrap().contains("compose.readLogs"), "{reply}");
    let spilled = &reply["spilled"];
    assert_eq!(spilled["rows"], 80, "{reply}");
    let page = server.ok("read_result", json!({"handle": spilled["handle"]})).await;
    assert!(page.to_string().contains("supamcp-agg-1 "), "{page}");
    let limited = server
        .ok(
            "aggregate_logs",
            json!({"compose_id": compose_id, "contains": "supamcp-agg-", "limit": 3, "services": ["postgres"]}),
        )
        .await;
    let messages = field(&limited["lines"], "message");
    assert_eq!(messages.len(), 3);
    assert!(messages[2].starts_with("supamcp-agg-80 "), "the newest last: {messages:?}");
    server.stop().await;
}

#[tokio::test]
async fn an_instance_linked_to_its_compose_needs_no_compose_id() {
    let fake = Fake::start().await;
    let compose_id = fake.seed_supabase("linked", true);
    seed_interleaved(&fake, &compose_id);
    let db = crate::support::fresh_database("aggregate_linked").await;
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("supamcp.toml");
    let text = format!(
        "[instances.shop]\ndatabase_url = \"{}\"\ndokploy = \"main\"\ndokploy_compose_id = \"{compose_id}\"\n\
         [dokploy.main]\nurl = \"{}\"\napi_key = \"{API_KEY}\"\n",
        db.url(),
        fake.url
    );
    std::fs::write(&config, text).unwrap();
    let server = mcp_client::start_with_env(&[], &[("SUPAMCP_CONFIG", config.to_str().unwrap())]).await;
    let reply =
        server.ok("aggregate_logs", json!({"instance": "shop", "services": ["auth"], "min_level": "error"})).await;
    assert_eq!(reply["compose_id"], compose_id.as_str(), "{reply}");
    assert_eq!(field(&reply["lines"], "service"), ["auth"], "{reply}");
    assert!(field(&reply["lines"], "message")[0].contains("password authentication failed"), "{reply}");
    assert!(reply["lines"][0]["knowledge"].is_string(), "{reply}");
    server.stop().await;
}
