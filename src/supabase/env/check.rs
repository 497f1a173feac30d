//! Runs every rule over a `.env` file (the key rules from `keys` and the rules of this module) and
//! returns one report: findings sorted worst first, counts per severity, and the diff to the template.

use super::template::{TemplateDiff, diff_template};
use super::{EnvFile, rules_secrets, rules_stack};
use crate::failure::Failure;
use crate::supabase::finding::{Finding, Severity, worst};
use crate::supabase::keys::validate_keys;
use serde::Serialize;
use std::path::Path;

/// PostgreSQL's default, which the Supabase postgres image keeps.
pub const DEFAULT_MAX_CONNECTIONS: i64 = 100;

/// Knobs of a check.
#[derive(Clone, Copy, Debug)]
pub struct CheckOptions {
    /// Unix time to judge expiry against.
    pub now: i64,
    /// The database's max_connections, for the pool-size rules.
    pub max_connections: i64,
}

impl Default for CheckOptions {
    fn default() -> Self {
        CheckOptions { now: chrono::Utc::now().timestamp(), max_connections: DEFAULT_MAX_CONNECTIONS }
    }
}

/// The result of checking one file.
#[derive(Clone, Debug, Serialize, schemars::JsonSchema)]
pub struct Report {
    /// "clean", "info", "warning" or "critical": the worst finding.
    pub status: &'static str,
    pub critical: usize,
    pub warnings: usize,
    pub info: usize,
    pub findings: Vec<Finding>,
    pub template_diff: TemplateDiff,
}

impl Report {
    /// The doctor's exit code: 0 clean (or info only), 1 warnings, 2 critical.
    pub fn exit_code(&self) -> u8 {
        match worst(&self.findings) {
            Some(Severity::Critical) => 2,
            Some(Severity::Warning) => 1,
            _ => 0,
        }
    }
}

/// Every finding for `file`, worst first, then by variable and rule.
pub fn findings(file: &EnvFile, options: &CheckOptions) -> Vec<Finding> {
    let mut out = validate_keys(|name| file.get(name), options.now);
    rules_secrets::check(file, &mut out);
    rules_stack::check(file, options.max_connections, &mut out);
    out.sort_by(|a, b| {
        b.severity.cmp(&a.severity).then_with(|| a.variable.cmp(&b.variable)).then_with(|| a.rule.cmp(&b.rule))
    });
    out
}

/// Checks `file`.
pub fn check(file: &EnvFile, options: &CheckOptions) -> Report {
    let findings = findings(file, options);
    let count = |severity| findings.iter().filter(|f| f.severity == severity).count();
    Report {
        status: worst(&findings).map(Severity::name).unwrap_or("clean"),
        critical: count(Severity::Critical),
        warnings: count(Severity::Warning),
        info: count(Severity::Info),
        template_diff: diff_template(file),
        findings,
    }
}

/// Parses `.env` text, turning a parse error into a [`Failure`].
pub fn parse_text(text: &str, origin: &str) -> Result<EnvFile, Failure> {
    EnvFile::parse(text).map_err(|e| {
        Failure::new(format!("cannot read {origin}"), e.to_string(), "close the quote on that line, then check again")
    })
}

/// Reads and parses the `.env` file at `path`.
pub fn read_file(path: &Path) -> Result<EnvFile, Failure> {
    let text = std::fs::read_to_string(path).map_err(|e| {
        Failure::new(format!("cannot read {}", path.display()), e.to_string(), "check the path and its permissions")
    })?;
    parse_text(&text, &path.display().to_string())
}

/// The `.env` text from exactly one of `text` or `path`.
pub fn load(text: Option<&str>, path: Option<&Path>) -> Result<EnvFile, Failure> {
    match (text, path) {
        (Some(text), None) => parse_text(text, "the given .env text"),
        (None, Some(path)) => read_file(path),
        _ => Err(Failure::new(
            "no .env to check",
            "exactly one of env_text or path must be given",
            "pass the file's content as env_text, or its location as path",
        )),
    }
}
