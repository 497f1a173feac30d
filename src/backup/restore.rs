//! `restore_backup`'s work. Pre-checks (manifest, archive size and SHA-256, the key, server and pg_restore
//! versions, extensions and roles on the target), then the archive streamed decrypted into pg_restore's stdin,
//! then post-checks (row counts and checksums against the manifest). Nothing half-restored is left behind:
//! - a new database is created, and dropped again on any failure;
//! - an existing database (only with confirm, after a safety backup of it) is rebuilt in a scratch database that
//!   replaces it by rename once it passed the post-checks; the old one is dropped (or kept when asked);
//! - a data-only backup, or one schema, goes into the existing database in one transaction (pg_restore
//!   --single-transaction), so a failure rolls everything back.

use super::dump::{self, BackupOptions};
use super::inventory;
use super::key::BackupKey;
use super::manifest::{BackupKind, Manifest, TableEntry};
use super::process::EventSink;
use super::read;
use super::store::Store;
use crate::failure::Failure;
use crate::pg::catalog::query_failure;
use crate::pg::client_programs;
use crate::pg::conninfo::ConnSpec;
use crate::pg::ident::quote_ident;
use crate::pg::pool::Database;
use serde::{Deserialize, Serialize};
use std::time::Instant;
use tokio_postgres::types::Type;
use tokio_util::sync::CancellationToken;

/// Where a backup is restored.
#[derive(Clone, Debug, PartialEq, Eq, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "snake_case", deny_unknown_fields)]
pub enum RestoreTarget {
    /// A new database (default name `<database>_restored_<time>`).
    NewDatabase {
        /// The new database's name.
        name: Option<String>,
    },
    /// The instance's own database, replaced (or filled by data-only backups).
    ExistingDatabase,
    /// One schema of the backup, into the instance's database (must not exist).
    Schema {
        /// The schema, as the backup's manifest lists it.
        name: String,
    },
}

#[derive(Clone, Debug)]
pub struct RestoreOptions {
    pub target: RestoreTarget,
    pub key: Option<BackupKey>,
    pub confirm: bool,
    /// End other sessions on the database being replaced (Supabase's services hold some).
    pub terminate_connections: bool,
    /// Keep the replaced database, renamed, instead of dropping it.
    pub keep_previous: bool,
    /// pg_restore jobs for new and scratch databases; above 1 the archive is decrypted into an owner-only
    /// temporary file in `scratch_dir` first (pg_restore needs a seekable file for parallel jobs).
    pub jobs: u32,
    pub scratch_dir: std::path::PathBuf,
}

#[derive(Clone, Debug, Serialize, schemars::JsonSchema)]
pub struct RestoreReport {
    pub backup_id: String,
    /// The database that now holds the restored data.
    pub database: String,
    /// new_database, replaced_database, data_into_existing or schema_into_existing.
    pub mode: String,
    /// Pre-checks passed, in order.
    pub checks: Vec<String>,
    /// The backup taken of the existing database before it was touched.
    pub safety_backup: Option<String>,
    /// The replaced database, when kept.
    pub previous_database: Option<String>,
    pub tables_verified: usize,
    pub plain_bytes: u64,
    /// Time in the pre-checks (mostly the archive's hash pass).
    pub precheck_ms: u64,
    /// Time pg_restore ran, fed from the decrypting stream.
    pub pg_restore_ms: u64,
    /// Time comparing the restored tables' rows and checksums with the manifest.
    pub verify_ms: u64,
    pub duration_ms: u64,
}

fn refuse(what: impl Into<String>, why: impl Into<String>, fix: impl Into<String>) -> Failure {
    Failure::new(what, why, fix)
}

/// A direct connection (not pooled) to `spec`.
pub async fn connect(spec: &ConnSpec) -> Result<tokio_postgres::Client, Failure> {
    let connector = crate::pg::tls::connector(spec.sslmode)
        .map_err(|e| Failure::new("cannot set up TLS", e.to_string(), "report this as a supamcp bug"))?;
    let (client, connection) = spec.to_pg_config().connect(connector).await.map_err(|e| {
        Failure::new(format!("cannot connect to database {}", spec.dbname), e.to_string(), "check the connection")
    })?;
    tokio::spawn(connection);
    Ok(client)
}

fn with_dbname(spec: &ConnSpec, dbname: &str) -> ConnSpec {
    let mut spec = spec.clone();
    spec.dbname = dbname.to_owned();
    spec
}

async fn database_exists(client: &tokio_postgres::Client, name: &str) -> Result<bool, Failure> {
    let row = client
        .query_typed_one("select exists (select 1 from pg_database where datname = $1)", &[(&name, Type::TEXT)])
        .await
        .map_err(query_failure)?;
    Ok(row.get(0))
}

