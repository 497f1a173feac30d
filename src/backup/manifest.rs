//! The manifest written beside each archive once the archive is complete: what was dumped, from where, with
//! which tool, per-table row counts and content checksums, and how the archive is compressed, encrypted and
//! hashed. A backup is complete exactly when its manifest exists; `list_backups` reads only manifests.

use super::compress::Compression;
use crate::failure::Failure;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

pub const FORMAT: u32 = 1;
pub const MANIFEST_SUFFIX: &str = ".manifest.json";
pub const ARCHIVE_SUFFIX: &str = ".archive";

/// What a backup holds.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum BackupKind {
    /// Definitions and data.
    #[default]
    Full,
    /// Definitions only (pg_dump --schema-only).
    SchemaOnly,
    /// Rows only (pg_dump --data-only): restore into a database that has the schema.
    DataOnly,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct Extension {
    pub name: String,
    pub version: String,
    pub schema: String,
}

/// Row count and content checksum of one table (the checksum `copy_database` uses: the sum of per-row hashes of
/// the table's text COPY output).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct TableEntry {
    pub schema: String,
    pub name: String,
    pub rows: i64,
    pub checksum: String,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct ArchiveInfo {
    /// Store key of the archive, e.g. `<id>.archive`.
    pub key: String,
    pub size: u64,
    pub sha256: String,
    pub compression: Compression,
    /// `aes-256-gcm` or `none`.
    pub encryption: String,
    /// Fingerprint of the key that decrypts it.
    pub key_id: Option<String>,
    /// The pg_dump that wrote it (`pg_dump (PostgreSQL) 15.8`).
    pub pg_dump: String,
}

#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct Selection {
    pub schemas: Vec<String>,
    pub tables: Vec<String>,
}

impl Selection {
    /// pg_dump writes `CREATE SCHEMA public` only when schemas are named and public is one of them.
    pub fn creates_public_schema(&self) -> bool {
        self.tables.is_empty() && self.schemas.iter().any(|s| s == "public")
    }
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct Manifest {
    pub format: u32,
    pub id: String,
    pub instance: String,
    pub database: String,
    pub created_at: DateTime<Utc>,
    pub kind: BackupKind,
    pub server_version: String,
    pub server_major: u32,
    pub extensions: Vec<Extension>,
    /// Schemas whose objects the archive holds.
    pub schemas: Vec<String>,
    /// What the backup was asked for: schemas and tables named (empty: the default selection).
    #[serde(default)]
    pub selection: Selection,
    /// Roles the archived objects are owned by, granted to or name in policies: the target must have them.
    pub roles: Vec<String>,
    /// Definitions (no passwords) of the non-reserved roles among `roles`: a restore creates the missing ones.
    #[serde(default)]
    pub role_definitions: Vec<super::roles::RoleDefinition>,
    /// Tables of the archive with their rows at dump time (empty for a schema-only backup).
    pub tables: Vec<TableEntry>,
    pub archive: ArchiveInfo,
    #[serde(default)]
    pub tags: BTreeMap<String, String>,
    pub duration_ms: u64,
}

impl Manifest {
    pub fn key(id: &str) -> String {
        format!("{id}{MANIFEST_SUFFIX}")
    }

    pub fn to_bytes(&self) -> Result<Vec<u8>, Failure> {
        serde_json::to_vec_pretty(self)
            .map_err(|e| Failure::new("cannot write the manifest", e.to_string(), "report this as a supamcp bug"))
    }

    pub fn from_bytes(key: &str, bytes: &[u8]) -> Result<Manifest, Failure> {
        let manifest: Manifest = serde_json::from_slice(bytes).map_err(|e| {
            Failure::new(
                format!("cannot read the manifest {key}"),
                e.to_string(),
                "the file is damaged or not a manifest",
            )
        })?;
        if manifest.format != FORMAT {
            return Err(Failure::new(
                format!("manifest {key} has format {}", manifest.format),
                format!("this supamcp reads format {FORMAT}"),
                "use the supamcp version that wrote it",
            ));
        }
        Ok(manifest)
    }
}

/// A new backup id: `<instance>-<UTC time>-<random>`, safe as a file name and an S3 key.
pub fn new_id(instance: &str, at: DateTime<Utc>) -> String {
    let clean: String =
        instance.chars().map(|c| if c.is_ascii_alphanumeric() || c == '-' { c } else { '_' }).take(40).collect();
    let random: u16 = rand::random();
    format!("{clean}-{}-{random:04x}", at.format("%Y%m%dT%H%M%SZ"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_are_safe_keys_and_manifests_round_trip() {
        let at = DateTime::parse_from_rfc3339("2026-01-02T03:04:05Z").unwrap().with_timezone(&Utc);
        let id = new_id("prod db/1", at);
        assert!(id.starts_with("prod_db_1-20260102T030405Z-"), "{id}");
        let manifest = Manifest {
            format: FORMAT,
            id: id.clone(),
            instance: "prod".into(),
            database: "postgres".into(),
            created_at: at,
            kind: BackupKind::Full,
            server_version: "15.8".into(),
            server_major: 15,
            extensions: vec![],
            schemas: vec!["public".into()],
            selection: Selection::default(),
            roles: vec!["postgres".into()],
            role_definitions: Vec::new(),
            tables: vec![TableEntry { schema: "public".into(), name: "t".into(), rows: 2, checksum: "9".into() }],
            archive: ArchiveInfo {
                key: format!("{id}{ARCHIVE_SUFFIX}"),
                size: 10,
                sha256: "00".into(),
                compression: Compression::Zstd,
                encryption: "aes-256-gcm".into(),
                key_id: Some("abcd".into()),
                pg_dump: "pg_dump (PostgreSQL) 15.8".into(),
            },
            tags: BTreeMap::new(),
            duration_ms: 5,
        };
        let bytes = manifest.to_bytes().unwrap();
        assert_eq!(Manifest::from_bytes("k", &bytes).unwrap(), manifest);
        assert!(Manifest::from_bytes("k", b"{}").is_err());
    }
}
