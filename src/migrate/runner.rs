//! Applies and reverts migrations. A migration's statements and its history row go in one transaction with
//! lock and statement timeouts (all of it or none of it); a dry run does the same and rolls back. Statements
//! that cannot run in a transaction (CREATE INDEX CONCURRENTLY, VACUUM, ...) are handled explicitly: a
//! migration made only of them runs them one by one and then records itself; one that mixes them with others
//! is refused with the fix.

use super::files::MigrationFile;
use super::history::{self, AppliedMigration};
use crate::failure::Failure;
use crate::pg::pool::Database;
use crate::pg::sql_errors::sql_failure;
use crate::pg::sql_lex::{TokenKind, tokenize};
use serde::Serialize;
use std::time::{Duration, Instant};
use tokio_postgres::SimpleQueryMessage;

#[derive(Clone, Copy, Debug)]
pub struct ApplyOptions {
    pub dry_run: bool,
    pub lock_timeout: Duration,
    pub statement_timeout: Duration,
}

#[derive(Debug, Serialize, schemars::JsonSchema)]
pub struct StatementReport {
    pub statement: usize,
    /// The statement's leading keywords, e.g. "CREATE TABLE".
    pub kind: String,
    pub rows_affected: Option<u64>,
}

#[derive(Debug, Serialize, schemars::JsonSchema)]
pub struct ApplyReport {
    pub version: String,
    pub name: String,
    pub dry_run: bool,
    /// False when the migration ran statement by statement outside a transaction.
    pub transactional: bool,
    pub statements: Vec<StatementReport>,
    pub duration_ms: f64,
    /// The file apply_migration wrote from `name` + `query` (kept after a successful apply).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub file: Option<String>,
}

/// Leading keywords of a statement, skipping comments: "CREATE INDEX CONCURRENTLY ...".
pub fn leading_keywords(sql: &str, count: usize) -> Vec<String> {
    tokenize(sql)
        .map(|tokens| {
            tokens
                .iter()
                .filter(|t| t.kind == TokenKind::Word)
                .take(count)
                .map(|t| t.text.to_ascii_uppercase())
                .collect()
        })
        .unwrap_or_default()
}

/// True for statements PostgreSQL refuses inside a transaction block.
pub fn needs_own_transaction(sql: &str) -> bool {
    let words = leading_keywords(sql, 5);
    let first: Vec<&str> = words.iter().map(String::as_str).collect();
    let concurrently = first.contains(&"CONCURRENTLY");
    matches!(
        first.as_slice(),
        ["VACUUM", ..] | ["ALTER", "SYSTEM", ..] | ["CREATE" | "DROP", "DATABASE" | "TABLESPACE", ..]
    ) || (concurrently
        && matches!(first.as_slice(), ["CREATE", "INDEX" | "UNIQUE", ..] | ["DROP", "INDEX", ..] | ["REINDEX", ..]))
}

pub fn kind_of(sql: &str) -> String {
    let words = leading_keywords(sql, 3);
    match words.first().map(String::as_str) {
        Some("CREATE" | "ALTER" | "DROP" | "COMMENT" | "GRANT" | "REVOKE") => {
            words.iter().take(2).cloned().collect::<Vec<_>>().join(" ")
        }
        Some(_) => words[0].clone(),
        None => "COMMENT ONLY".to_owned(),
    }
}

fn rows_of(messages: &[SimpleQueryMessage]) -> Option<u64> {
    messages.iter().rev().find_map(|m| match m {
        SimpleQueryMessage::CommandComplete(n) => Some(*n),
        _ => None,
    })
}

fn statement_failure(file: &MigrationFile, index: usize, error: &tokio_postgres::Error, timeout: Duration) -> Failure {
    let mut failure = sql_failure(error, None, timeout);
    let total = file.statements.len();
    let preview: String = file.statements[index].chars().take(160).collect();
    failure.what = format!("migration {}_{} failed at statement {} of {total}", file.version, file.name, index + 1);
    failure.why = format!("{} in: {preview}", failure.why);
    failure
}

fn record(file: &MigrationFile) -> AppliedMigration {
    AppliedMigration { version: file.version.clone(), name: file.name.clone(), statements: file.statements.clone() }
}

/// Applies one migration and records it in the history.
pub async fn apply(database: &Database, file: &MigrationFile, options: ApplyOptions) -> Result<ApplyReport, Failure> {
    let started = Instant::now();
    let own: Vec<bool> = file.statements.iter().map(|s| needs_own_transaction(s)).collect();
    let mut client = database.client().await?;
    if own.iter().any(|o| *o) {
        let code: Vec<usize> = (0..own.len()).filter(|i| kind_of(&file.statements[*i]) != "COMMENT ONLY").collect();
        if !code.iter().all(|i| own[*i]) {
            return Err(Failure::new(
                format!(
                    "migration {}_{} mixes statements that cannot run in a transaction with others",
                    file.version, file.name
                ),
                "CREATE INDEX CONCURRENTLY, VACUUM and the like refuse transaction blocks, so the migration could not be applied all or nothing",
                "move those statements into a migration of their own",
            ));
        }
        if options.dry_run {
            return Err(Failure::new(
                format!("migration {}_{} cannot be dry-run", file.version, file.name),
                "its statements cannot run inside a transaction, so they cannot be rolled back",
                "review the SQL and apply it without dry_run",
            ));
        }
        return apply_outside_transaction(&client, file, options, started).await;
    }
    let transaction =
        client.build_transaction().start().await.map_err(|e| sql_failure(&e, None, options.statement_timeout))?;
    history::ensure(&*transaction).await?;
    let statements = run_statements(&transaction, file, options).await?;
    history::insert(&*transaction, &record(file)).await?;
    finish(transaction, file, options, statements, started).await
}

