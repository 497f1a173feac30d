//! The Dokploy client against the stateful fake: version detection and the pre-0.25 shapes, both error
//! bodies, 415 and wrong-method 404s, retries (idempotent calls only, on 5xx, 429 and timeouts), the
//! template, the queued deploy and its status machine (nothing changes until the worker starts it), the
//! wait for the deployment a request made (`dokploy::watch`), env replacement, containers and logs.
use crate::dokploy_fake;

use dokploy_fake::{API_KEY, Fake};
use std::time::Duration;
use supamcp::dokploy::watch::{Baseline, Outcome, Request, deploy_and_wait, wait_for_new};
use supamcp::dokploy::{Client, ClientOptions, ComposeStatus, DeploymentStatus, DokployError, DomainSpec, Parent};
use supamcp::secret::Secret;

fn client(fake: &Fake) -> Client {
    let options = ClientOptions { timeout: Duration::from_millis(500), retries: 2, backoff: Duration::from_millis(10) };
    Client::new("test", &fake.url, Secret::new(API_KEY), options).unwrap()
}

const LONG: Duration = Duration::from_secs(60);

#[tokio::test]
async fn current_version_uses_environments() {
    let fake = Fake::start().await;
    let client = client(&fake);
    let info = client.version().await.unwrap();
    assert!(info.environments && info.warning.is_none(), "{info:?}");
    let created = client.project_create("shop", "").await.unwrap();
    let environment = created.environment_id.clone().expect("v0.25+ creates production");
    assert_eq!(client.parent_for(&created.project_id).await.unwrap(), Parent::Environment(environment.clone()));
    let compose = client.compose_deploy_template(&Parent::Environment(environment), "supabase", None).await.unwrap();
    assert!(compose.app_name.starts_with("shop-supabase-") && compose.app_name.len() == "shop-supabase-".len() + 6);
    assert_eq!(compose.source_type.as_deref(), Some("raw"));
    assert!(compose.env_text().contains("SMTP_HOST=supabase-mail"));
    let projects = client.project_all().await.unwrap();
    let listed = projects[0].composes();
    assert_eq!(listed.len(), 1);
    assert_eq!(listed[0].0.map(|e| e.name.as_str()), Some("production"));
    let domains = client.domain_by_compose(&compose.compose_id).await.unwrap();
    assert_eq!(domains.len(), 1);
    assert_eq!(
        (domains[0].https, domains[0].port, domains[0].service_name.as_deref()),
        (false, Some(8000), Some("kong"))
    );
    assert_eq!(domains[0].certificate_type.as_deref(), Some("none"));
}

#[tokio::test]
async fn pre_0_25_uses_projects_and_update_for_env() {
    let fake = Fake::with_version("v0.24.3").await;
    let client = client(&fake);
    assert!(!client.version().await.unwrap().environments);
    let created = client.project_create("legacy", "").await.unwrap();
    assert_eq!(created.environment_id, None);
    let parent = client.parent_for(&created.project_id).await.unwrap();
    assert_eq!(parent, Parent::Project(created.project_id.clone()));
    let compose = client.compose_deploy_template(&parent, "supabase", None).await.unwrap();
    assert_eq!(compose.project_id.as_deref(), Some(created.project_id.as_str()));
    let env = compose.env_text().to_owned();
    assert!(env.contains("ANON_KEY="));
    client.compose_set_env(&compose.compose_id, "A=1").await.unwrap();
    assert_eq!(fake.env_of(&compose.compose_id), "A=1");
    assert_eq!((fake.count("compose.saveEnvironment"), fake.count("compose.update")), (0, 1));
    let project = client.project_one(&created.project_id).await.unwrap();
    assert!(project.environments.is_empty());
    assert_eq!(project.composes().len(), 1);
    let missing = client.environment_by_project(&created.project_id).await.unwrap_err();
    assert!(missing.is_not_found(), "{missing:?}");
}

