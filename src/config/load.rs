//! Builds [`Settings`] from the layered sources. Environment access goes through a lookup function so
//! the layering is tested without touching the process environment.

use super::file::{ConfigFile, InstanceFile};
use super::{
    DEFAULT_MANAGEMENT_API_URL, DEFAULT_POOL_SIZE, DEFAULT_SPILL_MAX_AGE, DEFAULT_SPILL_THRESHOLD_BYTES,
    DEFAULT_STATEMENT_TIMEOUT,
};
use super::{DokployServer, Instance, Settings};
use crate::groups::{UnknownGroup, parse_group_list};
use crate::pg::conninfo::{ConnInfoError, ConnSpec};
use crate::pg::readonly_login::{LoginOrigin, ReadOnlyLogin, SUPABASE_READ_ONLY_USER};
use crate::secret::Secret;
use crate::supabase::env::EnvFile;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::time::Duration;

/// Values from the command line (clap has already folded in their SUPAMCP_* environment variables).
#[derive(Clone, Debug, Default)]
pub struct Overrides {
    pub config_path: Option<PathBuf>,
    pub env_file: Option<PathBuf>,
    pub database_url: Option<Secret>,
    pub features: Option<String>,
    pub read_only: bool,
    pub allow_absolute_paths: bool,
    pub instance: Option<String>,
    pub data_dir: Option<PathBuf>,
    pub read_only_role: Option<String>,
    /// `--read-only-database-url` / SUPAMCP_READ_ONLY_DATABASE_URL: the default instance's read-only login.
    pub read_only_database_url: Option<Secret>,
    pub pool_size: Option<usize>,
    pub statement_timeout_ms: Option<u64>,
    pub spill_threshold_bytes: Option<usize>,
    pub backup_dir: Option<PathBuf>,
    /// `--access-token`: the Management API's personal access token (before SUPABASE_ACCESS_TOKEN).
    pub access_token: Option<Secret>,
    /// `--api-url`: the Management API base (before SUPAMCP_MANAGEMENT_API_URL).
    pub api_url: Option<String>,
    /// `--project-ref`: the one Supabase Cloud project the tools act on.
    pub project_ref: Option<String>,
    /// `--content-api-url` / SUPABASE_CONTENT_API_URL ("off" switches it off).
    pub content_api_url: Option<String>,
}

#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("cannot read {path}: {source}")]
    Read { path: PathBuf, source: std::io::Error },
    #[error("config file {path} is invalid: {message}")]
    Toml { path: PathBuf, message: String },
    #[error("env file {path}: {message}")]
    EnvFile { path: PathBuf, message: String },
    #[error("{origin}: {source}")]
    Connection { origin: String, source: ConnInfoError },
    #[error(transparent)]
    Features(#[from] UnknownGroup),
    #[error("{0}")]
    Invalid(String),
}

type Lookup<'a> = &'a dyn Fn(&str) -> Option<String>;

