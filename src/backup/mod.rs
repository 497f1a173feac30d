//! Backups and restores: pg_dump (custom format) streamed through compression and chunked AES-256-GCM into a
//! store, a manifest per backup with per-table checksums, retention, verification, and restores through
//! pg_restore with pre- and post-checks. No rmcp here; `groups/backups` declares the tools.

pub mod compress;
pub mod dump;
pub mod frame;
pub mod inventory;
pub mod key;
pub mod listing;
pub mod manifest;
pub mod pipeline;
pub mod process;
pub mod read;
pub mod readiness;
pub mod restore;
pub mod retention;
pub mod roles;
pub mod store;
pub mod verify;
