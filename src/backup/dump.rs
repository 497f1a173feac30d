//! `create_backup`'s work: one REPEATABLE READ transaction exports a snapshot; pg_dump (custom format, its own
//! compression off) dumps that snapshot while the same transaction computes each table's row count and checksum,
//! so archive and manifest describe the same instant. pg_dump's stdout goes through compression and encryption
//! on a blocking thread into the store; the manifest is written only once the archive is published. On any
//! failure or cancellation pg_dump is killed and the partial archive removed.

use super::compress::Compression;
use super::inventory::{self, STABLE_TEXT};
use super::key::BackupKey;
use super::manifest::{ARCHIVE_SUFFIX, ArchiveInfo, BackupKind, FORMAT, Manifest, Selection, new_id};
use super::pipeline::{CHANNEL_DEPTH, write_archive};
use super::process::{DumpProcess, Event, EventSink, cancelled};
use super::store::Store;
use crate::failure::Failure;
use crate::pg::catalog::query_failure;
use crate::pg::client_programs;
use crate::pg::pool::Database;
use chrono::Utc;
use std::collections::BTreeMap;
use std::time::Instant;
use tokio::sync::mpsc;
use tokio_util::sync::CancellationToken;

/// What to back up and how.
#[derive(Clone, Debug, Default)]
pub struct BackupOptions {
    pub kind: BackupKind,
    /// Only these schemas (default: every user schema, Supabase's service schemas left out).
    pub schemas: Vec<String>,
    /// Only these tables, as `schema.table`.
    pub tables: Vec<String>,
    pub compression: Compression,
    pub level: Option<i32>,
    /// `None`: not encrypted.
    pub key: Option<BackupKey>,
    pub tags: BTreeMap<String, String>,
}

/// A pg_dump pattern matching exactly `name`.
fn exact(name: &str) -> String {
    format!("\"{}\"", name.replace('"', "\"\""))
}

fn table_pattern(qualified: &str) -> Result<String, Failure> {
    let (schema, table) = qualified.split_once('.').ok_or_else(|| {
        Failure::new(
            format!("table '{qualified}' is not qualified"),
            "tables are named schema.table",
            format!("pass public.{qualified}"),
        )
    })?;
    Ok(format!("{}.{}", exact(schema), exact(table)))
}

/// Runs a backup of `database` into `store`.
pub async fn create(
    database: &Database,
    store: &Store,
    options: &BackupOptions,
    events: EventSink,
    cancel: &CancellationToken,
) -> Result<Manifest, Failure> {
    if database.transaction_pooler() {
        return Err(Failure::new(
            "cannot back up through the transaction pooler",
            "pg_dump needs a session (port 6543 is Supavisor's transaction mode)",
            "connect to port 5432 (the database or Supavisor's session mode) for backups",
        ));
    }
    let holder = database.client().await?;
    let client: &tokio_postgres::Client = &holder;
    client
        .batch_execute(&format!("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY; {STABLE_TEXT}"))
        .await
        .map_err(query_failure)?;
    let outcome = dump_in_snapshot(database, client, store, options, events, cancel).await;
    let _ = client.batch_execute("ROLLBACK").await;
    outcome
}

