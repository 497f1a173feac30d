//! A stateful fake of Supabase Auth (GoTrue v2.186) behind a Kong-like gateway, on 127.0.0.1:0, following
//! `reference/supabase-services.md` §1: paths under `/auth/v1`, Kong's key check on `apikey` (401
//! `{"message": ...}`), GoTrue's admin check on the Bearer (401 no_authorization, 403 bad_jwt / not_admin),
//! 200 on create, 422 email_exists / phone_exists / weak_password, 404 user_not_found and the 404
//! validation_failed of a non-UUID id, both error shapes (legacy `{code: <int>, error_code, msg}`, and
//! `{code: "<error_code>", message}` when the request says `X-Supabase-Api-Version: 2024-01-01`) with the
//! `x-sb-error-code` header, `X-Total-Count` and `Link` pagination, identities with GoTrue's id quirk, MFA
//! factors, generate_link, invite, the audit log, and sign-in / refresh (`POST /token`). Users live in memory and,
//! with a database (`with_database`), are written to the fixture's auth.* tables after every change as GoTrue
//! writes them (`mirror.rs`); sessions and refresh tokens live only there (`sessions.rs`), as GoTrue keeps them.
//!
//! Faults: the next requests get given statuses (5xx, 429), or hang for a while before answering.
//!
//! Include it with `#[path = "../support/gotrue_fake/mod.rs"] mod gotrue_fake;`.
#![allow(dead_code, clippy::expect_used, clippy::unwrap_used, clippy::panic)]

mod mirror;
mod routes;
mod sessions;
mod users;

use serde_json::{Value, json};
use std::collections::VecDeque;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

/// The service-role key the fake's Kong and GoTrue accept (JWT-shaped, so it is also sent as the Bearer).
pub const SERVICE_KEY: &str = "eyJhbGciOiJIUzI1NiJ9.eyJyb2xlIjoic2VydmljZV9yb2xlIn0.fake-service-signature-0123456789";
/// The anon key: Kong lets it through, GoTrue's admin check refuses it (403 not_admin).
pub const ANON_KEY: &str = "eyJhbGciOiJIUzI1NiJ9.eyJyb2xlIjoiYW5vbiJ9.fake-anon-signature-0123456789";
/// An opaque secret key: Kong swaps it for the service-role JWT.
pub const SECRET_KEY: &str = "sb_secret_fakefakefakefakefake12_abcdefgh";
/// A key Kong knows whose signature GoTrue rejects (403 bad_jwt).
pub const FOREIGN_KEY: &str = "eyJhbGciOiJIUzI1NiJ9.eyJyb2xlIjoic2VydmljZV9yb2xlIn0.signed-with-another-secret";

/// Injected faults, used up request by request.
#[derive(Debug, Default)]
pub struct Faults {
    /// Statuses (5xx or 429) the next requests get, in order.
    pub fail_next: VecDeque<u16>,
    /// How many of the next requests wait `hang_for` before answering.
    pub hang_next: u32,
    pub hang_for: Duration,
}

/// One user as the fake keeps it: GoTrue's JSON plus what GoTrue never returns.
#[derive(Debug, Clone)]
pub struct StoredUser {
    pub json: Value,
    /// Whether encrypted_password is set (GoTrue sets a random one when none is given).
    pub has_password: bool,
    /// The TOTP secrets of the user's factors (never returned).
    pub factor_secrets: Vec<String>,
    /// The plain password given (the fake checks sign-ins against it; GoTrue keeps only the bcrypt hash).
    pub password: Option<String>,
}

/// Everything the fake remembers.
#[derive(Debug, Default)]
pub struct State {
    /// Oldest first.
    pub users: Vec<StoredUser>,
    /// Newest last.
    pub audit: Vec<Value>,
    /// `METHOD path?query` of every request, in order.
    pub requests: Vec<String>,
    /// The raw bodies of every request (to check what was sent).
    pub bodies: Vec<String>,
    pub faults: Faults,
    /// The last `created_at`, kept strictly increasing.
    pub clock: Option<chrono::DateTime<chrono::Utc>>,
    pub emails_sent: Vec<String>,
    /// How many audit rows were written to the database so far.
    pub synced_audit: usize,
    /// Keys laid over the default `/settings` reply (a differently configured GoTrue).
    pub settings_changes: serde_json::Map<String, Value>,
}

impl State {
    /// A strictly increasing RFC 3339 time, as GoTrue prints it.
    pub fn now(&mut self) -> String {
        let mut now = chrono::Utc::now();
        if let Some(last) = self.clock
            && now <= last
        {
            now = last + chrono::Duration::microseconds(1);
        }
        self.clock = Some(now);
        now.to_rfc3339_opts(chrono::SecondsFormat::Micros, true)
    }

    pub fn user(&self, id: &str) -> Option<&StoredUser> {
        self.users.iter().find(|u| u.json["id"] == id)
    }

    pub fn user_mut(&mut self, id: &str) -> Option<&mut StoredUser> {
        self.users.iter_mut().find(|u| u.json["id"] == id)
    }

    pub fn by_email(&self, email: &str) -> Option<&StoredUser> {
        let email = email.to_lowercase();
        self.users.iter().find(|u| u.json["email"] == email.as_str() && u.json["deleted_at"].is_null())
    }

