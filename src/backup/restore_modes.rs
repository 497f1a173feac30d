//! The restore modes: into a new database, replacing the existing database through a scratch database and a
//! rename, and into the existing database in one transaction (data-only backups, one schema).

use super::swap::{busy, carry_database_settings, maintenance_db, sessions, swap};
use super::*;
use crate::backup::pipeline::DrainingSink;
use crate::backup::process::{DumpProcess, no_events};
use chrono::Utc;
use std::collections::BTreeMap;
use std::process::Stdio;
use std::sync::atomic::{AtomicU64, Ordering};

/// Restores backup `id` from `store` onto `database`'s server as `options` say.
pub async fn restore(
    database: &Database,
    store: &Store,
    id: &str,
    options: &RestoreOptions,
    events: EventSink,
    cancel: &CancellationToken,
) -> Result<RestoreReport, Failure> {
    let started = Instant::now();
    let manifest = read::manifest(store, id).await?;
    let key = options.key.as_ref();
    let dbname = database.spec.dbname.clone();
    match (&options.target, manifest.kind) {
        (RestoreTarget::NewDatabase { .. }, BackupKind::DataOnly) => {
            return Err(refuse(
                "a data-only backup cannot fill a new database",
                "it holds rows but no tables to put them in",
                "restore it with target existing_database (and confirm: true) into a database that has the schema",
            ));
        }
        (RestoreTarget::NewDatabase { .. }, _) => {}
        (_, _) if !options.confirm => {
            return Err(refuse(
                format!("restoring into the existing database {dbname} needs confirmation"),
                "it changes or replaces the data there",
                "call again with confirm: true (a safety backup of the database is taken first), or restore into a new database",
            ));
        }
        _ => {}
    }
    let pooled = database.client().await?;
    let (pg_restore, mut checks, created_roles) = prechecks(store, &manifest, key, &pooled, cancel).await?;
    // Whatever fails from here on, roles this restore created go again: nothing of a failed restore stays.
    let outcome: Result<RestoreReport, Failure> = async {
    let mut report = RestoreReport {
        backup_id: manifest.id.clone(),
        database: dbname.clone(),
        mode: String::new(),
        checks: Vec::new(),
        safety_backup: None,
        previous_database: None,
        tables_verified: 0,
        plain_bytes: 0,
        precheck_ms: millis(started),
        pg_restore_ms: 0,
        verify_ms: 0,
        duration_ms: 0,
    };
    let restorer = Restorer {
        pg_restore: &pg_restore,
        store,
        manifest: &manifest,
        key,
        events,
        cancel,
        restore_ms: AtomicU64::new(0),
        verify_ms: AtomicU64::new(0),
        jobs: options.jobs,
        scratch_dir: &options.scratch_dir,
    };
    match &options.target {
        RestoreTarget::NewDatabase { name } => {
            let name = name
                .clone()
                .unwrap_or_else(|| format!("{}_restored_{}", manifest.database, Utc::now().format("%Y%m%d%H%M%S")));
            if database_exists(&pooled, &name).await? {
                return Err(refuse(
                    format!("database {name} already exists"),
                    "a restore into a new database never touches an existing one",
                    "choose another name, or restore into the existing database with target existing_database",
                ));
            }
            checks.push(format!("database {name} does not exist yet"));
            let (bytes, tables) = restorer.restore_as_new(&pooled, &database.spec, &name).await?;
            report.mode = "new_database".to_owned();
            report.database = name;
            (report.plain_bytes, report.tables_verified) = (bytes, tables);
        }
        RestoreTarget::ExistingDatabase if manifest.kind == BackupKind::DataOnly => {
            let tables = &manifest.tables;
            ensure_empty(&pooled, tables).await?;
            checks.push(format!("the {} tables exist and are empty", tables.len()));
            drop(pooled);
            report.safety_backup = Some(safety_backup(database, store, &manifest, options, cancel).await?);
            let extra = ["--data-only".to_owned(), "--single-transaction".to_owned()];
            report.plain_bytes = restorer.run(&database.spec, &extra, false).await?;
            if let Err(failure) = restorer.verify(&database.spec, tables).await {
                let client = database.client().await?;
                let names: Vec<String> =
                    tables.iter().map(|t| format!("{}.{}", quote_ident(&t.schema), quote_ident(&t.name))).collect();
                let _ = client.batch_execute(&format!("TRUNCATE {}", names.join(", "))).await;
                return Err(failure);
            }
            report.mode = "data_into_existing".to_owned();
            report.tables_verified = tables.len();
        }
        RestoreTarget::ExistingDatabase => {
            let scratch =
                format!("{}_scratch_{:04x}", dbname.chars().take(40).collect::<String>(), rand::random::<u16>());
            let maintenance = connect(&with_dbname(&database.spec, maintenance_db(&dbname))).await?;
            let blockers = sessions(&maintenance, database).await?;
            if !blockers.is_empty() && !options.terminate_connections {
                return Err(busy(&dbname, &blockers));
            }
            checks.push("the database can be swapped (no foreign sessions, or terminate_connections)".to_owned());
            drop(pooled);
            report.safety_backup = Some(safety_backup(database, store, &manifest, options, cancel).await?);
            let (bytes, tables) = restorer.restore_as_new(&maintenance, &database.spec, &scratch).await?;
            if let Err(failure) = carry_database_settings(&maintenance, &dbname, &scratch).await {
                drop_database(&maintenance, &scratch).await;
                return Err(failure);
            }
            let previous = format!(
                "{}_previous_{}",
                dbname.chars().take(40).collect::<String>(),
                Utc::now().format("%Y%m%d%H%M%S")
            );
            if let Err(failure) = swap(&maintenance, database, &scratch, &previous, options.terminate_connections).await
            {
                drop_database(&maintenance, &scratch).await;
                return Err(failure);
            }
            if options.keep_previous {
                report.previous_database = Some(previous);
            } else {
                drop_database(&maintenance, &previous).await;
            }
            report.mode = "replaced_database".to_owned();
            (report.plain_bytes, report.tables_verified) = (bytes, tables);
        }
        RestoreTarget::Schema { name } => {
            if !manifest.schemas.contains(name) {
                return Err(refuse(
                    format!("backup {} has no schema {name}", manifest.id),
                    format!("it holds {}", manifest.schemas.join(", ")),
                    "name one of its schemas",
                ));
            }
            let exists: bool = pooled
                .query_typed_one("select exists (select 1 from pg_namespace where nspname = $1)", &[(name, Type::TEXT)])
                .await
                .map_err(query_failure)?
                .get(0);
            if exists {
                return Err(refuse(
                    format!("schema {name} already exists in {dbname}"),
                    "restoring a schema creates it; mixing with existing objects cannot be undone cleanly",
                    format!(
                        "rename or drop the existing schema first (ALTER SCHEMA {} RENAME TO ...), or restore into a new database",
                        quote_ident(name)
                    ),
                ));
            }
            checks.push(format!("schema {name} does not exist yet"));
            drop(pooled);
            report.safety_backup = Some(safety_backup(database, store, &manifest, options, cancel).await?);
            // pg_restore --schema restores the schema's objects, not the schema itself.
            let client = database.client().await?;
            client.batch_execute(&format!("CREATE SCHEMA {}", quote_ident(name))).await.map_err(query_failure)?;
            let extra = [format!("--schema={name}"), "--single-transaction".to_owned()];
            let tables: Vec<TableEntry> = manifest.tables.iter().filter(|t| &t.schema == name).cloned().collect();
            let outcome = async {
                let bytes = restorer.run(&database.spec, &extra, false).await?;
                restorer.verify(&database.spec, &tables).await?;
                Ok::<u64, Failure>(bytes)
            }
            .await;
            match outcome {
                Ok(bytes) => report.plain_bytes = bytes,
                Err(failure) => {
                    let _ = client.batch_execute(&format!("DROP SCHEMA {} CASCADE", quote_ident(name))).await;
                    return Err(failure);
                }
            }
            report.mode = "schema_into_existing".to_owned();
            report.tables_verified = tables.len();
        }
    }
    report.checks = checks;
    report.pg_restore_ms = restorer.restore_ms.load(Ordering::Relaxed);
    report.verify_ms = restorer.verify_ms.load(Ordering::Relaxed);
    report.duration_ms = millis(started);
    Ok(report)
    }
    .await;
    match outcome {
        Err(failure) if !created_roles.is_empty() => {
            Err(crate::backup::roles::remove_created(database, &created_roles, failure).await)
        }
        outcome => outcome,
    }
}

