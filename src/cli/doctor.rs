//! `supamcp doctor [--json] [--fix]`: checks the `.env` named by `--env-file` (default `./.env`) with every
//! rule and prints a report for humans (or JSON). Exit code: 0 clean, 1 warnings, 2 critical. `--fix`
//! writes the corrected file after a timestamped backup and reports what is left.

use super::GlobalArgs;
use crate::failure::Failure;
use crate::supabase::env::{self, CheckOptions, FixOptions, Report, backup_and_write, redacted, unified_diff};
use crate::supabase::finding::Finding;
use clap::Args;
use std::fmt::Write as _;
use std::path::PathBuf;
use std::process::ExitCode;

#[derive(Clone, Debug, Args)]
pub struct DoctorArgs {
    /// Print the report as JSON.
    #[arg(long)]
    pub json: bool,
    /// Write the fixed file (after saving <file>.bak.<timestamp>) and report what is left.
    #[arg(long)]
    pub fix: bool,
    /// The database's max_connections, for the pooler rules.
    #[arg(long, default_value_t = env::DEFAULT_MAX_CONNECTIONS)]
    pub max_connections: i64,
}

/// The `.env` the command works on: `--env-file`, else `./.env`.
pub fn env_path(global: &GlobalArgs) -> PathBuf {
    global.env_file.clone().unwrap_or_else(|| PathBuf::from(".env"))
}

pub fn run(global: &GlobalArgs, args: &DoctorArgs) -> ExitCode {
    let path = env_path(global);
    let file = match env::read_file(&path) {
        Ok(file) => file,
        Err(failure) => return fail(&failure),
    };
    let options = CheckOptions { max_connections: args.max_connections, ..CheckOptions::default() };
    if !args.fix {
        let report = env::check(&file, &options);
        print_report(&path.display().to_string(), &report, args.json);
        return ExitCode::from(report.exit_code());
    }
    let outcome = env::fix(&file, &FixOptions { check: options, lifetime_days: 0 });
    let backup = if outcome.changes.is_empty() {
        None
    } else {
        match backup_and_write(&path, &outcome.fixed.to_string()) {
            Ok(backup) => backup,
            Err(failure) => return fail(&failure),
        }
    };
    let report = env::check(&outcome.fixed, &options);
    if args.json {
        let value = serde_json::json!({"changes": outcome.changes, "follow_up": outcome.follow_up,
            "backup": backup.as_ref().map(|b| b.display().to_string()), "report": report});
        println!("{}", serde_json::to_string_pretty(&value).unwrap_or_default());
    } else {
        let name = path.display().to_string();
        let diff = unified_diff(&redacted(&file).to_string(), &redacted(&outcome.fixed).to_string(), &name);
        let mut out = format!("supamcp doctor --fix: {} change(s) to {name}\n", outcome.changes.len());
        if let Some(backup) = &backup {
            let _ = writeln!(out, "backup: {}", backup.display());
        }
        out.push_str(&diff);
        for step in &outcome.follow_up {
            let _ = writeln!(out, "next: {step}");
        }
        print!("{out}");
        print_report(&name, &report, false);
    }
    ExitCode::from(report.exit_code())
}

fn fail(failure: &Failure) -> ExitCode {
    eprintln!("supamcp doctor: {failure}");
    ExitCode::from(2)
}

/// Prints `report` as text (or JSON).
pub fn print_report(name: &str, report: &Report, json: bool) {
    if json {
        println!("{}", serde_json::to_string_pretty(report).unwrap_or_default());
        return;
    }
    let mut out =
        format!("{name}: {} critical, {} warning(s), {} info\n", report.critical, report.warnings, report.info);
    render_findings(&mut out, &report.findings);
    if report.findings.is_empty() {
        out.push_str("no problems found\n");
    }
    print!("{out}");
}

/// Appends one block per finding to `out`.
pub fn render_findings(out: &mut String, findings: &[Finding]) {
    for finding in findings {
        let current = finding.current.as_deref().map(|c| format!(" = {c}")).unwrap_or_else(|| " (missing)".into());
        let _ = writeln!(
            out,
            "\n[{}] {} {}{current}",
            finding.severity.name().to_uppercase(),
            finding.rule,
            finding.variable
        );
        let _ = writeln!(out, "  {}", finding.message);
        if !finding.expected.is_empty() {
            let _ = writeln!(out, "  expected: {}", finding.expected);
        }
        let _ = writeln!(out, "  fix: {}", finding.fix);
    }
}