#[tokio::test]
async fn unknown_versions_are_a_warning() {
    let fake = Fake::with_version("v0.41.0").await;
    let info = client(&fake).version().await.unwrap().clone();
    assert!(info.environments);
    assert!(info.warning.unwrap().contains("newer"));
}

#[tokio::test]
async fn bad_and_expired_keys_get_the_401_body() {
    let fake = Fake::start().await;
    let options = ClientOptions { retries: 0, ..ClientOptions::default() };
    let wrong = Client::new("test", &fake.url, Secret::new("nope"), options).unwrap();
    let err = wrong.project_all().await.unwrap_err();
    let DokployError::Api { error, .. } = &err else { panic!("{err:?}") };
    assert_eq!((error.status, error.message.as_str(), error.code.as_str()), (401, "Unauthorized", ""));
    let good = client(&fake);
    good.project_all().await.unwrap();
    fake.state().faults.key_expired = true;
    let failure = good.project_all().await.unwrap_err().failure("test");
    assert!(failure.fix.contains("API key") && !failure.text().contains(API_KEY), "{failure}");
}

#[tokio::test]
async fn wire_rules_415_404_and_validation() {
    let fake = Fake::start().await;
    let raw = reqwest::Client::new();
    let post_form = raw
        .post(format!("{}/api/compose.deploy", fake.url))
        .header("x-api-key", API_KEY)
        .header("content-type", "application/x-www-form-urlencoded")
        .body("composeId=x")
        .send()
        .await
        .unwrap();
    assert_eq!(post_form.status().as_u16(), 415);
    let wrong_method = raw
        .get(format!("{}/api/compose.deploy?composeId=x", fake.url))
        .header("x-api-key", API_KEY)
        .send()
        .await
        .unwrap();
    assert_eq!(wrong_method.status().as_u16(), 404);
    let body: serde_json::Value = wrong_method.json().await.unwrap();
    assert_eq!(body["message"], "Not found");
    let client = client(&fake);
    let err = client.compose_deploy("", "t").await.unwrap_err();
    let DokployError::Api { error, .. } = &err else { panic!("{err:?}") };
    assert_eq!((error.status, error.code.as_str()), (400, "BAD_REQUEST"));
    assert!(error.issues[0].starts_with("composeId: Too small"), "{:?}", error.issues);
    let missing = client.compose_one("nope").await.unwrap_err();
    assert!(missing.to_string().contains("Compose not found"), "{missing}");
}

#[tokio::test]
async fn idempotent_calls_retry_on_5xx_and_429_others_do_not() {
    let fake = Fake::start().await;
    let client = client(&fake);
    fake.state().faults.fail_next.extend([500, 429]);
    assert!(client.project_all().await.unwrap().is_empty());
    assert_eq!(fake.count("project.all"), 3);
    let compose_id = fake.seed_supabase("shop", false);
    fake.state().faults.fail_next.push_back(502);
    let err = client.compose_deploy(&compose_id, "t").await.unwrap_err();
    assert_eq!(err.status(), Some(502));
    assert_eq!(fake.count("compose.deploy"), 1);
    fake.state().faults.fail_next.extend([500, 500, 500]);
    assert_eq!(client.project_all().await.unwrap_err().status(), Some(500));
    assert_eq!(fake.count("project.all"), 6);
}

#[tokio::test]
async fn timeouts_are_retried_for_reads_only() {
    let fake = Fake::start().await;
    let client = client(&fake);
    let compose_id = fake.seed_supabase("shop", false);
    fake.state().faults.hang_next = 1;
    assert_eq!(client.compose_one(&compose_id).await.unwrap().compose_id, compose_id);
    assert_eq!(fake.count("compose.one"), 2);
    fake.state().faults.hang_next = 1;
    let err = client.compose_redeploy(&compose_id, "t").await.unwrap_err();
    assert!(matches!(err, DokployError::Timeout { .. }), "{err:?}");
    assert_eq!(fake.count("compose.redeploy"), 1);
}

