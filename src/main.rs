//! The `supamcp` binary: parses the command line, sends logs to stderr (stdout carries only the MCP
//! protocol) and hands over to `supamcp::cli`.

use clap::Parser;
use std::process::ExitCode;
use tracing_subscriber::EnvFilter;

#[tokio::main]
async fn main() -> ExitCode {
    tracing_subscriber::fmt()
        .with_writer(std::io::stderr)
        .with_ansi(false)
        .with_env_filter(EnvFilter::try_from_env("SUPAMCP_LOG").unwrap_or_else(|_| EnvFilter::new("info,rmcp=warn")))
        .init();
    supamcp::cli::run(supamcp::cli::Cli::parse()).await
}
