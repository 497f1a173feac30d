//! `copy_database`: moves a database between instances with nothing lost and memory flat. The source is read in
//! one exported snapshot (consistent across parallel workers); the schema comes from pg_dump; each table streams
//! through COPY (binary between equal major versions) in its own target transaction with triggers and foreign
//! keys off where the role may (session_replication_role = replica); sequences follow the data; every table is
//! verified by row count and content checksum; a journal lets a rerun skip finished tables; indexes and keys are
//! built after the data, several at once.

mod journal;
mod post_data;
mod rowhash;
mod schema;
pub(crate) mod stream;
pub mod tables;

pub use stream::Conflict;

use super::compat::{self, CompatFinding};
use crate::failure::Failure;
use crate::pg::catalog::{INTERNAL_SCHEMAS, query_failure};
use crate::pg::ident::quote_literal;
use crate::pg::pool::Database;
use futures_util::{FutureExt, StreamExt, TryStreamExt};
use journal::Journal;
use serde::Serialize;
use std::path::PathBuf;
use std::sync::Mutex;
use std::time::Instant;
use stream::TableResult;
use tables::{Checksum, TableInfo};
use tokio_postgres::IsolationLevel;

pub struct CopyOptions {
    /// Schemas to copy; empty: every schema of the source that is not Supabase's own.
    pub schemas: Vec<String>,
    /// Only these tables (`schema.table`); empty: all tables of the schemas.
    pub tables: Vec<String>,
    pub include_schema: bool,
    pub include_auth: bool,
    pub include_storage: bool,
    pub conflict: Conflict,
    pub parallel: usize,
    pub dry_run: bool,
    pub journal_dir: PathBuf,
}

#[derive(Debug, Serialize, schemars::JsonSchema)]
pub struct TableOutcome {
    pub table: String,
    /// planned (dry run), copied, skipped or done_before (finished by an earlier, interrupted run).
    pub status: String,
    pub rows: Option<u64>,
    pub estimated_rows: i64,
    pub size_bytes: i64,
    pub checksum: Option<Checksum>,
    pub seconds: f64,
}

#[derive(Debug, Serialize, schemars::JsonSchema)]
pub struct CopyReport {
    pub source: String,
    pub target: String,
    pub dry_run: bool,
    pub schemas: Vec<String>,
    pub schema_copied: bool,
    /// Triggers and foreign-key checks were off during the copy (session_replication_role = replica).
    pub triggers_disabled: bool,
    pub binary: bool,
    pub tables: Vec<TableOutcome>,
    pub sequences_set: usize,
    pub findings: Vec<CompatFinding>,
    pub duration_ms: f64,
}

fn outcome(table: &TableInfo, status: &str) -> TableOutcome {
    TableOutcome {
        table: table.label(),
        status: status.to_owned(),
        rows: None,
        estimated_rows: table.estimated_rows,
        size_bytes: table.size_bytes,
        checksum: None,
        seconds: 0.0,
    }
}

async fn source_schemas(client: &impl tokio_postgres::GenericClient) -> Result<Vec<String>, Failure> {
    let internal: Vec<String> = INTERNAL_SCHEMAS.iter().map(|s| (*s).to_owned()).collect();
    let rows = client
        .query_typed(
            "select nspname::text from pg_namespace where not nspname = any($1) and nspname !~ '^pg_' order by 1",
            &[(&internal, tokio_postgres::types::Type::TEXT_ARRAY)],
        )
        .await
        .map_err(query_failure)?;
    Ok(rows.iter().map(|r| r.get(0)).collect())
}

