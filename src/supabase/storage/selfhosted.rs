//! The storage settings of a self-hosted stack: the `storage` service's environment in the compose file
//! (`FILE_SIZE_LIMIT`, `STORAGE_BACKEND`, `ENABLE_IMAGE_TRANSFORMATION`, `IMGPROXY_URL` ... are literals there
//! in Supabase's stock compose) resolved against the `.env`. A change goes to the `.env` through its rewriter;
//! a setting the compose file writes as a literal is first pointed at the `.env` variable of the same name
//! (`${FILE_SIZE_LIMIT:-52428800}`, the old literal kept as default), so the compose file changes once, by one
//! line, and the value lives in the `.env`. A change applies when the storage container is recreated.

use crate::failure::Failure;
use crate::supabase::compose_env::{ServiceEnv, Value};
use crate::supabase::env::EnvFile;
use crate::supabase::storage::config::{StorageConfig, StorageFeatures, Toggle};
use crate::supabase::storage::limits::parse_size;
use schemars::JsonSchema;
use serde::Serialize;
use std::collections::BTreeMap;

/// The compose service that reads these settings.
pub const SERVICE: &str = "storage";

/// The command that makes the storage service read a changed `.env` or compose file.
pub const RESTART_COMMAND: &str = "docker compose up -d --force-recreate storage";

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Kind {
    Bytes,
    Bool,
    Backend,
    Url,
    Text,
}

/// The storage service's settings the tools read and change.
const SETTINGS: &[(&str, Kind)] = &[
    ("FILE_SIZE_LIMIT", Kind::Bytes),
    ("STORAGE_BACKEND", Kind::Backend),
    ("FILE_STORAGE_BACKEND_PATH", Kind::Text),
    ("GLOBAL_S3_BUCKET", Kind::Text),
    ("REGION", Kind::Text),
    ("ENABLE_IMAGE_TRANSFORMATION", Kind::Bool),
    ("IMGPROXY_URL", Kind::Url),
];

/// One setting as the storage service gets it.
#[derive(Clone, Debug, Serialize, JsonSchema)]
pub struct StorageSetting {
    pub name: String,
    /// None: not set (the service's own default applies).
    pub value: Option<String>,
    /// Where the value comes from: "compose literal", ".env FILE_SIZE_LIMIT", "compose default" or "not set".
    pub source: String,
}

/// A self-hosted stack's storage settings.
#[derive(Clone, Debug, Serialize, JsonSchema)]
pub struct SelfHostedStorage {
    pub settings: Vec<StorageSetting>,
}

/// The settings of the compose's storage service, resolved against `env`.
pub fn read(compose: &str, env: &EnvFile) -> Result<SelfHostedStorage, Failure> {
    let block = ServiceEnv::find(compose, SERVICE)?;
    let settings = SETTINGS
        .iter()
        .map(|(name, _)| {
            let (value, source) = match block.entry(name).map(|e| &e.value) {
                None => (None, "not set".to_owned()),
                Some(literal @ Value::Literal(_)) => (literal.resolve(env), "compose literal".to_owned()),
                Some(reference @ Value::Reference { variable, .. }) => {
                    let from_env = env.get(variable).is_some_and(|v| !v.is_empty());
                    let source = if from_env { format!(".env {variable}") } else { "compose default".to_owned() };
                    (reference.resolve(env), source)
                }
            };
            StorageSetting { name: (*name).to_owned(), value, source }
        })
        .collect();
    Ok(SelfHostedStorage { settings })
}

impl SelfHostedStorage {
    fn value(&self, name: &str) -> Option<&str> {
        self.settings.iter().find(|s| s.name == name).and_then(|s| s.value.as_deref())
    }

    /// The global file size limit in bytes, when set.
    pub fn file_size_limit(&self) -> Option<u64> {
        self.value("FILE_SIZE_LIMIT").and_then(|v| v.trim().parse().ok())
    }

