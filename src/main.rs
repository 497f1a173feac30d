//! The `supamcp` binary: parses the command line, sends logs to stderr (stdout carries only the MCP
//! protocol) and hands over to `supamcp::cli`.

use clap::Parser;
use std::process::ExitCode;

fn main() -> ExitCode {
    supamcp::fsutil::ignore_file_size_signal();
    supamcp::logging::init();
    let runtime = match tokio::runtime::Builder::new_multi_thread().enable_all().build() {
        Ok(runtime) => runtime,
        Err(e) => {
            eprintln!("supamcp: cannot start the async runtime: {e}");
            return ExitCode::from(2);
        }
    };
    let code = runtime.block_on(supamcp::cli::run(supamcp::cli::Cli::parse()));
    // A read of stdin blocked in its thread (after SIGTERM, say) would hold a plain runtime drop forever.
    runtime.shutdown_timeout(std::time::Duration::from_millis(200));
    code
}
