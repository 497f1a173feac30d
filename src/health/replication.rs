//! Replication capacity and slots, shared by `health_check` and `realtime_health`: the slots with the WAL
//! each one retains (`pg_wal_lsn_diff` from the current LSN to its restart_lsn), wal_level and the headroom of
//! max_replication_slots / max_wal_senders, and the alerts they raise. Only inactive slots that are not
//! temporary retain WAL with nobody reading it: a temporary slot lives exactly as long as its session.

use super::{Alert, Severity, Thresholds};
use crate::failure::Failure;
use crate::pg::catalog::query_failure;
use schemars::JsonSchema;
use serde::Serialize;
use tokio_postgres::GenericClient;

const SLOTS: &str = "select slot_name::text, plugin::text, slot_type, temporary, active, active_pid, \
    wal_status, database::text, coalesce(pg_wal_lsn_diff(case when pg_is_in_recovery() \
    then pg_last_wal_receive_lsn() else pg_current_wal_lsn() end, restart_lsn)::int8, 0) \
  from pg_catalog.pg_replication_slots order by slot_name";

const CAPACITY: &str = "select current_setting('wal_level'), current_setting('max_replication_slots')::int4, \
    current_setting('max_wal_senders')::int4, (select count(*)::int4 from pg_catalog.pg_replication_slots), \
    (select count(*)::int4 from pg_catalog.pg_stat_replication)";

/// One replication slot.
#[derive(Clone, Debug, Serialize, JsonSchema)]
pub struct Slot {
    pub name: String,
    /// The output plugin of a logical slot (pgoutput, wal2json, test_decoding).
    pub plugin: Option<String>,
    /// logical or physical.
    pub slot_type: String,
    pub temporary: bool,
    pub active: bool,
    pub active_pid: Option<i32>,
    /// reserved, extended, unreserved or lost.
    pub wal_status: Option<String>,
    pub database: Option<String>,
    /// WAL kept for this slot, bytes.
    pub retained_bytes: i64,
}

impl Slot {
    /// An inactive slot that outlives sessions: it keeps WAL (and the xmin horizon) with nobody reading it.
    pub fn retains_unread(&self) -> bool {
        !self.active && !self.temporary
    }
}

/// wal_level and the room left for replication slots and WAL senders.
#[derive(Clone, Debug, Serialize, JsonSchema)]
pub struct Capacity {
    pub wal_level: String,
    pub max_replication_slots: i32,
    pub slots_used: i32,
    pub max_wal_senders: i32,
    pub wal_senders_used: i32,
}

/// Every replication slot of the cluster.
pub async fn slots(client: &impl GenericClient) -> Result<Vec<Slot>, Failure> {
    let rows = client.query(SLOTS, &[]).await.map_err(query_failure)?;
    rows.iter()
        .map(|row| {
            Ok(Slot {
                name: row.try_get(0)?,
                plugin: row.try_get(1)?,
                slot_type: row.try_get(2)?,
                temporary: row.try_get(3)?,
                active: row.try_get(4)?,
                active_pid: row.try_get(5)?,
                wal_status: row.try_get(6)?,
                database: row.try_get(7)?,
                retained_bytes: row.try_get(8)?,
            })
        })
        .collect::<Result<_, tokio_postgres::Error>>()
        .map_err(query_failure)
}

/// wal_level, the slot and sender limits and how many are in use.
pub async fn capacity(client: &impl GenericClient) -> Result<Capacity, Failure> {
    let row = client.query_one(CAPACITY, &[]).await.map_err(query_failure)?;
    let read = || -> Result<Capacity, tokio_postgres::Error> {
        Ok(Capacity {
            wal_level: row.try_get(0)?,
            max_replication_slots: row.try_get(1)?,
            max_wal_senders: row.try_get(2)?,
            slots_used: row.try_get(3)?,
            wal_senders_used: row.try_get(4)?,
        })
    };
    read().map_err(query_failure)
}

