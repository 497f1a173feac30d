//! The tool surface under load and at its edges (issue 13): replies bounded by bytes and carried once,
//! spilled results and schemas as MCP resources, JSON-RPC edges over raw stdio, SIGTERM/SIGINT mid-call,
//! progress notifications. The real binary over stdio against real clusters.

mod jsonrpc;
mod progress;
pub(crate) mod raw;
mod replies;
mod resources;
mod signals;
