//! Runs SQL a caller sends: statements split by the lexer, each prepared and executed in one
//! transaction (all or nothing), with a statement timeout, an optional role (SET LOCAL ROLE), an
//! optional row limit (a portal fetch), cancellation, and rows streamed into a result writer.
//! Read-only calls pass the statement guard, run on the instance's read-only login where one is configured
//! (PostgreSQL itself the wall), in a READ ONLY transaction whose snapshot is taken before the caller's
//! statement (so it cannot switch to read-write), and always roll back; without a read-only login they run
//! as the read-only role where the login may assume it, and the report says only supamcp enforces it.
//! Every connection goes back to its pool with its session reset (no locks, settings or role left).

use super::ident::quote_ident;
use super::params::TextParam;
use super::pool::{Database, release_clean};
use super::readonly_login::Enforcement;
use super::sql_errors::{sql_failure, timeout_failure};
use super::value::JsonCell;
use super::{json_row, readonly, sql_lex};
use crate::failure::Failure;
use crate::spill::{ColumnInfo, ResultWriter};
use futures_util::{TryStreamExt, pin_mut};
use serde::Serialize;
use serde_json::Value;
use std::time::Duration;
use tokio_postgres::types::ToSql;
use tokio_postgres::{Row, Statement};
use tokio_util::sync::CancellationToken;

pub struct ExecuteOptions {
    pub read_only: bool,
    /// A role to run as (SET LOCAL ROLE); in read-only mode the read-only role is used when none is given.
    pub role: Option<String>,
    pub timeout: Duration,
    pub row_limit: Option<u64>,
    pub params: Vec<Value>,
}

#[derive(Debug, Serialize)]
pub struct StatementOutcome {
    /// 1-based position in the script.
    pub statement: usize,
    /// Rows inserted, updated, deleted or returned, as the server reports them.
    pub rows_affected: Option<u64>,
    pub returns_rows: bool,
}

#[derive(Debug, Serialize)]
pub struct ExecuteReport {
    pub statements: Vec<StatementOutcome>,
    pub role: Option<String>,
    pub read_only: bool,
    /// The row limit stopped the last result early.
    pub truncated: bool,
    /// The statement cannot run in a transaction block and ran on its own.
    pub ran_outside_transaction: bool,
    /// Who enforced read-only, for read-only calls.
    pub enforcement: Option<Enforcement>,
}

fn cannot_read(e: sql_lex::LexError) -> Failure {
    Failure::new("the SQL cannot be read", e.to_string(), "close the quote, identifier or comment")
}

/// Runs `sql` on `database`, writing the rows of the last row-returning statement to `sink`.
pub async fn execute(
    database: &Database,
    sql: &str,
    options: &ExecuteOptions,
    sink: &mut ResultWriter<'_>,
    cancel: &CancellationToken,
) -> Result<ExecuteReport, Failure> {
    let statements = sql_lex::split_statements(sql).map_err(cannot_read)?;
    if statements.is_empty() {
        return Err(Failure::new("nothing to run", "the SQL holds no statement", "send at least one statement"));
    }
    if options.read_only {
        readonly::check(sql)?;
    }
    if !options.params.is_empty() && statements.len() != 1 {
        return Err(Failure::new(
            "parameters need a single statement",
            format!("the SQL holds {} statements and parameters bind to one", statements.len()),
            "send the parameterised statement alone",
        ));
    }
    let params: Vec<TextParam> = options.params.iter().map(TextParam::from_json).collect();
    let (mut client, enforcement, restricted_login) = if options.read_only {
        let read_only = database.read_only_client().await?;
        (read_only.client, Some(read_only.enforcement), read_only.restricted_login)
    } else {
        (database.client().await?, None, false)
    };
    if database.transaction_pooler() {
        // Through a transaction pooler the next transaction may run on another server connection, where the
        // statements tokio-postgres prepared to look up types do not exist.
        client.clear_type_cache();
    }
    let role = match &options.role {
        Some(role) => Some(role.clone()),
        // On a restricted login the login is the wall; elsewhere the read-only role is one more layer.
        None if options.read_only && !restricted_login => database.read_only_role(&client).await?,
        None => None,
    };
    let cancel_token = client.cancel_token();
    let guard = Guard { timeout: options.timeout, cancel };
    let in_transaction = guard
        .run(&cancel_token, run_in_transaction(&mut client, &statements, options, &params, role.as_deref(), sink))
        .await;
    let outcome = match in_transaction {
        Err(error) if error.cannot_run_in_transaction() && statements.len() == 1 && !options.read_only => {
            let outcome = guard
                .run(&cancel_token, run_alone(&client, statements[0], options, &params, role.as_deref(), sink))
                .await;
            outcome.map(|report| ExecuteReport { ran_outside_transaction: true, ..report })
        }
        other => other,
    };
    let report = match outcome {
        Err(RunError::Interrupted(failure)) => {
            // The connection may still be inside the cancelled statement: never give it back to the pool.
            drop(deadpool_postgres::Object::take(client));
            return Err(failure);
        }
        Err(error) => {
            release_clean(client, database.transaction_pooler()).await;
            return Err(error.into_failure(Some(statements.len()), options.timeout));
        }
        Ok(report) => report,
    };
    release_clean(client, database.transaction_pooler()).await;
    Ok(ExecuteReport { role, read_only: options.read_only, enforcement, ..report })
}