impl Settings {
    /// Resolves the configuration from `overrides`, the environment (through `env`) and the files they name.
    pub fn load(overrides: &Overrides, env: Lookup<'_>) -> Result<Settings, ConfigError> {
        let config_path = overrides.config_path.clone().or_else(|| env("SUPAMCP_CONFIG").map(PathBuf::from));
        let file = match &config_path {
            Some(path) => read_config_file(path)?,
            None => ConfigFile::default(),
        };
        let mut warnings = Vec::new();
        let env_file = match &overrides.env_file {
            Some(path) => Some(read_env_file_noting(path, &mut warnings)?),
            None => None,
        };
        let env_file_without_database = match (&env_file, &overrides.env_file) {
            (Some(parsed), Some(path)) if !describes_database(parsed) => Some(path.clone()),
            _ => None,
        };

        let mut instances = BTreeMap::new();
        for (name, spec) in &file.instances {
            instances.insert(name.clone(), instance_from_file(name, spec, config_path.as_deref(), &mut warnings)?);
        }
        let default_instance = overrides
            .instance
            .clone()
            .or_else(|| file.default_instance.clone())
            .or_else(|| (instances.len() == 1).then(|| instances.keys().next().cloned()).flatten())
            .unwrap_or_else(|| "default".to_owned());
        if file.default_instance.is_some() && overrides.instance.is_none() && !instances.contains_key(&default_instance)
        {
            return Err(ConfigError::Invalid(format!(
                "default_instance = '{default_instance}' names no [instances.{default_instance}] table"
            )));
        }

        let base = instances.remove(&default_instance).unwrap_or_else(|| Instance::empty(&default_instance));
        let layered = layer_default_instance(base, overrides, env, env_file.as_ref())?;
        let has_anything = layered.database.is_some()
            || layered.supabase_url.is_some()
            || layered.dokploy.is_some()
            || layered.functions_dir.is_some();
        if has_anything || !instances.is_empty() {
            instances.insert(default_instance.clone(), layered);
        }
        let has_database = instances.values().any(|instance| instance.database.is_some());
        let env_file_without_database = env_file_without_database.filter(|_| !has_database);
        if let Some(path) = &env_file_without_database {
            warnings.push(format!(
                "--env-file {}: no database settings (none of DATABASE_URL, POSTGRES_HOST, POSTGRES_PASSWORD) and no \
                 other source names a database, so the tools that need one are not offered",
                path.display()
            ));
        }

        let features = match overrides.features.clone().or_else(|| file.features.as_ref().map(|f| f.join(","))) {
            Some(list) => Some(parse_group_list(&list)?),
            None => None,
        };

        let mut dokploy = BTreeMap::new();
        for (name, server) in &file.dokploy {
            dokploy.insert(
                name.clone(),
                DokployServer { name: name.clone(), url: server.url.clone(), api_key: server.api_key.clone() },
            );
        }
        if let (Some(url), Some(key)) = (env("DOKPLOY_URL"), env("DOKPLOY_API_KEY")) {
            dokploy.insert(
                "default".to_owned(),
                DokployServer { name: "default".to_owned(), url, api_key: Secret::new(key) },
            );
        }

        let data_dir = overrides.data_dir.clone().or(file.data_dir.clone()).unwrap_or_else(|| default_data_dir(env));
        add_stored_read_only_logins(&mut instances, &data_dir)?;
        Ok(Settings {
            instances,
            default_instance,
            features,
            read_only: overrides.read_only || file.read_only.unwrap_or(false),
            allow_absolute_paths: overrides.allow_absolute_paths || file.allow_absolute_paths.unwrap_or(false),
            data_dir: data_dir.clone(),
            spill_threshold_bytes: overrides
                .spill_threshold_bytes
                .or(file.spill_threshold_bytes)
                .unwrap_or(DEFAULT_SPILL_THRESHOLD_BYTES),
            spill_max_age: file
                .spill_max_age_hours
                .map(|h| Duration::from_secs(h * 3600))
                .unwrap_or(DEFAULT_SPILL_MAX_AGE),
            access_token: overrides
                .access_token
                .clone()
                .or_else(|| env("SUPABASE_ACCESS_TOKEN").map(Secret::new))
                .filter(|token| !token.is_empty())
                .or(file.access_token),
            management_api_url: overrides
                .api_url
                .clone()
                .or_else(|| env("SUPAMCP_MANAGEMENT_API_URL"))
                .filter(|u| !u.trim().is_empty())
                .unwrap_or_else(|| DEFAULT_MANAGEMENT_API_URL.to_owned()),
            project_ref: project_ref(overrides.project_ref.as_deref())?,
            content_api_url: content_api_url(overrides),
            content_api_timeout: env("SUPAMCP_CONTENT_API_TIMEOUT_MS")
                .and_then(|ms| ms.trim().parse::<u64>().ok())
                .filter(|ms| *ms > 0)
                .map_or(crate::knowledge::content_api::DEFAULT_TIMEOUT, Duration::from_millis),
            dokploy,
            backup_dir: overrides.backup_dir.clone().or(file.backup_dir).unwrap_or_else(|| data_dir.join("backups")),
            backup_key: env("SUPAMCP_BACKUP_KEY").filter(|k| !k.is_empty()).map(Secret::new).or(file.backup_key),
            backup_s3_env: crate::backup::store::S3_VARIABLES
                .iter()
                .filter_map(|name| env(name).map(|value| ((*name).to_owned(), Secret::new(value))))
                .collect(),
            env_file_without_database,
            warnings,
        })
    }
}

