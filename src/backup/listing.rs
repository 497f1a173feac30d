//! Listing and pruning backups in a store. A backup is listed as complete only when its manifest and its archive
//! (of the manifest's size) are both there; archives without a manifest are reported as incomplete. Cleanup
//! deletes the manifest first, so a backup interrupted half-way through deletion is never listed as complete.

use super::manifest::{ARCHIVE_SUFFIX, BackupKind, MANIFEST_SUFFIX, Manifest};
use super::retention::{self, Policy, Verdict};
use super::store::Store;
use crate::failure::Failure;
use chrono::{DateTime, Utc};
use serde::Serialize;
use std::collections::BTreeMap;

#[derive(Clone, Debug, Serialize, schemars::JsonSchema)]
pub struct BackupSummary {
    pub id: String,
    /// `local` or `s3`.
    pub destination: String,
    /// The directory or `s3://bucket/prefix` holding it.
    pub location: String,
    pub instance: String,
    pub database: String,
    pub created_at: DateTime<Utc>,
    pub kind: BackupKind,
    pub server_version: String,
    pub archive_bytes: u64,
    pub compression: String,
    pub encryption: String,
    pub key_id: Option<String>,
    pub tables: usize,
    pub rows: i64,
    pub tags: BTreeMap<String, String>,
}

#[derive(Clone, Debug, Serialize, schemars::JsonSchema)]
pub struct Listing {
    /// The stores listed (directories, `s3://bucket/prefix`), joined by ", ".
    pub location: String,
    /// Complete backups, newest first.
    pub backups: Vec<BackupSummary>,
    /// Archives without a valid manifest or manifests without their archive: not restorable. With several stores
    /// listed, each id is followed by its store: `id (s3://bucket)`.
    pub incomplete: Vec<String>,
}

fn summary(store: &Store, manifest: &Manifest) -> BackupSummary {
    BackupSummary {
        id: manifest.id.clone(),
        destination: store.kind().to_owned(),
        location: store.describe(),
        instance: manifest.instance.clone(),
        database: manifest.database.clone(),
        created_at: manifest.created_at,
        kind: manifest.kind,
        server_version: manifest.server_version.clone(),
        archive_bytes: manifest.archive.size,
        compression: format!("{:?}", manifest.archive.compression).to_lowercase(),
        encryption: manifest.archive.encryption.clone(),
        key_id: manifest.archive.key_id.clone(),
        tables: manifest.tables.len(),
        rows: manifest.tables.iter().map(|t| t.rows).sum(),
        tags: manifest.tags.clone(),
    }
}

/// The complete backups of `store` (of `instance` when given) and the names of incomplete ones.
pub async fn list(store: &Store, instance: Option<&str>) -> Result<(Vec<Manifest>, Vec<String>), Failure> {
    let objects = store.list("").await?;
    let sizes: BTreeMap<&str, u64> = objects.iter().map(|o| (o.key.as_str(), o.size)).collect();
    let mut complete = Vec::new();
    let mut incomplete = Vec::new();
    for object in &objects {
        if let Some(id) = object.key.strip_suffix(MANIFEST_SUFFIX) {
            let manifest = match store.get(&object.key).await.and_then(|b| Manifest::from_bytes(&object.key, &b)) {
                Ok(manifest) => manifest,
                Err(_) => {
                    incomplete.push(id.to_owned());
                    continue;
                }
            };
            if sizes.get(manifest.archive.key.as_str()) != Some(&manifest.archive.size) {
                incomplete.push(id.to_owned());
                continue;
            }
            if instance.is_none_or(|wanted| manifest.instance == wanted) {
                complete.push(manifest);
            }
        } else if let Some(id) = object.key.strip_suffix(ARCHIVE_SUFFIX)
            && !sizes.contains_key(Manifest::key(id).as_str())
        {
            incomplete.push(id.to_owned());
        }
    }
    complete.sort_by(|a, b| b.created_at.cmp(&a.created_at).then_with(|| b.id.cmp(&a.id)));
    incomplete.sort();
    incomplete.dedup();
    Ok((complete, incomplete))
}

/// The complete backups of every store in `stores`, newest first, and the incomplete ones.
pub async fn listing(stores: &[Store], instance: Option<&str>) -> Result<Listing, Failure> {
    let mut backups = Vec::new();
    let mut incomplete = Vec::new();
    for store in stores {
        let (complete, partial) = list(store, instance).await?;
        backups.extend(complete.iter().map(|manifest| summary(store, manifest)));
        if stores.len() > 1 {
            incomplete.extend(partial.into_iter().map(|id| format!("{id} ({})", store.describe())));
        } else {
            incomplete.extend(partial);
        }
    }
    backups.sort_by(|a, b| b.created_at.cmp(&a.created_at).then_with(|| b.id.cmp(&a.id)));
    let location = stores.iter().map(Store::describe).collect::<Vec<_>>().join(", ");
    Ok(Listing { location, backups, incomplete })
}

#[derive(Clone, Debug, Serialize, schemars::JsonSchema)]
pub struct CleanupReport {
    pub dry_run: bool,
    pub policy: Policy,
    pub verdicts: Vec<Verdict>,
    pub deleted: Vec<String>,
    pub freed_bytes: u64,
}

/// Applies `policy` to the complete backups (of `instance` when given), grouped per instance; deletes the ones
/// it does not keep unless `dry_run`.
pub async fn cleanup(
    store: &Store,
    instance: Option<&str>,
    policy: &Policy,
    dry_run: bool,
    now: DateTime<Utc>,
) -> Result<CleanupReport, Failure> {
    let (complete, _) = list(store, instance).await?;
    let mut by_instance: BTreeMap<&str, Vec<(String, DateTime<Utc>)>> = BTreeMap::new();
    for manifest in &complete {
        by_instance.entry(manifest.instance.as_str()).or_default().push((manifest.id.clone(), manifest.created_at));
    }
    let mut verdicts = Vec::new();
    for backups in by_instance.values() {
        verdicts.extend(retention::apply(policy, backups, now)?);
    }
    let mut report = CleanupReport { dry_run, policy: *policy, verdicts, deleted: Vec::new(), freed_bytes: 0 };
    for verdict in report.verdicts.iter().filter(|v| !v.keep) {
        let Some(manifest) = complete.iter().find(|m| m.id == verdict.id) else { continue };
        if !dry_run {
            store.delete(&Manifest::key(&manifest.id)).await?;
            store.delete(&manifest.archive.key).await?;
        }
        report.deleted.push(manifest.id.clone());
        report.freed_bytes += manifest.archive.size;
    }
    Ok(report)
}
