//! The setup wizard's remote steps, run in order and recorded one by one so a failure can be resumed
//! or rolled back: create the project (and environment) and the compose from the template, replace the
//! template's env with ours, set the kong domain to https with Let's Encrypt, deploy (after noting the
//! deployments there were), wait for the deployment that deploy queued to start and settle (reporting
//! the log tail), and check the containers. Progress lines go to
//! a channel; the tool layer turns them into MCP progress notifications.

use super::client::Client;
use super::inspect::{Health, assess};
use super::types::{DeploymentStatus, DomainSpec, Parent};
use super::watch::{self, Baseline, wait_for_new};
use super::wizard::{Record, Records, apply};
use crate::failure::Failure;
use crate::supabase::env::EnvFile;
use std::time::Duration;
use tokio::sync::mpsc::UnboundedSender;

/// The remote steps, in order.
pub const STEPS: [&str; 5] = ["create", "env", "domain", "deploy", "wait"];

/// The title of the wizard's deployment.
const DEPLOY_TITLE: &str = "supamcp: first deploy";

/// How a run ended.
pub struct Outcome {
    pub health: Health,
    pub url: String,
}

/// Runs the remaining steps of `record`, saving it after each one.
pub async fn run(
    client: &Client,
    records: &Records,
    record: &mut Record,
    wait: Duration,
    progress: &UnboundedSender<String>,
) -> Result<Outcome, Failure> {
    let dokploy = |e: super::error::DokployError| e.failure(client.name());
    if record.failed.as_deref() == Some("wait") && deploy_again(client, record).await? {
        record.done.retain(|step| step != "deploy");
    }
    for step in STEPS {
        if record.is_done(step) {
            let _ = progress.send(format!("{step}: already done"));
            continue;
        }
        let _ = progress.send(format!("{step}: started"));
        let result = match step {
            "create" => create(client, record).await.map_err(dokploy),
            "env" => replace_env(client, record).await,
            "domain" => set_domain(client, record).await.map_err(dokploy),
            "deploy" => deploy(client, record).await.map_err(dokploy),
            "wait" => wait_done(client, record, wait, progress).await,
            _ => Ok(()),
        };
        if let Err(failure) = result {
            record.failed = Some(step.to_owned());
            records.save(record)?;
            return Err(Failure::new(
                format!("deploy {} stopped at step '{step}': {}", record.id, failure.what),
                failure.why,
                format!(
                    "{}; then continue with dokploy_deploy_supabase {{\"resume\": \"{}\"}}, or remove what was created with dokploy_rollback {{\"deploy_id\": \"{}\", \"confirm\": true}}",
                    failure.fix, record.id, record.id
                ),
            ));
        }
        record.done.push(step.to_owned());
        record.failed = None;
        records.save(record)?;
        let _ = progress.send(format!("{step}: done"));
    }
    let compose_id = record.compose_id.clone().unwrap_or_default();
    let compose = client.compose_one(&compose_id).await.map_err(dokploy)?;
    let containers =
        client.docker_containers(&compose.app_name, compose.server_id.as_deref()).await.map_err(dokploy)?;
    let latest = client.deployment_all_by_compose(&compose_id).await.map_err(dokploy)?.into_iter().next();
    Ok(Outcome { health: assess(&compose, &containers, latest.as_ref()), url: format!("https://{}", record.domain) })
}

async fn create(client: &Client, record: &mut Record) -> Result<(), super::error::DokployError> {
    if record.project_id.is_none() {
        let created = client.project_create(&record.project_name, "Supabase, deployed by supamcp").await?;
        record.project_id = Some(created.project_id);
        record.environment_id = created.environment_id;
        record.project_created = true;
    }
    let project_id = record.project_id.clone().unwrap_or_default();
    let parent = match &record.environment_id {
        Some(id) => Parent::Environment(id.clone()),
        None => client.parent_for(&project_id).await?,
    };
    if let Parent::Environment(id) = &parent {
        record.environment_id = Some(id.clone());
    }
    let compose = client.compose_deploy_template(&parent, "supabase", record.server_id.as_deref()).await?;
    record.compose_id = Some(compose.compose_id);
    record.app_name = Some(compose.app_name);
    Ok(())
}

/// Notes the deployments there are, then queues the deploy (sent once).
async fn deploy(client: &Client, record: &mut Record) -> Result<(), super::error::DokployError> {
    let compose_id = record.compose_id.clone().unwrap_or_default();
    record.deploy_baseline = Some(Baseline::take(client, &compose_id).await?);
    client.compose_deploy(&compose_id, DEPLOY_TITLE).await
}

/// After a failed wait: deploy again only when the deployment ended in error or was cancelled (or the
/// record predates baselines); one still queued or running is waited for again, not doubled.
async fn deploy_again(client: &Client, record: &Record) -> Result<bool, Failure> {
    let (Some(baseline), Some(compose_id)) = (&record.deploy_baseline, &record.compose_id) else {
        return Ok(true);
    };
    let deployments = client.deployment_all_by_compose(compose_id).await.map_err(|e| e.failure(client.name()))?;
    let ours = baseline.pick(&deployments, DEPLOY_TITLE);
    Ok(ours.is_some_and(|d| matches!(d.status, DeploymentStatus::Error | DeploymentStatus::Cancelled)))
}

