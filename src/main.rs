//! The `supamcp` binary: parses the command line, sends logs to stderr (stdout carries only the MCP
//! protocol) and hands over to `supamcp::cli`.

use clap::Parser;
use std::process::ExitCode;
use tracing_subscriber::EnvFilter;
use tracing_subscriber::filter::Directive;

/// rmcp logs whole requests and responses (tool arguments, results) at debug level and below. Those carry
/// secrets and database data, so rmcp never logs below info, whatever SUPAMCP_LOG asks for.
const RMCP_CEILING: &str = "rmcp=info";

fn log_filter() -> EnvFilter {
    let filter = EnvFilter::try_from_env("SUPAMCP_LOG").unwrap_or_else(|_| EnvFilter::new("info,rmcp=warn"));
    let asks_for_rmcp_detail = std::env::var("SUPAMCP_LOG").is_ok_and(|spec| {
        spec.split(',').any(|d| !d.contains('=') && matches!(d.trim(), "debug" | "trace") || d.contains("rmcp="))
    });
    match RMCP_CEILING.parse::<Directive>() {
        Ok(ceiling) if asks_for_rmcp_detail => filter.add_directive(ceiling),
        _ => filter,
    }
}

#[tokio::main]
async fn main() -> ExitCode {
    supamcp::fsutil::ignore_file_size_signal();
    tracing_subscriber::fmt().with_writer(std::io::stderr).with_ansi(false).with_env_filter(log_filter()).init();
    supamcp::cli::run(supamcp::cli::Cli::parse()).await
}
