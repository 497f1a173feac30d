//! `execute_sql`, `list_tables` and `list_extensions` through the Management API, replying as they do on a
//! connection. SQL is checked as on a connection first (destructive statements need confirmation; read-only
//! SQL passes the statement guard) and then runs where PostgreSQL enforces read-only itself.

use super::not_through_api;
use crate::failure::Failure;
use crate::groups::core::schema::{ExtensionsReply, ListExtensionsParams, ListTablesParams, TablesReply};
use crate::groups::core::sql::{ColumnReply, ExecuteSqlParams, SpillInfo, SqlReply, confirm_destruction};
use crate::pg::readonly_login::Enforcement;
use crate::server::SupamcpServer;
use crate::server::output::{fenced_structured, structured};
use crate::spill::{ColumnInfo, WrittenResult, bound_rows, row_object};
use crate::supabase::management::ManagementApi;
use crate::supabase::management::database::READ_ONLY_LOGIN;
use rmcp::RoleServer;
use rmcp::model::{CallToolResult, JsonObject};
use rmcp::service::RequestContext;
use serde_json::Value;
use std::time::Instant;

/// Rows kept in the reply when a result spills to a file (as on a connection).
const PREVIEW_ROWS: usize = 20;

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
        let row_count_all = rows.len() as u64;
        let limit = params.row_limit.unwrap_or(u64::MAX);
        let columns: Vec<ColumnInfo> = match rows.first() {
            Some(Value::Object(first)) => {
                first.keys().map(|name| ColumnInfo { name: name.clone(), type_name: "json".to_owned() }).collect()
            }
            _ => Vec::new(),
        };
        let mut writer = self.state.spill.writer(PREVIEW_ROWS);
        writer.start(columns.clone());
        for row in rows.into_iter().take(usize::try_from(limit).unwrap_or(usize::MAX)) {
            let values = match row {
                Value::Object(mut object) => {
                    columns.iter().map(|c| object.remove(&c.name).unwrap_or(Value::Null)).collect()
                }
                other => vec![other],
            };
            writer.push(values)?;
        }
        let row_count = writer.rows_written();
        let (rows, truncated_values, spilled) = match writer.finish()? {
            WrittenResult::Inline { columns, rows } => {
                (rows.into_iter().map(|row| row_object(&columns, row)).collect(), 0, None)
            }
            WrittenResult::Spilled(s) => {
                tracing::info!(handle = %s.handle, path = %s.path.display(), rows = s.rows, "result spilled to a file");
                let uri = crate::server::resources::result_uri(&s.handle, 0);
                let info = SpillInfo { handle: s.handle, uri, rows: s.rows, bytes: s.bytes };
                let preview = bound_rows(&s.columns, s.preview, self.state.spill.page_budget());
                (preview.rows, preview.truncated_values, Some(info))
            }
        };
        let reply = SqlReply {
            columns: columns
                .iter()
                .map(|c| ColumnReply { name: c.name.clone(), type_name: c.type_name.clone() })
                .collect(),
            rows,
            truncated_values,
            row_count,
            truncated: row_count < row_count_all,
            spilled,
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