async fn apply_outside_transaction(
    client: &deadpool_postgres::Object,
    file: &MigrationFile,
    options: ApplyOptions,
    started: Instant,
) -> Result<ApplyReport, Failure> {
    let pg: &tokio_postgres::Client = client;
    history::ensure(pg).await?;
    let settings = format!("SET statement_timeout = {}", options.statement_timeout.as_millis().max(1));
    client.batch_execute(&settings).await.map_err(|e| sql_failure(&e, None, options.statement_timeout))?;
    let mut statements = Vec::new();
    let mut outcome = Ok(());
    for (index, sql) in file.statements.iter().enumerate() {
        match client.simple_query(sql).await {
            Ok(messages) => statements.push(StatementReport {
                statement: index + 1,
                kind: kind_of(sql),
                rows_affected: rows_of(&messages),
            }),
            Err(e) => {
                let mut failure = statement_failure(file, index, &e, options.statement_timeout);
                failure.why.push_str(&format!(
                    "; statements 1..{index} ran and stay (they cannot be rolled back), the history row was not written"
                ));
                outcome = Err(failure);
                break;
            }
        }
    }
    let _ = client.batch_execute("RESET statement_timeout").await;
    outcome?;
    history::insert(pg, &record(file)).await?;
    Ok(ApplyReport {
        version: file.version.clone(),
        name: file.name.clone(),
        dry_run: false,
        transactional: false,
        statements,
        duration_ms: started.elapsed().as_secs_f64() * 1000.0,
        file: None,
    })
}

/// Runs the down SQL of `file` and removes its history row, in one transaction.
pub async fn revert(database: &Database, file: &MigrationFile, options: ApplyOptions) -> Result<ApplyReport, Failure> {
    let started = Instant::now();
    let Some(down_sql) = file.down_sql()? else {
        return Err(Failure::new(
            format!("migration {}_{} has no down SQL", file.version, file.name),
            format!("there is no {}_{}.down.sql beside it", file.version, file.name),
            "write the down file (the SQL that undoes the migration), or create a new migration that undoes it",
        ));
    };
    let down = MigrationFile {
        statements: super::files::history_statements(&down_sql, file.path.as_path())?,
        sql: down_sql,
        ..file.clone()
    };
    let mut client = database.client().await?;
    let transaction =
        client.build_transaction().start().await.map_err(|e| sql_failure(&e, None, options.statement_timeout))?;
    let statements = run_statements(&transaction, &down, options).await?;
    history::delete(&*transaction, std::slice::from_ref(&file.version)).await?;
    finish(transaction, file, options, statements, started).await
}

/// Sets the timeouts and runs every statement of `file` in `transaction`, reporting each.
async fn run_statements(
    transaction: &tokio_postgres::Transaction<'_>,
    file: &MigrationFile,
    options: ApplyOptions,
) -> Result<Vec<StatementReport>, Failure> {
    let settings = format!(
        "SET LOCAL lock_timeout = {}; SET LOCAL statement_timeout = {}",
        options.lock_timeout.as_millis().max(1),
        options.statement_timeout.as_millis().max(1)
    );
    transaction.batch_execute(&settings).await.map_err(|e| sql_failure(&e, None, options.statement_timeout))?;
    let mut statements = Vec::with_capacity(file.statements.len());
    for (index, sql) in file.statements.iter().enumerate() {
        let messages = transaction
            .simple_query(sql)
            .await
            .map_err(|e| statement_failure(file, index, &e, options.statement_timeout))?;
        statements.push(StatementReport {
            statement: index + 1,
            kind: kind_of(sql),
            rows_affected: rows_of(&messages),
        });
    }
    Ok(statements)
}

/// Commits (or, for a dry run, rolls back) and builds the report.
async fn finish(
    transaction: deadpool_postgres::Transaction<'_>,
    file: &MigrationFile,
    options: ApplyOptions,
    statements: Vec<StatementReport>,
    started: Instant,
) -> Result<ApplyReport, Failure> {
    let done = if options.dry_run { transaction.rollback().await } else { transaction.commit().await };
    done.map_err(|e| sql_failure(&e, None, options.statement_timeout))?;
    Ok(ApplyReport {
        version: file.version.clone(),
        name: file.name.clone(),
        dry_run: options.dry_run,
        transactional: true,
        statements,
        duration_ms: started.elapsed().as_secs_f64() * 1000.0,
        file: None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn statements_that_refuse_transactions_are_recognised() {
        for sql in [
            "create index concurrently i on t (a)",
            "CREATE UNIQUE INDEX CONCURRENTLY i ON t (a)",
            "drop index concurrently i",
            "reindex table concurrently t",
            "vacuum analyze t",
            "-- note\nalter system set work_mem = '64MB'",
            "create database x",
        ] {
            assert!(needs_own_transaction(sql), "{sql}");
        }
        for sql in [
            "create index i on t (a)",
            "create table concurrently_named (a int)",
            "alter table t add column c int",
            "select 'vacuum'",
        ] {
            assert!(!needs_own_transaction(sql), "{sql}");
        }
        assert_eq!(kind_of("-- c\ncreate table t (a int)"), "CREATE TABLE");
        assert_eq!(kind_of("insert into t values (1)"), "INSERT");
        assert_eq!(kind_of("-- only a comment"), "COMMENT ONLY");
    }
}
