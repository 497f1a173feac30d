//! The command line: `serve` (default), `tools`, `call TOOL JSON`, `diff`, `demo`, `doctor`, `keys`, `setup` and `config`. `tools` and
//! `call` go through the same MCP server an agent talks to, in process; `doctor` and `keys` are human-facing
//! reports over the same domain code the development tools use.

mod backup;
mod client_config;
mod demo;
mod doctor;
mod r#gen;
mod inproc;
mod keys;
mod setup;

use crate::config::{Overrides, Settings};
use crate::secret::Secret;
use crate::server::SupamcpServer;
use clap::{Args, Parser, Subcommand};
use rmcp::ServiceExt;
use std::path::PathBuf;
use std::process::ExitCode;

/// The version and the commit the binary was built from.
pub const VERSION: &str = concat!(env!("CARGO_PKG_VERSION"), " (", env!("SUPAMCP_COMMIT"), ")");

#[derive(Debug, Parser)]
#[command(name = "supamcp", version = VERSION, about = "MCP server for Supabase: cloud and self-hosted (Docker, Dokploy)")]
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
    /// Offer only read-only tools and run SQL in read-only transactions (SUPAMCP_READ_ONLY=1/true/yes/on).
    #[arg(long, global = true, env = "SUPAMCP_READ_ONLY", action = clap::ArgAction::SetTrue,
          value_parser = clap::builder::BoolishValueParser::new())]
    pub read_only: bool,
    /// Let tool parameters that write files (write_to, directories) name paths outside the working directory
    /// (SUPAMCP_ALLOW_ABSOLUTE_PATHS=1/true/yes/on).
    #[arg(long, global = true, env = "SUPAMCP_ALLOW_ABSOLUTE_PATHS", action = clap::ArgAction::SetTrue,
          value_parser = clap::builder::BoolishValueParser::new())]
    pub allow_absolute_paths: bool,
    /// The instance tools use when a call names none.
    #[arg(long, global = true, env = "SUPAMCP_INSTANCE")]
    pub instance: Option<String>,
    /// Directory for spilled results, the audit log and snapshots.
    #[arg(long, global = true, env = "SUPAMCP_DATA_DIR")]
    pub data_dir: Option<PathBuf>,
    /// Role to SET ROLE to for read-only SQL when no read-only login is configured (default:
    /// supabase_read_only_user where the login may assume it). No wall for a superuser login.
    #[arg(long, global = true, env = "SUPAMCP_READ_ONLY_ROLE")]
    pub read_only_role: Option<String>,
    /// A login PostgreSQL restricts (not a superuser, no write privileges) that read-only SQL runs on.
    #[arg(long, global = true, env = "SUPAMCP_READ_ONLY_DATABASE_URL", hide_env_values = true)]
    pub read_only_database_url: Option<String>,
    /// Connections per instance (default 10).
    #[arg(long, global = true, env = "SUPAMCP_POOL_SIZE")]
    pub pool_size: Option<usize>,
    /// Statement timeout in milliseconds (default 30000).
    #[arg(long, global = true, env = "SUPAMCP_STATEMENT_TIMEOUT_MS")]
    pub statement_timeout_ms: Option<u64>,
    /// Replies larger than this many bytes spill to a file (default 524288).
    #[arg(long, global = true, env = "SUPAMCP_SPILL_THRESHOLD_BYTES")]
    pub spill_threshold_bytes: Option<usize>,
    /// Directory for backups (default: backups/ in the data directory).
    #[arg(long, global = true, env = "SUPAMCP_BACKUP_DIR")]
    pub backup_dir: Option<PathBuf>,
    /// Supabase personal access token for the Management API (cloud group); also SUPABASE_ACCESS_TOKEN.
    #[arg(long, global = true)]
    pub access_token: Option<String>,
    /// Management API base URL (default https://api.supabase.com); also SUPAMCP_MANAGEMENT_API_URL.
    #[arg(long, global = true)]
    pub api_url: Option<String>,
    /// Scope the cloud tools to one project: project_id parameters disappear and account tools are not offered.
    #[arg(long, global = true, env = "SUPABASE_PROJECT_REF")]
    pub project_ref: Option<String>,
    /// The Supabase Content API for search_docs and explain_error (default
    /// https://supabase.com/docs/api/graphql); "off" answers from the local knowledge base only.
    #[arg(long, global = true, env = "SUPABASE_CONTENT_API_URL")]
    pub content_api_url: Option<String>,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Serve MCP over stdio (the default), or over Streamable HTTP with --http.
    Serve(ServeArgs),
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
    /// Copy a database between two configured instances (copy_database); --dry-run shows the plan.
    Copy {
        /// The instance to copy from.
        source: String,
        /// The instance to copy into.
        target: String,
        /// For target tables that already hold rows: fail, truncate, skip or merge.
        #[arg(long, default_value = "fail")]
        conflict: String,
        /// Tables copied at once.
        #[arg(long, default_value_t = 4)]
        parallel: usize,
        /// Also copy auth.users and auth.identities.
        #[arg(long)]
        include_auth: bool,
        /// Copy only the data: the target has the schema already.
        #[arg(long)]
        data_only: bool,
        /// Report the plan and the compatibility findings; change nothing.
        #[arg(long)]
        dry_run: bool,
        /// Confirm the write into the target (needed unless --dry-run).
        #[arg(long)]
        yes: bool,
    },
    /// DDL that turns the target's schema into the source's (generate_diff), as JSON with the script.
    Diff {
        /// The instance whose schema is wanted.
        #[arg(long, conflicts_with = "migrations")]
        source: Option<String>,
        /// Or a migrations directory, applied to a scratch database on the target's server.
        #[arg(long)]
        migrations: Option<String>,
        /// The instance to change (only read); the default instance when omitted.
        #[arg(long)]
        target: Option<String>,
        /// A schema to compare (repeatable); default: every schema that is not Supabase's own.
        #[arg(long = "schema")]
        schemas: Vec<String>,
        /// Put destructive statements into the script instead of holding them back.
        #[arg(long)]
        allow_destructive: bool,
    },
    /// Start a throwaway local PostgreSQL with the Supabase layout and sample data, and serve MCP on it.
    Demo(demo::DemoArgs),
    /// Check a self-hosted .env (--env-file, default ./.env): exit 0 clean, 1 warnings, 2 critical.
    Doctor(doctor::DoctorArgs),
    /// Generate or verify JWT_SECRET, ANON_KEY, SERVICE_ROLE_KEY and the other secrets.
    Keys(keys::KeysArgs),
    /// Generate code from the database: `gen types` prints the TypeScript types.
    Gen(r#gen::GenArgs),
    /// Backup archives: `backup decrypt` writes the plain pg_dump archive that pg_restore reads.
    Backup(backup::BackupArgs),
    /// One-time set-up: `setup read-only-role` makes a login PostgreSQL restricts, for read-only SQL.
    Setup(setup::SetupArgs),
    /// Client configuration: `config print --client cursor` prints the snippet that adds supamcp to a client.
    Config(client_config::ConfigArgs),
}