/// Pre-checks against the target server; returns the pg_restore to use, the checks passed and the roles created
/// for the restore (missing roles the backup has definitions of).
async fn prechecks(
    store: &Store,
    manifest: &Manifest,
    key: Option<&BackupKey>,
    target: &tokio_postgres::Client,
    cancel: &CancellationToken,
) -> Result<(std::path::PathBuf, Vec<String>, Vec<String>), Failure> {
    let mut checks = vec!["manifest read".to_owned()];
    read::key_for(manifest, key)?;
    if manifest.archive.encryption != "none" {
        checks.push(format!("key {} matches", manifest.archive.key_id.clone().unwrap_or_default()));
    }
    read::check_hash(store, manifest, cancel).await?;
    checks.push(format!("archive size and SHA-256 match ({} bytes)", manifest.archive.size));
    let (_, target_major) = inventory::server_version(target).await?;
    if target_major < manifest.server_major {
        return Err(refuse(
            format!("the target runs PostgreSQL {target_major}, the backup comes from {}", manifest.server_major),
            "a dump restores into the same or a newer major version only",
            format!("restore into a PostgreSQL {} (or newer) server", manifest.server_major),
        ));
    }
    checks.push(format!("server version {target_major} >= {}", manifest.server_major));
    let pg_restore = client_programs::for_server("pg_restore", target_major.max(manifest.server_major), "")?;
    let names: Vec<String> = manifest.extensions.iter().map(|e| e.name.clone()).collect();
    let rows = target
        .query_typed(
            "select name::text from pg_available_extensions where name = any($1)",
            &[(&names, Type::TEXT_ARRAY)],
        )
        .await
        .map_err(query_failure)?;
    let available: Vec<String> = rows.iter().map(|r| r.get(0)).collect();
    let missing: Vec<&String> = names.iter().filter(|n| !available.contains(n)).collect();
    if !missing.is_empty() {
        return Err(refuse(
            "extensions the backup uses are not available on the target",
            format!("missing: {}", missing.iter().map(|s| s.as_str()).collect::<Vec<_>>().join(", ")),
            "install them on the target server (their packages), or restore on a server that has them",
        ));
    }
    checks.push(format!("{} extensions available", names.len()));
    let missing_roles = inventory::missing_roles(target, &manifest.roles).await?;
    let uncreatable: Vec<&String> =
        missing_roles.iter().filter(|r| !manifest.role_definitions.iter().any(|d| &d.name == *r)).collect();
    if !uncreatable.is_empty() {
        return Err(refuse(
            "roles the backup's objects name do not exist on the target",
            format!("missing: {}", uncreatable.iter().map(|s| s.as_str()).collect::<Vec<_>>().join(", ")),
            "create them first (pg_dumpall --roles-only on the source gives their definitions; a Supabase stack has its own), then retry",
        ));
    }
    let created = super::roles::create_missing(target, &manifest.role_definitions, &missing_roles).await?;
    checks.push(format!("{} roles present", manifest.roles.len() - created.len()));
    if !created.is_empty() {
        checks.push(format!(
            "roles created from the backup (without passwords: set one with ALTER ROLE ... PASSWORD for login roles): {}",
            created.join(", ")
        ));
    }
    Ok((pg_restore, checks, created))
}

/// Compares the restored tables with the manifest on two connections at once (the tables split by rows).
async fn verify_tables(spec: &ConnSpec, tables: &[TableEntry]) -> Result<usize, Failure> {
    let mut sorted: Vec<&TableEntry> = tables.iter().collect();
    sorted.sort_by_key(|t| std::cmp::Reverse(t.rows));
    let (mut left, mut right) = (Vec::new(), Vec::new());
    let (mut left_rows, mut right_rows) = (0i64, 0i64);
    for table in sorted {
        if left_rows <= right_rows {
            left_rows += table.rows;
            left.push(table.clone());
        } else {
            right_rows += table.rows;
            right.push(table.clone());
        }
    }
    let compare = |half: Vec<TableEntry>| async move {
        if half.is_empty() {
            return Ok(Vec::new());
        }
        let client = connect(spec).await?;
        inventory::compare(&client, &half).await
    };
    let (first, second) = tokio::join!(compare(left), compare(right));
    let differences: Vec<String> = first?.into_iter().chain(second?).collect();
    if !differences.is_empty() {
        return Err(refuse(
            "the restored data differs from the backup",
            differences.join("; "),
            "the restore was undone; check the messages and the target, then retry",
        ));
    }
    Ok(tables.len())
}

async fn drop_database(maintenance: &tokio_postgres::Client, name: &str) {
    let _ = maintenance.batch_execute(&format!("DROP DATABASE IF EXISTS {} WITH (FORCE)", quote_ident(name))).await;
}

#[path = "restore_modes.rs"]
mod modes;
#[path = "swap.rs"]
mod swap;
pub use modes::restore;
