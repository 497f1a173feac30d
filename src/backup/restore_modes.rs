//! The restore modes: into a new database, replacing the existing database through a scratch database and a
//! rename, and into the existing database in one transaction (data-only backups, one schema).

use super::*;
use crate::backup::pipeline::DrainingSink;
use crate::backup::process::{DumpProcess, no_events};
use crate::pg::ident::quote_literal;
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
    let (pg_restore, mut checks) = prechecks(store, &manifest, key, &pooled, cancel).await?;
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
        std::fs::create_dir_all(self.scratch_dir).map_err(io("cannot create the temporary directory"))?;
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

/// A database to connect to while `dbname` is renamed.
fn maintenance_db(dbname: &str) -> &'static str {
    if dbname == "postgres" { "template1" } else { "postgres" }
}

/// Sessions on the target database (pid, application name), once supamcp's own idle pooled ones are closed.
async fn sessions(maintenance: &tokio_postgres::Client, database: &Database) -> Result<Vec<(i32, String)>, Failure> {
    database.close_idle();
    let mut found = Vec::new();
    // A closed connection's backend leaves pg_stat_activity a moment after the client hangs up.
    for _ in 0..20 {
        let rows = maintenance
            .query_typed(
                "select pid, coalesce(application_name, '') from pg_stat_activity \
                 where datname = $1 and pid <> pg_backend_pid()",
                &[(&database.spec.dbname, Type::TEXT)],
            )
            .await
            .map_err(query_failure)?;
        found = rows.iter().map(|r| (r.get(0), r.get(1))).collect();
        if found.is_empty() {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    Ok(found)
}

fn busy(dbname: &str, sessions: &[(i32, String)]) -> Failure {
    let names: Vec<String> = sessions.iter().map(|(pid, app)| format!("{pid} ({app})")).take(10).collect();
    refuse(
        format!("database {dbname} cannot be replaced while other sessions use it"),
        format!("{} sessions are connected: {}", sessions.len(), names.join(", ")),
        "stop the services that use it (on Supabase: the auth, rest, realtime, storage and meta containers) or pass terminate_connections: true",
    )
}

/// Renames the database to `previous` and `scratch` to its name, ending sessions that stand in the way when asked.
async fn swap(
    maintenance: &tokio_postgres::Client,
    database: &Database,
    scratch: &str,
    previous: &str,
    terminate: bool,
) -> Result<(), Failure> {
    let name = &database.spec.dbname;
    let target = quote_ident(name);
    let mut last_error = None;
    for _ in 0..5 {
        database.close_idle();
        if terminate {
            maintenance
                .query_typed(
                    "select pg_terminate_backend(pid) from pg_stat_activity where datname = $1 and pid <> pg_backend_pid()",
                    &[(name, Type::TEXT)],
                )
                .await
                .map_err(query_failure)?;
        }
        match maintenance.batch_execute(&format!("ALTER DATABASE {target} RENAME TO {}", quote_ident(previous))).await {
            Ok(()) => {
                last_error = None;
                break;
            }
            Err(e) => last_error = Some(query_failure(e)),
        }
        tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    }
    if let Some(mut failure) = last_error {
        let blockers = sessions(maintenance, database).await.unwrap_or_default();
        if !blockers.is_empty() {
            return Err(busy(name, &blockers));
        }
        failure.what = format!("cannot rename database {name} aside");
        return Err(failure);
    }
    if let Err(e) =
        maintenance.batch_execute(&format!("ALTER DATABASE {} RENAME TO {target}", quote_ident(scratch))).await
    {
        let _ =
            maintenance.batch_execute(&format!("ALTER DATABASE {} RENAME TO {target}", quote_ident(previous))).await;
        let mut failure = query_failure(e);
        failure.what = "cannot move the restored database into place; the original was put back".to_owned();
        return Err(failure);
    }
    Ok(())
}

/// Gives database `to` the owner, the grants and the `ALTER DATABASE/ROLE ... SET` settings of `from`, which live in the
/// cluster's catalogs rather than in a dump.
async fn carry_database_settings(client: &tokio_postgres::Client, from: &str, to: &str) -> Result<(), Failure> {
    let target = quote_ident(to);
    let grants = client
        .query_typed(
            "select case when a.grantee = 0 then 'PUBLIC' else quote_ident(pg_get_userbyid(a.grantee)) end, \
             a.privilege_type from pg_database d, aclexplode(d.datacl) a where d.datname = $1",
            &[(&from, Type::TEXT)],
        )
        .await
        .map_err(query_failure)?;
    let owner: String = client
        .query_typed_one(
            "select pg_get_userbyid(datdba)::text from pg_database where datname = $1",
            &[(&from, Type::TEXT)],
        )
        .await
        .map_err(query_failure)?
        .get(0);
    let mut statements = vec![format!("ALTER DATABASE {target} OWNER TO {}", quote_ident(&owner))];
    statements.extend(
        grants
            .iter()
            .map(|r| format!("GRANT {} ON DATABASE {target} TO {}", r.get::<_, String>(1), r.get::<_, String>(0))),
    );
    let settings = client
        .query_typed(
            "select case when s.setrole = 0 then null else pg_get_userbyid(s.setrole)::text end, unnest(s.setconfig) \
             from pg_db_role_setting s join pg_database d on d.oid = s.setdatabase where d.datname = $1",
            &[(&from, Type::TEXT)],
        )
        .await
        .map_err(query_failure)?;
    for row in &settings {
        let (role, setting): (Option<String>, String) = (row.get(0), row.get(1));
        let Some((name, value)) = setting.split_once('=') else { continue };
        let assignment = format!("SET {} = {}", quote_ident(name), quote_literal(value));
        statements.push(match role {
            Some(role) => format!("ALTER ROLE {} IN DATABASE {target} {assignment}", quote_ident(&role)),
            None => format!("ALTER DATABASE {target} {assignment}"),
        });
    }
    for statement in statements {
        client.batch_execute(&statement).await.map_err(|e| {
            let mut failure = query_failure(e);
            failure.what = format!("cannot carry the grants and settings of {from} over: {statement}");
            failure
        })?;
    }
    Ok(())
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