/// Copies `source` to `target` as `options` say; `progress(table, done, total)` follows every finished table.
pub async fn copy_database(
    source: &Database,
    target: &Database,
    options: &CopyOptions,
    progress: &(dyn Fn(&str, usize, usize) + Send + Sync),
) -> Result<CopyReport, Failure> {
    let started = Instant::now();
    let mut coordinator = source.client().await?;
    let mut target_client = target.client().await?;
    let schemas =
        if options.schemas.is_empty() { source_schemas(&**coordinator).await? } else { options.schemas.clone() };
    let findings = compat::check(&**coordinator, &**target_client, &schemas).await?;
    let binary = compat::server_major(&**coordinator).await? == compat::server_major(&**target_client).await?;
    let mut selected = tables::list(&**coordinator, &schemas, &options.tables).await?;
    // Supabase's own tables a copy may take along, when asked.
    let extras = [
        (options.include_auth, "auth", ["auth.users", "auth.identities"]),
        (options.include_storage, "storage", ["storage.buckets", "storage.objects"]),
    ];
    for (_, schema, names) in extras.into_iter().filter(|(wanted, _, _)| *wanted) {
        let names: Vec<String> = names.iter().map(|n| (*n).to_owned()).collect();
        selected.extend(tables::list(&**coordinator, &[schema.to_owned()], &names).await?);
    }
    let mut report = CopyReport {
        source: source.spec.redacted(),
        target: target.spec.redacted(),
        dry_run: options.dry_run,
        schemas: schemas.clone(),
        schema_copied: false,
        triggers_disabled: false,
        binary,
        tables: Vec::new(),
        sequences_set: 0,
        findings,
        duration_ms: 0.0,
    };
    if options.dry_run {
        report.tables = selected.iter().map(|t| outcome(t, "planned")).collect();
        return Ok(report);
    }
    if let Some(blocker) = report.findings.iter().find(|f| f.severity == "critical") {
        return Err(Failure::new("the target cannot take this copy", blocker.detail.clone(), blocker.fix.clone()));
    }
    let key_tables: Vec<String> = selected.iter().map(TableInfo::label).collect();
    let mut journal = Journal::open(
        &options.journal_dir,
        &[&report.source, &report.target, &schemas.join(","), &key_tables.join(",")],
    )?;
    if options.include_schema && !journal.schema_done {
        let major = compat::server_major(&**coordinator).await?;
        let dump = schema::dump(&source.spec, major, &schemas, schema::Section::PreData)?;
        schema::apply(&mut target_client, &dump).await?;
        journal.schema_done = true;
        journal.save()?;
        report.schema_copied = true;
    }
    report.triggers_disabled =
        target_client.batch_execute("BEGIN; SET LOCAL session_replication_role = replica; ROLLBACK").await.is_ok();
    let pending: Vec<TableInfo> = selected.iter().filter(|t| !journal.is_finished(&t.label())).cloned().collect();
    if options.conflict == Conflict::Truncate && !pending.is_empty() {
        let list = pending.iter().map(|t| t.qualified()).collect::<Vec<_>>().join(", ");
        target_client.batch_execute(&format!("TRUNCATE {list}")).await.map_err(|e| {
            Failure::new(
                "cannot empty the target tables",
                query_failure(e).why,
                "truncate them yourself (other tables reference them), or use the merge or skip strategy",
            )
        })?;
    }
    drop(target_client);
    // One snapshot for every worker: the copy sees the source as of a single moment.
    let snapshot_tx = coordinator
        .build_transaction()
        .isolation_level(IsolationLevel::RepeatableRead)
        .read_only(true)
        .start()
        .await
        .map_err(query_failure)?;
    let snapshot: String =
        snapshot_tx.query_one("select pg_export_snapshot()", &[]).await.map_err(query_failure)?.get(0);
    for table in selected.iter().filter(|t| journal.is_finished(&t.label())) {
        report.tables.push(outcome(table, "done_before"));
    }
    let total = pending.len();
    let journal = Mutex::new(journal);
    let done = std::sync::atomic::AtomicUsize::new(0);
    let results: Vec<TableOutcome> = futures_util::stream::iter(pending)
        .map(|table: TableInfo| {
            let (snapshot, journal, done) = (&snapshot, &journal, &done);
            let triggers_disabled = report.triggers_disabled;
            async move {
                let result = copy_one(source, target, &table, snapshot, options.conflict, binary, triggers_disabled)
                    .await
                    .map_err(|failure| naming(failure, &table))?;
                if let Ok(mut journal) = journal.lock() {
                    journal.finished.push(table.label());
                    journal.save()?;
                }
                let finished = done.fetch_add(1, std::sync::atomic::Ordering::Relaxed) + 1;
                progress(&table.label(), finished, total);
                Ok::<_, Failure>(result)
            }
            .boxed()
        })
        .buffer_unordered(options.parallel.clamp(1, 16))
        .try_collect()
        .await?;
    report.tables.extend(results);
    report.tables.sort_by(|a, b| a.table.cmp(&b.table));
    report.sequences_set = copy_sequences(&snapshot_tx, target, &schemas).await?;
    snapshot_tx.rollback().await.map_err(query_failure)?;
    let post_data_pending = journal.lock().map(|j| j.schema_done && !j.post_data_done).unwrap_or(false);
    if options.include_schema && post_data_pending {
        let major = compat::server_major(&**coordinator).await?;
        let dump = schema::dump(&source.spec, major, &schemas, schema::Section::PostData)?;
        post_data::apply(target, &dump, options.parallel.clamp(1, 16)).await.map_err(|mut failure| {
            failure.what = "the data is copied, but the indexes and constraints cannot be created on the target".to_owned();
            failure.fix = format!("{} A foreign key to a table that was not copied (auth.users: pass include_auth) is the usual cause; rerun the copy to retry this step.", failure.fix);
            failure
        })?;
        if let Ok(mut journal) = journal.lock() {
            journal.post_data_done = true;
            journal.save()?;
        }
    }
    if let Ok(journal) = journal.lock() {
        journal.remove();
    }
    report.duration_ms = started.elapsed().as_secs_f64() * 1000.0;
    Ok(report)
}

