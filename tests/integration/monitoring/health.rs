//! `health_check` on induced states: many idle connections, a lock held by another session, an idle
//! transaction, sequences pushed near their maximum; and the API side against a local HTTPS gateway whose
//! self-signed certificate expires in 3 days.

use super::https_server;
use crate::{mcp_client, support};
use serde_json::{Value, json};
use std::time::Duration;

fn alerts<'a>(health: &'a Value, check: &str) -> Vec<&'a Value> {
    health["alerts"].as_array().unwrap().iter().filter(|a| a["check"] == check).collect()
}

#[tokio::test]
async fn many_idle_connections_cross_the_configured_threshold() {
    let db = support::fresh_database("health_connections").await;
    let mut idle = Vec::new();
    for _ in 0..20 {
        idle.push(db.client().await);
    }
    let server = mcp_client::start(&["--database-url", &db.url()]).await;
    let health = server
        .ok(
            "health_check",
            json!({"thresholds": {"connections_warning_percent": 15, "connections_critical_percent": 95}}),
        )
        .await;
    let found = alerts(&health, "connections");
    assert_eq!(found.len(), 1, "{health}");
    assert_eq!(found[0]["severity"], json!("warning"));
    assert_eq!(found[0]["threshold"], json!(15.0));
    assert_eq!(found[0]["unit"], json!("percent"));
    assert!(found[0]["value"].as_f64().unwrap() >= 21.0, "20 idle of 97 usable, plus ours: {}", found[0]);
    assert!(!found[0]["fix"].as_str().unwrap().is_empty());
    assert_eq!(health["database"]["max_connections"], json!(100));
    assert!(health["database"]["xid_headroom_percent"].as_f64().unwrap() > 99.0);
    assert!(health["api_skipped"].as_str().unwrap().contains("SUPABASE_URL"), "{health}");

    let calm = server.ok("health_check", json!({})).await;
    assert!(alerts(&calm, "connections").is_empty(), "defaults are 75 % and 90 %: {calm}");
    drop(idle);
    server.stop().await;
}

#[tokio::test]
async fn a_held_lock_and_an_idle_transaction_raise_alerts() {
    let db = support::fresh_database("health_locks").await;
    db.client()
        .await
        .batch_execute("create table public.lk (id int primary key); insert into public.lk values (1)")
        .await
        .unwrap();
    let holder = db.client().await;
    let holder_pid: i32 = holder.query_one("select pg_backend_pid()", &[]).await.unwrap().get(0);
    holder.batch_execute("begin; lock table public.lk in access exclusive mode").await.unwrap();
    let waiter = db.client().await;
    let waiter_pid: i32 = waiter.query_one("select pg_backend_pid()", &[]).await.unwrap().get(0);
    let waiting = tokio::spawn(async move { waiter.query("select count(*) from public.lk", &[]).await.map(|_| ()) });
    let observer = db.client().await;
    for _ in 0..200 {
        let n: i64 = observer
            .query_one("select count(*) from pg_locks where pid = $1 and not granted", &[&waiter_pid])
            .await
            .unwrap()
            .get(0);
        if n > 0 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }

    let server = mcp_client::start(&["--database-url", &db.url()]).await;
    let health = server
        .ok("health_check", json!({"thresholds": {"lock_wait_seconds": 0, "idle_in_transaction_seconds": 0}}))
        .await;
    let waits = alerts(&health, "lock_wait");
    let wait = waits
        .iter()
        .find(|a| a["message"].as_str().unwrap().contains(&format!("pid {waiter_pid} ")))
        .expect("the waiter");
    assert!(wait["message"].as_str().unwrap().contains(&format!("blocked by pid {holder_pid}")), "{wait}");
    assert!(wait["message"].as_str().unwrap().contains("AccessShareLock on lk"), "{wait}");
    assert!(wait["fix"].as_str().unwrap().contains(&format!("pg_terminate_backend({holder_pid})")), "{wait}");
    let idle = alerts(&health, "idle_in_transaction");
    let held =
        idle.iter().find(|a| a["message"].as_str().unwrap().contains(&format!("pid {holder_pid} "))).expect("holder");
    assert_eq!(held["severity"], json!("warning"));
    assert!(held["fix"].as_str().unwrap().contains("idle_in_transaction_session_timeout"));
    assert!(health["database"]["lock_waits"].as_u64().unwrap() >= 1);
    assert_eq!(health["status"], json!("warning"));

    let blocking = server.ok("inspect_db", json!({"report": "blocking"})).await;
    let row = blocking["rows"].as_array().unwrap().iter().find(|r| r["blocked_pid"] == json!(waiter_pid)).expect("row");
    assert_eq!(row["blocking_pid"], json!(holder_pid));
    assert_eq!(row["blocking_state"], json!("idle in transaction"));
    let locks = server.ok("inspect_db", json!({"report": "locks"})).await;
    assert!(
        locks["rows"].as_array().unwrap().iter().any(|r| r["pid"] == json!(holder_pid)
            && r["relation"] == "lk"
            && r["mode"] == "AccessExclusiveLock"
            && r["granted"] == json!(true)),
        "{locks}"
    );

    let defaults = server.ok("health_check", json!({})).await;
    assert!(alerts(&defaults, "lock_wait").is_empty(), "a wait of a second is under 10 s");
    assert!(alerts(&defaults, "idle_in_transaction").is_empty(), "an idle second is under 60 s");
    holder.batch_execute("rollback").await.unwrap();
    waiting.await.unwrap().unwrap();
    server.stop().await;
}

