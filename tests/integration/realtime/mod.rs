//! The realtime group against real parts: the publication and replica identity changed through migrations and
//! read back from the catalog, channel policies enforced by PostgreSQL itself, replication slots on a cluster
//! of its own (wal_level = logical), the broadcast endpoint of a Realtime fake proven with the official
//! realtime-js, and the cloud settings through the Management API fake.

mod broadcast;
mod config;
mod health;
mod js_client;
mod policies;
mod tables;

/// The files of a migrations directory, sorted (empty when it does not exist).
pub fn files_in(dir: &std::path::Path) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .map(|entries| entries.flatten().map(|e| e.file_name().to_string_lossy().into_owned()).collect())
        .unwrap_or_default();
    names.sort();
    names
}
