//! The setup wizard `dokploy_deploy_supabase` through the real binary against the fake Dokploy: the dry
//! run, the whole run, name sanitising and conflicts, and failures at the create, domain and wait steps
//! followed by resume or by `dokploy_rollback` with the deploy id; a deploy Dokploy starts late is waited
//! for, and one it has not started is waited for again on resume, not queued twice.
use crate::dokploy_fake;
use crate::mcp_client;

use dokploy_fake::{API_KEY, Fake};
use mcp_client::{Server, start_with_env};
use serde_json::{Value, json};
use std::time::Duration;
use supamcp::supabase::keys::jwt;

async fn serve(fake: &Fake) -> Server {
    start_with_env(&["--features", "dokploy"], &[("DOKPLOY_URL", &fake.url), ("DOKPLOY_API_KEY", API_KEY)]).await
}

fn args(name: &str, extra: Value) -> Value {
    let mut base = json!({"project_name": name, "domain": "db.example.com", "check_endpoints": false});
    for (k, v) in extra.as_object().unwrap() {
        base[k] = v.clone();
    }
    base
}

fn deploy_id(error: &str) -> String {
    let start = error.find("\"resume\": \"").unwrap() + "\"resume\": \"".len();
    error[start..start + 36].to_owned()
}

#[tokio::test]
async fn dry_run_plans_and_changes_nothing() {
    let fake = Fake::start().await;
    let server = serve(&fake).await;
    let plan = server.ok("dokploy_deploy_supabase", args("My Shop!", json!({"dry_run": true}))).await;
    assert_eq!(plan["dry_run"], true);
    assert_eq!(plan["name_change"], "My Shop! -> my-shop");
    let checks: Vec<&str> = plan["checks"].as_array().unwrap().iter().map(|c| c["name"].as_str().unwrap()).collect();
    assert_eq!(checks, ["connect", "name", "conflicts", "secrets", "smtp", "domain", "review"]);
    assert!(plan["connection"]["service_role_key"].as_str().unwrap().contains("chars)"));
    assert!(plan["env"].as_str().unwrap().contains("API_EXTERNAL_URL=https://db.example.com"));
    assert!(!plan["env"].as_str().unwrap().contains(plan["connection"]["anon_key"].as_str().unwrap()));
    assert_eq!((fake.count("project.create"), fake.count("compose.deployTemplate")), (0, 0));
    server.stop().await;
}

#[tokio::test]
async fn the_whole_run_deploys_a_working_stack() {
    let fake = Fake::start().await;
    fake.set_deploy_delays(Duration::from_millis(1500), Duration::from_millis(300));
    let server = serve(&fake).await;
    let smtp = json!({"host": "smtp.example.com", "port": 587, "user": "mailer", "pass": "smtp-secret-password-1", "admin_email": "admin@shop.example.com"});
    let done = server.ok("dokploy_deploy_supabase", args("shop", json!({"smtp": smtp}))).await;
    assert_eq!(done["health"]["verdict"], "healthy", "{done}");
    let compose_id = done["compose_id"].as_str().unwrap();
    let deployments = fake.deployments_of(compose_id);
    assert_eq!(deployments.len(), 1);
    assert_eq!(
        (deployments[0]["title"].as_str(), deployments[0]["status"].as_str()),
        (Some("supamcp: first deploy"), Some("done"))
    );
    let env = fake.env_of(compose_id);
    assert!(env.contains("SMTP_HOST=smtp.example.com") && env.contains("SITE_URL=https://db.example.com"));
    assert!(!env.contains("fake_mail_password"));
    let anon = done["connection"]["anon_key"].as_str().unwrap();
    assert!(env.contains(&format!("ANON_KEY={anon}")));
    assert_eq!(jwt::decode(anon).unwrap().claims["role"], "anon");
    let service = env.lines().find_map(|l| l.strip_prefix("SERVICE_ROLE_KEY=")).unwrap();
    assert!(!done.to_string().contains(service));
    let domain = fake.state().domains.iter().find(|d| d["composeId"] == compose_id).cloned().unwrap();
    assert_eq!(
        (domain["host"].as_str(), domain["https"].as_bool(), domain["certificateType"].as_str()),
        (Some("db.example.com"), Some(true), Some("letsencrypt"))
    );
    assert_eq!((domain["serviceName"].as_str(), domain["port"].as_u64()), (Some("kong"), Some(8000)));
    let checked = server.ok("dokploy_validate_config", json!({"compose_id": compose_id})).await;
    assert!(checked["dokploy"].as_array().unwrap().is_empty(), "{checked}");
    assert_eq!(checked["env"]["critical"], 0, "{checked}");
    let again = server.err("dokploy_deploy_supabase", args("shop", json!({}))).await;
    assert!(again.contains("already exists"), "{again}");
    server.stop().await;
}

