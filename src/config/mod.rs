//! Typed configuration. Sources, strongest first: command-line flags, environment variables, the
//! `--env-file` (a Supabase/Dokploy .env), then the TOML config file with its named instances. The result
//! is one [`Settings`] value that the server reads and never mutates.

pub mod file;
mod load;
pub mod project_ref;

pub use load::{ConfigError, Overrides};

use crate::groups::Group;
use crate::pg::conninfo::ConnSpec;
use crate::pg::readonly_login::ReadOnlyLogin;
use crate::secret::Secret;
use std::collections::{BTreeMap, BTreeSet};
use std::path::PathBuf;
use std::time::Duration;

/// One database instance tools can act on.
#[derive(Clone, Debug)]
pub struct Instance {
    pub name: String,
    pub database: Option<ConnSpec>,
    pub supabase_url: Option<String>,
    pub anon_key: Option<Secret>,
    pub service_role_key: Option<Secret>,
    pub dokploy: Option<String>,
    pub dokploy_compose_id: Option<String>,
    /// The environment tag from the config file (`environment = "prod"`), lower-cased: list_instances filters by it.
    pub environment: Option<String>,
    /// A self-hosted stack's functions directory (`volumes/functions`): edge functions are deployed by writing
    /// files there.
    pub functions_dir: Option<PathBuf>,
    /// Self-hosted Studio's login behind the gateway (Kong's basic auth: DASHBOARD_USERNAME, DASHBOARD_PASSWORD):
    /// edge functions are deployed through Studio's Management-API-shaped routes.
    pub dashboard_username: Option<String>,
    pub dashboard_password: Option<Secret>,
    /// The `.env` file the instance was read from (`--env-file` or `env_file`), when it has one.
    pub env_file: Option<PathBuf>,
    pub read_only_role: Option<String>,
    /// The login read-only SQL runs on, restricted by PostgreSQL itself.
    pub read_only_login: Option<ReadOnlyLogin>,
    pub pool_size: usize,
    pub statement_timeout: Duration,
}

impl Instance {
    /// An instance named `name` with nothing configured yet and the default pool size and timeout.
    pub fn empty(name: &str) -> Instance {
        Instance {
            name: name.to_owned(),
            database: None,
            supabase_url: None,
            anon_key: None,
            service_role_key: None,
            dokploy: None,
            dokploy_compose_id: None,
            environment: None,
            functions_dir: None,
            dashboard_username: None,
            dashboard_password: None,
            env_file: None,
            read_only_role: None,
            read_only_login: None,
            pool_size: DEFAULT_POOL_SIZE,
            statement_timeout: DEFAULT_STATEMENT_TIMEOUT,
        }
    }
}

/// A Dokploy server.
#[derive(Clone, Debug)]
pub struct DokployServer {
    pub name: String,
    pub url: String,
    pub api_key: Secret,
}

/// Everything the server needs to know, resolved once at start.
#[derive(Clone, Debug)]
pub struct Settings {
    pub instances: BTreeMap<String, Instance>,
    pub default_instance: String,
    /// Groups named by the user; `None` means "every group whose prerequisites are configured".
    pub features: Option<BTreeSet<Group>>,
    pub read_only: bool,
    /// Tool parameters that write files (write_to, directories) may name any path; default false: only paths
    /// inside the working directory of the process.
    pub allow_absolute_paths: bool,
    pub data_dir: PathBuf,
    pub spill_threshold_bytes: usize,
    pub spill_max_age: Duration,
    pub access_token: Option<Secret>,
    /// The Supabase Management API (SUPAMCP_MANAGEMENT_API_URL, default https://api.supabase.com).
    pub management_api_url: String,
    /// `--project-ref`: the cloud tools act on this project only (their project_id is injected).
    pub project_ref: Option<String>,
    /// The Supabase Content API for search_docs and explain_error (`--content-api-url` /
    /// SUPABASE_CONTENT_API_URL); `None` when switched off ("off"): answers come from the local base only.
    pub content_api_url: Option<String>,
    /// How long a Content API request may take (SUPAMCP_CONTENT_API_TIMEOUT_MS, default 5000).
    pub content_api_timeout: Duration,
    pub dokploy: BTreeMap<String, DokployServer>,
    /// Where backups go (SUPAMCP_BACKUP_DIR, default `<data_dir>/backups`).
    pub backup_dir: PathBuf,
    /// SUPAMCP_BACKUP_KEY: a raw key or a passphrase.
    pub backup_key: Option<Secret>,
    /// The S3 variables of the environment (`backup::store::S3_VARIABLES`), for S3 backup destinations.
    pub backup_s3_env: BTreeMap<String, Secret>,
    /// The --env-file, when it describes no database (neither DATABASE_URL nor POSTGRES_HOST/POSTGRES_PASSWORD).
    pub env_file_without_database: Option<PathBuf>,
    /// What the loader noticed and the user should hear (duplicate keys in env files, an env file without
    /// database settings); logged as warnings when the server starts.
    pub warnings: Vec<String>,
}

