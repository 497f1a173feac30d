//! The cloud group end to end: the real binary over stdio against the fake Management API
//! (`tests/support/management_fake`): the official tool and parameter names, the cost confirmation, the
//! project status machine with progress, branches and their workflow runs, logs, project-scoped mode
//! (`--project-ref`), read-only mode, 429 retries, and the token never in a reply, a log line or the audit log.

#![allow(clippy::expect_used, clippy::unwrap_used, clippy::panic)]

mod account;
mod branches;
mod faults;
mod scoped;
mod secret_request;
mod through_api;

use crate::management_fake::Fake;
use crate::mcp_client::{self, Server};

/// A fake and the binary pointed at it (cloud group only), with `extra` arguments.
pub async fn setup(extra: &[&str]) -> (Fake, Server) {
    let fake = Fake::start().await;
    let server = start(&fake, extra).await;
    (fake, server)
}

/// The binary pointed at `fake`, with the cloud group and `extra` arguments.
pub async fn start(fake: &Fake, extra: &[&str]) -> Server {
    let env = fake.env();
    let env: Vec<(&str, &str)> = env.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let mut args = vec!["--features", "cloud"];
    args.extend_from_slice(extra);
    mcp_client::start_with_env(&args, &env).await
}
