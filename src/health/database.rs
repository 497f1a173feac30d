//! The database side of `health_check`: measurements pipelined on one connection, then judged against
//! the thresholds. Connections and cache ratios come from `pg::activity`.

use super::{Alert, Severity, Thresholds, grade, replication};
use crate::failure::Failure;
use crate::pg::activity;
use crate::pg::catalog::query_failure;
use futures_util::TryFutureExt;
use schemars::JsonSchema;
use serde::Serialize;
use tokio_postgres::GenericClient;
use tokio_postgres::types::Type;

/// 2^31: transaction IDs a database can use before wraparound protection stops writes.
const XID_HORIZON: f64 = 2_147_483_648.0;

#[derive(Debug, Serialize, JsonSchema)]
pub struct DatabaseHealth {
    pub connections: i64,
    pub max_connections: i64,
    pub connections_percent: f64,
    pub table_cache_hit_ratio: Option<f64>,
    pub index_cache_hit_ratio: Option<f64>,
    /// The oldest datfrozenxid age in the cluster, and its database.
    pub oldest_xid_age: i64,
    pub oldest_xid_database: String,
    /// Share of the 2^31 horizon still free, percent.
    pub xid_headroom_percent: f64,
    pub sequences_near_max: usize,
    pub invalid_indexes: Vec<String>,
    pub replicas: usize,
    pub replication_slots: usize,
    /// Inactive slots that are not temporary: they retain WAL nobody reads.
    pub inactive_slots: usize,
    pub long_running: usize,
    pub idle_in_transaction: usize,
    pub lock_waits: usize,
}

const XID: &str = "select datname::text, age(datfrozenxid)::int8 from pg_database order by 2 desc limit 1";

const SEQUENCES: &str = "select n.nspname::text, c.relname::text, v.last_value, \
    least(s.seqmax, coalesce(o.colmax, s.seqmax)) as max, o.col \
  from pg_sequence s join pg_class c on c.oid = s.seqrelid join pg_namespace n on n.oid = c.relnamespace \
  cross join lateral (select case when has_sequence_privilege(c.oid, 'SELECT,USAGE') \
                                  then pg_sequence_last_value(c.oid) end as last_value) v \
  left join lateral (select case a.atttypid when 'int2'::regtype then 32767 when 'int4'::regtype then 2147483647 end::int8 \
                              as colmax, format('%I.%I.%I', tn.nspname, t.relname, a.attname) as col \
                     from pg_depend d join pg_class t on t.oid = d.refobjid \
                     join pg_namespace tn on tn.oid = t.relnamespace \
                     join pg_attribute a on a.attrelid = d.refobjid and a.attnum = d.refobjsubid \
                     where d.classid = 'pg_class'::regclass and d.objid = c.oid and d.refclassid = 'pg_class'::regclass \
                       and d.deptype in ('a', 'i') limit 1) o on true \
  where s.seqincrement > 0 and v.last_value is not null \
    and v.last_value::float8 * 100 / least(s.seqmax, coalesce(o.colmax, s.seqmax)) >= $1 \
  order by v.last_value::float8 / least(s.seqmax, coalesce(o.colmax, s.seqmax)) desc limit 50";

const INVALID_INDEXES: &str = "select format('%I.%I', n.nspname, ic.relname) from pg_index i \
  join pg_class ic on ic.oid = i.indexrelid join pg_namespace n on n.oid = ic.relnamespace where not i.indisvalid";

const REPLICAS: &str = "select coalesce(application_name, ''), coalesce(client_addr::text, 'local'), \
  coalesce(extract(epoch from replay_lag)::float8, 0) from pg_stat_replication";

const SESSIONS: &str = "select pid, coalesce(usename::text, ''), coalesce(application_name, ''), state, \
    extract(epoch from now() - case when state = 'active' then query_start else state_change end)::float8, \
    left(query, 200) \
  from pg_stat_activity where backend_type = 'client backend' and pid <> pg_backend_pid() \
    and ((state = 'active' and now() - query_start > make_interval(secs => $1)) \
      or (state like 'idle in transaction%' and now() - state_change > make_interval(secs => $2))) \
  order by 5 desc limit 50";

const LOCK_WAITS: &str = "select l.pid, coalesce(c.relname::text, l.locktype), l.mode, \
    extract(epoch from now() - coalesce(l.waitstart, a.query_start))::float8, pg_blocking_pids(l.pid), left(a.query, 200) \
  from pg_locks l join pg_stat_activity a on a.pid = l.pid left join pg_class c on c.oid = l.relation \
  where not l.granted and now() - coalesce(l.waitstart, a.query_start) >= make_interval(secs => $1) \
  order by 4 desc limit 50";