async fn replace_env(client: &Client, record: &Record) -> Result<(), Failure> {
    let compose_id = record.compose_id.clone().unwrap_or_default();
    let compose = client.compose_one(&compose_id).await.map_err(|e| e.failure(client.name()))?;
    let template = EnvFile::parse(compose.env_text()).map_err(|e| {
        Failure::new("the template's env cannot be read", e.to_string(), "check the compose's env in Dokploy")
    })?;
    let ours = apply(&template, &record.vars);
    client.compose_set_env(&compose_id, &ours.to_string()).await.map_err(|e| e.failure(client.name()))
}

async fn set_domain(client: &Client, record: &Record) -> Result<(), super::error::DokployError> {
    let compose_id = record.compose_id.clone().unwrap_or_default();
    let spec = DomainSpec::kong(&record.domain, true);
    let domains = client.domain_by_compose(&compose_id).await?;
    match domains.iter().find(|d| d.service_name.as_deref() == Some("kong")) {
        Some(domain) => client.domain_update(&domain.domain_id, &spec).await.map(drop),
        None => client.domain_create(&compose_id, &spec).await.map(drop),
    }
}

async fn wait_done(
    client: &Client,
    record: &Record,
    wait: Duration,
    progress: &UnboundedSender<String>,
) -> Result<(), Failure> {
    let compose_id = record.compose_id.clone().unwrap_or_default();
    let baseline = record.deploy_baseline.clone().unwrap_or_default();
    let mut note = |message: String| {
        let _ = progress.send(format!("wait: {message}"));
    };
    let waited = wait_for_new(client, &compose_id, &baseline, DEPLOY_TITLE, wait, &mut note).await.map_err(|e| {
        let failure = e.failure(client.name());
        Failure::new(format!("the deployment's progress could not be read: {}", failure.what), failure.why, failure.fix)
    })?;
    let tail = match &waited.deployment {
        Some(d) => client.deployment_read_logs(&d.deployment_id, 5).await.unwrap_or_default(),
        None => String::new(),
    };
    let tail = crate::audit::redact_text(&tail);
    let status = serde_json::to_value(waited.status).ok().and_then(|v| v.as_str().map(str::to_owned));
    let _ = progress.send(format!("wait: {}; log: {}", status.unwrap_or_default(), tail.lines().last().unwrap_or("")));
    match waited.status {
        watch::Outcome::Done => Ok(()),
        watch::Outcome::Error | watch::Outcome::Cancelled => Err(Failure::new(
            "the deployment failed",
            format!("{}; log tail:\n{tail}", waited.message),
            "read the full log with dokploy_get_logs and fix the cause",
        )),
        watch::Outcome::Running => Err(Failure::new(
            "the deployment did not finish in time",
            waited.message,
            "resume with a longer wait_seconds (it waits for the same deployment; the first deploy pulls 13 images)",
        )),
        watch::Outcome::NotStarted => Err(Failure::new(
            "the deployment did not start in time",
            waited.message,
            "resume once Dokploy has started it (the resume waits for the queued deployment, it does not queue another)",
        )),
    }
}

/// Removes what a run created: the compose (with its volumes) and the project when the run made it.
pub async fn remove(client: &Client, record: &mut Record) -> Result<Vec<String>, Failure> {
    let mut removed = Vec::new();
    if let Some(compose_id) = record.compose_id.clone() {
        match client.compose_delete(&compose_id, true).await {
            Ok(()) => removed.push(format!("compose {compose_id}")),
            Err(e) if e.is_not_found() => {}
            Err(e) => return Err(e.failure(client.name())),
        }
    }
    if record.project_created
        && let Some(project_id) = record.project_id.clone()
    {
        match client.project_remove(&project_id).await {
            Ok(()) => removed.push(format!("project {project_id}")),
            Err(e) if e.is_not_found() => {}
            Err(e) => return Err(e.failure(client.name())),
        }
    }
    record.rolled_back = true;
    Ok(removed)
}

/// The answer of one endpoint of the live stack.
#[derive(Clone, Debug, serde::Serialize, schemars::JsonSchema)]
pub struct Probe {
    pub url: String,
    /// The HTTP status, or null when the domain could not be reached.
    pub status: Option<u16>,
    /// ok, failed, or unreachable (DNS or certificate not ready yet).
    pub verdict: String,
}

/// `GET /auth/v1/health` and `/rest/v1/` with the anon key.
pub async fn probe(base: &str, anon_key: &str) -> Vec<Probe> {
    let Ok(http) = reqwest::Client::builder().timeout(Duration::from_secs(10)).build() else {
        return Vec::new();
    };
    let mut out = Vec::new();
    for path in ["/auth/v1/health", "/rest/v1/"] {
        let url = format!("{base}{path}");
        let answer = http.get(&url).header("apikey", anon_key).bearer_auth(anon_key).send().await;
        let (status, verdict) = match answer {
            Ok(response) => {
                let code = response.status().as_u16();
                (Some(code), if response.status().is_success() { "ok" } else { "failed" })
            }
            Err(_) => (None, "unreachable"),
        };
        out.push(Probe { url, status, verdict: verdict.to_owned() });
    }
    out
}
