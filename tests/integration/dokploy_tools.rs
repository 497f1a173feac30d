//! The `dokploy` tools through the real binary against the fake Dokploy: listing across two servers,
//! validation of a fresh template deployment, Dokploy's broken keys detected and repaired, env update
//! with snapshot and rollback, health with one unhealthy container, restart, filtered logs, and redeploys
//! that wait for the deployment Dokploy queued (started late, ended in error, never started).
use crate::dokploy_fake;
use crate::mcp_client;

use dokploy_fake::{API_KEY, Fake};
use mcp_client::{Server, start_with_env, text};
use serde_json::{Value, json};
use std::time::Duration;

async fn serve(fake: &Fake) -> Server {
    start_with_env(&["--features", "dokploy"], &[("DOKPLOY_URL", &fake.url), ("DOKPLOY_API_KEY", API_KEY)]).await
}

fn rules(findings: &Value) -> Vec<String> {
    findings.as_array().unwrap().iter().map(|f| f["rule"].as_str().unwrap().to_owned()).collect()
}

#[tokio::test]
async fn list_instances_across_two_servers_with_verdicts() {
    let current = Fake::start().await;
    let legacy = Fake::with_version("v0.24.1").await;
    let deployed = current.seed_supabase("shop", true);
    let fresh = legacy.seed_supabase("blog", false);
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("supamcp.toml");
    let text_config = format!(
        "[dokploy.main]\nurl = \"{}\"\napi_key = \"{API_KEY}\"\n[dokploy.old]\nurl = \"{}/api\"\napi_key = \"{API_KEY}\"\n",
        current.url, legacy.url
    );
    std::fs::write(&config, text_config).unwrap();
    let server = start_with_env(&["--features", "dokploy"], &[("SUPAMCP_CONFIG", config.to_str().unwrap())]).await;
    let listed = server.ok("dokploy_list_instances", json!({})).await;
    assert_eq!(listed["servers"].as_array().unwrap().len(), 2);
    assert_eq!(listed["servers"][1]["version"]["environments"], false);
    let instances = listed["instances"].as_array().unwrap();
    let by_id = |id: &str| instances.iter().find(|i| i["compose_id"] == id).unwrap().clone();
    let shop = by_id(&deployed);
    assert_eq!(
        (shop["server"].as_str(), shop["verdict"].as_str(), shop["environment"].as_str()),
        (Some("main"), Some("healthy"), Some("production"))
    );
    assert!(shop["url"].as_str().unwrap().starts_with("http://shop-"));
    assert_eq!(shop["last_deployment"]["status"], "done");
    let blog = by_id(&fresh);
    assert_eq!((blog["verdict"].as_str(), blog["environment"].clone()), (Some("not_deployed"), Value::Null));
    let only = server.ok("dokploy_list_instances", json!({"server": "old"})).await;
    assert_eq!(only["instances"].as_array().unwrap().len(), 1);
    let unknown = server.err("dokploy_list_instances", json!({"server": "nope"})).await;
    assert!(unknown.contains("main, old"), "{unknown}");
    server.stop().await;
}

#[tokio::test]
async fn validate_config_finds_the_template_problems() {
    let fake = Fake::start().await;
    let compose_id = fake.seed_supabase("shop", false);
    let server = serve(&fake).await;
    let report = server.ok("dokploy_validate_config", json!({"compose_id": compose_id})).await;
    assert_eq!(report["status"], "critical");
    assert_eq!(rules(&report["dokploy"]), ["dokploy_https_mismatch", "dokploy_https_mismatch"]);
    let env_rules = rules(&report["env"]["findings"]);
    assert!(env_rules.iter().any(|r| r.contains("smtp")), "{env_rules:?}");
    assert!(
        !report
            .to_string()
            .contains(&fake.env_of(&compose_id).lines().find(|l| l.starts_with("JWT_SECRET=")).unwrap()[11..])
    );
    let missing = server.err("dokploy_validate_config", json!({"compose_id": "nope"})).await;
    assert!(missing.contains("Compose not found") && missing.contains("Fix:"), "{missing}");
    server.stop().await;
}