#[tokio::test]
async fn a_failed_create_is_rolled_back() {
    let fake = Fake::start().await;
    fake.state().faults.fail_procedure = Some(("compose.deployTemplate".to_owned(), 500));
    let server = serve(&fake).await;
    let error = server.err("dokploy_deploy_supabase", args("shop", json!({}))).await;
    assert!(error.contains("stopped at step 'create'"), "{error}");
    assert_eq!(fake.state().projects.len(), 1);
    let id = deploy_id(&error);
    let refused = server.err("dokploy_rollback", json!({"deploy_id": id})).await;
    assert!(refused.contains("confirm"), "{refused}");
    let removed = server.ok("dokploy_rollback", json!({"deploy_id": id, "confirm": true})).await;
    assert_eq!(removed["removed"].as_array().unwrap().len(), 1, "{removed}");
    assert!(fake.state().projects.is_empty());
    let gone = server.err("dokploy_deploy_supabase", json!({"resume": id})).await;
    assert!(gone.contains("rolled back"), "{gone}");
    server.stop().await;
}

#[tokio::test]
async fn a_failed_domain_step_is_resumed() {
    let fake = Fake::start().await;
    fake.state().faults.fail_procedure = Some(("domain.update".to_owned(), 503));
    let server = serve(&fake).await;
    let error = server.err("dokploy_deploy_supabase", args("shop", json!({}))).await;
    assert!(error.contains("stopped at step 'domain'"), "{error}");
    fake.state().faults.fail_procedure = None;
    let resumed =
        server.ok("dokploy_deploy_supabase", json!({"resume": deploy_id(&error), "check_endpoints": false})).await;
    assert_eq!(resumed["health"]["verdict"], "healthy");
    assert_eq!(fake.state().composes.len(), 1);
    assert_eq!(fake.count("compose.deployTemplate"), 1);
    server.stop().await;
}

#[tokio::test]
async fn a_failed_deploy_reports_the_log_and_resumes() {
    let fake = Fake::start().await;
    fake.state().faults.deploy_fails = true;
    let server = serve(&fake).await;
    let error = server.err("dokploy_deploy_supabase", args("shop", json!({}))).await;
    assert!(error.contains("stopped at step 'wait'") && error.contains("Error occurred"), "{error}");
    fake.state().faults.deploy_fails = false;
    let id = deploy_id(&error);
    let resumed = server.ok("dokploy_deploy_supabase", json!({"resume": id, "check_endpoints": false})).await;
    assert_eq!(resumed["health"]["verdict"], "healthy", "{resumed}");
    assert_eq!(fake.count("compose.deploy"), 2);
    assert_eq!(fake.count("project.create"), 1);
    server.stop().await;
}

#[tokio::test]
async fn a_deploy_not_started_in_time_is_waited_for_on_resume_not_queued_again() {
    let fake = Fake::start().await;
    fake.pause_queue();
    let server = serve(&fake).await;
    let error = server.err("dokploy_deploy_supabase", args("shop", json!({"wait_seconds": 1}))).await;
    assert!(error.contains("stopped at step 'wait'") && error.contains("did not start"), "{error}");
    assert!(error.contains("queued and not started"), "{error}");
    let compose_id = fake.state().composes[0]["composeId"].as_str().unwrap().to_owned();
    assert!(fake.deployments_of(&compose_id).is_empty());
    fake.resume_queue();
    let resumed =
        server.ok("dokploy_deploy_supabase", json!({"resume": deploy_id(&error), "check_endpoints": false})).await;
    assert_eq!(resumed["health"]["verdict"], "healthy", "{resumed}");
    assert_eq!(fake.count("compose.deploy"), 1);
    let deployments = fake.deployments_of(&compose_id);
    assert_eq!(deployments.len(), 1);
    assert_eq!(deployments[0]["status"], "done");
    server.stop().await;
}

