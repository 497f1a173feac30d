//! `list_migrations` and `apply_migration` (the official `name` + `query` form) through the Management API:
//! the history comes from `/database/migrations` and is compared with the local files as on a connection;
//! a migration is applied and recorded by the API in one transaction, the version being the one it assigns.

use super::not_through_api;
use crate::failure::Failure;
use crate::groups::migrations::apply::ApplyMigrationParams;
use crate::groups::migrations::history::{ListMigrationsParams, ListMigrationsReply};
use crate::migrate::runner::{ApplyReport, StatementReport, kind_of};
use crate::migrate::{files, status};
use crate::server::SupamcpServer;
use crate::server::output::structured;
use crate::supabase::management::ManagementApi;
use rmcp::model::{CallToolResult, JsonObject};
use std::path::PathBuf;
use std::time::Instant;

impl SupamcpServer {
    pub(super) async fn list_migrations_through_api(
        &self,
        api: &ManagementApi,
        reference: &str,
        arguments: JsonObject,
    ) -> Result<CallToolResult, Failure> {
        let params: ListMigrationsParams = super::arguments("list_migrations", arguments)?;
        let files = files::list(&PathBuf::from(&params.directory))?;
        let applied = api.migrations(reference).await?;
        Ok(structured(&ListMigrationsReply { directory: params.directory, status: status::compare(&files, &applied) }))
    }

    pub(super) async fn apply_migration_through_api(
        &self,
        api: &ManagementApi,
        reference: &str,
        arguments: JsonObject,
    ) -> Result<CallToolResult, Failure> {
        let params: ApplyMigrationParams = super::arguments("apply_migration", arguments)?;
        if params.version.is_some() {
            return Err(not_through_api(
                "apply_migration",
                "version",
                "pass name and query (the migration's SQL): the API assigns the version",
            ));
        }
        if params.dry_run {
            return Err(not_through_api("apply_migration", "dry_run", "review the SQL, then apply it without dry_run"));
        }
        let (Some(name), Some(query)) = (params.name.as_deref(), params.query.as_deref()) else {
            return Err(crate::groups::migrations::apply_inline::mode_failure());
        };
        let name = &files::slug(name);
        if name.is_empty() {
            return Err(Failure::new(
                "the migration needs a name",
                "the name has no letters or digits",
                "pass a name such as add_todos_table",
            ));
        }
        let statements = crate::pg::sql_lex::split_statements(query).map_err(|e| {
            Failure::new(
                "the migration's SQL cannot be read",
                e.to_string(),
                "fix the SQL (quotes, comments, $$ bodies)",
            )
        })?;
        let risky = crate::pg::destructive::destructive_statements(query);
        if !risky.is_empty() && !params.confirm {
            let found: Vec<String> = risky.iter().map(|d| format!("statement {}: {}", d.statement, d.what)).collect();
            return Err(Failure::new(
                format!("migration {name} drops, truncates or deletes"),
                format!("it holds: {}", found.join("; ")),
                "review it, then call again with confirm: true",
            ));
        }
        let started = Instant::now();
        api.apply_migration(reference, name, query).await?;
        let duration_ms = started.elapsed().as_secs_f64() * 1000.0;
        let history = api.migrations(reference).await?;
        let version = history.iter().rev().find(|m| &m.name == name).map(|m| m.version.clone()).unwrap_or_default();
        let report = ApplyReport {
            version,
            name: name.to_owned(),
            dry_run: false,
            transactional: true,
            statements: statements
                .iter()
                .enumerate()
                .map(|(i, sql)| StatementReport { statement: i + 1, kind: kind_of(sql), rows_affected: None })
                .collect(),
            duration_ms,
            file: None,
        };
        Ok(structured(&report))
    }
}
