//! Server activity: database statistics (size, cache hit ratios, transactions, deadlocks, temp files, the
//! longest transaction) and client connections told apart by Supabase service, with the share of
//! max_connections and a recommendation.

use super::catalog::query_failure;
use crate::failure::Failure;
use schemars::JsonSchema;
use serde::Serialize;
use std::collections::BTreeMap;
use tokio_postgres::GenericClient;

#[derive(Debug, Serialize, JsonSchema)]
pub struct DatabaseStats {
    pub database: String,
    pub server_version: String,
    pub size_bytes: i64,
    pub uptime_seconds: f64,
    /// Share of table block reads served from shared buffers (0..1); null before any read.
    pub table_cache_hit_ratio: Option<f64>,
    pub index_cache_hit_ratio: Option<f64>,
    pub commits: i64,
    pub rollbacks: i64,
    pub deadlocks: i64,
    pub temp_files: i64,
    pub temp_bytes: i64,
    pub connections: i64,
    pub max_connections: i32,
    pub longest_transaction: Option<LongTransaction>,
    pub stats_reset: Option<String>,
}

#[derive(Debug, Serialize, JsonSchema)]
pub struct LongTransaction {
    pub pid: i32,
    pub user: Option<String>,
    pub application: Option<String>,
    pub state: Option<String>,
    pub seconds: f64,
    /// The first 200 characters of its current query.
    pub query: Option<String>,
}

const STATS: &str = "select current_database()::text, current_setting('server_version'), pg_database_size(current_database()), \
    extract(epoch from now() - pg_postmaster_start_time())::float8, \
    (select sum(heap_blks_hit)::float8 / nullif(sum(heap_blks_hit) + sum(heap_blks_read), 0) from pg_statio_user_tables), \
    (select sum(idx_blks_hit)::float8 / nullif(sum(idx_blks_hit) + sum(idx_blks_read), 0) from pg_statio_user_indexes), \
    d.xact_commit, d.xact_rollback, d.deadlocks, d.temp_files, d.temp_bytes, \
    (select count(*) from pg_stat_activity where backend_type = 'client backend'), \
    current_setting('max_connections')::int4, d.stats_reset::text \
    from pg_stat_database d where d.datname = current_database()";

const LONGEST: &str = "select pid, usename::text, application_name, state, \
    extract(epoch from now() - xact_start)::float8, left(query, 200) \
    from pg_stat_activity where xact_start is not null and pid <> pg_backend_pid() \
    order by xact_start limit 1";

pub async fn database_stats(client: &impl GenericClient) -> Result<DatabaseStats, Failure> {
    let (row, longest) =
        futures_util::try_join!(client.query_typed_one(STATS, &[]), client.query_typed_opt(LONGEST, &[]))
            .map_err(query_failure)?;
    Ok(DatabaseStats {
        database: row.get(0),
        server_version: row.get(1),
        size_bytes: row.get(2),
        uptime_seconds: row.get(3),
        table_cache_hit_ratio: row.get(4),
        index_cache_hit_ratio: row.get(5),
        commits: row.get(6),
        rollbacks: row.get(7),
        deadlocks: row.get(8),
        temp_files: row.get(9),
        temp_bytes: row.get(10),
        connections: row.get(11),
        max_connections: row.get(12),
        stats_reset: row.get(13),
        longest_transaction: longest.map(|r| LongTransaction {
            pid: r.get(0),
            user: r.get(1),
            application: r.get(2),
            state: r.get(3),
            seconds: r.get(4),
            query: r.get(5),
        }),
    })
}

/// One client connection, as pg_stat_activity shows it.
#[derive(Debug, Clone)]
pub struct Connection {
    pub user: String,
    pub application: String,
    pub database: String,
    pub state: String,
}