/// Why a run stopped.
enum RunError {
    Sql(tokio_postgres::Error),
    /// An error in our own handling, already explained, with the statement it happened in.
    Failure(Failure),
    /// Timed out or cancelled by the client.
    Interrupted(Failure),
    /// Statement `n` (1-based) failed.
    InStatement(usize, tokio_postgres::Error),
}

impl RunError {
    /// The statement refused to run in a transaction block (CREATE INDEX CONCURRENTLY, VACUUM, ...).
    fn cannot_run_in_transaction(&self) -> bool {
        let code = match self {
            RunError::Sql(e) | RunError::InStatement(_, e) => e.code(),
            _ => None,
        };
        code == Some(&tokio_postgres::error::SqlState::ACTIVE_SQL_TRANSACTION)
    }

    fn into_failure(self, statements: Option<usize>, timeout: Duration) -> Failure {
        match self {
            RunError::Sql(e) => sql_failure(&e, None, timeout),
            RunError::InStatement(n, e) => {
                sql_failure(&e, statements.filter(|total| *total > 1).map(|total| (n, total)), timeout)
            }
            RunError::Failure(f) | RunError::Interrupted(f) => f,
        }
    }
}

impl From<tokio_postgres::Error> for RunError {
    fn from(e: tokio_postgres::Error) -> Self {
        RunError::Sql(e)
    }
}

/// Bounds a run by the timeout (with a grace period past the server's statement_timeout) and by the
/// caller's cancellation; either sends a cancel request to the server.
struct Guard<'a> {
    timeout: Duration,
    cancel: &'a CancellationToken,
}

impl Guard<'_> {
    async fn run<T>(
        &self,
        cancel_token: &tokio_postgres::CancelToken,
        work: impl std::future::Future<Output = Result<T, RunError>>,
    ) -> Result<T, RunError> {
        let interrupted = tokio::select! {
            result = work => return result,
            _ = self.cancel.cancelled() => Failure::new("the query was cancelled", "the client cancelled the call", "run it again if it is still needed"),
            _ = tokio::time::sleep(self.timeout + Duration::from_secs(5)) => timeout_failure(self.timeout),
        };
        let _ = cancel_token.cancel_query(tokio_postgres::NoTls).await;
        Err(RunError::Interrupted(interrupted))
    }
}

fn setup_sql(read_only: bool, timeout: Duration, role: Option<&str>, local: bool) -> String {
    let scope = if local { "LOCAL " } else { "" };
    // The lexer that split the SQL (and the read-only guard) reads '' strings with standard_conforming_strings
    // on; PostgreSQL must read them the same way.
    let mut setup = format!(
        "SET {scope}statement_timeout = {}; SET {scope}standard_conforming_strings = on",
        timeout.as_millis().max(1)
    );
    if let Some(role) = role {
        setup.push_str(&format!("; SET {scope}ROLE {}", quote_ident(role)));
    }
    if read_only {
        // Takes the transaction's first snapshot: from here on it cannot be switched to read-write.
        setup.push_str("; SELECT 1");
    }
    setup
}

async fn run_in_transaction(
    client: &mut deadpool_postgres::Object,
    statements: &[&str],
    options: &ExecuteOptions,
    params: &[TextParam],
    role: Option<&str>,
    sink: &mut ResultWriter<'_>,
) -> Result<ExecuteReport, RunError> {
    let transaction = client.build_transaction().read_only(options.read_only).start().await?;
    transaction
        .batch_execute(&setup_sql(options.read_only, options.timeout, role, true))
        .await
        .map_err(|e| RunError::Failure(role_failure(role, &e)))?;
    let mut outcomes = Vec::with_capacity(statements.len());
    let mut truncated = false;
    for (index, sql) in statements.iter().enumerate() {
        let statement = transaction.prepare(sql).await.map_err(|e| RunError::InStatement(index + 1, e))?;
        let params = bind_params(&statement, params)?;
        let returns_rows = !statement.columns().is_empty();
        if returns_rows {
            sink.start(column_infos(&statement));
        }
        let rows_affected = match options.row_limit {
            Some(limit) if returns_rows => {
                let portal =
                    transaction.bind(&statement, &params).await.map_err(|e| RunError::InStatement(index + 1, e))?;
                let stream =
                    transaction.query_portal_raw(&portal, limit.saturating_add(1).min(i32::MAX as u64) as i32).await;
                let stream = stream.map_err(|e| RunError::InStatement(index + 1, e))?;
                pin_mut!(stream);
                while let Some(row) = stream.try_next().await.map_err(|e| RunError::InStatement(index + 1, e))? {
                    if sink.rows_written() == limit {
                        truncated = true;
                        break;
                    }
                    accept_row(sink, &row)?;
                }
                Some(sink.rows_written())
            }
            _ => {
                let stream = transaction.query_raw(&statement, params.iter().copied()).await;
                let stream = stream.map_err(|e| RunError::InStatement(index + 1, e))?;
                pin_mut!(stream);
                while let Some(row) = stream.try_next().await.map_err(|e| RunError::InStatement(index + 1, e))? {
                    accept_row(sink, &row)?;
                }
                stream.rows_affected()
            }
        };
        outcomes.push(StatementOutcome { statement: index + 1, rows_affected, returns_rows });
    }
    if options.read_only {
        transaction.rollback().await?;
    } else {
        transaction.commit().await?;
    }
    Ok(ExecuteReport {
        statements: outcomes,
        role: None,
        read_only: options.read_only,
        truncated,
        ran_outside_transaction: false,
        enforcement: None,
    })
}