/// A `--project-ref`, checked: a Supabase ref is 20 lowercase letters (older ones are shorter), never a URL.
fn project_ref(given: Option<&str>) -> Result<Option<String>, ConfigError> {
    let Some(reference) = given.map(str::trim).filter(|r| !r.is_empty()) else {
        return Ok(None);
    };
    if !reference.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit()) {
        return Err(ConfigError::Invalid(format!(
            "--project-ref '{reference}' is not a project ref: give the ref alone (the <ref> of https://<ref>.supabase.co)"
        )));
    }
    Ok(Some(reference.to_owned()))
}

/// The Content API URL: the default unless set; "off", "none" or empty switch it off.
fn content_api_url(overrides: &Overrides) -> Option<String> {
    match overrides.content_api_url.as_deref().map(str::trim) {
        None => Some(crate::knowledge::content_api::DEFAULT_URL.to_owned()),
        Some(off) if off.is_empty() || off.eq_ignore_ascii_case("off") || off.eq_ignore_ascii_case("none") => None,
        Some(url) => Some(url.to_owned()),
    }
}

fn read_config_file(path: &Path) -> Result<ConfigFile, ConfigError> {
    let text = std::fs::read_to_string(path).map_err(|source| ConfigError::Read { path: path.to_owned(), source })?;
    toml::from_str(&text).map_err(|e| ConfigError::Toml { path: path.to_owned(), message: e.to_string() })
}

/// Reads a Supabase/Dokploy .env file.
pub fn read_env_file(path: &Path) -> Result<EnvFile, ConfigError> {
    let text = std::fs::read_to_string(path).map_err(|source| ConfigError::Read { path: path.to_owned(), source })?;
    EnvFile::parse(&text).map_err(|e| ConfigError::EnvFile { path: path.to_owned(), message: e.to_string() })
}

/// [`read_env_file`], adding a warning per key assigned more than once (the last assignment is used, as docker
/// compose does) to `warnings`.
fn read_env_file_noting(path: &Path, warnings: &mut Vec<String>) -> Result<EnvFile, ConfigError> {
    let parsed = read_env_file(path)?;
    for duplicate in parsed.duplicate_keys() {
        warnings.push(format!(
            "env file {}: {} is assigned on {}; the last one (line {}) is used, as docker compose does; remove the others",
            path.display(),
            duplicate.key,
            duplicate.lines_text(),
            duplicate.winning_line()
        ));
    }
    Ok(parsed)
}

/// True when a .env names a database: DATABASE_URL, or POSTGRES_HOST or POSTGRES_PASSWORD (what
/// [`ConnSpec::from_components`] needs).
fn describes_database(env_file: &EnvFile) -> bool {
    ["DATABASE_URL", "POSTGRES_HOST", "POSTGRES_PASSWORD"]
        .iter()
        .any(|key| env_file.get(key).is_some_and(|v| !v.is_empty()))
}

fn parse_conn(raw: &str, origin: &str) -> Result<ConnSpec, ConfigError> {
    ConnSpec::parse(raw).map_err(|source| ConfigError::Connection { origin: origin.to_owned(), source })
}

/// What a Supabase .env describes: database, public URL, anon key, service role key.
type EnvFileInstance = (Option<ConnSpec>, Option<String>, Option<Secret>, Option<Secret>);

fn from_env_file(env_file: &EnvFile, origin: &str) -> Result<EnvFileInstance, ConfigError> {
    let get = |key: &str| env_file.get(key).filter(|v| !v.is_empty()).map(str::to_owned);
    let database = match get("DATABASE_URL") {
        Some(url) => Some(parse_conn(&url, origin)?),
        None => ConnSpec::from_components(get)
            .map_err(|source| ConfigError::Connection { origin: origin.to_owned(), source })?,
    };
    let url = get("SUPABASE_PUBLIC_URL").or_else(|| get("API_EXTERNAL_URL"));
    Ok((database, url, get("ANON_KEY").map(Secret::new), get("SERVICE_ROLE_KEY").map(Secret::new)))
}

/// Self-hosted Studio's login in a Supabase .env (Kong's basic auth in front of Studio).
fn dashboard_login(env_file: &EnvFile) -> (Option<String>, Option<Secret>) {
    let get = |key: &str| env_file.get(key).filter(|v| !v.is_empty()).map(str::to_owned);
    (get("DASHBOARD_USERNAME"), get("DASHBOARD_PASSWORD").map(Secret::new))
}

