//! `search_docs`: the official server's tool (one `graphql_query` sent as is to the Content API) beside a
//! plain `query` + `limit` form; offline, both answer from the local knowledge base and say so.

use super::{base, default_limit};
use crate::failure::Failure;
use crate::knowledge::answer::{self, SearchInput, SearchReply};
use crate::server::SupamcpServer;
use crate::server::output::{IntoToolResult, fenced_structured, schema_of, structured};
use rmcp::handler::server::wrapper::Parameters;
use rmcp::model::CallToolResult;
use rmcp::{ErrorData as McpError, schemars, tool, tool_router};
use serde::Deserialize;

#[derive(Debug, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct SearchDocsParams {
    /// Words to search for, e.g. "row level security" (or give graphql_query).
    #[serde(default)]
    pub query: Option<String>,
    /// A GraphQL query for the Content API, e.g. { searchDocs(query: "...", limit: 5) { nodes { title href content } } }.
    #[serde(default)]
    pub graphql_query: Option<String>,
    /// Most results (1-20, default 5).
    #[serde(default = "default_limit")]
    pub limit: usize,
    /// Answer from the local knowledge base without asking supabase.com.
    #[serde(default)]
    pub offline: bool,
}

#[tool_router(router = knowledge_docs_router, vis = "pub(crate)")]
impl SupamcpServer {
    /// Search the Supabase documentation: titles, links and excerpts. Give query (words) or graphql_query (a
    /// Content API query); without network it answers from supamcp's troubleshooting base and says so.
    #[tool(
        annotations(title = "Search Supabase docs", read_only_hint = true, destructive_hint = false, idempotent_hint = true, open_world_hint = true),
        output_schema = schema_of::<SearchReply>()
    )]
    async fn search_docs(&self, Parameters(params): Parameters<SearchDocsParams>) -> Result<CallToolResult, McpError> {
        let input = match (params.query, params.graphql_query) {
            (Some(query), None) => SearchInput::Text(query),
            (None, Some(graphql)) => SearchInput::Graphql(graphql),
            (given, _) => {
                let why = if given.is_some() { "both were given" } else { "neither was given" };
                return Ok(Failure::new(
                    "search_docs needs query or graphql_query",
                    why,
                    "pass query: \"<words>\" (with limit), or graphql_query: a Content API GraphQL query",
                )
                .into_result());
            }
        };
        let outcome = async {
            let base = base()?;
            answer::search(base, input, params.limit, &self.content_api(), params.offline).await
        };
        Ok(match outcome.await {
            // Text from supabase.com is outside data, fenced like database rows; the built-in base is ours.
            Ok(reply) if reply.source != "local" => match serde_json::to_value(&reply) {
                Ok(value) => fenced_structured("documentation search results", value),
                Err(_) => structured(&reply),
            },
            Ok(reply) => structured(&reply),
            Err(failure) => failure.into_result(),
        })
    }
}
