//! `execute_sql`, `list_tables` and `list_extensions` through the Management API, replying as they do on a
//! connection. SQL is checked as on a connection first (destructive statements need confirmation; read-only
//! SQL passes the statement guard) and then runs where PostgreSQL enforces read-only itself.

use super::not_through_api;
use crate::failure::Failure;
use crate::groups::core::schema::{ExtensionsReply, ListExtensionsParams, ListTablesParams, TablesReply};
use crate::groups::core::sql::{ColumnReply, ExecuteSqlParams, SqlReply, confirm_destruction};
use crate::pg::readonly_login::Enforcement;
use crate::server::SupamcpServer;
use crate::server::output::{fenced_structured, structured};
use crate::supabase::management::ManagementApi;
use crate::supabase::management::database::READ_ONLY_LOGIN;
use rmcp::RoleServer;
use rmcp::model::{CallToolResult, JsonObject};
use rmcp::service::RequestContext;
use std::time::Instant;

impl SupamcpServer {
    pub(super) async fn execute_sql_through_api(
        &self,
        api: &ManagementApi,
        reference: &str,
        arguments: JsonObject,
        context: &RequestContext<RoleServer>,
    ) -> Result<CallToolResult, Failure> {
        let params: ExecuteSqlParams = super::arguments("execute_sql", arguments)?;
        if params.role.is_some() {
            return Err(not_through_api("execute_sql", "role", "leave out role (the API runs SQL as postgres)"));
        }
        if params.timeout_ms.is_some() {
            return Err(not_through_api("execute_sql", "timeout_ms", "leave out timeout_ms"));
        }
        let sql = crate::groups::aliases::one_of("sql", params.sql, "query", params.query)?;
        let read_only = self.state.settings.read_only || params.read_only;
        if read_only {
            crate::pg::readonly::check(&sql)?;
        } else {
            confirm_destruction(&sql, params.confirm, &context.peer).await?;
        }
        let started = Instant::now();
        let rows = api.database_query(reference, &sql, &params.params, read_only).await?;
        let duration_ms = started.elapsed().as_secs_f64() * 1000.0;
        let bounded = self.json_rows(rows, params.row_limit)?;
        let reply = SqlReply {
            columns: bounded
                .columns
                .iter()
                .map(|c| ColumnReply { name: c.name.clone(), type_name: c.type_name.clone() })
                .collect(),
            rows: bounded.rows,
            truncated_values: bounded.truncated_values,
            row_count: bounded.row_count,
            truncated: bounded.row_count < bounded.row_count_all,
            spilled: bounded.spilled,
            statements: Vec::new(),
            role: None,
            read_only,
            read_only_enforcement: read_only.then(|| Enforcement::database(READ_ONLY_LOGIN)),
            ran_outside_transaction: false,
            duration_ms,
        };
        let value = serde_json::to_value(&reply)
            .map_err(|e| Failure::new("cannot encode the result", e.to_string(), "report this as a supamcp bug"))?;
        Ok(fenced_structured("query result", value))
    }

    pub(super) async fn list_tables_through_api(
        &self,
        api: &ManagementApi,
        reference: &str,
        arguments: JsonObject,
    ) -> Result<CallToolResult, Failure> {
        let params: ListTablesParams = super::arguments("list_tables", arguments)?;
        let filter = params.filter();
        let (tables, total) = api.list_tables(reference, &filter).await?;
        let details = if params.verbose {
            let names: Vec<(String, String)> = tables.iter().map(|t| (t.schema.clone(), t.name.clone())).collect();
            api.describe_tables(reference, &names).await?
        } else {
            Vec::new()
        };
        let end = filter.offset + tables.len() as i64;
        Ok(structured(&TablesReply { tables, details, total, next_offset: (end < total).then_some(end) }))
    }

    pub(super) async fn list_extensions_through_api(
        &self,
        api: &ManagementApi,
        reference: &str,
        arguments: JsonObject,
    ) -> Result<CallToolResult, Failure> {
        let params: ListExtensionsParams = super::arguments("list_extensions", arguments)?;
        let extensions = api.list_extensions(reference, params.include_available).await?;
        Ok(structured(&ExtensionsReply { extensions }))
    }
}