/// How `serve` listens: stdio unless --http is given.
#[derive(Debug, Default, Args)]
pub struct ServeArgs {
    /// Serve Streamable HTTP on this address instead of stdio, e.g. 127.0.0.1:8080 (any other address needs a
    /// bearer token).
    #[arg(long, value_name = "ADDR")]
    pub http: Option<std::net::SocketAddr>,
    /// The MCP endpoint's path.
    #[arg(long, default_value = "/mcp", requires = "http")]
    pub http_path: String,
    /// A file of bearer tokens, one per line: `<token>`, or `<name> <token> [read-only]` (names go to the audit
    /// log; read-only tokens get only read-only tools). Besides or instead of SUPAMCP_HTTP_TOKEN.
    #[arg(long, requires = "http")]
    pub http_token_file: Option<PathBuf>,
    /// The bearer token HTTP clients must send; prefer the environment variable to the flag.
    #[arg(long, env = "SUPAMCP_HTTP_TOKEN", hide_env_values = true)]
    pub http_token: Option<String>,
    /// A host name (or host:port) clients reach the server by, besides loopback (repeatable).
    #[arg(long = "http-allowed-host", requires = "http")]
    pub http_allowed_hosts: Vec<String>,
    /// A browser origin allowed to call the server, with scheme, e.g. https://app.example.com (repeatable).
    #[arg(long = "http-allowed-origin", requires = "http")]
    pub http_allowed_origins: Vec<String>,
    /// Accept OAuth access tokens of this authorization server (its issuer URL; GoTrue's OAuth server or any
    /// OIDC issuer), besides the static tokens.
    #[arg(long, requires = "http")]
    pub oauth_issuer: Option<String>,
    /// This server's resource URL, which the tokens' `aud` must contain; default http://<bind><http-path>.
    #[arg(long, requires = "oauth_issuer")]
    pub oauth_audience: Option<String>,
    /// The issuer's JWKS URL; default: jwks_uri of <issuer>/.well-known/openid-configuration.
    #[arg(long, requires = "oauth_issuer")]
    pub oauth_jwks_url: Option<String>,
}