/// One alert per inactive, non-temporary slot: critical from `inactive_slot_critical_mb` of retained WAL.
pub fn slot_alerts(slots: &[Slot], t: &Thresholds) -> Vec<Alert> {
    slots
        .iter()
        .filter(|slot| slot.retains_unread())
        .map(|slot| {
            let mb = slot.retained_bytes as f64 / 1_048_576.0;
            let (severity, threshold) = if mb >= t.inactive_slot_critical_mb {
                (Severity::Critical, t.inactive_slot_critical_mb)
            } else {
                (Severity::Warning, 0.0)
            };
            let name = &slot.name;
            Alert {
                check: "inactive_replication_slot",
                severity,
                message: format!(
                    "replication slot {name} is inactive and holds {mb:.1} MiB ({} bytes) of WAL (and the xmin horizon)",
                    slot.retained_bytes
                ),
                value: (mb * 10.0).round() / 10.0,
                threshold,
                unit: "MiB",
                fix: format!(
                    "if its consumer is gone: SELECT pg_drop_replication_slot('{name}'); otherwise restart the consumer"
                ),
            }
        })
        .collect()
}

/// Alerts when no replication slot or WAL sender is left free (Realtime needs one of each per connection).
pub fn capacity_alerts(capacity: &Capacity) -> Vec<Alert> {
    let (slots, senders) = (capacity.slots_used, capacity.wal_senders_used);
    [
        capacity_alert(
            "replication_slots_full",
            "replication slots",
            slots,
            capacity.max_replication_slots,
            "max_replication_slots",
        ),
        capacity_alert("wal_senders_full", "WAL senders", senders, capacity.max_wal_senders, "max_wal_senders"),
    ]
    .into_iter()
    .flatten()
    .collect()
}

/// The alert of one limit with at most one free place left.
fn capacity_alert(check: &'static str, what: &str, used: i32, max: i32, setting: &str) -> Option<Alert> {
    let free = max - used;
    if free > 1 {
        return None;
    }
    let severity = if free <= 0 { Severity::Critical } else { Severity::Warning };
    Some(Alert {
        check,
        severity,
        message: format!("{used} of {max} {what} in use: {free} left for Realtime and other consumers"),
        value: f64::from(free),
        threshold: 1.0,
        unit: "free",
        fix: format!(
            "drop slots nobody reads (pg_drop_replication_slot) or raise {setting} (ALTER SYSTEM SET {setting} = {}; \
             then restart PostgreSQL)",
            max + 5
        ),
    })
}

/// The alert when logical decoding is off: no Postgres Changes, no Broadcast from Database.
pub fn wal_level_alert(capacity: &Capacity) -> Option<Alert> {
    (capacity.wal_level != "logical").then(|| Alert {
        check: "wal_level",
        severity: Severity::Critical,
        message: format!("wal_level is {}: Realtime cannot create its logical replication slots", capacity.wal_level),
        value: 0.0,
        threshold: 1.0,
        unit: "logical",
        fix: "ALTER SYSTEM SET wal_level = logical; then restart PostgreSQL".to_owned(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn slot(name: &str, temporary: bool, active: bool, retained_bytes: i64) -> Slot {
        Slot {
            name: name.to_owned(),
            plugin: Some("pgoutput".to_owned()),
            slot_type: "logical".to_owned(),
            temporary,
            active,
            active_pid: None,
            wal_status: Some("reserved".to_owned()),
            database: Some("postgres".to_owned()),
            retained_bytes,
        }
    }

    #[test]
    fn only_inactive_persistent_slots_alert_and_capacity_counts_free_room() {
        let t = Thresholds { inactive_slot_critical_mb: 1.0, ..Thresholds::default() };
        let slots = [slot("etl", false, false, 2 * 1_048_576), slot("rt", true, true, 5), slot("live", false, true, 9)];
        let alerts = slot_alerts(&slots, &t);
        assert_eq!(alerts.len(), 1);
        assert_eq!(alerts[0].severity, Severity::Critical);
        assert!(alerts[0].message.contains("etl") && alerts[0].message.contains("2097152 bytes"));
        let full = Capacity {
            wal_level: "replica".into(),
            max_replication_slots: 10,
            slots_used: 10,
            max_wal_senders: 10,
            wal_senders_used: 2,
        };
        let alerts = capacity_alerts(&full);
        assert_eq!(alerts.len(), 1);
        assert_eq!(alerts[0].check, "replication_slots_full");
        assert!(wal_level_alert(&full).is_some());
    }
}
