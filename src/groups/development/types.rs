//! `generate_typescript_types` (the types `supabase gen types typescript` prints, generated from the
//! catalog; optional `write_to`), and `get_project_url` / `get_publishable_keys` for client apps of a
//! self-hosted instance (from the instance config or a .env; never a service or secret key).

use super::{default_true, load_env};
use crate::server::SupamcpServer;
use crate::server::output::{IntoToolResult, fenced_structured, schema_of, structured};
use crate::server::progress::heartbeat;
use crate::spill::{ColumnInfo, WrittenResult};
use crate::supabase::env::backup_and_write_mode;
use crate::supabase::public::{PublicKey, Withheld, classify};
use crate::typegen::{self, DEFAULT_SCHEMAS, Options};
use rmcp::handler::server::wrapper::Parameters;
use rmcp::model::CallToolResult;
use rmcp::service::RequestContext;
use rmcp::{ErrorData as McpError, RoleServer, schemars, tool, tool_router};
use serde::{Deserialize, Serialize};

/// Lines of the types kept in the reply when the whole text spills to a file.
const PREVIEW_LINES: usize = 60;

fn default_schemas() -> Vec<String> {
    DEFAULT_SCHEMAS.iter().map(|s| (*s).to_string()).collect()
}

#[derive(Debug, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct GenerateTypesParams {
    /// Instance name; omit for the default instance.
    #[serde(default)]
    pub instance: Option<String>,
    /// Schemas to include; missing ones are skipped.
    #[serde(default = "default_schemas")]
    pub schemas: Vec<String>,
    /// PostgREST version, e.g. "13" (adds the `__InternalSupabase` block).
    #[serde(default)]
    pub postgrest_version: Option<String>,
    /// Write `isOneToOne` in relationships (false only for PostgREST 9).
    #[serde(default = "default_true")]
    pub detect_one_to_one_relationships: bool,
    /// Also write them to this file inside the working directory, e.g. "src/database.types.ts".
    #[serde(default)]
    pub write_to: Option<String>,
    /// Replace an existing write_to file (a .bak copy is kept).
    #[serde(default)]
    pub confirm: bool,
}

#[derive(Debug, Serialize, schemars::JsonSchema)]
struct TypesReply {
    /// The schemas that exist and were generated, in output order.
    schemas: Vec<String>,
    bytes: u64,
    lines: u64,
    /// The whole TypeScript text; null when it was larger than the spill threshold (see `spilled`).
    types: Option<String>,
    spilled: Option<TypesSpill>,
    /// The file written, with `write_to`.
    written_to: Option<String>,
    /// The copy of the file `write_to` replaced.
    backup: Option<String>,
}

#[derive(Debug, Serialize, schemars::JsonSchema)]
struct TypesSpill {
    /// Handle for read_result: one row per line.
    handle: String,
    /// The same pages as an MCP resource (resources/read).
    uri: String,
    /// The first lines.
    preview: Vec<String>,
}

#[derive(Debug, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ProjectParams {
    /// Instance name; omit for the default instance.
    #[serde(default)]
    pub instance: Option<String>,
    /// A self-hosted .env text to read as well.
    #[serde(default)]
    pub env_text: Option<String>,
    /// Path of a .env to read as well (instead of env_text).
    #[serde(default)]
    pub env_path: Option<String>,
}

#[derive(Debug, Serialize, schemars::JsonSchema)]
pub(crate) struct ProjectUrlReply {
    /// The URL client apps use (Kong / the API gateway), e.g. https://supabase.example.com.
    pub(crate) url: String,
    /// `config` or the .env variable it came from.
    pub(crate) source: String,
}

#[derive(Debug, Serialize, schemars::JsonSchema)]
pub(crate) struct PublishableKeysReply {
    /// Keys a browser app may hold: the anon JWT and the sb_publishable_ key.
    pub(crate) keys: Vec<PublicKey>,
    /// Values found but not returned because they grant more than public access.
    pub(crate) withheld: Vec<Withheld>,
}

fn encoded(reply: &impl Serialize) -> Result<serde_json::Value, crate::failure::Failure> {
    serde_json::to_value(reply).map_err(|e| {
        crate::failure::Failure::new("cannot encode the result", e.to_string(), "report this as a supamcp bug")
    })
}