struct Restorer<'a> {
    pg_restore: &'a std::path::Path,
    store: &'a Store,
    manifest: &'a Manifest,
    key: Option<&'a BackupKey>,
    events: EventSink,
    cancel: &'a CancellationToken,
    restore_ms: AtomicU64,
    verify_ms: AtomicU64,
    jobs: u32,
    scratch_dir: &'a std::path::Path,
}

fn millis(since: Instant) -> u64 {
    u64::try_from(since.elapsed().as_millis()).unwrap_or(u64::MAX)
}

/// Adds the time since its start to a counter when dropped.
struct Elapsed<'a>(&'a AtomicU64, Instant);

impl Drop for Elapsed<'_> {
    fn drop(&mut self) {
        self.0.fetch_add(millis(self.1), Ordering::Relaxed);
    }
}

impl Restorer<'_> {
    async fn verify(&self, spec: &ConnSpec, tables: &[TableEntry]) -> Result<usize, Failure> {
        let _timer = Elapsed(&self.verify_ms, Instant::now());
        verify_tables(spec, tables).await
    }

    /// Runs pg_restore into `spec`'s database, fed from the archive.
    /// `fresh`: the database is new and dropped on failure, so its commits need not wait for the WAL flush, and
    /// pg_restore may run several jobs from a decrypted temporary file when the options ask for it.
    async fn run(&self, spec: &ConnSpec, extra: &[String], fresh: bool) -> Result<u64, Failure> {
        if fresh && self.jobs > 1 {
            return self.run_parallel(spec).await;
        }
        let mut command = client_programs::command(self.pg_restore, spec);
        command.args(["--exit-on-error", "--verbose", "--no-password"]).args(extra);
        command.args(["--dbname", &spec.dbname]).stdin(Stdio::piped()).stdout(Stdio::null());
        if fresh {
            command.env("PGOPTIONS", "-c synchronous_commit=off");
        }
        let mut process = DumpProcess::spawn(command, "pg_restore", self.events.clone(), self.manifest.tables.len())?;
        let stdin = process.take_stdin()?;
        let _timer = Elapsed(&self.restore_ms, Instant::now());
        let sink = Box::new(DrainingSink::new(std::io::BufWriter::new(stdin)));
        match read::stream_plain(self.store, self.manifest, self.key, sink, self.cancel).await {
            Ok(bytes) => {
                process.wait().await?;
                Ok(bytes)
            }
            Err(failure) => {
                process.kill_and_reap().await;
                Err(failure)
            }
        }
    }

    /// The archive decrypted into an owner-only temporary file (removed afterwards), then `pg_restore --jobs`.
    async fn run_parallel(&self, spec: &ConnSpec) -> Result<u64, Failure> {
        let _timer = Elapsed(&self.restore_ms, Instant::now());
        let io = |what: &'static str| move |e: std::io::Error| super::super::frame::failure_of(e, what);
        crate::fsutil::ensure_dir(self.scratch_dir, "the data directory (--data-dir, SUPAMCP_DATA_DIR)")?;
        let file = tempfile::Builder::new()
            .prefix(".supamcp-restore-")
            .tempfile_in(self.scratch_dir)
            .map_err(io("cannot create the temporary file"))?;
        let writer = file.reopen().map_err(io("cannot open the temporary file"))?;
        let sink = Box::new(std::io::BufWriter::with_capacity(1 << 20, writer));
        let bytes = read::stream_plain(self.store, self.manifest, self.key, sink, self.cancel).await?;
        let mut command = client_programs::command(self.pg_restore, spec);
        command.args(["--exit-on-error", "--verbose", "--no-password", &format!("--jobs={}", self.jobs)]);
        command.args(["--dbname", &spec.dbname]).arg(file.path()).stdout(Stdio::null());
        command.env("PGOPTIONS", "-c synchronous_commit=off");
        let mut process = DumpProcess::spawn(command, "pg_restore", self.events.clone(), self.manifest.tables.len())?;
        let outcome = tokio::select! {
            _ = self.cancel.cancelled() => Err(super::super::process::cancelled()),
            waited = process.wait() => waited,
        };
        if outcome.is_err() {
            process.kill_and_reap().await;
        }
        drop(file);
        outcome.map(|()| bytes)
    }

    /// Creates `name`, restores into it and verifies it; drops it again on any failure.
    async fn restore_as_new(
        &self,
        maintenance: &tokio_postgres::Client,
        spec: &ConnSpec,
        name: &str,
    ) -> Result<(u64, usize), Failure> {
        maintenance.batch_execute(&format!("CREATE DATABASE {} TEMPLATE template0", quote_ident(name))).await.map_err(
            |e| {
                let mut failure = query_failure(e);
                failure.what = format!("cannot create database {name}");
                failure.fix = "connect as a role with CREATEDB (the postgres role on Supabase) and retry".to_owned();
                failure
            },
        )?;
        let target = with_dbname(spec, name);
        let outcome = async {
            if self.manifest.selection.creates_public_schema() {
                // The archive creates public itself; the new database's own would be in the way.
                connect(&target).await?.batch_execute("DROP SCHEMA public").await.map_err(query_failure)?;
            }
            let bytes = self.run(&target, &[], true).await?;
            let tables = self.verify(&target, &self.manifest.tables).await?;
            Ok((bytes, tables))
        }
        .await;
        if outcome.is_err() {
            drop_database(maintenance, name).await;
        }
        outcome
    }
}