#[tokio::test]
async fn a_queued_deploy_changes_nothing_until_the_worker_starts_it() {
    let fake = Fake::start().await;
    let client = client(&fake);
    let compose_id = fake.seed_supabase("shop", false);
    fake.pause_queue();
    client.compose_deploy(&compose_id, "first").await.unwrap();
    assert_eq!(client.compose_one(&compose_id).await.unwrap().compose_status, ComposeStatus::Idle);
    assert!(client.deployment_all_by_compose(&compose_id).await.unwrap().is_empty());
    let quiet = &mut |_: String| {};
    let short = Duration::from_millis(300);
    let waited = wait_for_new(&client, &compose_id, &Baseline::default(), "first", short, quiet).await.unwrap();
    assert_eq!((waited.status, waited.deployment.is_none()), (Outcome::NotStarted, true));
    assert!(waited.message.contains("queued and not started"), "{}", waited.message);
    fake.resume_queue();
    let mut notes = Vec::new();
    let waited =
        wait_for_new(&client, &compose_id, &Baseline::default(), "first", LONG, &mut |m| notes.push(m)).await.unwrap();
    assert_eq!(waited.status, Outcome::Done);
    let first = waited.deployment.unwrap();
    assert_eq!((first.title.as_deref(), first.status), (Some("first"), DeploymentStatus::Done));
    assert!(notes.iter().any(|n| n.contains(&first.deployment_id)), "{notes:?}");
    assert_eq!(client.compose_one(&compose_id).await.unwrap().compose_status, ComposeStatus::Done);
}

#[tokio::test]
async fn deploy_and_wait_follows_its_own_deployment_behind_another() {
    let fake = Fake::start().await;
    let client = client(&fake);
    let compose_id = fake.seed_supabase("shop", true);
    let seed = client.deployment_all_by_compose(&compose_id).await.unwrap().remove(0);
    fake.set_deploy_delays(Duration::ZERO, Duration::from_millis(400));
    client.compose_deploy(&compose_id, "someone else").await.unwrap();
    let quiet = &mut |_: String| {};
    let waited = deploy_and_wait(&client, &compose_id, Request::Redeploy, "ours", LONG, quiet).await.unwrap();
    assert_eq!(waited.status, Outcome::Done);
    assert_eq!(waited.deployment.as_ref().and_then(|d| d.title.as_deref()), Some("ours"));
    let listed = client.deployment_all_by_compose(&compose_id).await.unwrap();
    let titles: Vec<(Option<&str>, DeploymentStatus)> = listed.iter().map(|d| (d.title.as_deref(), d.status)).collect();
    assert_eq!(titles[..2], [(Some("ours"), DeploymentStatus::Done), (Some("someone else"), DeploymentStatus::Done)]);
    // The baseline was read after the other request: its newest is the seed or the other deployment.
    let previous = waited.previous_deployment_id.unwrap();
    assert!(previous == seed.deployment_id || previous == listed[1].deployment_id, "{previous}");
}