    /// Appends an audit row as GoTrue writes it.
    pub fn log(&mut self, action: &str, log_type: &str, traits: Value) {
        let created_at = self.now();
        self.audit.push(json!({
            "id": uuid::Uuid::new_v4().to_string(),
            "payload": {"actor_id": "00000000-0000-0000-0000-000000000000", "actor_username": "service_role",
                "actor_via_sso": false, "action": action, "log_type": log_type, "traits": traits},
            "created_at": created_at,
            "ip_address": "",
        }));
    }
}

/// A running fake. Dropping the last clone stops the server.
#[derive(Clone)]
pub struct Fake {
    /// The gateway URL (the `/auth/v1` prefix is below it, as on Kong).
    pub url: String,
    state: Arc<Mutex<State>>,
    database: Option<routes::Database>,
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
    pub async fn start() -> Fake {
        Fake::serve(None).await
    }

    /// A fake that also writes its users, identities and audit rows to a real auth schema after every change,
    /// as GoTrue does (`client` is a superuser connection to the fixture database).
    pub async fn with_database(client: tokio_postgres::Client) -> Fake {
        client.batch_execute(mirror::GOTRUE_TABLES).await.expect("create GoTrue's tables");
        Fake::serve(Some(Arc::new(tokio::sync::Mutex::new(client)))).await
    }

    async fn serve(database: Option<routes::Database>) -> Fake {
        let state =
            State { faults: Faults { hang_for: Duration::from_secs(5), ..Faults::default() }, ..State::default() };
        let state = Arc::new(Mutex::new(state));
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind the fake");
        let address = listener.local_addr().expect("fake address");
        let app = routes::router(state.clone(), database.clone());
        let task = tokio::spawn(async move {
            axum::serve(listener, app).await.expect("fake server");
        });
        Fake { url: format!("http://{address}"), state, database, task: Arc::new(task) }
    }

    pub fn state(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// The environment that points supamcp at this fake with the service-role key.
    pub fn env(&self) -> [(&'static str, String); 2] {
        [("SUPABASE_URL", self.url.clone()), ("SUPABASE_SERVICE_ROLE_KEY", SERVICE_KEY.to_owned())]
    }

    /// Inserts `count` confirmed email users (`user0001@example.com` ...) directly; returns their ids, oldest first.
    pub fn seed_users(&self, count: usize) -> Vec<String> {
        let mut state = self.state();
        (1..=count)
            .map(|n| {
                let attributes = json!({"email": format!("user{n:04}@example.com"), "email_confirm": true});
                users::insert(&mut state, &attributes).expect("seed user")["id"].as_str().unwrap().to_owned()
            })
            .collect()
    }

    /// Adds a verified TOTP factor to a user; returns its id.
    pub fn add_factor(&self, user_id: &str, name: &str) -> String {
        let mut state = self.state();
        let now = state.now();
        let id = uuid::Uuid::new_v4().to_string();
        let user = state.user_mut(user_id).expect("user exists");
        user.factor_secrets.push("JBSWY3DPEHPK3PXP-fake-totp-secret".to_owned());
        let factors = user.json["factors"].as_array_mut().expect("factors array");
        factors.push(json!({"id": id, "created_at": now, "updated_at": now, "status": "verified",
            "friendly_name": name, "factor_type": "totp", "phone": "", "last_challenged_at": null}));
        id
    }

    /// [`Fake::add_factor`], then written to auth.mfa_factors as GoTrue writes an enrolled, verified factor.
    pub async fn enroll_factor(&self, user_id: &str, name: &str) -> String {
        let id = self.add_factor(user_id, name);
        let rows = mirror::rows(&self.state());
        let database = self.database.as_ref().expect("enroll_factor needs with_database");
        mirror::sync(&mut *database.lock().await, &rows, &[]).await.expect("write the factor");
        id
    }

    /// Signs `email` in with its password as a client does (`POST /auth/v1/token?grant_type=password` with the
    /// anon key): the status and GoTrue's reply (a session in the database on success).
    pub async fn sign_in(&self, email: &str, password: &str) -> (u16, Value) {
        self.token("password", json!({"email": email, "password": password})).await
    }

    /// Refreshes a session with its refresh token, as a client does.
    pub async fn refresh(&self, refresh_token: &str) -> (u16, Value) {
        self.token("refresh_token", json!({"refresh_token": refresh_token})).await
    }

    async fn token(&self, grant_type: &str, body: Value) -> (u16, Value) {
        let response = reqwest::Client::new()
            .post(format!("{}/auth/v1/token?grant_type={grant_type}", self.url))
            .header("apikey", ANON_KEY)
            .json(&body)
            .send()
            .await
            .expect("token request");
        let status = response.status().as_u16();
        (status, response.json().await.expect("token reply"))
    }

    /// What GoTrue writes when `session_id` verifies `factor_id`: the session at aal2 bound to the factor.
    pub async fn verify_factor(&self, session_id: &str, factor_id: &str) {
        let database = self.database.as_ref().expect("verify_factor needs with_database");
        sessions::verify_factor(database, session_id, factor_id).await.expect("verify the factor");
    }

    /// The user JSON as stored.
    pub fn user(&self, id: &str) -> Option<Value> {
        self.state().user(id).map(|u| u.json.clone())
    }

    /// Every request body received, joined (to look for leaked secrets or check what was sent).
    pub fn bodies(&self) -> String {
        self.state().bodies.join("\n")
    }

    pub fn fail_next(&self, statuses: &[u16]) {
        self.state().faults.fail_next.extend(statuses.iter().copied());
    }

    pub fn hang_next(&self, count: u32, hang_for: Duration) {
        let mut state = self.state();
        state.faults.hang_next = count;
        state.faults.hang_for = hang_for;
    }
}
