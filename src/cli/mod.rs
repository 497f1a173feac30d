//! The command line: `serve` (default), `tools`, `call TOOL JSON`, `demo`, `doctor` and `keys`. Every
//! subcommand that runs tools goes through the same MCP server, in process.

mod demo;
mod doctor;
mod r#gen;
mod inproc;
mod keys;

use crate::config::{Overrides, Settings};
use crate::secret::Secret;
use crate::server::SupamcpServer;
use clap::{Args, Parser, Subcommand};
use rmcp::ServiceExt;
use std::path::PathBuf;
use std::process::ExitCode;

#[derive(Debug, Parser)]
#[command(name = "supamcp", version, about = "MCP server for Supabase: cloud and self-hosted (Docker, Dokploy)")]
pub struct Cli {
    #[command(flatten)]
    pub global: GlobalArgs,
    #[command(subcommand)]
    pub command: Option<Command>,
}

/// Options shared by every subcommand. Each can also come from its environment variable.
#[derive(Clone, Debug, Args)]
pub struct GlobalArgs {
    /// TOML config file with named instances.
    #[arg(long, global = true, env = "SUPAMCP_CONFIG")]
    pub config: Option<PathBuf>,
    /// A Supabase/Dokploy .env to read POSTGRES_*, ANON_KEY, SERVICE_ROLE_KEY and the public URL from.
    #[arg(long, global = true, env = "SUPAMCP_ENV_FILE")]
    pub env_file: Option<PathBuf>,
    /// Database of the default instance: postgres:// URL or key=value string (also DATABASE_URL).
    #[arg(long, global = true, env = "SUPAMCP_DATABASE_URL", hide_env_values = true)]
    pub database_url: Option<String>,
    /// Feature groups to offer, comma-separated (core, migrations, backups, dokploy, monitoring, auth,
    /// storage, functions, realtime, development, knowledge, cloud). Default: every configured group.
    #[arg(long, global = true, env = "SUPAMCP_FEATURES")]
    pub features: Option<String>,
    /// Offer only read-only tools and run SQL in read-only transactions.
    #[arg(long, global = true, env = "SUPAMCP_READ_ONLY")]
    pub read_only: bool,
    /// The instance tools use when a call names none.
    #[arg(long, global = true, env = "SUPAMCP_INSTANCE")]
    pub instance: Option<String>,
    /// Directory for spilled results, the audit log and snapshots.
    #[arg(long, global = true, env = "SUPAMCP_DATA_DIR")]
    pub data_dir: Option<PathBuf>,
    /// Role to run SQL as in read-only mode (default: supabase_read_only_user where it exists).
    #[arg(long, global = true, env = "SUPAMCP_READ_ONLY_ROLE")]
    pub read_only_role: Option<String>,
    /// Connections per instance (default 10).
    #[arg(long, global = true, env = "SUPAMCP_POOL_SIZE")]
    pub pool_size: Option<usize>,
    /// Statement timeout in milliseconds (default 30000).
    #[arg(long, global = true, env = "SUPAMCP_STATEMENT_TIMEOUT_MS")]
    pub statement_timeout_ms: Option<u64>,
    /// Replies larger than this many bytes spill to a file (default 524288).
    #[arg(long, global = true, env = "SUPAMCP_SPILL_THRESHOLD_BYTES")]
    pub spill_threshold_bytes: Option<usize>,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Serve MCP over stdio (the default).
    Serve,
    /// Print the offered tools with their schemas as JSON.
    Tools,
    /// Run one tool and print its result; exits 1 when the tool reports an error.
    Call {
        /// Tool name, e.g. execute_sql.
        tool: String,
        /// Arguments as a JSON object, e.g. '{"sql":"select 1"}'.
        #[arg(default_value = "{}")]
        arguments: String,
    },
    /// Start a throwaway local PostgreSQL with the Supabase layout and sample data, and serve MCP on it.
    Demo(demo::DemoArgs),
    /// Check a self-hosted .env (--env-file, default ./.env): exit 0 clean, 1 warnings, 2 critical.
    Doctor(doctor::DoctorArgs),
    /// Generate or verify JWT_SECRET, ANON_KEY, SERVICE_ROLE_KEY and the other secrets.
    Keys(keys::KeysArgs),
    /// Generate code from the database: `gen types` prints the TypeScript types.
    Gen(r#gen::GenArgs),
}

impl GlobalArgs {
    pub fn overrides(&self) -> Overrides {
        Overrides {
            config_path: self.config.clone(),
            env_file: self.env_file.clone(),
            database_url: self.database_url.clone().map(Secret::new),
            features: self.features.clone(),
            read_only: self.read_only,
            instance: self.instance.clone(),
            data_dir: self.data_dir.clone(),
            read_only_role: self.read_only_role.clone(),
            pool_size: self.pool_size,
            statement_timeout_ms: self.statement_timeout_ms,
            spill_threshold_bytes: self.spill_threshold_bytes,
        }
    }

    /// Loads the settings and builds the server, or prints why not.
    pub fn build_server(&self) -> Result<SupamcpServer, String> {
        let env = |key: &str| std::env::var(key).ok();
        let settings = Settings::load(&self.overrides(), &env).map_err(|e| e.to_string())?;
        SupamcpServer::new(settings)
    }
}

/// Runs the parsed command line.
pub async fn run(cli: Cli) -> ExitCode {
    match cli.command.unwrap_or(Command::Serve) {
        Command::Serve => serve(&cli.global).await,
        Command::Tools => inproc::print_tools(&cli.global).await,
        Command::Call { tool, arguments } => inproc::call(&cli.global, &tool, &arguments).await,
        Command::Demo(args) => demo::run(&cli.global, &args).await,
        Command::Doctor(args) => doctor::run(&cli.global, &args),
        Command::Keys(args) => keys::run(&cli.global, &args),
        Command::Gen(args) => r#gen::run(&cli.global, &args).await,
    }
}

/// Serves MCP over stdin/stdout until the client closes stdin.
pub async fn serve(global: &GlobalArgs) -> ExitCode {
    let server = match global.build_server() {
        Ok(server) => server,
        Err(message) => return startup_error(&message),
    };
    server.catalog().log_summary();
    let running = match server.serve(rmcp::transport::stdio()).await {
        Ok(running) => running,
        Err(e) => return startup_error(&format!("MCP handshake failed: {e}")),
    };
    match running.waiting().await {
        Ok(_) => ExitCode::SUCCESS,
        Err(e) => startup_error(&format!("server stopped: {e}")),
    }
}

pub fn startup_error(message: &str) -> ExitCode {
    eprintln!("supamcp: {message}");
    ExitCode::from(2)
}
