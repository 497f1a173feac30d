//! A stateful fake Dokploy on 127.0.0.1:0 that follows `reference/dokploy-openapi-subset.json` and the
//! facts in `reference/dokploy.md`: `x-api-key` auth (401 `{"message":"Unauthorized"}`), GET with query
//! parameters, POST with JSON (415 without the content type), 404 for a wrong method, zod-style 400s,
//! appName suffixes, project → environment → compose (or project → compose when it pretends to be
//! older than v0.25), `deployTemplate` with env, mounts and a kong domain with https off, the
//! asynchronous deploy with deployments newest first, containers per appName and deployment log text.
//!
//! Deploys are queued as Dokploy's BullMQ worker runs them: `compose.deploy`/`redeploy` answer at once
//! ("Deployment queued"); nothing changes until the worker picks the job up `queue_delay` later (one
//! job at a time, in order), which sets the compose `running` and inserts the deployment (`running`);
//! `deploy_time` after that both settle to `done` or `error`. Until then the compose shows the previous
//! deploy's status. `pause_queue` holds every queued job until `resume_queue`.
//!
//! File mounts (`mounts.*`, in `compose.one`) are kept and, with `files_root`, written to disk where Dokploy
//! writes them.
//!
//! Faults: the next N requests fail with a 5xx, the next N hang past the client's timeout, deploys end
//! in error, the key expires, one service reports unhealthy, the template makes Dokploy's broken keys.
//!
//! Include it with `#[path = "support/dokploy_fake/mod.rs"] mod dokploy_fake;`.
#![allow(dead_code, clippy::expect_used, clippy::unwrap_used, clippy::panic)]

mod mounts;
mod procedures;
mod routes;
mod supabase;

use serde_json::{Value, json};
use std::collections::{BTreeMap, VecDeque};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;
use supamcp::dokploy::Version;

/// The API key the fake accepts.
pub const API_KEY: &str = "dk_test_fake_api_key_0123456789";

/// Injected faults; each counter is used up request by request.
#[derive(Debug, Default)]
pub struct Faults {
    /// Statuses (5xx or 429) the next requests get, in order.
    pub fail_next: VecDeque<u16>,
    /// Every request to this procedure fails with this status (until cleared).
    pub fail_procedure: Option<(String, u16)>,
    /// How many of the next requests hang for `hang_for` before answering.
    pub hang_next: u32,
    pub hang_for: Duration,
    /// Deployments end in error.
    pub deploy_fails: bool,
    /// The key stops working (401 for every request).
    pub key_expired: bool,
    /// This service's container reports "(unhealthy)" after a deploy.
    pub unhealthy_service: Option<String>,
    /// The template makes identical, role-less keys (Dokploy before v0.25.6).
    pub broken_template_keys: bool,
}

/// Everything the fake remembers.
#[derive(Debug, Default)]
pub struct State {
    pub version: String,
    pub projects: Vec<Value>,
    pub environments: Vec<Value>,
    pub composes: Vec<Value>,
    pub deployments: Vec<Value>,
    pub domains: Vec<Value>,
    pub mounts: Vec<Value>,
    /// Containers by appName.
    pub containers: BTreeMap<String, Vec<Value>>,
    /// Log lines a test set for a container, by container name (`compose.readLogs` answers them).
    pub container_logs: BTreeMap<String, Vec<String>>,
    /// Deployment log text by deploymentId.
    pub deployment_logs: BTreeMap<String, String>,
    /// `(method, procedure)` of every request, in order.
    pub requests: Vec<(String, String)>,
    /// Where file mounts are written as Dokploy writes them (`<root>/<appName>/files/<filePath>`); none: not written.
    pub files_root: Option<std::path::PathBuf>,
    /// The restartContainer calls, by containerId.
    pub restarts: Vec<String>,
    pub faults: Faults,
    /// How long a queued deploy waits before the worker starts it (the compose keeps its old status).
    pub queue_delay: Duration,
    /// How long a started deploy stays `running`.
    pub deploy_time: Duration,
    /// While true the worker starts no queued job.
    pub queue_paused: bool,
    /// The worker runs queued jobs one at a time, in order (the fake models concurrency 1): each request takes
    /// the ticket `queued`, and the job starts when `served` reaches it.
    pub queued: u64,
    pub served: u64,
    /// The createdAt of the last deployment (kept strictly increasing, as Dokploy's clock is in practice).
    pub last_created: Option<chrono::DateTime<chrono::Utc>>,
    pub next_id: u64,
}