impl GlobalArgs {
    pub fn overrides(&self) -> Overrides {
        Overrides {
            config_path: self.config.clone(),
            env_file: self.env_file.clone(),
            database_url: self.database_url.clone().map(Secret::new),
            features: self.features.clone(),
            read_only: self.read_only,
            allow_absolute_paths: self.allow_absolute_paths,
            instance: self.instance.clone(),
            data_dir: self.data_dir.clone(),
            read_only_role: self.read_only_role.clone(),
            read_only_database_url: self.read_only_database_url.clone().map(Secret::new),
            pool_size: self.pool_size,
            statement_timeout_ms: self.statement_timeout_ms,
            spill_threshold_bytes: self.spill_threshold_bytes,
            backup_dir: self.backup_dir.clone(),
            access_token: self.access_token.clone().map(Secret::new),
            api_url: self.api_url.clone(),
            project_ref: self.project_ref.clone(),
            content_api_url: self.content_api_url.clone(),
        }
    }

    /// Loads the settings and builds the server, or prints why not.
    pub fn build_server(&self) -> Result<SupamcpServer, String> {
        let env = |key: &str| std::env::var(key).ok();
        let settings = Settings::load(&self.overrides(), &env).map_err(|e| e.to_string())?;
        for warning in &settings.warnings {
            tracing::warn!("{warning}");
        }
        SupamcpServer::new(settings)
    }
}

/// Runs the parsed command line.
pub async fn run(cli: Cli) -> ExitCode {
    match cli.command.unwrap_or(Command::Serve(ServeArgs::default())) {
        Command::Serve(args) if args.http.is_some() => serve_http(&cli.global, &args).await,
        Command::Serve(_) => serve(&cli.global).await,
        Command::Tools => inproc::print_tools(&cli.global).await,
        Command::Call { tool, arguments } => inproc::call(&cli.global, &tool, &arguments).await,
        Command::Copy { source, target, conflict, parallel, include_auth, data_only, dry_run, yes } => {
            let arguments = serde_json::json!({
                "source": source, "target": target, "conflict": conflict, "parallel": parallel,
                "include_auth": include_auth, "include_schema": !data_only, "dry_run": dry_run, "confirm": yes,
            });
            inproc::call(&cli.global, "copy_database", &arguments.to_string()).await
        }
        Command::Diff { source, migrations, target, schemas, allow_destructive } => {
            let arguments = serde_json::json!({
                "source": source, "source_migrations_dir": migrations, "target": target, "schemas": schemas,
                "allow_destructive": allow_destructive,
            });
            inproc::call(&cli.global, "generate_diff", &arguments.to_string()).await
        }
        Command::Demo(args) => demo::run(&cli.global, &args).await,
        Command::Doctor(args) => doctor::run(&cli.global, &args),
        Command::Keys(args) => keys::run(&cli.global, &args),
        Command::Gen(args) => r#gen::run(&cli.global, &args).await,
        Command::Backup(args) => backup::run(&args),
        Command::Setup(args) => setup::run(&cli.global, &args).await,
        Command::Config(args) => client_config::run(&cli.global, &args),
    }
}

