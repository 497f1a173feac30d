//! realtime_health on a cluster of its own (replication slots are cluster-wide, so other tests' clusters never
//! see these): an inactive logical slot left by another consumer retains WAL and is flagged with its byte count
//! (critical over the threshold), Realtime's temporary slot held by a live session is not and shows Realtime
//! connected; a missing partition for today, a stale one and a large subscription table are reported; the
//! same slot check runs in health_check.

#![allow(clippy::expect_used, clippy::unwrap_used, clippy::panic)]

use crate::{mcp_client, support};
use serde_json::{Value, json};
use supamcp::pg::local_cluster::ClusterOptions;

fn alerts<'a>(reply: &'a Value, check: &str) -> Vec<&'a Value> {
    reply["alerts"].as_array().unwrap().iter().filter(|a| a["check"] == check).collect()
}

#[tokio::test]
async fn slots_partitions_and_subscriptions_are_judged() {
    let cluster = support::own_cluster_with_sample_app(ClusterOptions::default()).await;
    let admin = cluster.connect("app", "supabase_admin").await.unwrap();
    admin.batch_execute("select pg_create_logical_replication_slot('etl_left_behind', 'test_decoding')").await.unwrap();
    // Realtime's slot is temporary: it lives as long as the session that holds it.
    let realtime = cluster.connect("app", "supabase_admin").await.unwrap();
    realtime
        .batch_execute(
            "select pg_create_logical_replication_slot('supabase_realtime_replication_slot', 'test_decoding', true)",
        )
        .await
        .unwrap();
    admin
        .batch_execute(
            "create table public.filler as select g, repeat('x', 500) as pad from generate_series(1, 10000) g",
        )
        .await
        .unwrap();

    let url = cluster.url("app", "postgres");
    let server = mcp_client::start(&["--features", "realtime,monitoring", "--database-url", &url]).await;
    let call = server.call("realtime_health", json!({"inactive_slot_critical_mb": 1})).await;
    assert!(mcp_client::text(&call).contains("<untrusted-data-"), "slot names come from the database: fenced");
    let health = call.structured_content.unwrap();
    assert_eq!(health["status"], "critical", "{health}");
    let slot = alerts(&health, "inactive_replication_slot");
    assert_eq!(slot.len(), 1, "only the inactive persistent slot: {health}");
    assert_eq!(slot[0]["severity"], "critical");
    assert!(slot[0]["message"].as_str().unwrap().contains("etl_left_behind"));
    let etl =
        health["database"]["other_slots"].as_array().unwrap().iter().find(|s| s["name"] == "etl_left_behind").unwrap();
    let retained = etl["retained_bytes"].as_i64().unwrap();
    assert!(retained > 1_048_576, "the slot retains the WAL written since: {retained}");
    assert!(slot[0]["message"].as_str().unwrap().contains(&format!("{retained} bytes")), "{slot:?}");
    let ours = &health["database"]["realtime_slots"][0];
    assert_eq!((ours["temporary"].clone(), ours["active"].clone()), (json!(true), json!(true)), "{ours}");
    assert_eq!(health["database"]["changes_connected"], true);
    assert_eq!(health["database"]["messages_connected"], false);
    assert!(alerts(&health, "realtime_not_connected").is_empty());
    assert!(alerts(&health, "wal_level").is_empty(), "the harness runs wal_level = logical");
    assert_eq!(health["database"]["capacity"]["wal_level"], "logical");
    assert_eq!(health["database"]["message_partitions"]["has_today"], true);
    assert_eq!(health["database"]["subscriptions"], 0);
    assert_eq!(health["service"], Value::Null);
    assert!(health["service_skipped"].as_str().unwrap().contains("SUPABASE_URL"), "{health}");

    // The same slot check in health_check.
    let overall =
        server.ok("health_check", json!({"check_api": false, "thresholds": {"inactive_slot_critical_mb": 1}})).await;
    let flagged = alerts(&overall, "inactive_replication_slot");
    assert_eq!(flagged.len(), 1, "{overall}");
    assert!(flagged[0]["message"].as_str().unwrap().contains("etl_left_behind"));
    assert_eq!(overall["database"]["inactive_slots"], 1);

    // Realtime gone: its slot goes with its session, and the published table has no reader.
    drop(realtime);
    let today: String = admin.query_one("select to_char(current_date, 'YYYY_MM_DD')", &[]).await.unwrap().get(0);
    admin
        .batch_execute(&format!(
            "alter table realtime.messages detach partition realtime.messages_{today};
             create table realtime.messages_2001_01_01 partition of realtime.messages
               for values from ('2001-01-01') to ('2001-01-02');
             insert into realtime.subscription (subscription_id, entity, claims)
               values (gen_random_uuid(), 'public.todos', '{{\"role\": \"authenticated\"}}');",
        ))
        .await
        .unwrap();
    let mut health = Value::Null;
    for _ in 0..50 {
        health = server.ok("realtime_health", json!({"subscription_rows_warning": 1})).await;
        if health["database"]["changes_connected"] == false {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    assert_eq!(health["database"]["changes_connected"], false, "{health}");
    assert_eq!(alerts(&health, "realtime_not_connected").len(), 1, "{health}");
    assert_eq!(alerts(&health, "realtime_messages_partition")[0]["severity"], "critical", "{health}");
    assert_eq!(alerts(&health, "realtime_messages_janitor").len(), 1, "{health}");
    assert_eq!(alerts(&health, "realtime_subscriptions")[0]["value"], 1.0, "{health}");
    assert_eq!(health["database"]["message_partitions"]["oldest"], "2001-01-01");
}
