//! `realtime_health`'s database side: what Realtime needs from PostgreSQL and what it leaves there. wal_level
//! and the slot/sender headroom, the publications, Realtime's two temporary slots (Postgres Changes and
//! Broadcast from Database: a missing one means Realtime is not connected for it), every inactive slot that is
//! not temporary with the WAL it retains, the size of realtime.subscription, and the daily partitions of
//! realtime.messages (one for today; none much older, or the janitor is not running).

use super::replication::{self, Capacity, Slot};
use super::{Alert, Severity, Thresholds};
use crate::failure::Failure;
use crate::pg::catalog::query_failure;
use schemars::JsonSchema;
use serde::Serialize;
use tokio_postgres::GenericClient;

/// The Postgres Changes slot's name (Realtime may add `_<suffix>`).
pub const CHANGES_SLOT: &str = "supabase_realtime_replication_slot";
/// The Broadcast from Database slot's name prefix.
pub const MESSAGES_SLOT: &str = "supabase_realtime_messages_replication_slot";
/// Partitions older than this many days mean the janitor does not drop them.
const STALE_PARTITION_DAYS: i32 = 7;

const PUBLICATIONS: &str = "select p.pubname::text, (select count(*) from pg_catalog.pg_publication_tables t \
  where t.pubname = p.pubname) from pg_catalog.pg_publication p where p.pubname like 'supabase\\_realtime%' \
  order by 1";

const SUBSCRIPTION_SIZE: &str = "select pg_catalog.pg_total_relation_size(c.oid) from pg_catalog.pg_class c \
  where c.oid = to_regclass('realtime.subscription')";

const PARTITIONS: &str = "with p as (select to_date(substring(c.relname from '(\\d{4}_\\d{2}_\\d{2})$'), 'YYYY_MM_DD') \
      as day, pg_catalog.pg_total_relation_size(c.oid) as bytes \
    from pg_catalog.pg_inherits i join pg_catalog.pg_class c on c.oid = i.inhrelid \
    where i.inhparent = to_regclass('realtime.messages')) \
  select count(*)::int8, min(day)::text, max(day)::text, coalesce(bool_or(day = current_date), false), \
    coalesce(sum(bytes), 0)::int8, coalesce((current_date - min(day))::int4, 0) from p";

/// A publication Realtime reads.
#[derive(Clone, Debug, Serialize, JsonSchema)]
pub struct PublicationCount {
    pub name: String,
    pub tables: i64,
}

/// realtime.messages' daily partitions.
#[derive(Clone, Debug, Serialize, JsonSchema)]
pub struct Partitions {
    pub count: i64,
    pub oldest: Option<String>,
    pub newest: Option<String>,
    pub has_today: bool,
    pub bytes: i64,
}

/// What the database shows of Realtime.
#[derive(Clone, Debug, Serialize, JsonSchema)]
pub struct RealtimeDatabase {
    pub capacity: Capacity,
    pub publications: Vec<PublicationCount>,
    /// Realtime's own slots (temporary: present only while it is connected).
    pub realtime_slots: Vec<Slot>,
    /// Postgres Changes: Realtime holds its slot (it does while some client subscribes to table changes).
    pub changes_connected: bool,
    /// Broadcast from Database: Realtime holds its slot.
    pub messages_connected: bool,
    /// Every other slot of the cluster.
    pub other_slots: Vec<Slot>,
    /// Rows in realtime.subscription (Postgres Changes subscribers); null without the table.
    pub subscriptions: Option<i64>,
    pub subscription_bytes: Option<i64>,
    /// Null without realtime.messages.
    pub message_partitions: Option<Partitions>,
}

/// Limits of the realtime-only checks.
#[derive(Clone, Copy, Debug)]
pub struct RealtimeThresholds {
    /// realtime.subscription rows from which to warn (stale subscriptions slow every change).
    pub subscription_rows_warning: i64,
}

/// A warning without a measured value.
fn alert(check: &'static str, message: String, fix: &str) -> Alert {
    Alert { check, severity: Severity::Warning, message, value: 0.0, threshold: 0.0, unit: "", fix: fix.to_owned() }
}

