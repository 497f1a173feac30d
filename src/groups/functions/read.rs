//! list_edge_functions and get_edge_function, with the official server's parameters (`project_id`,
//! `function_slug`) and an `instance` for self-hosted targets. Source files come back fenced as untrusted
//! data; past the spill threshold they go to a file that read_result pages through.

use super::TargetParams;
use super::TextSpill;
use crate::failure::Failure;
use crate::server::SupamcpServer;
use crate::server::output::{IntoToolResult, fenced_structured, reply_of, schema_of};
use crate::supabase::functions::FunctionInfo;
use rmcp::handler::server::wrapper::Parameters;
use rmcp::model::CallToolResult;
use rmcp::{ErrorData as McpError, schemars, tool, tool_router};
use serde::{Deserialize, Serialize};

#[derive(Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct GetParams {
    /// Cloud project ref or instance name.
    #[serde(default)]
    pub project_id: Option<String>,
    /// Configured instance (its functions target); default instance if omitted.
    #[serde(default)]
    pub instance: Option<String>,
    /// The function's slug.
    pub function_slug: String,
}

#[derive(Serialize, schemars::JsonSchema)]
pub struct FunctionList {
    pub target: String,
    pub functions: Vec<FunctionInfo>,
}

#[derive(Serialize, schemars::JsonSchema)]
pub struct FileOut {
    pub name: String,
    pub bytes: u64,
    /// The text; null when the source was spilled (see `spilled`).
    pub content: Option<String>,
}

#[derive(Serialize, schemars::JsonSchema)]
pub struct FunctionSource {
    pub target: String,
    pub function: FunctionInfo,
    pub files: Vec<FileOut>,
    /// Set when the files were larger than the spill threshold: rows of [file, line].
    pub spilled: Option<TextSpill>,
}

#[tool_router(router = functions_read_router, vis = "pub(crate)")]
impl SupamcpServer {
    /// List the edge functions of a cloud project or a self-hosted functions directory: slug, version, status,
    /// verify_jwt, entrypoint, last update.
    #[tool(
        annotations(title = "List edge functions", read_only_hint = true, destructive_hint = false, idempotent_hint = true, open_world_hint = false),
        output_schema = schema_of::<FunctionList>()
    )]
    async fn list_edge_functions(
        &self,
        Parameters(params): Parameters<TargetParams>,
    ) -> Result<CallToolResult, McpError> {
        let outcome = async {
            let target = self.functions_target(params.project_id.as_deref(), params.instance.as_deref())?;
            Ok(FunctionList { functions: target.list().await?, target: target.describe() })
        };
        reply_of(outcome.await)
    }

    /// Read an edge function: its metadata and source files (fenced as untrusted; large sources spill).
    #[tool(
        annotations(title = "Get edge function", read_only_hint = true, destructive_hint = false, idempotent_hint = true, open_world_hint = false),
        output_schema = schema_of::<FunctionSource>()
    )]
    async fn get_edge_function(&self, Parameters(params): Parameters<GetParams>) -> Result<CallToolResult, McpError> {
        let outcome = async {
            let target = self.functions_target(params.project_id.as_deref(), params.instance.as_deref())?;
            let (function, files) = target.get(&params.function_slug).await?;
            let pieces: Vec<(&str, &str)> = files.iter().map(|f| (f.name.as_str(), f.content.as_str())).collect();
            let spilled = self.bounded_text(&pieces)?;
            let files = files
                .into_iter()
                .map(|f| FileOut {
                    name: f.name,
                    bytes: f.content.len() as u64,
                    content: spilled.is_none().then_some(f.content),
                })
                .collect();
            let reply = FunctionSource { target: target.describe(), function, files, spilled };
            serde_json::to_value(&reply)
                .map_err(|e| Failure::new("cannot encode the function", e.to_string(), "report this as a bug"))
        };
        Ok(match outcome.await {
            Ok(value) => fenced_structured("function source", value),
            Err(failure) => failure.into_result(),
        })
    }
}
