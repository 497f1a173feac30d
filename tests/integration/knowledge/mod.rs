//! The knowledge group: the embedded base validated entry by entry and against the finding rules of the
//! doctor, health checks and advisors (`base`), real error texts and supamcp's own failures ranked to the right
//! entry (`fixtures`), the tools with no network (`offline`) and against a fake Content API with faults
//! (`online`, `tests/support/content_api_fake`).

mod base;
mod fixtures;
mod offline;
mod online;

use crate::mcp_client::{self, Server};

/// The binary with only the knowledge group, its Content API at `url` ("off" for none) and a short timeout.
pub async fn start(url: &str) -> Server {
    mcp_client::start_with_env(
        &["--features", "knowledge", "--content-api-url", url],
        &[("SUPAMCP_CONTENT_API_TIMEOUT_MS", "400")],
    )
    .await
}