/// A failure while copying `table`, saying so when it does not already.
fn naming(mut failure: Failure, table: &TableInfo) -> Failure {
    let label = table.label();
    if !failure.what.contains(&label) {
        failure.what = format!("copying {label} failed: {}", failure.what);
    }
    failure
}

async fn copy_one(
    source: &Database,
    target: &Database,
    table: &TableInfo,
    snapshot: &str,
    conflict: Conflict,
    binary: bool,
    replica: bool,
) -> Result<TableOutcome, Failure> {
    let started = Instant::now();
    let mut source_client = source.client().await?;
    let mut target_client = target.client().await?;
    let reader = source_client
        .build_transaction()
        .isolation_level(IsolationLevel::RepeatableRead)
        .read_only(true)
        .start()
        .await
        .map_err(query_failure)?;
    reader
        .batch_execute(&format!("SET TRANSACTION SNAPSHOT {}", quote_literal(snapshot)))
        .await
        .map_err(query_failure)?;
    let result = stream::copy_table(&reader, &mut target_client, table, conflict, binary, replica).await?;
    let mut report = outcome(table, "copied");
    match result {
        TableResult::Skipped => report.status = "skipped".to_owned(),
        TableResult::Copied(rows, source_sum) => {
            report.rows = Some(rows);
            if conflict != Conflict::Merge {
                let target_sum = stream::stream_checksum(&target_client, table, binary).await?;
                if source_sum != target_sum {
                    return Err(Failure::new(
                        format!("{} differs after the copy", table.label()),
                        format!(
                            "source {} rows (checksum {}), target {} rows (checksum {})",
                            source_sum.rows, source_sum.sum, target_sum.rows, target_sum.sum
                        ),
                        "check for triggers or defaults on the target that change rows, then copy the table again with conflict truncate",
                    ));
                }
            }
            report.checksum = Some(source_sum);
        }
    }
    reader.rollback().await.map_err(query_failure)?;
    report.seconds = started.elapsed().as_secs_f64();
    Ok(report)
}

/// Sets every target sequence of `schemas` to the source's state in the copy's snapshot.
async fn copy_sequences(
    snapshot: &tokio_postgres::Transaction<'_>,
    target: &Database,
    schemas: &[String],
) -> Result<usize, Failure> {
    let sequences = tables::sequences(snapshot, schemas).await?;
    let client = target.client().await?;
    for (name, value, called) in &sequences {
        client
            .query_typed(
                "select setval($1::regclass, $2, $3)",
                &[
                    (name, tokio_postgres::types::Type::TEXT),
                    (value, tokio_postgres::types::Type::INT8),
                    (called, tokio_postgres::types::Type::BOOL),
                ],
            )
            .await
            .map_err(|e| {
                let mut failure = query_failure(e);
                failure.what = format!("cannot set sequence {name} on the target");
                failure
            })?;
    }
    Ok(sequences.len())
}