fn instance_from_file(
    name: &str,
    spec: &InstanceFile,
    config_path: Option<&Path>,
    warnings: &mut Vec<String>,
) -> Result<Instance, ConfigError> {
    let mut instance = Instance::empty(name);
    let origin = format!("[instances.{name}]");
    if let Some(path) = &spec.env_file {
        let path = resolve_relative(path, config_path);
        let parsed = read_env_file_noting(&path, warnings)?;
        let (database, url, anon, service) = from_env_file(&parsed, &format!("{origin} env_file {}", path.display()))?;
        instance.database = database;
        instance.supabase_url = url;
        instance.anon_key = anon;
        instance.service_role_key = service;
        (instance.dashboard_username, instance.dashboard_password) = dashboard_login(&parsed);
        instance.env_file = Some(path);
    }
    if let Some(url) = &spec.database_url {
        instance.database = Some(parse_conn(url.expose(), &format!("{origin} database_url"))?);
    }
    instance.supabase_url = spec.supabase_url.clone().or(instance.supabase_url);
    instance.anon_key = spec.anon_key.clone().or(instance.anon_key);
    instance.service_role_key = spec.service_role_key.clone().or(instance.service_role_key);
    instance.dokploy = spec.dokploy.clone();
    instance.dokploy_compose_id = spec.dokploy_compose_id.clone();
    instance.environment = environment_tag(spec.environment.as_deref(), &origin)?;
    instance.functions_dir = spec.functions_dir.as_ref().map(|dir| resolve_relative(dir, config_path));
    instance.dashboard_username = spec.dashboard_username.clone().or(instance.dashboard_username);
    instance.dashboard_password = spec.dashboard_password.clone().or(instance.dashboard_password);
    instance.read_only_role = spec.read_only_role.clone();
    instance.read_only_login =
        read_only_login(spec.read_only_database_url.as_ref(), spec.read_only_password.as_ref(), &origin)?;
    instance.pool_size = spec.pool_size.unwrap_or(DEFAULT_POOL_SIZE);
    instance.statement_timeout =
        statement_timeout(spec.statement_timeout_ms, &format!("{origin} statement_timeout_ms"))?
            .unwrap_or(DEFAULT_STATEMENT_TIMEOUT);
    validate_pool_size(instance.pool_size)?;
    Ok(instance)
}

/// The environment tag, trimmed and lower-cased: letters, digits, '-' and '_', at most 32 characters.
fn environment_tag(raw: Option<&str>, origin: &str) -> Result<Option<String>, ConfigError> {
    let Some(raw) = raw else { return Ok(None) };
    let tag = raw.trim().to_ascii_lowercase();
    let valid =
        !tag.is_empty() && tag.len() <= 32 && tag.chars().all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_');
    if !valid {
        return Err(ConfigError::Invalid(format!(
            "{origin} environment = {raw:?}: a tag is 1 to 32 letters, digits, '-' or '_' (e.g. dev, staging, prod)"
        )));
    }
    Ok(Some(tag))
}

fn validate_pool_size(size: usize) -> Result<(), ConfigError> {
    if size == 0 || size > 500 {
        return Err(ConfigError::Invalid(format!(
            "pool size {size} is out of range; use 1 to 500 (default {DEFAULT_POOL_SIZE})"
        )));
    }
    Ok(())
}

/// A configured statement timeout, in PostgreSQL's range.
fn statement_timeout(ms: Option<u64>, origin: &str) -> Result<Option<Duration>, ConfigError> {
    ms.map(|ms| crate::pg::timeout::pg_timeout("statement_timeout_ms", ms))
        .transpose()
        .map_err(|failure| ConfigError::Invalid(format!("{origin}: {}", failure.text())))
}

fn resolve_relative(path: &Path, config_path: Option<&Path>) -> PathBuf {
    match config_path.and_then(Path::parent) {
        Some(dir) if path.is_relative() => dir.join(path),
        _ => path.to_owned(),
    }
}