/// The Supabase service a connection belongs to, from its user, application name and database.
pub fn service_of(connection: &Connection) -> &'static str {
    let app = connection.application.to_ascii_lowercase();
    let user = connection.user.as_str();
    if app.contains("supavisor") {
        "Supavisor"
    } else if app.starts_with("realtime") || app.contains("supabase_realtime") || user == "supabase_realtime_admin" {
        "Realtime"
    } else if app.contains("postgrest") || user == "authenticator" {
        "PostgREST"
    } else if user == "supabase_auth_admin" || app.contains("gotrue") {
        "Auth"
    } else if user == "supabase_storage_admin" || app.contains("storage") {
        "Storage"
    } else if app.contains("postgres-meta") || app.contains("studio") || app.contains("pg-meta") {
        "Studio/postgres-meta"
    } else if connection.database == "_supabase" || app.contains("logflare") {
        "Analytics/Logflare"
    } else if user == "supabase_functions_admin" || app.contains("pg_net") {
        "Functions/webhooks"
    } else if app == "supamcp" {
        "supamcp"
    } else {
        "Other"
    }
}

#[derive(Debug, Default, Serialize, JsonSchema)]
pub struct Group {
    pub total: i64,
    pub active: i64,
    pub idle: i64,
    pub idle_in_transaction: i64,
    pub roles: Vec<String>,
}

#[derive(Debug, Serialize, JsonSchema)]
pub struct ConnectionReport {
    pub total: i64,
    pub max_connections: i64,
    pub reserved_connections: i64,
    /// total / (max_connections - reserved), in percent.
    pub usage_percent: f64,
    pub by_service: BTreeMap<String, Group>,
    pub by_role: BTreeMap<String, i64>,
    pub by_state: BTreeMap<String, i64>,
    /// "ok", "warning" (≥ 75 %) or "critical" (≥ 90 %).
    pub level: String,
    pub alerts: Vec<String>,
    pub recommendations: Vec<String>,
}

const ACTIVITY: &str = "select coalesce(usename::text, ''), coalesce(application_name, ''), coalesce(datname::text, ''), \
    coalesce(state, 'unknown') from pg_stat_activity where backend_type = 'client backend'";

const LIMITS: &str = "select current_setting('max_connections')::int8, \
    current_setting('superuser_reserved_connections')::int8 + \
    coalesce((select setting::int8 from pg_settings where name = 'reserved_connections'), 0)";

pub async fn connection_report(client: &impl GenericClient) -> Result<ConnectionReport, Failure> {
    let (rows, limits) =
        futures_util::try_join!(client.query_typed(ACTIVITY, &[]), client.query_typed_one(LIMITS, &[]))
            .map_err(query_failure)?;
    let connections: Vec<Connection> = rows
        .iter()
        .map(|r| Connection { user: r.get(0), application: r.get(1), database: r.get(2), state: r.get(3) })
        .collect();
    Ok(summarise(&connections, limits.get(0), limits.get(1)))
}