#[tokio::test]
async fn broken_template_keys_are_detected_and_repaired() {
    let fake = Fake::start().await;
    fake.state().faults.broken_template_keys = true;
    let compose_id = fake.seed_supabase("shop", true);
    let before = fake.env_of(&compose_id);
    let secret = before.lines().find_map(|l| l.strip_prefix("JWT_SECRET=")).unwrap().to_owned();
    let server = serve(&fake).await;
    let health = server.ok("dokploy_monitor_health", json!({"compose_id": compose_id})).await;
    assert!(rules(&health["config"]).contains(&"jwt_keys_identical".to_owned()), "{health}");
    let refused = server.err("dokploy_regenerate_keys", json!({"compose_id": compose_id})).await;
    assert!(refused.contains("confirm"), "{refused}");
    let repaired = server.ok("dokploy_regenerate_keys", json!({"compose_id": compose_id, "confirm": true})).await;
    assert_eq!((repaired["changed"].as_bool(), repaired["verified"].as_bool()), (Some(true), Some(true)), "{repaired}");
    assert_eq!(repaired["repair"]["kept_jwt_secret"], true);
    assert_eq!(repaired["redeploy"]["status"], "done");
    let after = fake.env_of(&compose_id);
    assert!(after.contains(&format!("JWT_SECRET={secret}")));
    let key = |name: &str| after.lines().find_map(|l| l.strip_prefix(&format!("{name}="))).unwrap().to_owned();
    assert_ne!(key("ANON_KEY"), key("SERVICE_ROLE_KEY"));
    assert!(!repaired.to_string().contains(&key("SERVICE_ROLE_KEY")));
    assert_eq!(fake.count("compose.redeploy"), 1);
    let again = server.ok("dokploy_regenerate_keys", json!({"compose_id": compose_id})).await;
    assert_eq!(again["changed"], false);
    let history = server.ok("dokploy_history", json!({"compose_id": compose_id})).await;
    assert_eq!(history["snapshots"][0]["reason"], "before dokploy_regenerate_keys");
    server.stop().await;
}

#[tokio::test]
async fn update_env_then_roll_back() {
    let fake = Fake::start().await;
    let compose_id = fake.seed_supabase("shop", true);
    let original = fake.env_of(&compose_id);
    let server = serve(&fake).await;
    let risky = server
        .err("dokploy_update_env", json!({"compose_id": compose_id, "set": {"POSTGRES_PASSWORD": "x".repeat(40)}}))
        .await;
    assert!(risky.contains("first boot") && risky.contains("confirm"), "{risky}");
    let weak = server
        .err("dokploy_update_env", json!({"compose_id": compose_id, "set": {"JWT_SECRET": "short"}, "confirm": true}))
        .await;
    assert!(weak.contains("critical"), "{weak}");
    assert_eq!(fake.env_of(&compose_id), original);
    let smtp = json!({"SMTP_HOST": "smtp.example.com", "SMTP_PORT": "587", "SMTP_USER": "mailer", "SMTP_PASS": "a-real-smtp-password-value"});
    let updated = server
        .ok(
            "dokploy_update_env",
            json!({"compose_id": compose_id, "set": smtp, "unset": ["OPENAI_API_KEY"], "redeploy": true}),
        )
        .await;
    assert_eq!(updated["changes"].as_array().unwrap().len(), 5, "{updated}");
    assert_eq!(updated["redeploy"]["status"], "done");
    assert_eq!(updated["redeploy"]["health"]["verdict"], "healthy");
    let changed = fake.env_of(&compose_id);
    assert!(changed.contains("SMTP_HOST=smtp.example.com") && !changed.contains("OPENAI_API_KEY"));
    let snapshot = updated["snapshot"]["id"].as_str().unwrap().to_owned();
    let refused = server.err("dokploy_rollback", json!({"compose_id": compose_id, "snapshot_id": snapshot})).await;
    assert!(refused.contains("confirm"), "{refused}");
    let rolled = server
        .ok("dokploy_rollback", json!({"compose_id": compose_id, "snapshot_id": snapshot, "confirm": true}))
        .await;
    assert_eq!(rolled["redeploy"]["status"], "done");
    assert_eq!(rolled["redeploy"]["deployment"]["title"], "supamcp: rollback");
    assert_eq!(fake.env_of(&compose_id), original);
    let history = server.ok("dokploy_history", json!({"compose_id": compose_id})).await;
    let reasons: Vec<&str> =
        history["snapshots"].as_array().unwrap().iter().map(|s| s["reason"].as_str().unwrap()).collect();
    assert_eq!(reasons, [format!("before dokploy_rollback to {snapshot}").as_str(), "before dokploy_update_env"]);
    server.stop().await;
}

/// The newest deployment the fake holds for `compose_id`.
fn newest(fake: &Fake, compose_id: &str) -> Value {
    fake.deployments_of(compose_id).first().cloned().unwrap()
}

