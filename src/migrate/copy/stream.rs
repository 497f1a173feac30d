//! Copies one table: COPY out of the source (inside the copy's consistent snapshot) streamed chunk by chunk
//! into COPY in on the target, in one target transaction, never holding more than a chunk in memory. The
//! conflict strategy decides what happens to a target table that already holds rows.

use super::rowhash::RowHasher;
use super::tables::{self, Checksum, TableInfo};
use crate::failure::Failure;
use crate::pg::sql_errors::sql_failure;
use futures_util::{SinkExt, TryStreamExt, pin_mut};
use serde::Deserialize;
use std::time::Duration;

/// A target table that holds rows.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum Conflict {
    /// Stop with an error (default).
    #[default]
    Fail,
    /// Empty it first.
    Truncate,
    /// Leave it as it is.
    Skip,
    /// Insert rows whose primary key it lacks.
    Merge,
}

pub enum TableResult {
    /// Rows written, and the checksum of the source rows as they streamed past.
    Copied(u64, Checksum),
    Skipped,
}

fn failed(table: &TableInfo, step: &str, error: &tokio_postgres::Error) -> Failure {
    let mut failure = sql_failure(error, None, Duration::ZERO);
    failure.what = format!("copying {} failed while {step}", table.label());
    failure
}

/// Copies `table` from `source` (a transaction in the copy's snapshot) to `target`.
pub async fn copy_table(
    source: &tokio_postgres::Transaction<'_>,
    target: &mut tokio_postgres::Client,
    table: &TableInfo,
    conflict: Conflict,
    binary: bool,
    replica: bool,
) -> Result<TableResult, Failure> {
    // Read committed whatever the server default: COPY FREEZE needs a transaction without a held snapshot.
    let transaction = target
        .build_transaction()
        .isolation_level(tokio_postgres::IsolationLevel::ReadCommitted)
        .start()
        .await
        .map_err(|e| failed(table, "opening the target transaction", &e))?;
    if replica {
        transaction
            .batch_execute("SET LOCAL session_replication_role = replica")
            .await
            .map_err(|e| failed(table, "turning off triggers", &e))?;
    }
    let merging = conflict == Conflict::Merge;
    // Locked before the emptiness check, so nothing lands between the check and the truncation below.
    let freezable = !merging && !table.partitioned;
    let locked = if freezable { lock_for_freeze(&transaction, table).await? } else { false };
    if tables::has_rows(&transaction, table).await? {
        match conflict {
            Conflict::Fail => {
                return Err(Failure::new(
                    format!("target table {} already holds rows", table.label()),
                    "the copy would mix its rows with the existing ones",
                    "choose a conflict strategy: truncate (replace them), skip (leave the table), or merge (add missing rows by primary key)",
                ));
            }
            Conflict::Skip => return Ok(TableResult::Skipped),
            Conflict::Truncate | Conflict::Merge => {}
        }
    }
    let freeze = if locked { truncate_for_freeze(&transaction, table).await? } else { false };
    let format = if binary { "binary" } else { "text" };
    let columns = table.column_list();
    if merging && table.primary_key.is_empty() {
        return Err(Failure::new(
            format!("cannot merge into {}", table.label()),
            "the table has no primary key to tell existing rows from new ones",
            "use truncate or skip for this table, or add a primary key",
        ));
    }
    let destination = if merging {
        let create = format!(
            "CREATE TEMP TABLE supamcp_merge ON COMMIT DROP AS SELECT {columns} FROM {} WITH NO DATA",
            table.qualified()
        );
        transaction.batch_execute(&create).await.map_err(|e| failed(table, "preparing the merge", &e))?;
        "supamcp_merge".to_owned()
    } else {
        table.qualified()
    };
    let out =
        source.copy_out(&copy_out_sql(table, format)).await.map_err(|e| failed(table, "reading the source", &e))?;
    let sink = transaction
        .copy_in(&format!(
            "COPY {destination} ({columns}) FROM STDIN (FORMAT {format}{})",
            if freeze { ", FREEZE" } else { "" }
        ))
        .await
        .map_err(|e| failed(table, "writing the target", &e))?;
    pin_mut!(out, sink);
    let mut hasher = RowHasher::new(binary);
    while let Some(chunk) = out.try_next().await.map_err(|e| failed(table, "reading the source", &e))? {
        hasher.feed(&chunk)?;
        // feed, not send: send flushes, which would make every row its own protocol message.
        sink.feed(chunk).await.map_err(|e| failed(table, "writing the target", &e))?;
    }
    let mut rows = sink.finish().await.map_err(|e| failed(table, "finishing the copy", &e))?;
    if merging {
        let insert = format!(
            "INSERT INTO {} ({columns}) OVERRIDING SYSTEM VALUE SELECT {columns} FROM supamcp_merge ON CONFLICT DO NOTHING",
            table.qualified()
        );
        rows = transaction.execute(&insert, &[]).await.map_err(|e| failed(table, "merging", &e))?;
    }
    transaction.commit().await.map_err(|e| failed(table, "committing", &e))?;
    Ok(TableResult::Copied(rows, hasher.finish()?))
}

