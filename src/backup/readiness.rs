//! `backup_readiness`: what the server offers for point-in-time recovery (WAL level, archiving, replication
//! connections and the role's replication right) and what is missing, each gap with its fix.

use crate::failure::Failure;
use crate::pg::catalog::query_failure;
use serde::Serialize;

#[derive(Clone, Debug, Serialize, schemars::JsonSchema)]
pub struct Readiness {
    pub server_version: String,
    pub wal_level: String,
    pub archive_mode: String,
    /// archive_command or archive_library, when set.
    pub archiver: Option<String>,
    pub max_wal_senders: i32,
    pub max_replication_slots: i32,
    pub role: String,
    pub role_can_replicate: bool,
    pub role_is_superuser: bool,
    /// Whether logical dumps (create_backup) work: they need only SELECT.
    pub logical_backups: bool,
    /// Whether everything point-in-time recovery needs is in place.
    pub pitr_ready: bool,
    /// What is missing for point-in-time recovery, each with its fix.
    pub missing: Vec<Gap>,
}

#[derive(Clone, Debug, Serialize, schemars::JsonSchema, PartialEq, Eq)]
pub struct Gap {
    pub setting: String,
    pub current: String,
    pub needed: String,
    pub fix: String,
}

const QUERY: &str = "select current_setting('server_version'), current_setting('wal_level'), \
    current_setting('archive_mode'), nullif(current_setting('archive_command'), ''), \
    nullif(current_setting('archive_library', true), ''), current_setting('max_wal_senders')::int4, \
    current_setting('max_replication_slots')::int4, current_user::text, r.rolreplication, r.rolsuper \
    from pg_roles r where r.rolname = current_user";

pub async fn check(client: &tokio_postgres::Client) -> Result<Readiness, Failure> {
    let row = client.query_one(QUERY, &[]).await.map_err(query_failure)?;
    let archive_command: Option<String> = row.get(3);
    let archive_library: Option<String> = row.get(4);
    let mut readiness = Readiness {
        server_version: row.get(0),
        wal_level: row.get(1),
        archive_mode: row.get(2),
        archiver: archive_library.or(archive_command.filter(|c| c != "(disabled)")),
        max_wal_senders: row.get(5),
        max_replication_slots: row.get(6),
        role: row.get(7),
        role_can_replicate: row.get(8),
        role_is_superuser: row.get(9),
        logical_backups: true,
        pitr_ready: false,
        missing: Vec::new(),
    };
    readiness.missing = gaps(&readiness);
    readiness.pitr_ready = readiness.missing.is_empty();
    Ok(readiness)
}

fn gap(setting: &str, current: impl Into<String>, needed: &str, fix: &str) -> Gap {
    Gap { setting: setting.to_owned(), current: current.into(), needed: needed.to_owned(), fix: fix.to_owned() }
}

/// What point-in-time recovery still needs.
pub fn gaps(r: &Readiness) -> Vec<Gap> {
    let mut missing = Vec::new();
    if r.wal_level == "minimal" {
        missing.push(gap(
            "wal_level",
            &r.wal_level,
            "replica or logical",
            "set wal_level = replica in postgresql.conf (Supabase images use logical) and restart the server",
        ));
    }
    if r.archive_mode == "off" {
        missing.push(gap(
            "archive_mode",
            &r.archive_mode,
            "on",
            "set archive_mode = on and restart; WAL segments must be archived for point-in-time recovery",
        ));
    }
    if r.archiver.is_none() {
        missing.push(gap(
            "archive_command",
            "not set",
            "a command or library that stores WAL segments",
            "set archive_command (e.g. to WAL-G or pgBackRest's push command) and reload the configuration",
        ));
    }
    if r.max_wal_senders < 2 {
        missing.push(gap(
            "max_wal_senders",
            r.max_wal_senders.to_string(),
            "2 or more",
            "raise max_wal_senders (base backups with pg_basebackup stream WAL over one) and restart",
        ));
    }
    if !r.role_can_replicate && !r.role_is_superuser {
        missing.push(gap(
            "replication privilege",
            format!("role {} has no REPLICATION", r.role),
            "REPLICATION (or superuser) for base backups",
            "ALTER ROLE <role> REPLICATION as a superuser, or take base backups as supabase_admin; on Supabase Cloud use the platform's PITR add-on",
        ));
    }
    missing
}

#[cfg(test)]
mod tests {
    use super::*;

    fn readiness(wal: &str, archive: &str, archiver: Option<&str>, replicate: bool) -> Readiness {
        Readiness {
            server_version: "15.8".into(),
            wal_level: wal.into(),
            archive_mode: archive.into(),
            archiver: archiver.map(str::to_owned),
            max_wal_senders: 10,
            max_replication_slots: 10,
            role: "postgres".into(),
            role_can_replicate: replicate,
            role_is_superuser: false,
            logical_backups: true,
            pitr_ready: false,
            missing: vec![],
        }
    }

    #[test]
    fn each_gap_is_named() {
        let ready = readiness("logical", "on", Some("wal-g wal-push %p"), true);
        assert!(gaps(&ready).is_empty());
        let names: Vec<String> =
            gaps(&readiness("minimal", "off", None, false)).into_iter().map(|g| g.setting).collect();
        assert_eq!(names, ["wal_level", "archive_mode", "archive_command", "replication privilege"]);
    }
}
