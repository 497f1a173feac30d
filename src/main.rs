//! The `supamcp` binary: parses the command line, sends logs to stderr (stdout carries only the MCP
//! protocol) and hands over to `supamcp::cli`.

use clap::Parser;
use std::process::ExitCode;

#[tokio::main]
async fn main() -> ExitCode {
    supamcp::fsutil::ignore_file_size_signal();
    supamcp::logging::init();
    supamcp::cli::run(supamcp::cli::Cli::parse()).await
}
