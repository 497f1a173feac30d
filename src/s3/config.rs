//! `S3Config`: where backups go in an S3-compatible store (AWS S3, Cloudflare R2, Backblaze B2, MinIO), read
//! from the standard AWS variables plus our bucket/prefix variables, with per-call overrides on top.

use crate::failure::Failure;
use crate::secret::Secret;
use serde::Deserialize;

/// The default region when neither `AWS_REGION` nor `AWS_DEFAULT_REGION` is set.
pub const DEFAULT_REGION: &str = "us-east-1";

/// An S3-compatible store and the place in it. `Debug` shows no secret (they are [`Secret`]s).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct S3Config {
    pub bucket: String,
    /// `""` or `a/b`: no leading or trailing slash.
    pub prefix: String,
    /// `AWS_ENDPOINT_URL`; `None` is AWS itself.
    pub endpoint_url: Option<String>,
    pub region: String,
    pub access_key_id: Option<Secret>,
    pub secret_access_key: Option<Secret>,
    pub session_token: Option<Secret>,
    /// `https://host/bucket/key` rather than `https://bucket.host/key`: the default for non-AWS endpoints.
    pub path_style: bool,
}

/// Per-call settings that replace the configured ones; every field is optional.
#[derive(Clone, Debug, Default, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct S3Overrides {
    /// SUPAMCP_BACKUP_S3_BUCKET.
    #[serde(default)]
    pub bucket: Option<String>,
    /// Key prefix, e.g. "backups/prod".
    #[serde(default)]
    pub prefix: Option<String>,
    /// AWS_ENDPOINT_URL (R2, B2, MinIO...).
    #[serde(default)]
    pub endpoint_url: Option<String>,
    /// AWS_REGION (R2: "auto").
    #[serde(default)]
    pub region: Option<String>,
    /// AWS_ACCESS_KEY_ID.
    #[serde(default)]
    #[schemars(with = "Option<String>")]
    pub access_key_id: Option<Secret>,
    /// AWS_SECRET_ACCESS_KEY.
    #[serde(default)]
    #[schemars(with = "Option<String>")]
    pub secret_access_key: Option<Secret>,
    /// AWS_SESSION_TOKEN.
    #[serde(default)]
    #[schemars(with = "Option<String>")]
    pub session_token: Option<Secret>,
    /// Path-style URLs (default: with a custom endpoint).
    #[serde(default)]
    pub path_style: Option<bool>,
}

impl S3Config {
    /// A bucket on AWS with everything else at its default (no prefix, `us-east-1`, no credentials).
    pub fn new(bucket: impl Into<String>) -> S3Config {
        S3Config {
            bucket: bucket.into(),
            prefix: String::new(),
            endpoint_url: None,
            region: DEFAULT_REGION.to_owned(),
            access_key_id: None,
            secret_access_key: None,
            session_token: None,
            path_style: false,
        }
    }

    /// From the environment (AWS_* variables + SUPAMCP_BACKUP_S3_BUCKET / SUPAMCP_BACKUP_S3_PREFIX /
    /// SUPAMCP_BACKUP_S3_PATH_STYLE); `Ok(None)` when no bucket is configured.
    pub fn from_lookup(lookup: &dyn Fn(&str) -> Option<String>) -> Result<Option<S3Config>, Failure> {
        let get = |name: &str| lookup(name).map(|v| v.trim().to_owned()).filter(|v| !v.is_empty());
        let Some(bucket) = get("SUPAMCP_BACKUP_S3_BUCKET") else {
            return Ok(None);
        };
        let endpoint_url = get("AWS_ENDPOINT_URL_S3").or_else(|| get("AWS_ENDPOINT_URL"));
        let path_style = match get("SUPAMCP_BACKUP_S3_PATH_STYLE") {
            Some(value) => parse_bool(&value).ok_or_else(|| {
                Failure::new(
                    "SUPAMCP_BACKUP_S3_PATH_STYLE is not a boolean",
                    format!("it is {value:?}"),
                    "set it to true or false (or leave it unset: true with AWS_ENDPOINT_URL, false for AWS)",
                )
            })?,
            None => endpoint_url.is_some(),
        };
        let config = S3Config {
            bucket,
            prefix: normalise_prefix(&get("SUPAMCP_BACKUP_S3_PREFIX").unwrap_or_default()),
            endpoint_url,
            region: get("AWS_REGION")
                .or_else(|| get("AWS_DEFAULT_REGION"))
                .unwrap_or_else(|| DEFAULT_REGION.to_owned()),
            access_key_id: get("AWS_ACCESS_KEY_ID").map(Secret::new),
            secret_access_key: get("AWS_SECRET_ACCESS_KEY").map(Secret::new),
            session_token: get("AWS_SESSION_TOKEN").map(Secret::new),
            path_style,
        };
        config.validate()?;
        Ok(Some(config))
    }