/// Applies, weakest first, the env file, then the environment, then the command line to the default instance.
fn layer_default_instance(
    mut instance: Instance,
    overrides: &Overrides,
    env: Lookup<'_>,
    env_file: Option<&EnvFile>,
) -> Result<Instance, ConfigError> {
    if let (Some(parsed), Some(path)) = (env_file, &overrides.env_file) {
        let (database, url, anon, service) = from_env_file(parsed, &format!("--env-file {}", path.display()))?;
        instance.database = database.or(instance.database);
        instance.supabase_url = url.or(instance.supabase_url);
        instance.anon_key = anon.or(instance.anon_key);
        instance.service_role_key = service.or(instance.service_role_key);
        let (user, password) = dashboard_login(parsed);
        instance.dashboard_username = user.or(instance.dashboard_username);
        instance.dashboard_password = password.or(instance.dashboard_password);
        instance.env_file = Some(path.clone());
    }
    let from_env = match env("DATABASE_URL").filter(|v| !v.is_empty()) {
        Some(url) => Some(parse_conn(&url, "DATABASE_URL")?),
        None => ConnSpec::from_components(|k| env(k).filter(|v| !v.is_empty()))
            .map_err(|source| ConfigError::Connection { origin: "POSTGRES_* variables".to_owned(), source })?,
    };
    instance.database = from_env.or(instance.database);
    instance.supabase_url = env("SUPABASE_URL").or(instance.supabase_url);
    instance.anon_key = env("SUPABASE_ANON_KEY").map(Secret::new).or(instance.anon_key);
    instance.service_role_key = env("SUPABASE_SERVICE_ROLE_KEY").map(Secret::new).or(instance.service_role_key);
    instance.dashboard_username = env("DASHBOARD_USERNAME").filter(|v| !v.is_empty()).or(instance.dashboard_username);
    instance.dashboard_password =
        env("DASHBOARD_PASSWORD").filter(|v| !v.is_empty()).map(Secret::new).or(instance.dashboard_password);
    instance.functions_dir =
        env("SUPAMCP_FUNCTIONS_DIR").filter(|v| !v.is_empty()).map(PathBuf::from).or(instance.functions_dir);

    if let Some(url) = &overrides.database_url {
        instance.database = Some(parse_conn(url.expose(), "--database-url")?);
    }
    if let Some(role) = &overrides.read_only_role {
        instance.read_only_role = Some(role.clone());
    }
    let password = env("SUPAMCP_READ_ONLY_PASSWORD").filter(|p| !p.is_empty()).map(Secret::new);
    if let Some(login) = read_only_login(overrides.read_only_database_url.as_ref(), password.as_ref(), "")? {
        instance.read_only_login = Some(login);
    }
    if let Some(size) = overrides.pool_size {
        validate_pool_size(size)?;
        instance.pool_size = size;
    }
    if let Some(timeout) = statement_timeout(overrides.statement_timeout_ms, "--statement-timeout-ms")? {
        instance.statement_timeout = timeout;
    }
    Ok(instance)
}

/// The read-only login an explicit URL or supabase_read_only_user's password names (the URL wins).
fn read_only_login(
    url: Option<&Secret>,
    password: Option<&Secret>,
    origin: &str,
) -> Result<Option<ReadOnlyLogin>, ConfigError> {
    if let Some(url) = url.filter(|u| !u.is_empty()) {
        let origin = if origin.is_empty() {
            "read-only database URL".to_owned()
        } else {
            format!("{origin} read_only_database_url")
        };
        return Ok(Some(ReadOnlyLogin::Url(parse_conn(url.expose(), &origin)?)));
    }
    Ok(password.filter(|p| !p.is_empty()).map(|password| ReadOnlyLogin::Credentials {
        user: SUPABASE_READ_ONLY_USER.to_owned(),
        password: password.clone(),
        origin: LoginOrigin::SupabaseReadOnlyUser,
    }))
}

/// Instances with a database and no configured read-only login take the one `supamcp setup read-only-role`
/// stored for them in the data directory.
fn add_stored_read_only_logins(instances: &mut BTreeMap<String, Instance>, data_dir: &Path) -> Result<(), ConfigError> {
    for (name, instance) in instances.iter_mut() {
        if instance.database.is_none() || instance.read_only_login.is_some() {
            continue;
        }
        instance.read_only_login = crate::pg::readonly_setup::stored_login(data_dir, name)
            .map_err(|failure| ConfigError::Invalid(failure.text()))?;
    }
    Ok(())
}

fn default_data_dir(env: Lookup<'_>) -> PathBuf {
    if let Some(dir) = env("XDG_DATA_HOME").filter(|d| !d.is_empty()) {
        return PathBuf::from(dir).join("supamcp");
    }
    match env("HOME").filter(|h| !h.is_empty()) {
        Some(home) => PathBuf::from(home).join(".local/share/supamcp"),
        None => std::env::temp_dir().join("supamcp"),
    }
}

#[cfg(test)]
#[path = "load_tests.rs"]
mod tests;
