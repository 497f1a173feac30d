//! Schema inspection tools: `list_schemas`, `list_tables`, `describe_table`, `list_extensions`.

use crate::pg::catalog::{self, ExtensionRow, SchemaRow, TableDetail, TableFilter, TableRow};
use crate::server::SupamcpServer;
use crate::server::output::{schema_of, structured};
use rmcp::handler::server::wrapper::Parameters;
use rmcp::model::CallToolResult;
use rmcp::{ErrorData as McpError, schemars, tool, tool_router};
use serde::{Deserialize, Serialize};

#[derive(Debug, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ListSchemasParams {
    /// Also list Supabase's and PostgreSQL's own schemas (auth, storage, realtime, extensions, ...).
    #[serde(default)]
    pub include_internal: bool,
    /// Instance name; omit for the default instance.
    #[serde(default)]
    pub instance: Option<String>,
}

#[derive(Debug, Serialize, schemars::JsonSchema)]
pub struct SchemasReply {
    pub schemas: Vec<SchemaRow>,
}

#[derive(Debug, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ListTablesParams {
    /// Only these schemas (default: the non-internal ones).
    #[serde(default)]
    pub schemas: Vec<String>,
    /// Also list Supabase's internal schemas.
    #[serde(default)]
    pub include_internal: bool,
    /// Only names containing this text.
    #[serde(default)]
    pub name_contains: Option<String>,
    /// Add columns, keys and relations.
    #[serde(default)]
    pub verbose: bool,
    /// Tables per page (at most 1000; 50 when verbose).
    #[serde(default = "default_table_page")]
    pub limit: i64,
    /// Skip this many tables (for the next page).
    #[serde(default)]
    pub offset: i64,
    /// Instance name; omit for the default instance.
    #[serde(default)]
    pub instance: Option<String>,
}

impl ListTablesParams {
    /// The catalog filter these parameters ask for: at most 1000 tables a page, 50 with verbose.
    pub fn filter(&self) -> TableFilter {
        let cap = if self.verbose { 50 } else { 1000 };
        TableFilter {
            schemas: (!self.schemas.is_empty()).then(|| self.schemas.clone()),
            include_internal: self.include_internal,
            name_contains: self.name_contains.clone().filter(|n| !n.is_empty()),
            limit: self.limit.clamp(1, cap),
            offset: self.offset.max(0),
        }
    }
}

fn default_table_page() -> i64 {
    200
}

#[derive(Debug, Serialize, schemars::JsonSchema)]
pub struct TablesReply {
    pub tables: Vec<TableRow>,
    /// With verbose: the detail of each listed table.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub details: Vec<TableDetail>,
    pub total: i64,
    /// Offset of the next page, or null when this is the last.
    pub next_offset: Option<i64>,
}

#[derive(Debug, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct DescribeTableParams {
    /// Table, view or materialized view name (exact, case-sensitive).
    pub table: String,
    /// Its schema.
    #[serde(default = "default_schema")]
    pub schema: String,
    /// Instance name; omit for the default instance.
    #[serde(default)]
    pub instance: Option<String>,
}

fn default_schema() -> String {
    "public".to_owned()
}

#[derive(Debug, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ListExtensionsParams {
    /// Also list extensions the server could install.
    #[serde(default = "default_true")]
    pub include_available: bool,
    /// Instance name; omit for the default instance.
    #[serde(default)]
    pub instance: Option<String>,
}

fn default_true() -> bool {
    true
}

#[derive(Debug, Serialize, schemars::JsonSchema)]
pub struct ExtensionsReply {
    pub extensions: Vec<ExtensionRow>,
}

#[tool_router(router = core_schema_router, vis = "pub(crate)")]
impl SupamcpServer {
    /// List the schemas with owner and table count. Supabase-internal schemas (auth, storage, realtime, ...)
    /// are left out unless include_internal is true.
    #[tool(
        annotations(title = "List schemas", read_only_hint = true, destructive_hint = false, idempotent_hint = true, open_world_hint = false),
        output_schema = schema_of::<SchemasReply>()
    )]
    async fn list_schemas(
        &self,
        Parameters(params): Parameters<ListSchemasParams>,
    ) -> Result<CallToolResult, McpError> {
        Ok(self
            .with_client(params.instance.as_deref(), |client| async move {
                let schemas = catalog::list_schemas(&**client, params.include_internal).await?;
                Ok(structured(&SchemasReply { schemas }))
            })
            .await)
    }

    /// List tables with RLS state, estimated rows and size, filtered by schema or name; verbose adds columns, keys and
    /// policies. Paged: pass next_offset as offset.
    #[tool(
        annotations(title = "List tables", read_only_hint = true, destructive_hint = false, idempotent_hint = true, open_world_hint = false),
        output_schema = schema_of::<TablesReply>()
    )]
    async fn list_tables(&self, Parameters(params): Parameters<ListTablesParams>) -> Result<CallToolResult, McpError> {
        let filter = params.filter();
        Ok(self
            .with_client(params.instance.as_deref(), |client| async move {
                let (tables, total) = catalog::list_tables(&**client, &filter).await?;
                let mut details = Vec::new();
                if params.verbose {
                    for table in &tables {
                        details.push(catalog::describe_table(&**client, &table.schema, &table.name).await?);
                    }
                }
                let end = filter.offset + tables.len() as i64;
                Ok(structured(&TablesReply { tables, details, total, next_offset: (end < total).then_some(end) }))
            })
            .await)
    }

    /// Describe one table, view or materialized view: columns with types, defaults, identity and generated
    /// expressions; primary key; foreign keys both ways; indexes; constraints; RLS state and policies;
    /// triggers; grants.
    #[tool(
        annotations(title = "Describe table", read_only_hint = true, destructive_hint = false, idempotent_hint = true, open_world_hint = false),
        output_schema = schema_of::<TableDetail>()
    )]
    async fn describe_table(
        &self,
        Parameters(params): Parameters<DescribeTableParams>,
    ) -> Result<CallToolResult, McpError> {
        Ok(self
            .with_client(params.instance.as_deref(), |client| async move {
                let detail = catalog::describe_table(&**client, &params.schema, &params.table).await?;
                Ok(structured(&detail))
            })
            .await)
    }

    /// List installed extensions with version and schema, and (by default) the extensions the server can
    /// install.
    #[tool(
        annotations(title = "List extensions", read_only_hint = true, destructive_hint = false, idempotent_hint = true, open_world_hint = false),
        output_schema = schema_of::<ExtensionsReply>()
    )]
    async fn list_extensions(
        &self,
        Parameters(params): Parameters<ListExtensionsParams>,
    ) -> Result<CallToolResult, McpError> {
        Ok(self
            .with_client(params.instance.as_deref(), |client| async move {
                let extensions = catalog::list_extensions(&**client, params.include_available).await?;
                Ok(structured(&ExtensionsReply { extensions }))
            })
            .await)
    }
}