/// Measures Realtime's side of the database and judges it.
pub async fn check(
    client: &impl GenericClient,
    t: &Thresholds,
    rt: RealtimeThresholds,
) -> Result<(RealtimeDatabase, Vec<Alert>), Failure> {
    let (capacity, slots, publications, size) = futures_util::try_join!(
        replication::capacity(client),
        replication::slots(client),
        async { client.query(PUBLICATIONS, &[]).await.map_err(query_failure) },
        async { client.query_opt(SUBSCRIPTION_SIZE, &[]).await.map_err(query_failure) },
    )?;
    let publications: Vec<PublicationCount> =
        publications.iter().map(|row| PublicationCount { name: row.get(0), tables: row.get(1) }).collect();
    let subscription_bytes: Option<i64> = size.map(|row| row.get(0));
    let subscriptions = match subscription_bytes {
        Some(_) => Some(
            client
                .query_one("select count(*) from realtime.subscription", &[])
                .await
                .map_err(query_failure)?
                .get::<_, i64>(0),
        ),
        None => None,
    };
    let has_messages = client
        .query_one("select to_regclass('realtime.messages') is not null", &[])
        .await
        .map_err(query_failure)?
        .get::<_, bool>(0);
    let (message_partitions, stale_days) = if has_messages {
        let row = client.query_one(PARTITIONS, &[]).await.map_err(query_failure)?;
        let partitions = Partitions {
            count: row.get(0),
            oldest: row.get(1),
            newest: row.get(2),
            has_today: row.get(3),
            bytes: row.get(4),
        };
        (Some(partitions), row.get::<_, i32>(5))
    } else {
        (None, 0)
    };
    let (realtime_slots, other_slots): (Vec<Slot>, Vec<Slot>) =
        slots.into_iter().partition(|slot| slot.name.starts_with("supabase_realtime_"));
    let changes_connected = realtime_slots.iter().any(|s| s.name.starts_with(CHANGES_SLOT));
    let messages_connected = realtime_slots.iter().any(|s| s.name.starts_with(MESSAGES_SLOT));

    let mut alerts = Vec::new();
    alerts.extend(replication::wal_level_alert(&capacity));
    alerts.extend(replication::capacity_alerts(&capacity));
    alerts.extend(replication::slot_alerts(&realtime_slots, t));
    alerts.extend(replication::slot_alerts(&other_slots, t));
    let streamed = publications.iter().find(|p| p.name == "supabase_realtime").map(|p| p.tables);
    match streamed {
        None => alerts.push(alert(
            "realtime_publication",
            "publication supabase_realtime is missing: no table streams Postgres Changes".to_owned(),
            "enable_realtime creates it (as Supabase does) and adds the tables",
        )),
        Some(tables) if tables > 0 && !changes_connected && capacity.wal_level == "logical" => alerts.push(alert(
            "realtime_not_connected",
            format!(
                "{tables} table(s) are published but Realtime holds no {CHANGES_SLOT}: no client is subscribed to \
                 table changes right now, or Realtime cannot connect to the database"
            ),
            "subscribe a client (postgres_changes) and check again; if the slot stays missing, read the realtime \
             service's logs (its database connection and replication errors)",
        )),
        _ => {}
    }
    if let Some(rows) = subscriptions.filter(|rows| *rows >= rt.subscription_rows_warning) {
        alerts.push(Alert {
            check: "realtime_subscriptions",
            severity: Severity::Warning,
            message: format!("realtime.subscription holds {rows} rows: every change is matched against all of them"),
            value: rows as f64,
            threshold: rt.subscription_rows_warning as f64,
            unit: "rows",
            fix: "look for clients that subscribe without unsubscribing (removeChannel); rows of closed sockets are \
                  removed when Realtime reconnects"
                .to_owned(),
        });
    }
    if let Some(partitions) = &message_partitions {
        if !partitions.has_today {
            alerts.push(Alert {
                check: "realtime_messages_partition",
                severity: Severity::Critical,
                message: "realtime.messages has no partition for today: Broadcast from Database (realtime.send) and \
                          persisted messages fail to insert"
                    .to_owned(),
                value: 0.0,
                threshold: 1.0,
                unit: "partitions",
                fix: "Realtime creates the daily partitions when it connects to the tenant database: check that the \
                      realtime service is running and connected (restart it)"
                    .to_owned(),
            });
        }
        if stale_days > STALE_PARTITION_DAYS {
            alerts.push(Alert {
                check: "realtime_messages_janitor",
                severity: Severity::Warning,
                message: format!(
                    "the oldest realtime.messages partition is {stale_days} days old ({} partitions): the janitor \
                     does not drop old ones",
                    partitions.count
                ),
                value: f64::from(stale_days),
                threshold: f64::from(STALE_PARTITION_DAYS),
                unit: "days",
                fix: "set RUN_JANITOR=true on the realtime service (self-hosted) and restart it".to_owned(),
            });
        }
    }
    let database = RealtimeDatabase {
        capacity,
        publications,
        realtime_slots,
        changes_connected,
        messages_connected,
        other_slots,
        subscriptions,
        subscription_bytes,
        message_partitions,
    };
    Ok((database, alerts))
}