    /// The environment's configuration with `overrides` on top; `Ok(None)` when neither names a bucket.
    pub fn resolve(
        lookup: &dyn Fn(&str) -> Option<String>,
        overrides: &S3Overrides,
    ) -> Result<Option<S3Config>, Failure> {
        let base = match S3Config::from_lookup(lookup)? {
            Some(config) => config,
            None => match overrides.bucket.as_deref().map(str::trim).filter(|b| !b.is_empty()) {
                // The rest of the environment (credentials, endpoint) still applies to a per-call bucket.
                Some(bucket) => {
                    let with_bucket = |name: &str| match name {
                        "SUPAMCP_BACKUP_S3_BUCKET" => Some(bucket.to_owned()),
                        other => lookup(other),
                    };
                    S3Config::from_lookup(&with_bucket)?.unwrap_or_else(|| S3Config::new(bucket))
                }
                None => return Ok(None),
            },
        };
        let config = base.with_overrides(overrides);
        config.validate()?;
        Ok(Some(config))
    }

    /// Per-call overrides on top (each field optional). A new endpoint without `path_style` switches to
    /// path-style addressing, as the environment default does.
    pub fn with_overrides(mut self, o: &S3Overrides) -> S3Config {
        let text =
            |value: &Option<String>| value.as_deref().map(str::trim).filter(|v| !v.is_empty()).map(str::to_owned);
        if let Some(bucket) = text(&o.bucket) {
            self.bucket = bucket;
        }
        if let Some(prefix) = &o.prefix {
            self.prefix = normalise_prefix(prefix);
        }
        if let Some(endpoint) = text(&o.endpoint_url) {
            self.endpoint_url = Some(endpoint);
            self.path_style = true;
        }
        if let Some(region) = text(&o.region) {
            self.region = region;
        }
        let secret = |value: &Option<Secret>| value.clone().filter(|s| !s.is_empty());
        if let Some(key) = secret(&o.access_key_id) {
            self.access_key_id = Some(key);
        }
        if let Some(key) = secret(&o.secret_access_key) {
            self.secret_access_key = Some(key);
        }
        if let Some(token) = secret(&o.session_token) {
            self.session_token = Some(token);
        }
        if let Some(path_style) = o.path_style {
            self.path_style = path_style;
        }
        self
    }

    /// `s3://bucket/prefix` and the endpoint, for messages (no secret in it).
    pub fn location(&self) -> String {
        let place = if self.prefix.is_empty() {
            format!("s3://{}", self.bucket)
        } else {
            format!("s3://{}/{}", self.bucket, self.prefix)
        };
        match &self.endpoint_url {
            Some(endpoint) => format!("{place} at {endpoint}"),
            None => format!("{place} on AWS ({})", self.region),
        }
    }

    /// Checks what a request would otherwise fail on obscurely.
    pub fn validate(&self) -> Result<(), Failure> {
        if self.bucket.is_empty() || self.bucket.contains('/') || self.bucket.chars().any(char::is_whitespace) {
            return Err(Failure::new(
                "invalid S3 bucket name",
                format!("{:?} is empty or holds a slash or a space", self.bucket),
                "give the bare bucket name (SUPAMCP_BACKUP_S3_BUCKET) and put any folder into SUPAMCP_BACKUP_S3_PREFIX",
            ));
        }
        if let Some(endpoint) = &self.endpoint_url
            && !(endpoint.starts_with("http://") || endpoint.starts_with("https://"))
        {
            return Err(Failure::new(
                "invalid S3 endpoint URL",
                format!("{endpoint:?} does not start with http:// or https://"),
                "set AWS_ENDPOINT_URL to the full URL, for example https://<account>.r2.cloudflarestorage.com",
            ));
        }
        if self.region.is_empty() {
            return Err(Failure::new("no S3 region", "the region is empty", "set AWS_REGION (R2 uses \"auto\")"));
        }
        Ok(())
    }
}

/// `/a//b/` -> `a/b`.
pub fn normalise_prefix(prefix: &str) -> String {
    prefix.split('/').filter(|part| !part.is_empty()).collect::<Vec<_>>().join("/")
}

