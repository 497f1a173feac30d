//! `generate_keys` and `validate_keys`: mint a key set for a self-hosted stack, and check one the way
//! PostgREST and GoTrue do.

use super::{default_lifetime_days, default_true, load_env};
use crate::failure::Failure;
use crate::secret::Secret;
use crate::server::SupamcpServer;
use crate::server::output::{IntoToolResult, structured};
use crate::supabase::finding::{Finding, Severity, shown_value, worst};
use crate::supabase::keys::{self, DEFAULT_JWT_SECRET_LENGTH, GenerateOptions};
use rmcp::handler::server::wrapper::Parameters;
use rmcp::model::CallToolResult;
use rmcp::{ErrorData as McpError, schemars, tool, tool_router};
use serde::{Deserialize, Serialize};
use std::collections::HashMap;

fn default_secret_length() -> usize {
    DEFAULT_JWT_SECRET_LENGTH
}

#[derive(Debug, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct GenerateKeysParams {
    /// Keep this JWT_SECRET (at least 32 characters) and sign the keys with it; a new one is generated when omitted.
    #[serde(default)]
    pub jwt_secret: Option<String>,
    /// Length of a generated JWT_SECRET (32 or more; default 40).
    #[serde(default = "default_secret_length")]
    pub jwt_secret_length: usize,
    /// Lifetime of ANON_KEY and SERVICE_ROLE_KEY in days (default 1826, five years).
    #[serde(default = "default_lifetime_days")]
    pub lifetime_days: u32,
    /// Also generate the new key system: sb_publishable_/sb_secret_ keys, JWT_KEYS, JWT_JWKS and the ES256 keys.
    #[serde(default)]
    pub asymmetric: bool,
    /// Also generate POSTGRES_PASSWORD, DASHBOARD_PASSWORD, SECRET_KEY_BASE, VAULT_ENC_KEY, PG_META_CRYPTO_KEY and the Logflare tokens.
    #[serde(default = "default_true")]
    pub other_secrets: bool,
    /// Return the values themselves. Default false: values are redacted hints and nothing secret leaves the server.
    #[serde(default)]
    pub reveal: bool,
}

#[derive(Debug, Serialize, schemars::JsonSchema)]
struct GeneratedVariable {
    name: &'static str,
    value: String,
}

#[derive(Debug, Serialize, schemars::JsonSchema)]
struct GenerateKeysReply {
    revealed: bool,
    /// RFC 3339 expiry of the JWTs.
    expires_at: String,
    variables: Vec<GeneratedVariable>,
    /// The variables as .env lines.
    env: String,
    note: &'static str,
}

#[derive(Debug, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ValidateKeysParams {
    /// The .env text to read JWT_SECRET and the keys from.
    #[serde(default)]
    pub env_text: Option<String>,
    /// Path of a .env file to read them from (instead of env_text).
    #[serde(default)]
    pub path: Option<String>,
    /// JWT_SECRET; overrides the one in the .env.
    #[serde(default)]
    pub jwt_secret: Option<String>,
    /// ANON_KEY; overrides the one in the .env.
    #[serde(default)]
    pub anon_key: Option<String>,
    /// SERVICE_ROLE_KEY; overrides the one in the .env.
    #[serde(default)]
    pub service_role_key: Option<String>,
}

#[derive(Debug, Serialize, schemars::JsonSchema)]
struct ValidateKeysReply {
    /// "clean", "info", "warning" or "critical".
    status: &'static str,
    findings: Vec<Finding>,
}