#[tokio::test]
async fn redeploys_wait_for_the_deployment_dokploy_starts_late() {
    let fake = Fake::start().await;
    fake.state().faults.broken_template_keys = true;
    let compose_id = fake.seed_supabase("shop", true);
    let seed = newest(&fake, &compose_id)["deploymentId"].clone();
    // Dokploy's worker picks the queued job up 1.5 s after the request; until then the compose says "done".
    fake.set_deploy_delays(Duration::from_millis(1500), Duration::from_millis(300));
    let server = serve(&fake).await;
    let repaired = server.ok("dokploy_regenerate_keys", json!({"compose_id": compose_id, "confirm": true})).await;
    let made = newest(&fake, &compose_id);
    assert_eq!((made["title"].as_str(), made["status"].as_str()), (Some("supamcp: regenerate keys"), Some("done")));
    let redeploy = &repaired["redeploy"];
    assert_eq!((redeploy["status"].as_str(), repaired["verified"].as_bool()), (Some("done"), Some(true)), "{repaired}");
    assert_eq!(redeploy["deployment"]["deploymentId"], made["deploymentId"]);
    assert_eq!(redeploy["deployment"]["logPath"], made["logPath"]);
    assert_eq!(redeploy["previous_deployment_id"], seed);
    assert!(redeploy["queued_seconds"].as_f64().is_some(), "{redeploy}");
    assert!(redeploy["message"].as_str().unwrap().contains("finished: done"), "{redeploy}");
    let updated = server
        .ok(
            "dokploy_update_env",
            json!({"compose_id": compose_id, "set": {"DISABLE_SIGNUP": "true"}, "redeploy": true}),
        )
        .await;
    let made = newest(&fake, &compose_id);
    assert_eq!((made["title"].as_str(), made["status"].as_str()), (Some("supamcp: env update"), Some("done")));
    assert_eq!(updated["redeploy"]["deployment"]["deploymentId"], made["deploymentId"], "{updated}");
    assert_eq!(updated["redeploy"]["health"]["verdict"], "healthy");
    assert_eq!(fake.count("compose.redeploy"), 2);
    server.stop().await;
}

#[tokio::test]
async fn a_failing_redeploy_reports_the_log_tail() {
    let fake = Fake::start().await;
    let compose_id = fake.seed_supabase("shop", true);
    let seed = newest(&fake, &compose_id)["deploymentId"].clone();
    fake.state().faults.deploy_fails = true;
    fake.set_deploy_delays(Duration::from_millis(1000), Duration::from_millis(200));
    let server = serve(&fake).await;
    let updated = server
        .ok(
            "dokploy_update_env",
            json!({"compose_id": compose_id, "set": {"DISABLE_SIGNUP": "true"}, "redeploy": true}),
        )
        .await;
    let redeploy = &updated["redeploy"];
    assert_eq!(redeploy["status"], "error", "{updated}");
    assert_ne!(redeploy["deployment"]["deploymentId"], seed);
    assert_eq!(redeploy["deployment"]["deploymentId"], newest(&fake, &compose_id)["deploymentId"]);
    assert_eq!(redeploy["deployment"]["status"], "error");
    let message = redeploy["message"].as_str().unwrap();
    assert!(message.contains("ended in error") && message.contains("kong"), "{message}");
    assert!(redeploy["log_tail"].as_str().unwrap().contains("Error occurred"), "{updated}");
    assert_eq!(redeploy["health"]["verdict"], "degraded");
    server.stop().await;
}

#[tokio::test]
async fn a_redeploy_dokploy_never_starts_is_reported_as_not_started() {
    let fake = Fake::start().await;
    fake.state().faults.broken_template_keys = true;
    let compose_id = fake.seed_supabase("shop", true);
    let seed = newest(&fake, &compose_id)["deploymentId"].clone();
    fake.pause_queue();
    let server = serve(&fake).await;
    let repaired = server
        .ok("dokploy_regenerate_keys", json!({"compose_id": compose_id, "confirm": true, "wait_seconds": 1}))
        .await;
    let redeploy = &repaired["redeploy"];
    assert_eq!(redeploy["status"], "not_started", "{repaired}");
    assert_eq!((redeploy["deployment"].clone(), redeploy["log_tail"].clone()), (Value::Null, Value::Null));
    assert_eq!(redeploy["previous_deployment_id"], seed);
    let message = redeploy["message"].as_str().unwrap();
    assert!(message.contains("queued and not started") && message.contains(seed.as_str().unwrap()), "{message}");
    assert_eq!(repaired["verified"], false);
    assert_eq!((fake.count("compose.redeploy"), fake.deployments_of(&compose_id).len()), (1, 1));
    fake.resume_queue();
    server.stop().await;
}

