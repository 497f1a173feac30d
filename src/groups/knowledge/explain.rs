//! `explain_error`: an error text, code or log line -> the known problems it matches, each with its cause,
//! the supamcp call that confirms it and the fix; online it adds the Content API's entry for the code.

use super::{base, default_explain_limit};
use crate::knowledge::answer::{self, ExplainReply};
use crate::server::SupamcpServer;
use crate::server::output::{IntoToolResult, fenced_structured, schema_of, structured};
use rmcp::handler::server::wrapper::Parameters;
use rmcp::model::CallToolResult;
use rmcp::{ErrorData as McpError, schemars, tool, tool_router};
use serde::Deserialize;

#[derive(Debug, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ExplainErrorParams {
    /// The error message, code (28P01, PGRST301, bad_jwt, NoSuchBucket...) or log line.
    pub text: String,
    /// Most matches (1-20, default 3).
    #[serde(default = "default_explain_limit")]
    pub limit: usize,
    /// Do not ask supabase.com about the code.
    #[serde(default)]
    pub offline: bool,
}

#[tool_router(router = knowledge_explain_router, vis = "pub(crate)")]
impl SupamcpServer {
    /// Explain an error message, code or log line from PostgreSQL, PostgREST, GoTrue, Storage, Kong, Supavisor
    /// or supamcp: the known causes, a tool call that confirms each, and the fix. Works offline.
    #[tool(
        annotations(title = "Explain an error", read_only_hint = true, destructive_hint = false, idempotent_hint = true, open_world_hint = true),
        output_schema = schema_of::<ExplainReply>()
    )]
    async fn explain_error(
        &self,
        Parameters(params): Parameters<ExplainErrorParams>,
    ) -> Result<CallToolResult, McpError> {
        let outcome = async {
            let base = base()?;
            answer::explain(base, &params.text, params.limit, &self.content_api(), params.offline).await
        };
        Ok(match outcome.await {
            // The Content API's documented error is outside data, fenced like database rows.
            Ok(reply) if reply.documented.is_some() => match serde_json::to_value(&reply) {
                Ok(value) => fenced_structured("documented error", value),
                Err(_) => structured(&reply),
            },
            Ok(reply) => structured(&reply),
            Err(failure) => failure.into_result(),
        })
    }
}
