//! The TOML config file: named instances (dev, staging, prod ...) and Dokploy servers. Every table
//! denies unknown fields, so a typo is a startup error that names the field instead of a silent default.

use crate::secret::Secret;
use serde::Deserialize;
use std::collections::BTreeMap;
use std::path::PathBuf;

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ConfigFile {
    /// The instance tools use when a call names none.
    pub default_instance: Option<String>,
    /// Feature groups to enable, as on `--features`.
    pub features: Option<Vec<String>>,
    pub read_only: Option<bool>,
    /// Let tool parameters that write files name paths outside the working directory.
    pub allow_absolute_paths: Option<bool>,
    /// Where spilled results, the audit log and snapshots go.
    pub data_dir: Option<PathBuf>,
    pub spill_threshold_bytes: Option<usize>,
    pub spill_max_age_hours: Option<u64>,
    /// Supabase personal access token for the `cloud` group.
    pub access_token: Option<Secret>,
    /// Directory for backups (default: backups/ in the data directory).
    pub backup_dir: Option<PathBuf>,
    /// Backup key: 64 hex characters, base64 of 32 bytes, or a passphrase (SUPAMCP_BACKUP_KEY wins).
    pub backup_key: Option<Secret>,
    #[serde(default)]
    pub instances: BTreeMap<String, InstanceFile>,
    #[serde(default)]
    pub dokploy: BTreeMap<String, DokployFile>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct InstanceFile {
    /// A postgres:// URL or libpq key=value string.
    pub database_url: Option<Secret>,
    /// A Supabase/Dokploy .env to read POSTGRES_*, keys and URLs from.
    pub env_file: Option<PathBuf>,
    pub supabase_url: Option<String>,
    pub anon_key: Option<Secret>,
    pub service_role_key: Option<Secret>,
    /// Name of a `[dokploy.<name>]` server this instance is deployed on.
    pub dokploy: Option<String>,
    pub dokploy_compose_id: Option<String>,
    /// The instance's environment tag (dev, staging, prod or any short name): list_instances filters by it.
    pub environment: Option<String>,
    /// The stack's functions directory (e.g. /srv/supabase/volumes/functions): deploy_edge_function writes there.
    pub functions_dir: Option<PathBuf>,
    /// Self-hosted Studio's login (DASHBOARD_USERNAME): functions are deployed through Studio when set.
    pub dashboard_username: Option<String>,
    /// Self-hosted Studio's password (DASHBOARD_PASSWORD).
    pub dashboard_password: Option<Secret>,
    /// Role to SET ROLE to in read-only mode when no read-only login is configured (default:
    /// supabase_read_only_user when the login may assume it). No wall for a superuser login.
    pub read_only_role: Option<String>,
    /// A login PostgreSQL restricts (no write privileges, not a superuser ...) that read-only SQL runs on.
    pub read_only_database_url: Option<Secret>,
    /// The password of the stack's supabase_read_only_user: read-only SQL then logs in as it.
    pub read_only_password: Option<Secret>,
    pub pool_size: Option<usize>,
    pub statement_timeout_ms: Option<u64>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DokployFile {
    pub url: String,
    pub api_key: Secret,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn full_file_parses() {
        let text = r#"
            default_instance = "dev"
            features = ["core", "development"]
            read_only = true
            [instances.dev]
            database_url = "postgres://postgres:pw@localhost/postgres"
            pool_size = 4
            [instances.prod]
            env_file = "/srv/supabase/.env"
            read_only_role = "reporting"
            [dokploy.main]
            url = "https://dokploy.example.com"
            api_key = "k"
        "#;
        let file: ConfigFile = toml::from_str(text).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(file.instances.len(), 2);
        assert_eq!(file.instances["dev"].pool_size, Some(4));
        assert_eq!(file.dokploy["main"].api_key.expose(), "k");
    }

    #[test]
    fn unknown_fields_are_named() {
        let err = toml::from_str::<ConfigFile>("[instances.dev]\ndatabase_ulr = \"x\"\n").err();
        let text = err.map(|e| e.to_string()).unwrap_or_default();
        assert!(text.contains("database_ulr"), "{text}");
    }
}