    /// The same settings in the Management API's shape (file size limit, image transformation).
    pub fn as_config(&self) -> StorageConfig {
        let image = self.value("ENABLE_IMAGE_TRANSFORMATION").map(|v| Toggle { enabled: v.trim() == "true" });
        StorageConfig {
            file_size_limit: self.file_size_limit(),
            features: image.map(|t| StorageFeatures { image_transformation: Some(t), s3_protocol: None }),
        }
    }
}

/// The variables a cloud-shaped `config` sets on a self-hosted stack.
pub fn from_config(config: &StorageConfig) -> Result<BTreeMap<String, String>, Failure> {
    let mut set = BTreeMap::new();
    if let Some(limit) = config.file_size_limit {
        set.insert("FILE_SIZE_LIMIT".to_owned(), limit.to_string());
    }
    if let Some(features) = &config.features {
        if let Some(image) = &features.image_transformation {
            set.insert("ENABLE_IMAGE_TRANSFORMATION".to_owned(), image.enabled.to_string());
        }
        if features.s3_protocol.is_some() {
            return Err(Failure::new(
                "s3Protocol cannot be switched on a self-hosted stack",
                "the self-hosted storage service always serves /storage/v1/s3, with S3_PROTOCOL_ACCESS_KEY_ID/SECRET",
                "leave features.s3Protocol out; change the keys with dokploy_update_env or in the .env",
            ));
        }
    }
    Ok(set)
}

/// The names `update_storage_config` accepts in `set`.
pub fn known_settings() -> String {
    SETTINGS.iter().map(|(name, _)| *name).collect::<Vec<_>>().join(", ")
}

fn checked(name: &str, kind: Kind, value: &str) -> Result<String, Failure> {
    let bad = |expected: &str| {
        Failure::new(
            format!("{name} cannot be set to '{value}'"),
            format!("{name} takes {expected}"),
            format!("pass {expected} for {name}"),
        )
    };
    match kind {
        Kind::Bytes => parse_size(value).map(|b| b.to_string()).map_err(|_| bad("a size: bytes or \"50MB\"")),
        Kind::Bool if matches!(value, "true" | "false") => Ok(value.to_owned()),
        Kind::Bool => Err(bad("true or false")),
        Kind::Backend if matches!(value, "file" | "s3") => Ok(value.to_owned()),
        Kind::Backend => Err(bad("file or s3")),
        Kind::Url if value.contains("://") && !value.contains(char::is_whitespace) => Ok(value.to_owned()),
        Kind::Url => Err(bad("a URL such as http://imgproxy:5001")),
        Kind::Text if value.is_empty() || value.contains(['\n', '"']) => Err(bad("a one-line value")),
        Kind::Text => Ok(value.to_owned()),
    }
}

/// One setting a plan changes.
#[derive(Clone, Debug, Serialize, JsonSchema)]
pub struct StorageChange {
    pub setting: String,
    pub before: Option<String>,
    pub after: String,
    /// The `.env` variable now holding it.
    pub env_variable: String,
}

/// A change of the storage settings, before it is written.
#[derive(Debug)]
pub struct StoragePlan {
    pub env: EnvFile,
    /// The new compose file, when a line of it had to change.
    pub compose: Option<String>,
    /// Compose lines changed, "before -> after" (a new line has no before).
    pub compose_lines: Vec<String>,
    pub changes: Vec<StorageChange>,
}