async fn ensure_empty(client: &tokio_postgres::Client, tables: &[TableEntry]) -> Result<(), Failure> {
    let mut holding = Vec::new();
    for table in tables {
        let qualified = format!("{}.{}", quote_ident(&table.schema), quote_ident(&table.name));
        let sql = format!("select exists (select 1 from {qualified})");
        let row = client.query_one(&sql, &[]).await.map_err(|e| {
            let mut failure = query_failure(e);
            failure.what = format!("table {}.{} of the backup is not usable on the target", table.schema, table.name);
            failure.fix = "a data-only backup needs the schema in place: restore the schema first".to_owned();
            failure
        })?;
        if row.get::<_, bool>(0) {
            holding.push(format!("{}.{}", table.schema, table.name));
        }
    }
    if holding.is_empty() {
        return Ok(());
    }
    Err(refuse(
        "tables the data-only backup fills already hold rows",
        format!("non-empty: {}", holding.join(", ")),
        "empty them first (TRUNCATE) or restore a full backup, which replaces the database",
    ))
}

/// A full backup of the database about to change; its id.
async fn safety_backup(
    database: &Database,
    store: &Store,
    manifest: &Manifest,
    options: &RestoreOptions,
    cancel: &CancellationToken,
) -> Result<String, Failure> {
    let tags = BTreeMap::from([("safety_backup_before_restoring".to_owned(), manifest.id.clone())]);
    let backup = BackupOptions { key: options.key.clone(), tags, ..BackupOptions::default() };
    let taken = dump::create(database, store, &backup, no_events(), cancel).await.map_err(|mut failure| {
        failure.what = format!("the safety backup before the restore failed, nothing was changed: {}", failure.what);
        failure
    })?;
    Ok(taken.id)
}
