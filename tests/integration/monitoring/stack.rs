//! `stack_health` through the real binary: a throwaway database, the local HTTPS gateway (certificate 3 days
//! from expiry, Storage answering 503) and the Dokploy fake with one unhealthy container, ranked into one view:
//! the container first, then the API; each problem with its fix and, where the base has one, its knowledge
//! entry. A compose that cannot be read is a problem of its own beside the database side.

use super::https_server;
use crate::dokploy_fake::{API_KEY, Fake};
use crate::{mcp_client, support};
use serde_json::{Value, json};

fn problems(reply: &Value) -> Vec<Value> {
    reply["problems"].as_array().unwrap().clone()
}

#[tokio::test]
async fn containers_database_api_and_certificate_in_one_ranked_view() {
    let _ = rustls::crypto::ring::default_provider().install_default();
    let gateway = https_server::start(3, "test-anon-key").await;
    let fake = Fake::start().await;
    fake.state().faults.unhealthy_service = Some("auth".to_owned());
    let compose_id = fake.seed_supabase("shop", true);
    let db = support::fresh_database("stack_health").await;
    let server = mcp_client::start_with_env(
        &["--database-url", &db.url()],
        &[
            ("SUPABASE_URL", &gateway.url),
            ("SUPABASE_ANON_KEY", "test-anon-key"),
            ("DOKPLOY_URL", &fake.url),
            ("DOKPLOY_API_KEY", API_KEY),
        ],
    )
    .await;
    let reply = server.ok("stack_health", json!({"compose_id": compose_id})).await;
    assert_eq!(reply["status"], "critical", "{reply}");
    let ranked = problems(&reply);
    let ranks: Vec<u64> = ranked.iter().map(|p| p["rank"].as_u64().unwrap()).collect();
    assert_eq!(ranks, (1..=ranked.len() as u64).collect::<Vec<_>>());
    // the unhealthy container is the root cause: first
    assert_eq!((ranked[0]["area"].as_str(), ranked[0]["subject"].as_str()), (Some("containers"), Some("auth")));
    assert!(ranked[0]["fix"].as_str().unwrap().contains("dokploy_get_logs"), "{}", ranked[0]);
    // then the failing Storage probe (critical), the certificate (warning) after every critical
    let storage = ranked.iter().position(|p| p["subject"] == "api_endpoint").unwrap();
    let expiry = ranked.iter().position(|p| p["subject"] == "tls_expiry").unwrap();
    assert!(storage > 0 && expiry > storage, "{ranked:?}");
    assert_eq!(ranked[expiry]["severity"], "warning");
    assert!(ranked[expiry]["knowledge"].is_string(), "health alerts link their entry: {}", ranked[expiry]);
    let severities: Vec<&str> = ranked.iter().map(|p| p["severity"].as_str().unwrap()).collect();
    let firsts = severities.iter().position(|s| *s != "critical").unwrap_or(severities.len());
    assert!(severities[firsts..].iter().all(|s| *s != "critical"), "critical first: {severities:?}");

    // the parts: database numbers, probes with response times, certificate days, slots, containers
    assert!(reply["health"]["database"]["max_connections"].as_i64().unwrap() > 0, "{reply}");
    let probes = reply["health"]["api"]["probes"].as_array().unwrap();
    assert!(probes.iter().any(|p| p["service"] == "rest" && p["millis"].as_f64().unwrap() > 0.0), "{probes:?}");
    let days = reply["health"]["api"]["tls"]["days_left"].as_f64().unwrap();
    assert!((2.9..=3.01).contains(&days));
    assert!(reply["replication"]["capacity"]["max_replication_slots"].as_i64().unwrap() > 0, "{reply}");
    assert!(reply["replication"]["slots"].is_array());
    assert_eq!(reply["containers"]["containers"].as_array().unwrap().len(), 13);
    assert_eq!(reply["containers"]["verdict"], "degraded");
    server.stop().await;
}

#[tokio::test]
async fn a_healthy_stack_is_ok_and_an_unreadable_compose_is_a_problem() {
    let db = support::fresh_database("stack_health_ok").await;
    let server = mcp_client::start(&["--database-url", &db.url()]).await;
    let reply = server.ok("stack_health", json!({})).await;
    assert_eq!(reply["status"], "ok", "{reply}");
    assert!(problems(&reply).is_empty(), "{reply}");
    assert!(reply["containers"].is_null() && reply["health"]["api_skipped"].is_string(), "{reply}");
    server.stop().await;

    let fake = Fake::start().await;
    let compose_id = fake.seed_supabase("blog", true);
    let server = mcp_client::start_with_env(
        &["--database-url", &db.url()],
        &[("DOKPLOY_URL", &fake.url), ("DOKPLOY_API_KEY", API_KEY)],
    )
    .await;
    let reply = server.ok("stack_health", json!({"compose_id": compose_id})).await;
    assert_eq!(reply["containers"]["verdict"], "healthy", "{reply}");
    assert_eq!(reply["status"], "ok", "{reply}");
    let missing = server.ok("stack_health", json!({"compose_id": "no-such-compose"})).await;
    assert_eq!(missing["status"], "critical");
    assert_eq!(problems(&missing).len(), 1, "{missing}");
    assert_eq!(problems(&missing)[0]["area"], "containers", "{missing}");
    assert!(problems(&missing)[0]["message"].as_str().unwrap().contains("not found"), "{missing}");
    assert!(missing["health"]["database"].is_object(), "the database side still answers: {missing}");
    server.stop().await;
}