#[tool_router(router = development_types_router, vis = "pub(crate)")]
impl SupamcpServer {
    /// Generate the database's TypeScript types, identical to `supabase gen types typescript`, and
    /// optionally write them to a file.
    #[tool(
        annotations(title = "Generate TypeScript types",
        read_only_hint = false,
        destructive_hint = false,
        idempotent_hint = false,
        open_world_hint = false),
        output_schema = schema_of::<TypesReply>()
    )]
    async fn generate_typescript_types(
        &self,
        Parameters(params): Parameters<GenerateTypesParams>,
        context: RequestContext<RoleServer>,
    ) -> Result<CallToolResult, McpError> {
        // Where the file goes is settled before the database is read: a refused path costs nothing.
        let target = match self.write_target(params.write_to.as_deref(), params.confirm) {
            Ok(target) => target,
            Err(failure) => return Ok(failure.into_result()),
        };
        let work = self.with_client(params.instance.as_deref(), |client| async move {
            let catalog = typegen::introspect(&client, &params.schemas).await?;
            let options = Options {
                postgrest_version: params.postgrest_version.clone(),
                detect_one_to_one: params.detect_one_to_one_relationships,
            };
            let text = typegen::render(&catalog, &options);
            self.types_reply(catalog.schemas.clone(), text, target.as_deref())
        });
        Ok(heartbeat(&context, "generate_typescript_types", work).await)
    }

    /// The public URL client apps of a self-hosted instance use (SUPABASE_URL for supabase-js): from the
    /// instance config, or SUPABASE_PUBLIC_URL / API_EXTERNAL_URL of a .env. Offline.
    #[tool(
        annotations(title = "Get project URL",
        read_only_hint = true,
        destructive_hint = false,
        idempotent_hint = true,
        open_world_hint = false),
        output_schema = schema_of::<ProjectUrlReply>()
    )]
    async fn get_project_url(&self, Parameters(params): Parameters<ProjectParams>) -> Result<CallToolResult, McpError> {
        let env = match read_env(&params) {
            Ok(env) => env,
            Err(failure) => return Ok(failure.into_result()),
        };
        let from_env = env.as_ref().and_then(|file| {
            ["SUPABASE_PUBLIC_URL", "API_EXTERNAL_URL"]
                .iter()
                .find_map(|k| file.get(k).filter(|v| !v.is_empty()).map(|v| (v.to_string(), (*k).to_string())))
        });
        let from_config = self
            .state
            .settings
            .instance(params.instance.as_deref())
            .ok()
            .and_then(|i| i.supabase_url.clone())
            .map(|url| (url, "config".to_string()));
        match from_env.or(from_config) {
            Some((url, source)) => Ok(structured(&ProjectUrlReply { url, source })),
            None => Ok(crate::failure::Failure::new(
                "no project URL is known",
                "the instance has no supabase_url and no .env with SUPABASE_PUBLIC_URL or API_EXTERNAL_URL was given",
                "pass env_path (the stack's .env), start supamcp with --env-file, or set supabase_url for the instance",
            )
            .into_result()),
        }
    }

    /// The keys a client app may ship to browsers (the anon and sb_publishable_ keys); secret keys are never returned.
    #[tool(
        annotations(title = "Get publishable keys",
        read_only_hint = true,
        destructive_hint = false,
        idempotent_hint = true,
        open_world_hint = false),
        output_schema = schema_of::<PublishableKeysReply>()
    )]
    async fn get_publishable_keys(
        &self,
        Parameters(params): Parameters<ProjectParams>,
    ) -> Result<CallToolResult, McpError> {
        let env = match read_env(&params) {
            Ok(env) => env,
            Err(failure) => return Ok(failure.into_result()),
        };
        let mut candidates: Vec<(String, String)> = Vec::new();
        if let Some(file) = &env {
            for name in ["SUPABASE_PUBLISHABLE_KEY", "ANON_KEY"] {
                if let Some(value) = file.get(name).filter(|v| !v.is_empty()) {
                    candidates.push((name.to_string(), value.to_string()));
                }
            }
        }
        if let Some(key) =
            self.state.settings.instance(params.instance.as_deref()).ok().and_then(|i| i.anon_key.as_ref())
        {
            candidates.push(("config".to_string(), key.expose().to_string()));
        }
        let mut reply = PublishableKeysReply { keys: Vec::new(), withheld: Vec::new() };
        for (source, value) in candidates {
            if reply.keys.iter().any(|k| k.key == value.trim()) {
                continue;
            }
            match classify(&source, &value) {
                Ok(key) => reply.keys.push(key),
                Err(withheld) => reply.withheld.push(withheld),
            }
        }
        if reply.keys.is_empty() {
            let why = if reply.withheld.is_empty() {
                "the instance has no anon key and no .env with ANON_KEY or SUPABASE_PUBLISHABLE_KEY was given"
                    .to_string()
            } else {
                reply.withheld.iter().map(|w| format!("{}: {}", w.source, w.reason)).collect::<Vec<_>>().join("; ")
            };
            return Ok(crate::failure::Failure::new(
                "no publishable key is known",
                why,
                "pass env_path (the stack's .env), start supamcp with --env-file, or set anon_key for the instance",
            )
            .into_result());
        }
        Ok(structured(&reply))
    }
}

fn read_env(params: &ProjectParams) -> Result<Option<crate::supabase::env::EnvFile>, crate::failure::Failure> {
    if params.env_text.is_none() && params.env_path.is_none() {
        return Ok(None);
    }
    load_env(params.env_text.as_deref(), params.env_path.as_deref()).map(Some)
}

impl SupamcpServer {
    /// The reply for generated types: written to `target` when given, inline, or spilled with a preview.
    pub(crate) fn types_reply(
        &self,
        schemas: Vec<String>,
        text: String,
        target: Option<&std::path::Path>,
    ) -> Result<CallToolResult, crate::failure::Failure> {
        let (written_to, backup) = match target {
            Some(path) => {
                // Types are source code: a new file is 0644, an existing one keeps its mode.
                let backup = backup_and_write_mode(path, &text, 0o644)?;
                (Some(path.display().to_string()), backup.map(|b| b.display().to_string()))
            }
            None => (None, None),
        };
        let mut writer = self.state.spill.writer(PREVIEW_LINES);
        writer.start(vec![ColumnInfo { name: "line".into(), type_name: "text".into() }]);
        for line in text.lines() {
            writer.push(vec![serde_json::Value::String(line.to_string())])?;
        }
        let lines = writer.rows_written();
        let (types, spilled) = match writer.finish()? {
            WrittenResult::Inline { .. } => (Some(text.clone()), None),
            WrittenResult::Spilled(s) => {
                let preview =
                    s.preview.into_iter().flatten().map(|v| v.as_str().unwrap_or_default().to_string()).collect();
                tracing::info!(handle = %s.handle, path = %s.path.display(), "generated types spilled to a file");
                let uri = crate::server::resources::result_uri(&s.handle, 0);
                (None, Some(TypesSpill { handle: s.handle, uri, preview }))
            }
        };
        let reply = TypesReply { schemas, bytes: text.len() as u64, lines, types, spilled, written_to, backup };
        Ok(fenced_structured("generated types", encoded(&reply)?))
    }
}
