//! Logging to stderr (stdout carries only MCP): the level comes from SUPAMCP_LOG, and a ceiling that no
//! SUPAMCP_LOG value can lift keeps the libraries that log payloads (requests, SQL, parameters, signed
//! headers) at info or above.

use tracing::Level;
use tracing_subscriber::EnvFilter;
use tracing_subscriber::filter::{LevelFilter, Targets};
use tracing_subscriber::layer::SubscriberExt;
use tracing_subscriber::util::SubscriberInitExt;

/// What SUPAMCP_LOG is read from, and what applies without it.
const LOG_VARIABLE: &str = "SUPAMCP_LOG";
const DEFAULT_LOG: &str = "info,rmcp=warn";

/// Targets whose debug and trace events carry secrets or data, with the most they may log:
/// - rmcp logs whole JSON-RPC requests and responses (tool arguments, results);
/// - tokio_postgres logs every statement's SQL text when it prepares it and the parameter values when it
///   binds them (tokio-postgres logs through the `log` crate; the records arrive here under these targets);
/// - aws_sigv4 logs canonical requests with their header values (a session token among them);
/// - aws_smithy_runtime logs whole S3 requests and responses.
const CEILINGS: &[(&str, Level)] = &[
    ("rmcp", Level::INFO),
    ("tokio_postgres", Level::INFO),
    ("aws_sigv4", Level::INFO),
    ("aws_smithy_runtime", Level::INFO),
];

/// The ceiling as a filter: every target may log at any level except those of [`CEILINGS`]. The filter
/// matches by target prefix, so a more specific SUPAMCP_LOG directive (`rmcp::service=trace`) stays under it.
pub fn ceiling() -> Targets {
    Targets::new()
        .with_default(LevelFilter::TRACE)
        .with_targets(CEILINGS.iter().map(|(target, level)| (*target, LevelFilter::from_level(*level))))
}

fn env_filter() -> EnvFilter {
    EnvFilter::try_from_env(LOG_VARIABLE).unwrap_or_else(|_| EnvFilter::new(DEFAULT_LOG))
}

/// Installs the stderr logger (and forwards `log` records to it). An event is written only when both
/// SUPAMCP_LOG and the ceiling let it through.
pub fn init() {
    let stderr = tracing_subscriber::fmt::layer().with_writer(std::io::stderr).with_ansi(false);
    tracing_subscriber::registry().with(env_filter()).with(ceiling()).with(stderr).init();
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn payload_logging_targets_stay_at_info_whatever_is_asked() {
        let ceiling = ceiling();
        for target in ["rmcp", "rmcp::service", "tokio_postgres::prepare", "tokio_postgres::query", "aws_sigv4::sign"] {
            assert!(!ceiling.would_enable(target, &Level::DEBUG), "{target} at debug");
            assert!(!ceiling.would_enable(target, &Level::TRACE), "{target} at trace");
            assert!(ceiling.would_enable(target, &Level::INFO), "{target} at info");
        }
        assert!(ceiling.would_enable("supamcp::pg::pool", &Level::TRACE));
    }
}
