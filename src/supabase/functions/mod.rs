//! Edge functions, wherever they live (no rmcp): the Management API on Supabase Cloud (`cloud.rs`), a
//! self-hosted stack's functions directory (`local.rs`), a stack on Dokploy whose functions are compose file
//! mounts (`compose.rs`; its secrets in the compose env, `compose_env.rs`), invocation through the instance's gateway
//! (`invoke.rs`), their logs (`logs.rs`). One shape for every target: [`FunctionInfo`], [`SourceFile`]; source checked before it is
//! sent (`validate.rs`); earlier versions kept in the data directory for rollback (`history.rs`); function
//! secrets as names and SHA-256 digests, never values (`secrets.rs`); the multipart body the deploy endpoint
//! takes and the `/body` endpoint answers (`multipart.rs`).

pub mod cloud;
pub mod compose;
pub mod compose_env;
pub mod history;
pub mod invoke;
pub mod local;
pub mod logs;
pub mod multipart;
pub mod secrets;
pub mod target;
pub mod validate;

use serde::{Deserialize, Serialize};

/// One deployed function, as every target describes it.
#[derive(Clone, Debug, Serialize, schemars::JsonSchema)]
pub struct FunctionInfo {
    pub slug: String,
    pub name: String,
    /// Deploy counter: the API's version on cloud, supamcp's count in a functions directory.
    pub version: u64,
    /// ACTIVE, REMOVED or THROTTLED on cloud; ACTIVE in a functions directory.
    pub status: String,
    /// Whether a valid JWT is needed to invoke it (a functions directory: what was asked at deploy; the stock
    /// self-hosted router only honours the global VERIFY_JWT).
    pub verify_jwt: Option<bool>,
    /// Relative to the function's root, e.g. index.ts.
    pub entrypoint_path: Option<String>,
    pub import_map_path: Option<String>,
    /// ISO 8601.
    pub updated_at: Option<String>,
}

/// One source file: its path relative to the function's root and its text.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct SourceFile {
    /// Relative path, e.g. index.ts or lib/util.ts.
    pub name: String,
    /// The file's text.
    pub content: String,
}

/// What a deploy sends, checked by [`validate::check_deploy`].
#[derive(Clone, Debug)]
pub struct Deploy {
    pub slug: String,
    pub name: String,
    pub entrypoint_path: String,
    pub import_map_path: Option<String>,
    pub verify_jwt: bool,
    pub files: Vec<SourceFile>,
}

/// The file names an import map or Deno config is found under, in the order they are preferred.
pub const IMPORT_MAP_NAMES: [&str; 3] = ["deno.json", "deno.jsonc", "import_map.json"];

/// A millisecond Unix time (the API's `created_at`/`updated_at`) as ISO 8601.
pub fn iso_from_millis(millis: i64) -> Option<String> {
    chrono::DateTime::from_timestamp_millis(millis).map(|t| t.to_rfc3339_opts(chrono::SecondsFormat::Millis, true))
}