/// Plans setting `set` (names of [`SETTINGS`]) for the stack whose compose file is `compose` and `.env` is `env`.
pub fn plan(compose: &str, env: &EnvFile, set: &BTreeMap<String, String>) -> Result<StoragePlan, Failure> {
    if set.is_empty() {
        return Err(Failure::new("nothing to change", "no setting was given", "pass config or set"));
    }
    let current = read(compose, env)?;
    let mut block = ServiceEnv::find(compose, SERVICE)?;
    let mut updated = env.clone();
    let (mut changes, mut compose_lines) = (Vec::new(), Vec::new());
    for (name, raw) in set {
        let kind = SETTINGS.iter().find(|(n, _)| n == name).map(|(_, k)| *k).ok_or_else(|| {
            Failure::new(
                format!("{name} is not a storage setting update_storage_config changes"),
                format!("it changes only: {}", known_settings()),
                "use dokploy_update_env or edit the stack's files for other variables",
            )
        })?;
        let value = checked(name, kind, raw.trim())?;
        let before = current.value(name).map(str::to_owned);
        if before.as_deref() == Some(value.as_str()) {
            continue;
        }
        if let Some((old, new)) = block.refer_to_env(name) {
            compose_lines.push(match old {
                Some(old) => format!("{old} -> {new}"),
                None => format!("(added) {new}"),
            });
        }
        let variable = match block.entry(name).map(|e| &e.value) {
            Some(Value::Reference { variable, .. }) => variable.clone(),
            _ => name.clone(),
        };
        updated.set(&variable, &value);
        changes.push(StorageChange { setting: name.clone(), before, after: value, env_variable: variable });
    }
    let compose = (!compose_lines.is_empty()).then(|| block.text());
    Ok(StoragePlan { env: updated, compose, compose_lines, changes })
}

#[cfg(test)]
mod tests {
    use super::*;

    const COMPOSE: &str = "services:\n  storage:\n    environment:\n      FILE_SIZE_LIMIT: 52428800\n      \
        STORAGE_BACKEND: file\n      ENABLE_IMAGE_TRANSFORMATION: \"true\"\n      IMGPROXY_URL: http://imgproxy:5001\n      \
        REGION: ${REGION:-stub}\n";

    #[test]
    fn settings_are_read_with_their_source_and_changed_through_the_env() {
        let env = EnvFile::parse("POSTGRES_PASSWORD=x\nREGION=eu-west-1\n").unwrap();
        let current = read(COMPOSE, &env).unwrap();
        assert_eq!(current.file_size_limit(), Some(52_428_800));
        let region = current.settings.iter().find(|s| s.name == "REGION").unwrap();
        assert_eq!((region.value.as_deref(), region.source.as_str()), (Some("eu-west-1"), ".env REGION"));
        assert!(current.as_config().features.unwrap().image_transformation.unwrap().enabled);

        let set: BTreeMap<String, String> = [
            ("FILE_SIZE_LIMIT".to_owned(), "100MB".to_owned()),
            ("ENABLE_IMAGE_TRANSFORMATION".to_owned(), "true".to_owned()),
            ("REGION".to_owned(), "us-east-1".to_owned()),
        ]
        .into();
        let plan = plan(COMPOSE, &env, &set).unwrap();
        assert_eq!(plan.changes.len(), 2, "an unchanged value is no change: {:?}", plan.changes);
        assert_eq!(plan.env.get("FILE_SIZE_LIMIT"), Some("100000000"));
        assert_eq!(plan.env.get("REGION"), Some("us-east-1"));
        assert_eq!(
            plan.compose_lines,
            ["FILE_SIZE_LIMIT: 52428800 -> FILE_SIZE_LIMIT: \"${FILE_SIZE_LIMIT:-52428800}\""]
        );
        let after = read(plan.compose.as_deref().unwrap(), &plan.env).unwrap();
        assert_eq!(after.file_size_limit(), Some(100_000_000));

        let bad: BTreeMap<String, String> = [("STORAGE_BACKEND".to_owned(), "ftp".to_owned())].into();
        assert!(super::plan(COMPOSE, &env, &bad).unwrap_err().why.contains("file or s3"));
        let foreign: BTreeMap<String, String> = [("POSTGRES_PASSWORD".to_owned(), "y".to_owned())].into();
        assert!(super::plan(COMPOSE, &env, &foreign).unwrap_err().what.contains("not a storage setting"));
    }
}