#[tokio::test]
async fn sequences_near_their_maximum_and_an_invalid_index() {
    let db = support::fresh_database("health_sequences").await;
    db.client()
        .await
        .batch_execute(
            "create table public.warn (id serial primary key); select setval('public.warn_id_seq', 2000000000); \
             create table public.crit (id int generated by default as identity primary key); \
             select setval(pg_get_serial_sequence('public.crit', 'id'), 2140000000); \
             create sequence public.wide; create table public.narrow (id int default nextval('public.wide')); \
             alter sequence public.wide owned by public.narrow.id; select setval('public.wide', 2100000000); \
             create table public.fine (id serial primary key); select setval('public.fine_id_seq', 1000);",
        )
        .await
        .unwrap();
    let client = db.client().await;
    client.batch_execute("create table public.dup (x int); insert into public.dup values (1), (1)").await.unwrap();
    let failed = client.batch_execute("create unique index concurrently dup_x on public.dup (x)").await;
    assert!(failed.is_err(), "duplicate values leave the concurrent build invalid");
    let server = mcp_client::start(&["--database-url", &db.url()]).await;
    let health = server.ok("health_check", json!({})).await;
    let invalid = alerts(&health, "invalid_index");
    assert_eq!(invalid.len(), 1, "{health}");
    assert!(invalid[0]["fix"].as_str().unwrap().contains("REINDEX INDEX CONCURRENTLY public.dup_x"), "{}", invalid[0]);
    assert_eq!(health["database"]["invalid_indexes"], json!(["public.dup_x"]));
    let found = alerts(&health, "sequence");
    let by_name = |name: &str| {
        *found
            .iter()
            .find(|a| a["message"].as_str().unwrap().contains(name))
            .unwrap_or_else(|| panic!("{name}: {health}"))
    };
    let warn = by_name("public.warn_id_seq");
    assert_eq!((warn["severity"].clone(), warn["threshold"].clone()), (json!("warning"), json!(90.0)));
    assert_eq!(warn["value"], json!(93.1));
    assert!(warn["fix"].as_str().unwrap().contains("ALTER TABLE public.warn ALTER COLUMN id TYPE bigint"), "{warn}");
    let crit = by_name("public.crit_id_seq");
    assert_eq!((crit["severity"].clone(), crit["threshold"].clone()), (json!("critical"), json!(98.0)));
    let narrow = by_name("public.wide");
    assert!(
        narrow["message"].as_str().unwrap().contains("public.narrow.id"),
        "a bigint sequence feeding an int column"
    );
    assert_eq!(narrow["value"], json!(97.8));
    assert!(!found.iter().any(|a| a["message"].as_str().unwrap().contains("fine_id_seq")));
    assert_eq!(health["status"], json!("critical"));
    assert_eq!(health["alerts"][0]["severity"], json!("critical"), "critical alerts come first");
    server.stop().await;
}

#[tokio::test]
async fn api_side_against_a_gateway_whose_certificate_expires_in_three_days() {
    let _ = rustls::crypto::ring::default_provider().install_default();
    let gateway = https_server::start(3, "test-anon-key").await;
    let db = support::fresh_database("health_api").await;
    let server = mcp_client::start_with_env(
        &["--database-url", &db.url()],
        &[("SUPABASE_URL", &gateway.url), ("SUPABASE_ANON_KEY", "test-anon-key")],
    )
    .await;
    let health = server.ok("health_check", json!({"accept_invalid_certs": true})).await;
    let api = &health["api"];
    let days = api["tls"]["days_left"].as_f64().unwrap();
    assert!((2.9..=3.01).contains(&days), "{api}");
    assert_eq!(api["tls"]["trusted"], json!(false));
    assert_eq!(api["tls"]["host"], json!("127.0.0.1"));
    let expiry = alerts(&health, "tls_expiry");
    assert_eq!(expiry.len(), 1, "{health}");
    assert_eq!(expiry[0]["severity"], json!("warning"));
    assert_eq!(expiry[0]["threshold"], json!(7.0));
    assert_eq!(expiry[0]["unit"], json!("days"));
    assert!((2.9..=3.0).contains(&expiry[0]["value"].as_f64().unwrap()));
    assert_eq!(alerts(&health, "tls_trust").len(), 1);
    let probes = api["probes"].as_array().unwrap();
    let probe = |service: &str| probes.iter().find(|p| p["service"] == service).unwrap().clone();
    assert_eq!((probe("auth")["status"].clone(), probe("auth")["ok"].clone()), (json!(200), json!(true)));
    assert_eq!(probe("rest")["status"], json!(200));
    assert!(probe("rest")["millis"].as_f64().unwrap() > 0.0);
    assert_eq!(probe("storage")["status"], json!(503));
    let down = alerts(&health, "api_endpoint");
    assert_eq!(down.len(), 1, "{health}");
    assert_eq!(down[0]["severity"], json!("critical"));
    assert!(down[0]["fix"].as_str().unwrap().contains("storage"), "{}", down[0]);
    assert_eq!(health["status"], json!("critical"));
    assert_eq!(gateway.authorised.load(std::sync::atomic::Ordering::Relaxed), 3, "each probe sent the anon key");

    let strict = server.ok("health_check", json!({"thresholds": {"tls_expiry_warning_days": 2}})).await;
    assert!(alerts(&strict, "tls_expiry").is_empty(), "3 days left is above a 2-day threshold");
    let refused = alerts(&strict, "api_endpoint");
    assert_eq!(refused.len(), 3, "an untrusted certificate fails every probe: {strict}");
    assert!(refused.iter().all(|a| a["message"].as_str().unwrap().to_lowercase().contains("certificate")), "{strict}");
    server.stop().await;
}