#[tokio::test]
async fn deploy_runs_the_status_machine_and_fills_containers_and_logs() {
    let fake = Fake::start().await;
    let client = client(&fake);
    let compose_id = fake.seed_supabase("shop", false);
    assert_eq!(client.compose_one(&compose_id).await.unwrap().compose_status, ComposeStatus::Idle);
    let quiet = &mut |_: String| {};
    let first = deploy_and_wait(&client, &compose_id, Request::Deploy, "first", LONG, quiet).await.unwrap();
    assert_eq!((first.status, first.previous_deployment_id.clone()), (Outcome::Done, None));
    let second = deploy_and_wait(&client, &compose_id, Request::Redeploy, "second", LONG, quiet).await.unwrap();
    assert_eq!(second.status, Outcome::Done);
    assert_eq!(second.previous_deployment_id, first.deployment.map(|d| d.deployment_id));
    let deployments = client.deployment_all_by_compose(&compose_id).await.unwrap();
    assert_eq!(deployments.iter().map(|d| d.title.as_deref().unwrap()).collect::<Vec<_>>(), ["second", "first"]);
    assert!(deployments.iter().all(|d| d.status == DeploymentStatus::Done));
    let log = client.deployment_read_logs(&deployments[0].deployment_id, 2).await.unwrap();
    assert_eq!(log.lines().count(), 2);
    assert!(log.contains("Docker Compose Deployed"), "{log}");
    let compose = client.compose_one(&compose_id).await.unwrap();
    let containers = client.docker_containers(&compose.app_name, None).await.unwrap();
    assert_eq!(containers.len(), 13);
    let kong = containers.iter().find(|c| c.service(&compose.app_name) == "kong").unwrap();
    assert_eq!(kong.health(), "healthy");
    let lines = client.compose_read_logs(&compose_id, &kong.container_id, 10, "all", Some("ERROR")).await.unwrap();
    assert_eq!(lines.lines().count(), 1);
    client.docker_restart_container(&kong.container_id, None).await.unwrap();
    assert_eq!(fake.state().restarts, vec![kong.container_id.clone()]);
    assert_eq!(client.compose_load_services(&compose_id).await.unwrap().len(), 13);
}

#[tokio::test]
async fn a_failing_deploy_ends_in_error_with_the_log_line() {
    let fake = Fake::start().await;
    let client = client(&fake);
    let compose_id = fake.seed_supabase("shop", false);
    fake.state().faults.deploy_fails = true;
    let quiet = &mut |_: String| {};
    let waited = deploy_and_wait(&client, &compose_id, Request::Deploy, "t", LONG, quiet).await.unwrap();
    assert_eq!(waited.status, Outcome::Error);
    assert_eq!(client.compose_one(&compose_id).await.unwrap().compose_status, ComposeStatus::Error);
    let latest = client.compose_one(&compose_id).await.unwrap().latest_deployment().cloned().unwrap();
    assert_eq!(latest.status, DeploymentStatus::Error);
    assert_eq!(Some(&latest.deployment_id), waited.deployment.as_ref().map(|d| &d.deployment_id));
    assert!(waited.message.contains(latest.error_message.as_deref().unwrap()), "{}", waited.message);
    let log = client.deployment_read_logs(&latest.deployment_id, 100).await.unwrap();
    assert!(log.contains("Error occurred ❌"), "{log}");
}

#[tokio::test]
async fn env_is_replaced_whole_and_domains_update() {
    let fake = Fake::start().await;
    let client = client(&fake);
    let compose_id = fake.seed_supabase("shop", false);
    client.compose_update(&compose_id, serde_json::json!({"env": "ONLY=1"})).await.unwrap();
    assert_eq!(fake.env_of(&compose_id), "ONLY=1");
    client.compose_set_env(&compose_id, "OTHER=2").await.unwrap();
    assert_eq!(client.compose_one(&compose_id).await.unwrap().env_text(), "OTHER=2");
    assert_eq!(fake.count("compose.saveEnvironment"), 1);
    let domain = client.domain_by_compose(&compose_id).await.unwrap().remove(0);
    let updated = client.domain_update(&domain.domain_id, &DomainSpec::kong("db.example.com", true)).await.unwrap();
    assert_eq!((updated.host.as_str(), updated.https), ("db.example.com", true));
    assert_eq!(updated.certificate_type.as_deref(), Some("letsencrypt"));
    client.domain_delete(&domain.domain_id).await.unwrap();
    let created = client.domain_create(&compose_id, &DomainSpec::kong("x.example.com", false)).await.unwrap();
    assert_eq!(client.domain_by_compose(&compose_id).await.unwrap(), vec![created]);
    client.compose_delete(&compose_id, true).await.unwrap();
    assert!(client.compose_one(&compose_id).await.unwrap_err().is_not_found());
}