#[tokio::test]
async fn a_failure_at_any_remote_step_resumes_to_a_working_stack() {
    for (procedure, step) in
        [("project.create", "create"), ("compose.saveEnvironment", "env"), ("compose.deploy", "deploy")]
    {
        let fake = Fake::start().await;
        fake.state().faults.fail_procedure = Some((procedure.to_owned(), 500));
        let server = serve(&fake).await;
        let error = server.err("dokploy_deploy_supabase", args("shop", json!({}))).await;
        assert!(error.contains(&format!("stopped at step '{step}'")), "{procedure}: {error}");
        fake.state().faults.fail_procedure = None;
        let resumed =
            server.ok("dokploy_deploy_supabase", json!({"resume": deploy_id(&error), "check_endpoints": false})).await;
        assert_eq!(resumed["health"]["verdict"], "healthy", "{procedure}: {resumed}");
        let counts = {
            let state = fake.state();
            (state.projects.len(), state.composes.len())
        };
        assert_eq!(counts, (1, 1), "{procedure}");
        let env = fake.env_of(resumed["compose_id"].as_str().unwrap());
        assert!(env.contains("API_EXTERNAL_URL=https://db.example.com"), "{procedure}");
        server.stop().await;
    }
}

/// A client that keeps the progress notifications it receives.
#[derive(Clone, Default)]
struct Recorder(std::sync::Arc<std::sync::Mutex<Vec<String>>>);

impl rmcp::ClientHandler for Recorder {
    fn on_progress(
        &self,
        params: rmcp::model::ProgressNotificationParam,
        _context: rmcp::service::NotificationContext<rmcp::RoleClient>,
    ) -> impl Future<Output = ()> + Send + '_ {
        self.0.lock().unwrap().push(params.message.unwrap_or_default());
        std::future::ready(())
    }
}

#[tokio::test]
async fn the_wizard_reports_progress_when_asked() {
    use rmcp::ServiceExt;
    use rmcp::model::{CallToolRequestParams, NumberOrString, ProgressToken, RequestMetaObject};
    let fake = Fake::start().await;
    let data_dir = tempfile::tempdir().unwrap();
    let mut command = tokio::process::Command::new(env!("CARGO_BIN_EXE_supamcp"));
    command
        .args(["--features", "dokploy", "--data-dir"])
        .arg(data_dir.path())
        .env("SUPAMCP_LOG", "warn")
        .env_remove("SUPAMCP_CONFIG")
        .env("DOKPLOY_URL", &fake.url)
        .env("DOKPLOY_API_KEY", API_KEY);
    let transport = rmcp::transport::TokioChildProcess::new(command).unwrap();
    let recorder = Recorder::default();
    let client = recorder.clone().serve(transport).await.unwrap();
    let arguments = args("shop", json!({})).as_object().cloned().unwrap();
    let mut request = CallToolRequestParams::new("dokploy_deploy_supabase").with_arguments(arguments);
    request.meta = Some(RequestMetaObject::with_progress_token(ProgressToken(NumberOrString::Number(1))));
    let result = client.call_tool(request).await.unwrap();
    assert_ne!(result.is_error, Some(true));
    // Notifications are handled on the client's own task: give the last ones a moment to land.
    for _ in 0..200 {
        if recorder.0.lock().unwrap().iter().any(|m| m == "wait: done") {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(10)).await;
    }
    let messages = recorder.0.lock().unwrap().clone();
    for step in ["create: done", "env: done", "domain: done", "deploy: done", "wait: done"] {
        assert!(messages.iter().any(|m| m == step), "{step} missing from {messages:?}");
    }
    assert!(messages.iter().any(|m| m.starts_with("wait: done; log: ")), "{messages:?}");
    assert!(messages.iter().any(|m| m.starts_with("wait: deployment ") && m.contains("started")), "{messages:?}");
    let _ = client.cancel().await;
}