/// Serves MCP over stdin/stdout until the client closes stdin, or until SIGTERM/SIGINT (exit 0).
/// `serve --http`: the same server over Streamable HTTP until a signal.
async fn serve_http(global: &GlobalArgs, args: &ServeArgs) -> ExitCode {
    let mut tokens = match &args.http_token_file {
        Some(path) => match std::fs::read_to_string(path)
            .map_err(|e| e.to_string())
            .and_then(|t| crate::server::http::parse_tokens(&t))
        {
            Ok(tokens) => tokens,
            Err(e) => return startup_error(&format!("cannot use --http-token-file {}: {e}", path.display())),
        },
        None => Vec::new(),
    };
    if let Some(token) = args.http_token.as_ref().filter(|t| !t.is_empty()) {
        tokens.push(crate::server::http::HttpToken::full("default", token));
    }
    let Some(bind) = args.http else {
        return startup_error("serve --http needs an address");
    };
    let options = crate::server::http::HttpOptions {
        bind,
        path: args.http_path.clone(),
        tokens,
        allowed_hosts: args.http_allowed_hosts.clone(),
        allowed_origins: args.http_allowed_origins.clone(),
        oauth: args.oauth_issuer.clone().map(|issuer| crate::server::oauth::OAuthOptions {
            issuer,
            audience: args.oauth_audience.clone().unwrap_or_else(|| format!("http://{bind}{}", args.http_path)),
            jwks_url: args.oauth_jwks_url.clone(),
        }),
    };
    if let Err(message) = crate::server::http::check(&options) {
        return startup_error(&message);
    }
    let server = match global.build_server() {
        Ok(server) => server,
        Err(message) => return startup_error(&message),
    };
    server.catalog().log_summary();
    let stop = crate::server::shutdown::on_signal();
    let path = options.path.clone();
    let announce = |address: std::net::SocketAddr| {
        tracing::info!("serving MCP over HTTP at http://{address}{path}");
        eprintln!("supamcp: serving MCP at http://{address}{path}");
    };
    match crate::server::http::serve(server, options, stop, announce).await {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => startup_error(&message),
    }
}

pub async fn serve(global: &GlobalArgs) -> ExitCode {
    let stop = crate::server::shutdown::on_signal();
    serve_until(global, &stop).await
}

/// Serves MCP until the client closes stdin or `stop` is cancelled (a signal): then every call in flight is
/// cancelled (queries cancelled on the server, child processes stopped by their calls) and waited for a
/// bounded time, and the exit code is 0.
pub async fn serve_until(global: &GlobalArgs, stop: &tokio_util::sync::CancellationToken) -> ExitCode {
    use crate::server::shutdown::DRAIN;
    let server = match global.build_server() {
        Ok(server) => server,
        Err(message) => return startup_error(&message),
    };
    server.catalog().log_summary();
    match server.state().spill.cleanup() {
        Ok(0) => {}
        Ok(removed) => tracing::info!(removed, "removed spilled results older than the configured age"),
        Err(e) => tracing::warn!("cannot clean the spilled results: {e}"),
    }
    let in_flight = server.state().in_flight.clone();
    let running = tokio::select! {
        running = server.serve(crate::server::stdio::stdio()) => match running {
            Ok(running) => running,
            Err(e) => return startup_error(&format!("MCP handshake failed: {e}")),
        },
        () = stop.cancelled() => return ExitCode::SUCCESS,
    };
    let cancel = running.cancellation_token();
    let waiting = running.waiting();
    tokio::pin!(waiting);
    tokio::select! {
        ended = &mut waiting => match ended {
            Ok(_) => ExitCode::SUCCESS,
            Err(e) => startup_error(&format!("server stopped: {e}")),
        },
        () = stop.cancelled() => {
            cancel.cancel();
            if !in_flight.drained(DRAIN).await {
                tracing::warn!(calls = in_flight.running(), "calls still running at exit");
            }
            let _ = tokio::time::timeout(std::time::Duration::from_millis(300), waiting).await;
            ExitCode::SUCCESS
        }
    }
}

pub fn startup_error(message: &str) -> ExitCode {
    eprintln!("supamcp: {message}");
    ExitCode::from(2)
}
