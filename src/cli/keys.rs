//! `supamcp keys generate [--jwt-secret S] [--asymmetric]` prints a fresh key set as `.env` lines (the
//! user asked for the values, so they are printed); `supamcp keys verify` checks the keys of the `.env`
//! named by `--env-file` (default `./.env`). Exit code of verify: 0 clean, 1 warnings, 2 critical.

use super::GlobalArgs;
use super::doctor::{env_path, render_findings};
use crate::secret::Secret;
use crate::supabase::env;
use crate::supabase::finding::{Severity, worst};
use crate::supabase::keys::{self, GenerateOptions};
use clap::{Args, Subcommand};
use std::process::ExitCode;

#[derive(Clone, Debug, Args)]
pub struct KeysArgs {
    #[command(subcommand)]
    pub action: KeysAction,
}

#[derive(Clone, Debug, Subcommand)]
pub enum KeysAction {
    /// Print a new key set as .env lines.
    Generate(GenerateArgs),
    /// Check JWT_SECRET and the keys of the --env-file (default ./.env).
    Verify(VerifyArgs),
}

#[derive(Clone, Debug, Args)]
pub struct GenerateArgs {
    /// Sign with this JWT_SECRET (at least 32 characters) instead of a new one.
    #[arg(long, env = "SUPAMCP_JWT_SECRET", hide_env_values = true)]
    pub jwt_secret: Option<String>,
    /// Lifetime of the keys in days.
    #[arg(long, default_value_t = keys::DEFAULT_LIFETIME_DAYS)]
    pub lifetime_days: u32,
    /// Also generate the new key system (sb_ opaque keys, JWT_KEYS, JWT_JWKS, ES256 keys).
    #[arg(long)]
    pub asymmetric: bool,
    /// Only JWT_SECRET and the keys, not the passwords and encryption keys.
    #[arg(long)]
    pub keys_only: bool,
    /// Print JSON instead of .env lines.
    #[arg(long)]
    pub json: bool,
}

#[derive(Clone, Debug, Args)]
pub struct VerifyArgs {
    /// Print the findings as JSON.
    #[arg(long)]
    pub json: bool,
}

pub fn run(global: &GlobalArgs, args: &KeysArgs) -> ExitCode {
    match &args.action {
        KeysAction::Generate(generate) => run_generate(generate),
        KeysAction::Verify(verify) => run_verify(global, verify),
    }
}

fn run_generate(args: &GenerateArgs) -> ExitCode {
    let options = GenerateOptions {
        jwt_secret: args.jwt_secret.clone().map(Secret::new),
        lifetime_days: args.lifetime_days,
        asymmetric: args.asymmetric,
        other_secrets: !args.keys_only,
        ..GenerateOptions::default()
    };
    let generated = match keys::generate(&options) {
        Ok(generated) => generated,
        Err(failure) => {
            eprintln!("supamcp keys generate: {failure}");
            return ExitCode::from(2);
        }
    };
    if args.json {
        let map: serde_json::Map<String, serde_json::Value> =
            generated.vars.iter().map(|(k, v)| ((*k).to_owned(), v.expose().into())).collect();
        println!("{}", serde_json::Value::Object(map));
    } else {
        let lines: String = generated.vars.iter().map(|(k, v)| format!("{k}={}\n", v.expose())).collect();
        print!("{lines}");
    }
    ExitCode::SUCCESS
}

fn run_verify(global: &GlobalArgs, args: &VerifyArgs) -> ExitCode {
    let path = env_path(global);
    let file = match env::read_file(&path) {
        Ok(file) => file,
        Err(failure) => {
            eprintln!("supamcp keys verify: {failure}");
            return ExitCode::from(2);
        }
    };
    let findings = keys::validate_keys(|k| file.get(k), chrono::Utc::now().timestamp());
    if args.json {
        println!("{}", serde_json::to_string_pretty(&findings).unwrap_or_default());
    } else {
        let mut out = format!("{}: {} key finding(s)\n", path.display(), findings.len());
        render_findings(&mut out, &findings);
        if findings.is_empty() {
            out.push_str("the keys verify with JWT_SECRET and carry the right roles\n");
        }
        print!("{out}");
    }
    ExitCode::from(match worst(&findings) {
        Some(Severity::Critical) => 2,
        Some(Severity::Warning) => 1,
        _ => 0,
    })
}
