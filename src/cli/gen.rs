//! `supamcp gen types [--schema public,x] [--postgrest-version 13] [-o file]`: the TypeScript types of
//! the database of the default (or `--instance`) instance, as `supabase gen types typescript` prints them.

use super::GlobalArgs;
use crate::config::Settings;
use crate::pg::pool::Databases;
use crate::typegen::{self, DEFAULT_SCHEMAS, Options};
use clap::{Args, Subcommand};
use std::path::PathBuf;
use std::process::ExitCode;

#[derive(Clone, Debug, Args)]
pub struct GenArgs {
    #[command(subcommand)]
    pub what: GenWhat,
}

#[derive(Clone, Debug, Subcommand)]
pub enum GenWhat {
    /// TypeScript types of the database (Tables, Views, Functions, Enums, CompositeTypes, helpers).
    Types(TypesArgs),
}

#[derive(Clone, Debug, Args)]
pub struct TypesArgs {
    /// Schemas to include, comma-separated (default: public and graphql_public when it exists).
    #[arg(long, value_delimiter = ',')]
    pub schema: Vec<String>,
    /// Add the `__InternalSupabase` block for this PostgREST version, e.g. 13.
    #[arg(long)]
    pub postgrest_version: Option<String>,
    /// Leave `isOneToOne` out of relationships (PostgREST 9 clients).
    #[arg(long)]
    pub no_one_to_one: bool,
    /// Write to this file instead of stdout.
    #[arg(short = 'o', long)]
    pub output: Option<PathBuf>,
}

/// Runs `gen`.
pub async fn run(global: &GlobalArgs, args: &GenArgs) -> ExitCode {
    let GenWhat::Types(types) = &args.what;
    match types_text(global, types).await {
        Ok(text) => match &types.output {
            // The user at the terminal names the file: any path, replaced without asking, as a shell redirect
            // would; but whole or not at all, and with the old file's mode (0644 for a new one).
            Some(path) => {
                use std::os::unix::fs::PermissionsExt;
                let mode = std::fs::metadata(path).map(|m| m.permissions().mode() & 0o7777).unwrap_or(0o644);
                match crate::fsutil::write_atomic_with_mode(path, text.as_bytes(), mode, "-o") {
                    Ok(()) => ExitCode::SUCCESS,
                    Err(failure) => super::startup_error(&failure.text()),
                }
            }
            None => {
                use std::io::Write;
                let mut stdout = std::io::stdout().lock();
                match stdout.write_all(text.as_bytes()).and_then(|()| stdout.flush()) {
                    Ok(()) => ExitCode::SUCCESS,
                    Err(e) => super::startup_error(&format!("writing the types failed: {e}")),
                }
            }
        },
        Err(message) => super::startup_error(&message),
    }
}

async fn types_text(global: &GlobalArgs, args: &TypesArgs) -> Result<String, String> {
    let env = |key: &str| std::env::var(key).ok();
    let settings = Settings::load(&global.overrides(), &env).map_err(|e| e.to_string())?;
    let databases = Databases::new(&settings);
    let database = databases.get(global.instance.as_deref()).map_err(|f| f.to_string())?;
    let client = database.client().await.map_err(|f| f.to_string())?;
    let schemas: Vec<String> = if args.schema.is_empty() {
        DEFAULT_SCHEMAS.iter().map(|s| (*s).to_string()).collect()
    } else {
        args.schema.iter().map(|s| s.trim().to_string()).filter(|s| !s.is_empty()).collect()
    };
    let options = Options { postgrest_version: args.postgrest_version.clone(), detect_one_to_one: !args.no_one_to_one };
    typegen::generate(&client, &schemas, &options).await.map_err(|f| f.to_string())
}