async fn dump_in_snapshot(
    database: &Database,
    client: &tokio_postgres::Client,
    store: &Store,
    options: &BackupOptions,
    events: EventSink,
    cancel: &CancellationToken,
) -> Result<Manifest, Failure> {
    let started = Instant::now();
    let created_at = Utc::now();
    let (server_version, server_major) = inventory::server_version(client).await?;
    let pg_dump = client_programs::for_server("pg_dump", server_major, "")?;
    let snapshot: String = client.query_one("select pg_export_snapshot()", &[]).await.map_err(query_failure)?.get(0);
    let wanted_schemas: Vec<String> = if options.tables.is_empty() {
        options.schemas.clone()
    } else {
        let mut from_tables: Vec<String> =
            options.tables.iter().filter_map(|t| t.split_once('.').map(|(s, _)| s.to_owned())).collect();
        from_tables.sort();
        from_tables.dedup();
        from_tables
    };
    let (schemas, excluded) = inventory::dump_schemas(client, &wanted_schemas).await?;
    let extensions = inventory::extensions(client).await?;
    let roles = inventory::roles(client, &schemas).await?;
    let role_definitions = super::roles::definitions(client, &roles).await?;

    let mut command = client_programs::command(&pg_dump, &database.spec);
    command.args(["--format=custom", "--compress=0", "--verbose", "--no-password"]);
    command.arg(format!("--snapshot={snapshot}"));
    match options.kind {
        BackupKind::Full => {}
        BackupKind::SchemaOnly => {
            command.arg("--schema-only");
        }
        BackupKind::DataOnly => {
            command.arg("--data-only");
        }
    }
    if !options.tables.is_empty() {
        for table in &options.tables {
            command.arg(format!("--table={}", table_pattern(table)?));
        }
    } else if !options.schemas.is_empty() {
        for schema in &schemas {
            command.arg(format!("--schema={}", exact(schema)));
        }
    } else {
        for schema in &excluded {
            command.arg(format!("--exclude-schema={}", exact(schema)));
        }
    }
    command.args(["--dbname", &database.spec.dbname]);

    let id = new_id(&database.instance.name, created_at);
    let archive_key = format!("{id}{ARCHIVE_SUFFIX}");
    let total_tables = if options.kind == BackupKind::SchemaOnly {
        0
    } else {
        crate::migrate::copy::tables::list(client, &schemas, &options.tables).await?.len()
    };
    let mut process = DumpProcess::spawn(command, "pg_dump", events.clone(), total_tables)?;
    let mut writer = match store.writer(&archive_key).await {
        Ok(writer) => writer,
        Err(failure) => {
            process.kill_and_reap().await;
            return Err(failure);
        }
    };
    let stdout = process.take_stdout()?;
    let (sender, mut receiver) = mpsc::channel::<Vec<u8>>(CHANNEL_DEPTH);
    let (compression, level, key) = (options.compression, options.level, options.key.clone());
    let byte_events = events.clone();
    let pipeline = tokio::task::spawn_blocking(move || {
        write_archive(stdout, sender, compression, level, key.as_ref(), &|bytes| byte_events(Event::Bytes(bytes)))
    });

    // Stops the store loop and the checksums as soon as one of them fails.
    let stop = cancel.child_token();
    let store_loop = async {
        let outcome = async {
            loop {
                tokio::select! {
                    _ = stop.cancelled() => return Err(cancelled()),
                    chunk = receiver.recv() => match chunk {
                        Some(chunk) => writer.write(&chunk).await?,
                        None => return Ok(()),
                    },
                }
            }
        }
        .await;
        if outcome.is_err() {
            stop.cancel();
        }
        outcome
    };
    let checksum_work = async {
        if options.kind == BackupKind::SchemaOnly {
            return Ok(Vec::new());
        }
        let outcome = tokio::select! {
            _ = stop.cancelled() => Err(cancelled()),
            found = inventory::checksums(client, &schemas, &options.tables, &|_| {}) => found,
        };
        if outcome.is_err() {
            stop.cancel();
        }
        outcome
    };
    let (stored, tables) = tokio::join!(store_loop, checksum_work);
    drop(receiver);
    let early = stored.err();
    if early.is_some() || tables.is_err() {
        process.kill_and_reap().await;
    }
    let written = pipeline.await.map_err(|e| Failure::new("the archive writer stopped", e.to_string(), "retry"));
    let finished = async {
        if let Some(failure) = early {
            return Err(failure);
        }
        let tables = tables?;
        let written = written??;
        process.wait().await?;
        Ok((tables, written))
    }
    .await;
    let (tables, written) = match finished {
        Ok(done) => done,
        Err(failure) => {
            process.kill_and_reap().await;
            let _ = writer.abort().await;
            return Err(failure);
        }
    };
    let size = writer.finish().await?;
    let manifest = Manifest {
        format: FORMAT,
        id: id.clone(),
        instance: database.instance.name.clone(),
        database: database.spec.dbname.clone(),
        created_at,
        kind: options.kind,
        server_version,
        server_major,
        extensions,
        schemas,
        selection: Selection { schemas: options.schemas.clone(), tables: options.tables.clone() },
        roles,
        role_definitions,
        tables,
        archive: ArchiveInfo {
            key: archive_key.clone(),
            size,
            sha256: written.sha256,
            compression: options.compression,
            encryption: if options.key.is_some() { "aes-256-gcm" } else { "none" }.to_owned(),
            key_id: options.key.as_ref().map(BackupKey::id).transpose()?,
            pg_dump: client_programs::version_text(&pg_dump),
        },
        tags: options.tags.clone(),
        duration_ms: u64::try_from(started.elapsed().as_millis()).unwrap_or(u64::MAX),
    };
    let published = async { store.put(&Manifest::key(&id), manifest.to_bytes()?).await }.await;
    if let Err(failure) = published {
        let _ = store.delete(&archive_key).await;
        return Err(failure);
    }
    Ok(manifest)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn patterns_match_names_exactly() {
        assert_eq!(exact("Weird\"Name*"), "\"Weird\"\"Name*\"");
        assert_eq!(table_pattern("public.Todo.s").unwrap(), "\"public\".\"Todo.s\"");
        assert!(table_pattern("todos").unwrap_err().fix.contains("public.todos"));
    }
}