fn parse_bool(value: &str) -> Option<bool> {
    match value.to_ascii_lowercase().as_str() {
        "1" | "true" | "yes" | "on" => Some(true),
        "0" | "false" | "no" | "off" => Some(false),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    fn env(pairs: &[(&str, &str)]) -> HashMap<String, String> {
        pairs.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect()
    }

    fn from(vars: &HashMap<String, String>) -> Result<Option<S3Config>, Failure> {
        S3Config::from_lookup(&|name| vars.get(name).cloned())
    }

    #[test]
    fn no_bucket_means_no_s3() {
        let vars = env(&[("AWS_ACCESS_KEY_ID", "AKIAEXAMPLE"), ("AWS_REGION", "eu-west-1")]);
        assert_eq!(from(&vars).unwrap(), None);
    }

    #[test]
    fn aws_defaults_and_custom_endpoint_defaults() {
        let vars = env(&[("SUPAMCP_BACKUP_S3_BUCKET", "bk"), ("AWS_DEFAULT_REGION", "eu-west-3")]);
        let config = from(&vars).unwrap().unwrap();
        assert_eq!((config.region.as_str(), config.path_style, config.prefix.as_str()), ("eu-west-3", false, ""));
        let vars = env(&[
            ("SUPAMCP_BACKUP_S3_BUCKET", "bk"),
            ("SUPAMCP_BACKUP_S3_PREFIX", "/nightly/prod/"),
            ("AWS_ENDPOINT_URL", "http://127.0.0.1:9000"),
            ("AWS_ACCESS_KEY_ID", "AKIDEXAMPLE"),
            ("AWS_SECRET_ACCESS_KEY", "wJalrXUtnFEMI-very-secret"),
        ]);
        let config = from(&vars).unwrap().unwrap();
        assert_eq!(config.region, DEFAULT_REGION);
        assert!(config.path_style);
        assert_eq!(config.prefix, "nightly/prod");
        assert_eq!(config.endpoint_url.as_deref(), Some("http://127.0.0.1:9000"));
        let debug = format!("{config:?}");
        assert!(!debug.contains("wJalrXUtnFEMI") && !debug.contains("AKIDEXAMPLE"), "{debug}");
    }

    #[test]
    fn path_style_variable_and_bad_values() {
        let vars = env(&[
            ("SUPAMCP_BACKUP_S3_BUCKET", "bk"),
            ("AWS_ENDPOINT_URL", "https://s3.example.com"),
            ("SUPAMCP_BACKUP_S3_PATH_STYLE", "false"),
        ]);
        assert!(!from(&vars).unwrap().unwrap().path_style);
        let vars = env(&[("SUPAMCP_BACKUP_S3_BUCKET", "bk"), ("SUPAMCP_BACKUP_S3_PATH_STYLE", "sometimes")]);
        assert!(from(&vars).unwrap_err().what.contains("PATH_STYLE"));
        let vars = env(&[("SUPAMCP_BACKUP_S3_BUCKET", "bk"), ("AWS_ENDPOINT_URL", "minio:9000")]);
        assert!(from(&vars).unwrap_err().what.contains("endpoint"));
        let vars = env(&[("SUPAMCP_BACKUP_S3_BUCKET", "bk/backups")]);
        assert!(from(&vars).unwrap_err().fix.contains("SUPAMCP_BACKUP_S3_PREFIX"));
    }

    #[test]
    fn overrides_replace_fields_and_endpoint_implies_path_style() {
        let base = S3Config::new("bk");
        let overrides: S3Overrides = serde_json::from_value(serde_json::json!({
            "prefix": "x/y/", "endpoint_url": "http://127.0.0.1:5000", "region": "auto",
            "access_key_id": "id", "secret_access_key": "sk"
        }))
        .unwrap();
        let config = base.with_overrides(&overrides);
        assert_eq!(config.prefix, "x/y");
        assert!(config.path_style);
        assert_eq!(config.region, "auto");
        assert_eq!(config.secret_access_key.as_ref().map(Secret::expose), Some("sk"));
        let explicit = S3Overrides { path_style: Some(false), ..overrides };
        assert!(!S3Config::new("bk").with_overrides(&explicit).path_style);
        assert!(serde_json::from_value::<S3Overrides>(serde_json::json!({"buckett": "x"})).is_err());
    }

    #[test]
    fn override_schema_documents_every_field_and_hides_no_secret_type() {
        let schema = serde_json::to_value(schemars::schema_for!(S3Overrides)).unwrap();
        let properties = schema["properties"].as_object().unwrap();
        assert_eq!(properties.len(), 8);
        for (name, property) in properties {
            assert!(property["description"].as_str().is_some_and(|d| !d.is_empty()), "{name} has no description");
        }
        assert_eq!(schema["additionalProperties"], serde_json::json!(false));
        assert!(properties["secret_access_key"]["type"].to_string().contains("string"));
    }

    #[test]
    fn resolve_takes_a_per_call_bucket_with_the_environment_credentials() {
        let vars = env(&[("AWS_ACCESS_KEY_ID", "id"), ("AWS_SECRET_ACCESS_KEY", "sk")]);
        let lookup = |name: &str| vars.get(name).cloned();
        assert_eq!(S3Config::resolve(&lookup, &S3Overrides::default()).unwrap(), None);
        let overrides = S3Overrides { bucket: Some("per-call".into()), ..S3Overrides::default() };
        let config = S3Config::resolve(&lookup, &overrides).unwrap().unwrap();
        assert_eq!(config.bucket, "per-call");
        assert_eq!(config.access_key_id.as_ref().map(Secret::expose), Some("id"));
    }
}
