//! A stateful fake of the Supabase Management API on 127.0.0.1:0, following the published OpenAPI paths
//! supamcp calls: `Authorization: Bearer <PAT>` (401 `{"message":"Unauthorized"}` otherwise), organizations
//! (one paid, one free, one the account may not read: 403), projects with the status machine
//! COMING_UP → ACTIVE_HEALTHY (after a few reads) and pause (INACTIVE) / restore (RESTORING → ACTIVE_HEALTHY),
//! branches (422 where branching is off; CREATING_PROJECT → MIGRATIONS_PASSED → FUNCTIONS_DEPLOYED) whose
//! merge/reset/push start workflow runs (`/v1/projects/{ref}/actions/{id}`: steps RUNNING → EXITED, or a DEAD
//! migrate step with a log when `fail_next_run`), the branch diff, `analytics/endpoints/logs.all` rows per
//! `source`, health, backups, auth and realtime config, the database surface on a real PostgreSQL database
//! (database.rs: SQL with parameters, read-only in a READ ONLY transaction, migrations; types, API keys,
//! advisors), and edge functions with their secrets (`functions.rs`). Faults: the next N requests get 429
//! with a Retry-After; `fail_next_deploy`.
//!
//! Include it with `#[path = "../support/management_fake/mod.rs"] mod management_fake;`.
#![allow(dead_code, clippy::expect_used, clippy::unwrap_used, clippy::panic)]

mod auth_config;
mod database;
pub mod functions;
mod realtime_config;
mod routes;

use serde_json::{Value, json};
use std::collections::BTreeMap;
use std::sync::{Arc, Mutex, MutexGuard};

/// The personal access token the fake accepts.
pub const TOKEN: &str = "sbp_fake0123456789abcdef0123456789abcdef01";
/// A project of the paid organization, up and running, with branching on.
pub const PROJECT: &str = "abcdefghijklmnopqrst";
/// The recovery window of PROJECT's point-in-time recovery (2026-01-01 .. 2026-12-31, Unix seconds).
pub const PITR_EARLIEST: i64 = 1_767_225_600;
pub const PITR_LATEST: i64 = 1_798_675_200;
/// A project of the free organization, without branching.
pub const FREE_PROJECT: &str = "freeprojectrefaaaaaa";

/// A workflow run the fake plays out.
#[derive(Debug, Clone)]
pub struct Run {
    pub branch_ref: String,
    /// Reads left before the run ends.
    pub reads_left: u32,
    pub fails: bool,
}

/// Everything the fake remembers.
#[derive(Debug, Default)]
pub struct State {
    pub organizations: Vec<Value>,
    pub projects: Vec<Value>,
    /// Reads of a COMING_UP/RESTORING project left before it is ACTIVE_HEALTHY.
    pub reads_until_up: BTreeMap<String, u32>,
    pub branches: Vec<Value>,
    pub runs: BTreeMap<String, Run>,
    /// The next workflow run fails in its migrate step.
    pub fail_next_run: bool,
    /// The next N requests are refused with 429 and this Retry-After (seconds).
    pub rate_limit_next: u32,
    pub retry_after_seconds: u64,
    /// `(method, path)` of every request, in order (after the token check).
    pub requests: Vec<(String, String)>,
    /// Bodies of the POSTs, in order.
    pub bodies: Vec<Value>,
    /// Query strings of the logs requests.
    pub log_queries: Vec<BTreeMap<String, String>>,
    /// Log rows each source holds (3 unless a test sets it) and the padding added to each message.
    pub log_rows: i64,
    pub log_message_bytes: usize,
    /// Auth config per project ref (`config/auth`), made on first read.
    pub auth_configs: BTreeMap<String, Value>,
    /// Realtime config per project ref (`config/realtime`), made on first read.
    pub realtime_configs: BTreeMap<String, Value>,
    /// Edge functions per project ref, by slug.
    pub functions: BTreeMap<String, BTreeMap<String, functions::Function>>,
    /// Function secrets per project ref: name -> value (answered as digests).
    pub secrets: BTreeMap<String, BTreeMap<String, String>>,
    /// When each (project ref, secret name) was last set (the list's `updated_at`).
    pub secret_updated: BTreeMap<(String, String), String>,
    /// Every deploy request as parsed, in order.
    pub deploys: Vec<functions::DeployRequest>,
    /// The next deploy fails with the endpoint's opaque 500.
    pub fail_next_deploy: bool,
    /// The Accept header of every `/body` request.
    pub body_accepts: Vec<String>,
    pub next_id: u64,
}

impl State {
    pub fn id(&mut self, prefix: &str) -> String {
        self.next_id += 1;
        format!("{prefix}{:0>8}", self.next_id)
    }

    pub fn project_mut(&mut self, reference: &str) -> Option<&mut Value> {
        self.projects.iter_mut().find(|p| p["id"] == reference)
    }
}

/// A running fake. Dropping it stops the server.
pub struct Fake {
    pub url: String,
    state: Arc<Mutex<State>>,
    task: tokio::task::JoinHandle<()>,
}

impl Drop for Fake {
    fn drop(&mut self) {
        self.task.abort();
    }
}

impl Fake {
    /// A fake whose `database/query` runs nothing (answers 400).
    pub async fn start() -> Fake {
        Fake::serve(None).await
    }

    /// A fake whose `database/query` runs the SQL on `database`.
    pub async fn with_database(database: tokio_postgres::Client) -> Fake {
        Fake::serve(Some(Arc::new(tokio::sync::Mutex::new(database)))).await
    }

    async fn serve(database: Option<routes::Database>) -> Fake {
        let state = Arc::new(Mutex::new(seeded()));
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind the fake");
        let address = listener.local_addr().expect("fake address");
        let app = routes::router(state.clone(), database);
        let task = tokio::spawn(async move {
            axum::serve(listener, app).await.expect("fake server");
        });
        Fake { url: format!("http://{address}"), state, task }
    }

    pub fn state(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// How many requests named `method` and `path`.
    pub fn count(&self, method: &str, path: &str) -> usize {
        self.state().requests.iter().filter(|(m, p)| m == method && p == path).count()
    }

    /// The environment the binary needs to reach this fake.
    pub fn env(&self) -> Vec<(&'static str, String)> {
        vec![("SUPABASE_ACCESS_TOKEN", TOKEN.to_owned()), ("SUPAMCP_MANAGEMENT_API_URL", self.url.clone())]
    }
}

fn project(reference: &str, org: &str, name: &str, status: &str) -> Value {
    json!({
        "id": reference, "ref": reference, "organization_id": org, "organization_slug": org, "name": name,
        "region": "eu-central-1", "status": status, "created_at": "2026-01-05T10:00:00.000Z",
        "database": { "host": format!("db.{reference}.supabase.co"), "version": "15.8.1.085",
                      "postgres_engine": "15", "release_channel": "ga" }
    })
}

fn seeded() -> State {
    State {
        organizations: vec![
            json!({ "id": "acme-paid", "name": "Acme", "plan": "pro", "opt_in_tags": [], "allowed_release_channels": ["ga"] }),
            json!({ "id": "hobby-free", "name": "Hobby", "plan": "free", "opt_in_tags": [], "allowed_release_channels": ["ga"] }),
        ],
        projects: vec![
            project(PROJECT, "acme-paid", "production", "ACTIVE_HEALTHY"),
            project(FREE_PROJECT, "hobby-free", "side project", "ACTIVE_HEALTHY"),
        ],
        retry_after_seconds: 1,
        log_rows: 3,
        ..State::default()
    }
}