/// Groups the connections and judges the load against the limits.
pub fn summarise(connections: &[Connection], max_connections: i64, reserved: i64) -> ConnectionReport {
    let mut by_service: BTreeMap<String, Group> = BTreeMap::new();
    let mut by_role: BTreeMap<String, i64> = BTreeMap::new();
    let mut by_state: BTreeMap<String, i64> = BTreeMap::new();
    for connection in connections {
        let group = by_service.entry(service_of(connection).to_owned()).or_default();
        group.total += 1;
        match connection.state.as_str() {
            "active" => group.active += 1,
            "idle" => group.idle += 1,
            s if s.starts_with("idle in transaction") => group.idle_in_transaction += 1,
            _ => {}
        }
        if !group.roles.contains(&connection.user) {
            group.roles.push(connection.user.clone());
        }
        *by_role.entry(connection.user.clone()).or_default() += 1;
        *by_state.entry(connection.state.clone()).or_default() += 1;
    }
    let total = connections.len() as i64;
    let usable = (max_connections - reserved).max(1);
    let usage_percent = (total as f64 * 1000.0 / usable as f64).round() / 10.0;
    let level = if usage_percent >= 90.0 {
        "critical"
    } else if usage_percent >= 75.0 {
        "warning"
    } else {
        "ok"
    };
    let mut alerts = Vec::new();
    let mut recommendations = Vec::new();
    if level != "ok" {
        alerts.push(format!("{total} of {usable} usable connections in use ({usage_percent} %)"));
        let target = (usable as f64 * 0.7).floor() as i64;
        let excess = (total - target).max(1);
        let (busiest, group) =
            by_service.iter().max_by_key(|(_, g)| g.total).map(|(n, g)| (n.as_str(), g.total)).unwrap_or(("Other", 0));
        if busiest == "Supavisor" {
            recommendations.push(format!(
                "Supavisor holds {group} connections: lower POOLER_DEFAULT_POOL_SIZE by at least {excess} (to about {}) in .env and restart the pooler",
                (group - excess).max(1)
            ));
        } else {
            recommendations
                .push(format!("{busiest} holds {group} connections: lower its pool size by at least {excess}"));
        }
        recommendations.push(format!(
            "or raise max_connections (now {max_connections}) in postgresql.conf and restart the database; each connection costs memory, so raise shared resources with it"
        ));
    }
    let idle_tx = by_state.iter().filter(|(s, _)| s.starts_with("idle in transaction")).map(|(_, n)| n).sum::<i64>();
    if idle_tx > 0 {
        alerts.push(format!("{idle_tx} session(s) idle in a transaction hold locks and connections"));
        recommendations.push(
            "set idle_in_transaction_session_timeout (e.g. 60s) and find the client with pg_stat_activity".to_owned(),
        );
    }
    ConnectionReport {
        total,
        max_connections,
        reserved_connections: reserved,
        usage_percent,
        by_service,
        by_role,
        by_state,
        level: level.to_owned(),
        alerts,
        recommendations,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn conn(user: &str, app: &str, db: &str, state: &str) -> Connection {
        Connection { user: user.into(), application: app.into(), database: db.into(), state: state.into() }
    }

    #[test]
    fn services_are_told_apart() {
        let cases = [
            (conn("postgres", "Supavisor", "postgres", "idle"), "Supavisor"),
            (conn("supabase_admin", "realtime_rls", "postgres", "idle"), "Realtime"),
            (conn("authenticator", "PostgREST 14.5", "postgres", "idle"), "PostgREST"),
            (conn("supabase_auth_admin", "", "postgres", "idle"), "Auth"),
            (conn("supabase_storage_admin", "", "postgres", "idle"), "Storage"),
            (conn("supabase_admin", "postgres-meta 0.95.2", "postgres", "idle"), "Studio/postgres-meta"),
            (conn("supabase_admin", "", "_supabase", "idle"), "Analytics/Logflare"),
            (conn("postgres", "psql", "postgres", "active"), "Other"),
        ];
        for (connection, service) in cases {
            assert_eq!(service_of(&connection), service, "{connection:?}");
        }
    }

    #[test]
    fn ninety_percent_is_critical_with_a_pool_size_fix() {
        let mut connections: Vec<Connection> =
            (0..90).map(|_| conn("postgres", "Supavisor", "postgres", "idle")).collect();
        connections.push(conn("postgres", "psql", "postgres", "idle in transaction"));
        let report = summarise(&connections, 100, 3);
        assert_eq!(report.level, "critical");
        assert_eq!(report.usage_percent, 93.8);
        assert!(report.recommendations[0].contains("POOLER_DEFAULT_POOL_SIZE"), "{:?}", report.recommendations);
        assert_eq!(report.by_service["Supavisor"].total, 90);
        assert!(report.alerts.iter().any(|a| a.contains("idle in a transaction")));
        let calm = summarise(&connections[..10], 100, 3);
        assert_eq!(calm.level, "ok");
    }
}