pub const DEFAULT_POOL_SIZE: usize = 10;
pub const DEFAULT_MANAGEMENT_API_URL: &str = "https://api.supabase.com";
pub const DEFAULT_STATEMENT_TIMEOUT: Duration = Duration::from_secs(30);
pub const DEFAULT_SPILL_THRESHOLD_BYTES: usize = 512 * 1024;
pub const DEFAULT_SPILL_MAX_AGE: Duration = Duration::from_secs(24 * 3600);

impl Settings {
    /// The instance a call names, or the default one. The error lists the configured names.
    pub fn instance(&self, name: Option<&str>) -> Result<&Instance, String> {
        let wanted = name.unwrap_or(&self.default_instance);
        self.instances.get(wanted).ok_or_else(|| {
            let known: Vec<&str> = self.instances.keys().map(String::as_str).collect();
            if known.is_empty() {
                self.no_database_reason()
            } else {
                format!("instance '{wanted}' is not configured; configured instances: {}", known.join(", "))
            }
        })
    }

    /// Why no database is configured, and what to set.
    pub fn no_database_reason(&self) -> String {
        match &self.env_file_without_database {
            Some(path) => format!(
                "no database is configured: the env file {} has no database settings (none of DATABASE_URL, \
                 POSTGRES_HOST, POSTGRES_PASSWORD); set POSTGRES_PASSWORD in it (with POSTGRES_HOST, POSTGRES_PORT, \
                 POSTGRES_DB and POSTGRES_USER where they differ from localhost, 5432, postgres and postgres) or \
                 DATABASE_URL, or pass --database-url",
                path.display()
            ),
            None => "no database instance is configured: pass --database-url, set SUPAMCP_DATABASE_URL or \
                     POSTGRES_HOST/POSTGRES_PASSWORD, use --env-file with a Supabase .env, or add [instances.<name>] \
                     to the config file"
                .to_owned(),
        }
    }

    pub fn has_database(&self) -> bool {
        self.instances.values().any(|i| i.database.is_some())
    }

    /// Whether some instance has a functions directory (the self-hosted functions target).
    pub fn has_functions_dir(&self) -> bool {
        self.instances.values().any(|i| i.functions_dir.is_some())
    }

    /// Whether some instance has a self-hosted Studio login (its functions routes are a target).
    pub fn has_studio(&self) -> bool {
        self.instances.values().any(|i| i.supabase_url.is_some() && i.dashboard_password.is_some())
    }

    /// Whether some instance is a stack on a configured Dokploy server (its dokploy_compose_id).
    pub fn has_dokploy_stack(&self) -> bool {
        !self.dokploy.is_empty() && self.instances.values().any(|i| i.dokploy_compose_id.is_some())
    }

    pub fn has_supabase_api(&self) -> bool {
        self.instances.values().any(|i| i.supabase_url.is_some() && i.service_role_key.is_some())
    }
}