/// `COPY table (columns) TO STDOUT`, which skips the executor; a partitioned table cannot be copied out that way,
/// so its rows come through a query.
fn copy_out_sql(table: &TableInfo, format: &str) -> String {
    let (name, columns) = (table.qualified(), table.column_list());
    if table.partitioned {
        format!("COPY (SELECT {columns} FROM {name}) TO STDOUT (FORMAT {format})")
    } else {
        format!("COPY {name} ({columns}) TO STDOUT (FORMAT {format})")
    }
}

/// Takes the table's exclusive lock in a savepoint, waiting at most two seconds, so the copy can empty it and
/// write its rows frozen. False (savepoint undone) when the lock is not to be had: the copy then runs as an
/// ordinary COPY.
async fn lock_for_freeze(transaction: &tokio_postgres::Transaction<'_>, table: &TableInfo) -> Result<bool, Failure> {
    let lock = format!(
        "SAVEPOINT supamcp_freeze; SET LOCAL lock_timeout = '2s'; LOCK TABLE ONLY {} IN ACCESS EXCLUSIVE MODE",
        table.qualified()
    );
    undo_unless(transaction, table, transaction.batch_execute(&lock).await.is_ok()).await
}

/// Empties the (locked, empty or to-be-replaced) table in the savepoint, which lets `COPY ... FREEZE` write rows
/// already frozen and visible: the checksum read-back then does not rewrite every page to set hint bits. A table
/// that others reference by foreign key cannot be truncated alone: then an ordinary COPY.
async fn truncate_for_freeze(
    transaction: &tokio_postgres::Transaction<'_>,
    table: &TableInfo,
) -> Result<bool, Failure> {
    let truncate = format!("TRUNCATE ONLY {}", table.qualified());
    undo_unless(transaction, table, transaction.batch_execute(&truncate).await.is_ok()).await
}

/// Rolls back to the freeze savepoint when `succeeded` is false; passes `succeeded` on.
async fn undo_unless(
    transaction: &tokio_postgres::Transaction<'_>,
    table: &TableInfo,
    succeeded: bool,
) -> Result<bool, Failure> {
    if !succeeded {
        transaction
            .batch_execute("ROLLBACK TO SAVEPOINT supamcp_freeze")
            .await
            .map_err(|e| failed(table, "preparing the target table", &e))?;
    }
    Ok(succeeded)
}

/// The checksum of a table's rows, read back with COPY in the same format the copy used.
pub async fn stream_checksum(
    client: &tokio_postgres::Client,
    table: &TableInfo,
    binary: bool,
) -> Result<Checksum, Failure> {
    let format = if binary { "binary" } else { "text" };
    let out = client
        .copy_out(&copy_out_sql(table, format))
        .await
        .map_err(|e| failed(table, "reading the target back", &e))?;
    pin_mut!(out);
    let mut hasher = RowHasher::new(binary);
    while let Some(chunk) = out.try_next().await.map_err(|e| failed(table, "reading the target back", &e))? {
        hasher.feed(&chunk)?;
    }
    hasher.finish()
}
