//! The typed Dokploy API client: the procedures supamcp needs (projects, environments, composes,
//! deployments, domains, containers, servers), the version switch between the v0.25+ hierarchy
//! (project → environment → compose) and the older one (project → compose), both error shapes, and
//! retries for idempotent calls. No rmcp here: tools in `groups::dokploy` turn results into replies.

mod api;
mod client;
pub mod domain;
mod error;
pub mod history;
pub mod inspect;
pub mod listing;
pub mod ops;
pub mod setup;
pub mod tls;
pub mod types;
pub mod version;
pub mod watch;
pub mod wizard;

pub use client::{Call, Client, ClientOptions, Idempotency};
pub use error::{ApiError, DokployError};
pub use types::*;
pub use version::{Version, VersionInfo};

use crate::config::Settings;
use crate::failure::Failure;
use std::collections::BTreeMap;

/// One client per configured Dokploy server, by name.
pub fn clients(settings: &Settings) -> Result<BTreeMap<String, Client>, Failure> {
    settings
        .dokploy
        .values()
        .map(|server| {
            Client::for_server(server).map(|client| (server.name.clone(), client)).map_err(|e| e.failure(&server.name))
        })
        .collect()
}