/// For a statement that refuses transaction blocks (CREATE INDEX CONCURRENTLY, VACUUM, ...): the same
/// settings at session level, reset afterwards.
async fn run_alone(
    client: &deadpool_postgres::Object,
    sql: &str,
    options: &ExecuteOptions,
    params: &[TextParam],
    role: Option<&str>,
    sink: &mut ResultWriter<'_>,
) -> Result<ExecuteReport, RunError> {
    client
        .batch_execute(&setup_sql(false, options.timeout, role, false))
        .await
        .map_err(|e| RunError::Failure(role_failure(role, &e)))?;
    let result: Result<Option<u64>, RunError> = async {
        let statement = client.prepare(sql).await?;
        let params = bind_params(&statement, params)?;
        if !statement.columns().is_empty() {
            sink.start(column_infos(&statement));
        }
        let stream = client.query_raw(&statement, params.iter().copied()).await?;
        pin_mut!(stream);
        while let Some(row) = stream.try_next().await? {
            accept_row(sink, &row)?;
        }
        Ok(stream.rows_affected())
    }
    .await;
    client.batch_execute("RESET statement_timeout; RESET standard_conforming_strings; RESET ROLE").await?;
    let rows_affected = result?;
    Ok(ExecuteReport {
        statements: vec![StatementOutcome { statement: 1, rows_affected, returns_rows: sink.rows_written() > 0 }],
        role: None,
        read_only: false,
        truncated: false,
        ran_outside_transaction: true,
        enforcement: None,
    })
}

fn role_failure(role: Option<&str>, error: &tokio_postgres::Error) -> Failure {
    match role {
        Some(role) => Failure::new(
            format!("cannot run as role '{role}'"),
            error.as_db_error().map_or_else(|| error.to_string(), |db| db.message().to_owned()),
            format!(
                "the login user must be a member of '{role}': connect as a user that is (supabase_admin on self-hosted), or GRANT \"{role}\" TO the login user; or leave out `role`"
            ),
        ),
        None => sql_failure(error, None, Duration::ZERO),
    }
}

fn bind_params<'p>(statement: &Statement, values: &'p [TextParam]) -> Result<Vec<&'p (dyn ToSql + Sync)>, RunError> {
    let expected = statement.params().len();
    if expected != values.len() {
        return Err(RunError::Failure(Failure::new(
            "wrong number of parameters",
            format!("the statement uses {expected} parameter(s) ($1..${expected}) and {} were given", values.len()),
            "pass one value in `params` for each $n",
        )));
    }
    Ok(values.iter().map(|v| v as &(dyn ToSql + Sync)).collect())
}

fn column_infos(statement: &Statement) -> Vec<ColumnInfo> {
    statement
        .columns()
        .iter()
        .map(|c| ColumnInfo { name: c.name().to_owned(), type_name: c.type_().name().to_owned() })
        .collect()
}

/// Hands a row to the writer: as JSON values while it keeps rows in memory, as an encoded line once it
/// streams to a file.
fn accept_row(sink: &mut ResultWriter<'_>, row: &Row) -> Result<(), RunError> {
    if sink.wants_values() {
        sink.push(decode_row(row)?).map_err(RunError::Failure)
    } else {
        sink.push_encoded(|buffer| json_row::write_row(row, buffer)).map_err(RunError::Failure)
    }
}

fn decode_row(row: &Row) -> Result<Vec<Value>, RunError> {
    let mut values = Vec::with_capacity(row.len());
    for index in 0..row.len() {
        let cell: JsonCell = row.try_get(index).map_err(|e| {
            RunError::Failure(Failure::new(
                format!(
                    "cannot decode column {} ({})",
                    row.columns()[index].name(),
                    row.columns()[index].type_().name()
                ),
                e.to_string(),
                "cast the column to text in the query (column::text)",
            ))
        })?;
        values.push(cell.0);
    }
    Ok(values)
}
