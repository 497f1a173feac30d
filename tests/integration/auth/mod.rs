//! The auth group against the fake GoTrue (`tests/support/gotrue_fake`): the real binary over stdio for every
//! tool and its failures (`tools.rs`, `failures.rs`), secrets kept out of replies, logs and the audit log
//! (`leaks.rs`), sign-out on a real auth.sessions table (`sessions.rs`), SQL and GoTrue agreeing (`sql_path.rs`),
//! and the fake itself proven with the official `@supabase/auth-js` admin client (`authjs.rs`).

#![allow(clippy::expect_used, clippy::unwrap_used, clippy::panic)]

mod authjs;
mod config;
mod config_cloud;
mod config_dokploy;
mod failures;
mod leaks;
mod sessions;
mod sql_path;
mod tools;

use crate::gotrue_fake::Fake;
use crate::mcp_client::{self, Server};

/// supamcp with only the auth group, pointed at `fake` with `key`, plus `args`.
pub async fn serve_with_key(fake: &Fake, key: &str, args: &[&str]) -> Server {
    let mut all = vec!["--features", "auth"];
    all.extend_from_slice(args);
    mcp_client::start_with_env(&all, &[("SUPABASE_URL", &fake.url), ("SUPABASE_SERVICE_ROLE_KEY", key)]).await
}

/// supamcp with only the auth group, pointed at `fake` with the service-role key.
pub async fn serve(fake: &Fake) -> Server {
    serve_with_key(fake, crate::gotrue_fake::SERVICE_KEY, &[]).await
}