impl State {
    /// A nanoid-like 21-character id, unique in this fake.
    pub fn id(&mut self, prefix: &str) -> String {
        self.next_id += 1;
        format!("{prefix}{:0>width$}", self.next_id, width = 21 - prefix.len())
    }

    pub fn parsed_version(&self) -> Version {
        Version::parse(&self.version).unwrap_or(Version::new(0, 30, 2))
    }

    pub fn compose_mut(&mut self, compose_id: &str) -> Option<&mut Value> {
        self.composes.iter_mut().find(|c| c["composeId"] == compose_id)
    }

    pub fn compose(&self, compose_id: &str) -> Option<&Value> {
        self.composes.iter().find(|c| c["composeId"] == compose_id)
    }
}

/// A running fake. Dropping it stops the server.
#[derive(Clone)]
pub struct Fake {
    pub url: String,
    state: Arc<Mutex<State>>,
    task: Arc<tokio::task::JoinHandle<()>>,
}

impl Drop for Fake {
    fn drop(&mut self) {
        if Arc::strong_count(&self.task) == 1 {
            self.task.abort();
        }
    }
}

impl Fake {
    /// A fake of the current Dokploy (v0.30.2).
    pub async fn start() -> Fake {
        Fake::with_version("v0.30.2").await
    }

    /// A fake that reports `version` and answers with that version's shapes.
    pub async fn with_version(version: &str) -> Fake {
        let state = State {
            version: version.to_owned(),
            queue_delay: Duration::from_millis(50),
            deploy_time: Duration::from_millis(150),
            faults: Faults { hang_for: Duration::from_secs(5), ..Faults::default() },
            ..State::default()
        };
        let state = Arc::new(Mutex::new(state));
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind the fake");
        let address = listener.local_addr().expect("fake address");
        let app = routes::router(state.clone());
        let task = tokio::spawn(async move {
            axum::serve(listener, app).await.expect("fake server");
        });
        Fake { url: format!("http://{address}"), state, task: Arc::new(task) }
    }

    /// The fake's state, for setting faults and reading what happened.
    pub fn state(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// How many requests reached `procedure`.
    pub fn count(&self, procedure: &str) -> usize {
        self.state().requests.iter().filter(|(_, p)| p == procedure).count()
    }

    /// Sets how long queued deploys wait before they start and how long they then run.
    pub fn set_deploy_delays(&self, queue_delay: Duration, deploy_time: Duration) {
        let mut state = self.state();
        state.queue_delay = queue_delay;
        state.deploy_time = deploy_time;
    }

    /// Holds every queued deploy (they are accepted but do not start) until `resume_queue`.
    pub fn pause_queue(&self) {
        self.state().queue_paused = true;
    }

    /// Lets the worker start queued deploys again.
    pub fn resume_queue(&self) {
        self.state().queue_paused = false;
    }

    /// The deployments of a compose as the fake stores them, newest first.
    pub fn deployments_of(&self, compose_id: &str) -> Vec<Value> {
        self.state().deployments.iter().filter(|d| d["composeId"] == compose_id).cloned().collect()
    }

    /// Creates a project (and its production environment on v0.25+) with a Supabase compose from the
    /// template, deployed or not; returns the composeId.
    pub fn seed_supabase(&self, project: &str, deployed: bool) -> String {
        let mut state = self.state();
        let (project_id, environment_id) = procedures::insert_project(&mut state, project);
        let compose = supabase::deploy_template(&mut state, &project_id, environment_id.as_deref(), project);
        let compose_id = compose["composeId"].as_str().unwrap_or_default().to_owned();
        if deployed {
            let deployment = procedures::start_deployment(&mut state, &compose_id, "Seed deployment");
            procedures::finish_deployment(&mut state, &compose_id, &deployment);
        }
        compose_id
    }

    /// The env of a compose as the fake stores it.
    pub fn env_of(&self, compose_id: &str) -> String {
        self.state().compose(compose_id).and_then(|c| c["env"].as_str()).unwrap_or_default().to_owned()
    }

    /// The compose file of a compose as the fake stores it.
    pub fn compose_file_of(&self, compose_id: &str) -> String {
        self.state().compose(compose_id).and_then(|c| c["composeFile"].as_str()).unwrap_or_default().to_owned()
    }

    /// Overwrites the env of a compose (to set up broken stacks).
    pub fn set_env(&self, compose_id: &str, env: &str) {
        if let Some(compose) = self.state().compose_mut(compose_id) {
            compose["env"] = json!(env);
        }
    }
}