fn alert(
    check: &'static str,
    (severity, threshold): (Severity, f64),
    value: f64,
    unit: &'static str,
    message: String,
    fix: String,
) -> Alert {
    Alert { check, severity, message, value, threshold, unit, fix }
}

/// Measures the database and returns what it found with the alerts it raises.
pub async fn check(client: &impl GenericClient, t: &Thresholds) -> Result<(DatabaseHealth, Vec<Alert>), Failure> {
    let sequence_params: [(&(dyn tokio_postgres::types::ToSql + Sync), Type); 1] =
        [(&t.sequence_warning_percent, Type::FLOAT8)];
    let session_params: [(&(dyn tokio_postgres::types::ToSql + Sync), Type); 2] =
        [(&t.long_running_seconds, Type::FLOAT8), (&t.idle_in_transaction_seconds, Type::FLOAT8)];
    let wait_params: [(&(dyn tokio_postgres::types::ToSql + Sync), Type); 1] = [(&t.lock_wait_seconds, Type::FLOAT8)];
    let rows = |sql: &'static str, params| client.query_typed(sql, params).map_err(query_failure);
    let (connections, stats, xid, sequences, invalid, replicas, slots, capacity, sessions, waits) = futures_util::try_join!(
        activity::connection_report(client),
        activity::database_stats(client),
        client.query_typed_one(XID, &[]).map_err(query_failure),
        rows(SEQUENCES, &sequence_params),
        rows(INVALID_INDEXES, &[]),
        rows(REPLICAS, &[]),
        replication::slots(client),
        replication::capacity(client),
        rows(SESSIONS, &session_params),
        rows(LOCK_WAITS, &wait_params),
    )?;
    let mut alerts = Vec::new();

    let usable = (connections.max_connections - connections.reserved_connections).max(1);
    if let Some(level) = grade(connections.usage_percent, t.connections_warning_percent, t.connections_critical_percent)
    {
        let target = (usable as f64 * t.connections_warning_percent / 100.0).floor() as i64;
        let fix = if connections.recommendations.is_empty() {
            format!("close idle clients or lower the pool sizes so that fewer than {target} connections stay open")
        } else {
            connections.recommendations.join("; ")
        };
        let message = format!("{} of {usable} usable connections in use", connections.total);
        alerts.push(alert("connections", level, connections.usage_percent, "percent", message, fix));
    }
    for (kind, ratio) in [("table", stats.table_cache_hit_ratio), ("index", stats.index_cache_hit_ratio)] {
        if let Some(ratio) = ratio.filter(|r| *r < t.cache_hit_min_ratio) {
            alerts.push(alert(
                "cache_hit_ratio",
                (Severity::Warning, t.cache_hit_min_ratio),
                ratio,
                "ratio",
                format!("{kind} cache hit ratio is {:.3}: reads go to disk", ratio),
                "raise shared_buffers (about 25 % of RAM) or add memory; look for large sequential scans with \
                 inspect_db report=table-stats"
                    .to_owned(),
            ));
        }
    }

    let (xid_database, xid_age): (String, i64) = (xid.get(0), xid.get(1));
    let xid_percent = xid_age as f64 * 100.0 / XID_HORIZON;
    if let Some(level) = grade(xid_percent, t.xid_warning_percent, t.xid_critical_percent) {
        alerts.push(alert(
            "xid_wraparound",
            level,
            (xid_percent * 10.0).round() / 10.0,
            "percent",
            format!("database {xid_database} has used {xid_age} transaction IDs since its last freeze"),
            format!(
                "VACUUM (FREEZE, VERBOSE) the oldest tables of {xid_database} (inspect_db report=vacuum-stats); check that \
                 autovacuum runs and that no long transaction or stale replication slot holds the xmin horizon back"
            ),
        ));
    }

    for row in &sequences {
        let (schema, name, last, max, column): (String, String, i64, i64, Option<String>) =
            (row.get(0), row.get(1), row.get(2), row.get(3), row.get(4));
        let percent = last as f64 * 100.0 / max as f64;
        let Some(level) = grade(percent, t.sequence_warning_percent, t.sequence_critical_percent) else {
            continue;
        };
        let owner = column.as_deref().map(|c| format!(" feeding {c}")).unwrap_or_default();
        let fix = match &column {
            Some(col) => {
                let (table, col_name) = col.rsplit_once('.').unwrap_or((col.as_str(), "id"));
                format!(
                    "ALTER TABLE {table} ALTER COLUMN {col_name} TYPE bigint; ALTER SEQUENCE {schema}.{name} AS bigint;"
                )
            }
            None => {
                format!("ALTER SEQUENCE {schema}.{name} AS bigint; (or MAXVALUE higher, or CYCLE if reuse is safe)")
            }
        };
        alerts.push(alert(
            "sequence",
            level,
            (percent * 10.0).round() / 10.0,
            "percent",
            format!("sequence {schema}.{name}{owner} is at {last} of {max}"),
            fix,
        ));
    }

    let invalid_indexes: Vec<String> = invalid.iter().map(|r| r.get(0)).collect();
    for index in &invalid_indexes {
        alerts.push(alert(
            "invalid_index",
            (Severity::Warning, 0.0),
            1.0,
            "indexes",
            format!("index {index} is invalid (a failed CREATE INDEX CONCURRENTLY): it is maintained but never used"),
            format!("REINDEX INDEX CONCURRENTLY {index}; or DROP INDEX CONCURRENTLY {index}; and create it again"),
        ));
    }

    for row in &replicas {
        let (app, addr, lag): (String, String, f64) = (row.get(0), row.get(1), row.get(2));
        if lag >= t.replication_lag_seconds {
            alerts.push(alert(
                "replication_lag",
                (Severity::Warning, t.replication_lag_seconds),
                lag,
                "seconds",
                format!("replica {app} ({addr}) replays {lag:.0} s behind"),
                "check the replica's disk and network, and long queries on it (hot_standby_feedback)".to_owned(),
            ));
        }
    }
    let inactive_slots = slots.iter().filter(|slot| slot.retains_unread()).count();
    alerts.extend(replication::slot_alerts(&slots, t));
    alerts.extend(replication::capacity_alerts(&capacity));

    let (mut long_running, mut idle_in_transaction) = (0, 0);
    for row in &sessions {
        let (pid, user, app, state, seconds, query): (i32, String, String, String, f64, Option<String>) =
            (row.get(0), row.get(1), row.get(2), row.get(3), row.get(4), row.get(5));
        let query = query.unwrap_or_default();
        if state == "active" {
            long_running += 1;
            alerts.push(alert(
                "long_running_query",
                (Severity::Warning, t.long_running_seconds),
                seconds.round(),
                "seconds",
                format!("pid {pid} ({user}, {app}) has run for {seconds:.0} s: {query}"),
                format!("SELECT pg_cancel_backend({pid}); and set statement_timeout for the role ({user})"),
            ));
        } else {
            idle_in_transaction += 1;
            alerts.push(alert(
                "idle_in_transaction",
                (Severity::Warning, t.idle_in_transaction_seconds),
                seconds.round(),
                "seconds",
                format!("pid {pid} ({user}, {app}) is idle in a transaction for {seconds:.0} s, holding its locks; last statement: {query}"),
                format!(
                    "SELECT pg_terminate_backend({pid}); and ALTER ROLE {user} SET idle_in_transaction_session_timeout = '60s'; fix the client that leaves transactions open"
                ),
            ));
        }
    }

    for row in &waits {
        let (pid, relation, mode, seconds, blockers, query): (i32, String, String, f64, Vec<i32>, Option<String>) =
            (row.get(0), row.get(1), row.get(2), row.get(3), row.get(4), row.get(5));
        let blockers: Vec<String> = blockers.iter().map(i32::to_string).collect();
        alerts.push(alert(
            "lock_wait",
            (Severity::Warning, t.lock_wait_seconds),
            seconds.max(0.0).round(),
            "seconds",
            format!(
                "pid {pid} waits for {mode} on {relation}, blocked by pid {}: {}",
                blockers.join(", "),
                query.unwrap_or_default()
            ),
            format!(
                "find what the blocker runs (inspect_db report=blocking); end it if it is stuck: SELECT pg_terminate_backend({});",
                blockers.first().map(String::as_str).unwrap_or("<pid>")
            ),
        ));
    }

    let health = DatabaseHealth {
        connections: connections.total,
        max_connections: connections.max_connections,
        connections_percent: connections.usage_percent,
        table_cache_hit_ratio: stats.table_cache_hit_ratio,
        index_cache_hit_ratio: stats.index_cache_hit_ratio,
        oldest_xid_age: xid_age,
        oldest_xid_database: xid_database,
        xid_headroom_percent: ((100.0 - xid_percent) * 100.0).round() / 100.0,
        sequences_near_max: sequences.len(),
        invalid_indexes,
        replicas: replicas.len(),
        replication_slots: slots.len(),
        inactive_slots,
        long_running,
        idle_in_transaction,
        lock_waits: waits.len(),
    };
    Ok((health, alerts))
}
