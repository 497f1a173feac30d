//! The setup wizard's remote steps, run in order and recorded one by one so a failure can be resumed
//! or rolled back: create the project (and environment) and the compose from the template, replace the
//! template's env with ours, set the kong domain to https with Let's Encrypt, deploy, wait for the
//! status machine to settle (reporting the log tail), and check the containers. Progress lines go to
//! a channel; the tool layer turns them into MCP progress notifications.

use super::client::Client;
use super::inspect::{Health, assess};
use super::ops::wait_settled;
use super::types::{ComposeStatus, DomainSpec, Parent};
use super::wizard::{Record, Records, apply};
use crate::failure::Failure;
use crate::supabase::env::EnvFile;
use std::time::{Duration, Instant};
use tokio::sync::mpsc::UnboundedSender;

/// The remote steps, in order.
pub const STEPS: [&str; 5] = ["create", "env", "domain", "deploy", "wait"];

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
    if record.failed.as_deref() == Some("wait") {
        // The deployment ended in error or did not finish: a resume deploys again.
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
            "deploy" => {
                let id = record.compose_id.clone().unwrap_or_default();
                client.compose_deploy(&id, "supamcp: first deploy").await.map_err(dokploy)
            }
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
    let started = Instant::now();
    loop {
        let slice = Duration::from_secs(15).min(wait.saturating_sub(started.elapsed()));
        let (status, latest) = wait_settled(client, &compose_id, slice).await.map_err(|e| e.failure(client.name()))?;
        let tail = match &latest {
            Some(d) => client.deployment_read_logs(&d.deployment_id, 5).await.unwrap_or_default(),
            None => String::new(),
        };
        let tail = crate::audit::redact_text(&tail);
        let _ = progress.send(format!("wait: {status:?}; log: {}", tail.lines().last().unwrap_or("")));
        match status {
            ComposeStatus::Done => return Ok(()),
            ComposeStatus::Error => {
                let why =
                    latest.and_then(|d| d.error_message).unwrap_or_else(|| "the deployment ended in error".to_owned());
                return Err(Failure::new(
                    "the deployment failed",
                    format!("{why}; log tail:\n{tail}"),
                    "read the full log with dokploy_get_logs and fix the cause",
                ));
            }
            _ if started.elapsed() >= wait => {
                return Err(Failure::new(
                    "the deployment did not finish in time",
                    format!("still {status:?} after {}s", wait.as_secs()),
                    "wait longer (wait_seconds) and resume; the first deploy pulls 13 images",
                ));
            }
            _ => {}
        }
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
