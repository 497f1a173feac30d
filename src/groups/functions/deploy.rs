//! deploy_edge_function (the official server's parameters: name, entrypoint_path, import_map_path,
//! verify_jwt, files; and `directory` to send a local folder), delete_edge_function (confirm; the source is
//! kept) and rollback_edge_function (the newest kept version deployed again).

use crate::failure::Failure;
use crate::server::SupamcpServer;
use crate::server::output::{reply_of, require_confirm, schema_of};
use crate::supabase::functions::history::collect;
use crate::supabase::functions::target::Change;
use crate::supabase::functions::{Deploy, SourceFile};
use rmcp::handler::server::wrapper::Parameters;
use rmcp::model::CallToolResult;
use rmcp::{ErrorData as McpError, schemars, tool, tool_router};
use serde::Deserialize;

fn index_ts() -> String {
    "index.ts".to_owned()
}

fn yes() -> bool {
    true
}

#[derive(Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct DeployParams {
    /// Cloud project ref or instance name.
    #[serde(default)]
    pub project_id: Option<String>,
    /// Configured instance (its functions target); default instance if omitted.
    #[serde(default)]
    pub instance: Option<String>,
    /// The function's slug.
    pub name: String,
    /// The entry file among the files.
    #[serde(default = "index_ts")]
    pub entrypoint_path: String,
    /// Import map or deno.json among the files (found when omitted).
    #[serde(default)]
    pub import_map_path: Option<String>,
    /// Require a valid JWT to invoke it.
    #[serde(default = "yes")]
    pub verify_jwt: bool,
    /// Source files; include deno.json for npm:/jsr: imports.
    #[serde(default)]
    pub files: Vec<SourceFile>,
    /// Or a local directory to send instead.
    #[serde(default)]
    pub directory: Option<String>,
}

#[derive(Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct DeleteParams {
    /// Cloud project ref or instance name.
    #[serde(default)]
    pub project_id: Option<String>,
    /// Configured instance (its functions target); default instance if omitted.
    #[serde(default)]
    pub instance: Option<String>,
    /// The function's slug.
    pub function_slug: String,
    /// Must be true: the function stops answering (its source is kept for rollback_edge_function).
    #[serde(default)]
    pub confirm: bool,
}

#[derive(Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RollbackParams {
    /// Cloud project ref or instance name.
    #[serde(default)]
    pub project_id: Option<String>,
    /// Configured instance (its functions target); default instance if omitted.
    #[serde(default)]
    pub instance: Option<String>,
    /// The function's slug.
    pub function_slug: String,
}

impl SupamcpServer {
    /// The files of a deploy: given inline, or read from a directory the caller may read.
    fn deploy_files(&self, params: &mut DeployParams) -> Result<Vec<SourceFile>, Failure> {
        let Some(directory) = params.directory.take() else {
            return Ok(std::mem::take(&mut params.files));
        };
        if !params.files.is_empty() {
            return Err(Failure::new(
                "both files and directory were given",
                "a deploy sends one set of sources",
                "pass only one of them",
            ));
        }
        let allow = self.state.settings.allow_absolute_paths;
        let dir = crate::fsutil::output_dir(&directory, "directory", allow)?;
        if !dir.is_dir() {
            return Err(Failure::new(
                format!("{} is not a directory", dir.display()),
                "directory must name the function's folder, e.g. supabase/functions/hello",
                "fix the path",
            ));
        }
        let mut files = Vec::new();
        collect(&dir, &dir, &mut files)?;
        files.sort_by(|a, b| a.name.cmp(&b.name));
        Ok(files)
    }
}

#[tool_router(router = functions_deploy_router, vis = "pub(crate)")]
impl SupamcpServer {
    /// Deploy an edge function (create or replace) from files or a local directory, to a cloud project or a
    /// self-hosted functions directory. Checks the source first and keeps the replaced version for rollback.
    #[tool(
        annotations(title = "Deploy edge function", read_only_hint = false, destructive_hint = true, idempotent_hint = false, open_world_hint = false),
        output_schema = schema_of::<Change>()
    )]
    async fn deploy_edge_function(
        &self,
        Parameters(mut params): Parameters<DeployParams>,
    ) -> Result<CallToolResult, McpError> {
        let outcome = async {
            let files = self.deploy_files(&mut params)?;
            let target = self.functions_target(params.project_id.as_deref(), params.instance.as_deref())?;
            let deploy = Deploy {
                slug: params.name.clone(),
                name: params.name,
                entrypoint_path: params.entrypoint_path,
                import_map_path: params.import_map_path,
                verify_jwt: params.verify_jwt,
                files,
            };
            target.deploy(&self.function_history(), deploy).await
        };
        reply_of(outcome.await)
    }

    /// Delete an edge function. Needs confirm: true; its source is kept so rollback_edge_function can bring
    /// it back.
    #[tool(
        annotations(title = "Delete edge function", read_only_hint = false, destructive_hint = true, idempotent_hint = false, open_world_hint = false),
        output_schema = schema_of::<Change>()
    )]
    async fn delete_edge_function(
        &self,
        Parameters(params): Parameters<DeleteParams>,
    ) -> Result<CallToolResult, McpError> {
        let outcome = async {
            require_confirm(params.confirm, &format!("deleting edge function {}", params.function_slug))?;
            let target = self.functions_target(params.project_id.as_deref(), params.instance.as_deref())?;
            target.delete(&self.function_history(), &params.function_slug).await
        };
        reply_of(outcome.await)
    }

    /// Roll an edge function back to the version supamcp kept when it was last replaced or deleted.
    #[tool(
        annotations(title = "Roll back edge function", read_only_hint = false, destructive_hint = true, idempotent_hint = false, open_world_hint = false),
        output_schema = schema_of::<Change>()
    )]
    async fn rollback_edge_function(
        &self,
        Parameters(params): Parameters<RollbackParams>,
    ) -> Result<CallToolResult, McpError> {
        let outcome = async {
            let target = self.functions_target(params.project_id.as_deref(), params.instance.as_deref())?;
            target.rollback(&self.function_history(), &params.function_slug).await
        };
        reply_of(outcome.await)
    }
}