#[tokio::test]
async fn health_names_the_unhealthy_container_and_restart_reaches_it() {
    let fake = Fake::start().await;
    fake.state().faults.unhealthy_service = Some("auth".to_owned());
    let compose_id = fake.seed_supabase("shop", true);
    let server = serve(&fake).await;
    let health = server.ok("dokploy_monitor_health", json!({"compose_id": compose_id})).await;
    assert_eq!(health["verdict"], "degraded");
    assert_eq!(health["containers"].as_array().unwrap().len(), 13);
    assert_eq!(health["issues"].as_array().unwrap().len(), 1);
    assert_eq!(
        (health["issues"][0]["subject"].as_str(), health["issues"][0]["severity"].as_str()),
        (Some("auth"), Some("critical"))
    );
    let restarted = server.ok("dokploy_restart_service", json!({"compose_id": compose_id, "service": "auth"})).await;
    assert!(restarted["container"].as_str().unwrap().ends_with("-auth-1"));
    assert_eq!(fake.state().restarts.len(), 1);
    let wrong = server.err("dokploy_restart_service", json!({"compose_id": compose_id, "service": "mail"})).await;
    assert!(wrong.contains("kong") && wrong.contains("studio"), "{wrong}");
    server.stop().await;
}

#[tokio::test]
async fn logs_by_source_with_filters_fenced() {
    let fake = Fake::start().await;
    let compose_id = fake.seed_supabase("shop", true);
    let server = serve(&fake).await;
    let deployment = server.call("dokploy_get_logs", json!({"compose_id": compose_id})).await;
    assert!(text(&deployment).contains("untrusted-data-"));
    let lines = deployment.structured_content.unwrap()["lines"].clone();
    assert!(lines.as_array().unwrap().iter().any(|l| l.as_str().unwrap().contains("Docker Compose Deployed")));
    let errors = server
        .ok(
            "dokploy_get_logs",
            json!({"compose_id": compose_id, "source": "container", "service": "kong", "level": "error"}),
        )
        .await;
    assert_eq!(errors["line_count"], 1);
    assert!(errors["lines"][0].as_str().unwrap().contains("connection refused"));
    let text_filtered = server
        .ok(
            "dokploy_get_logs",
            json!({"compose_id": compose_id, "source": "container", "service": "db", "contains": "ready", "tail": 3}),
        )
        .await;
    assert_eq!(text_filtered["line_count"], 1);
    let no_service = server.err("dokploy_get_logs", json!({"compose_id": compose_id, "source": "container"})).await;
    assert!(no_service.contains("service"), "{no_service}");
    server.stop().await;
}

#[tokio::test]
async fn manage_domain_moves_the_domain_and_the_urls() {
    let fake = Fake::start().await;
    let compose_id = fake.seed_supabase("shop", true);
    let server = serve(&fake).await;
    let args = json!({"compose_id": compose_id, "host": "db.example.com", "check_certificate": false});
    let refused = server.err("dokploy_manage_domain", args.clone()).await;
    assert!(refused.contains("confirm") && refused.contains("sslip.io"), "{refused}");
    let mut confirmed = args.clone();
    confirmed["confirm"] = json!(true);
    let moved = server.ok("dokploy_manage_domain", confirmed).await;
    assert_eq!(
        (moved["domain"]["https"].as_bool(), moved["domain"]["certificateType"].as_str()),
        (Some(true), Some("letsencrypt"))
    );
    assert_eq!(moved["redeploy"]["status"], "done");
    assert_eq!(moved["redeploy"]["deployment"]["title"], "supamcp: domain change");
    let env = fake.env_of(&compose_id);
    for line in [
        "API_EXTERNAL_URL=https://db.example.com",
        "SUPABASE_PUBLIC_URL=https://db.example.com",
        "SITE_URL=https://db.example.com",
        "SUPABASE_HOST=db.example.com",
    ] {
        assert!(env.contains(line), "{line} missing");
    }
    assert!(env.contains("ADDITIONAL_REDIRECT_URLS=https://db.example.com/*,http://localhost:3000/*"));
    let report = server.ok("dokploy_validate_config", json!({"compose_id": compose_id})).await;
    assert!(report["dokploy"].as_array().unwrap().is_empty(), "{report}");
    let bad =
        server.err("dokploy_manage_domain", json!({"compose_id": compose_id, "host": "https://x.example.com"})).await;
    assert!(bad.contains("not a host name"), "{bad}");
    server.stop().await;
}