#[tool_router(router = development_keys_router, vis = "pub(crate)")]
impl SupamcpServer {
    /// Generate the secrets of a self-hosted Supabase stack: JWT_SECRET, ANON_KEY and SERVICE_ROLE_KEY (HS256,
    /// {role, iss: "supabase", iat, exp}), the passwords and encryption keys, and optionally the new key system
    /// (opaque sb_ keys, JWT_KEYS, JWT_JWKS, ES256 keys). Values are redacted unless reveal is true. Offline.
    #[tool(
        annotations(title = "Generate Supabase keys",
        read_only_hint = true,
        destructive_hint = false,
        idempotent_hint = false,
        open_world_hint = false),
        output_schema = crate::server::output::schema_of::<GenerateKeysReply>()
    )]
    async fn generate_keys(
        &self,
        Parameters(params): Parameters<GenerateKeysParams>,
    ) -> Result<CallToolResult, McpError> {
        let options = GenerateOptions {
            jwt_secret: params.jwt_secret.map(Secret::new),
            jwt_secret_length: params.jwt_secret_length,
            lifetime_days: params.lifetime_days,
            asymmetric: params.asymmetric,
            other_secrets: params.other_secrets,
            ..GenerateOptions::default()
        };
        let generated = match keys::generate(&options) {
            Ok(generated) => generated,
            Err(failure) => return Ok(failure.into_result()),
        };
        let variables: Vec<GeneratedVariable> = generated
            .vars
            .iter()
            .map(|(name, value)| GeneratedVariable {
                name,
                value: if params.reveal { value.expose().to_owned() } else { shown_value(name, value.expose()) },
            })
            .collect();
        let env = variables.iter().map(|v| format!("{}={}\n", v.name, v.value)).collect();
        let reply = GenerateKeysReply {
            revealed: params.reveal,
            expires_at: chrono::DateTime::from_timestamp(generated.expires_at, 0)
                .map(|d| d.to_rfc3339())
                .unwrap_or_default(),
            variables,
            env,
            note: if params.reveal {
                "These are live secrets: put them in the stack's .env and do not paste them elsewhere."
            } else {
                "Values are redacted. Call again with reveal: true to receive them, or use fix_config with write_to to write them into a .env."
            },
        };
        Ok(structured(&reply))
    }

    /// Validate JWT_SECRET, ANON_KEY, SERVICE_ROLE_KEY and, when used, the new key system, the way PostgREST and
    /// GoTrue check them (signature, role claim, exp with 30 s leeway); also flags Dokploy's broken generator
    /// (iss "dokploy", identical role-less keys, hex non-JWTs) and Supabase's public demo keys. Offline.
    #[tool(
        annotations(title = "Validate Supabase keys",
        read_only_hint = true,
        destructive_hint = false,
        idempotent_hint = true,
        open_world_hint = false),
        output_schema = crate::server::output::schema_of::<ValidateKeysReply>()
    )]
    async fn validate_keys(
        &self,
        Parameters(params): Parameters<ValidateKeysParams>,
    ) -> Result<CallToolResult, McpError> {
        let overrides = [
            ("JWT_SECRET", &params.jwt_secret),
            ("ANON_KEY", &params.anon_key),
            ("SERVICE_ROLE_KEY", &params.service_role_key),
        ];
        let mut values: HashMap<String, String> = HashMap::new();
        if params.env_text.is_some() || params.path.is_some() {
            match load_env(params.env_text.as_deref(), params.path.as_deref()) {
                Ok(file) => values.extend(file.entries().map(|e| (e.key.clone(), e.value.clone()))),
                Err(failure) => return Ok(failure.into_result()),
            }
        } else if overrides.iter().all(|(_, v)| v.is_none()) {
            return Ok(Failure::new(
                "nothing to validate",
                "no env_text, path, jwt_secret, anon_key or service_role_key was given",
                "pass the .env (env_text or path) or the keys themselves",
            )
            .into_result());
        }
        for (name, value) in overrides {
            if let Some(value) = value {
                values.insert(name.to_owned(), value.clone());
            }
        }
        let findings = keys::validate_keys(|k| values.get(k).map(String::as_str), chrono::Utc::now().timestamp());
        let status = worst(&findings).map(Severity::name).unwrap_or("clean");
        Ok(structured(&ValidateKeysReply { status, findings }))
    }
}
