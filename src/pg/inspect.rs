//! `inspect db` reports with the meaning of the Supabase CLI's: sizes, index use, bloat, locks, slow and
//! frequent statements (pg_stat_statements), replication slots, roles, vacuum and traffic. Our own SQL;
//! Supabase-internal schemas are left out unless asked for. Rows come back as JSON objects.

use super::catalog::{INTERNAL_SCHEMAS, query_failure};
use super::ident::quote_ident;
use super::value::JsonCell;
use crate::failure::Failure;
use schemars::JsonSchema;
use serde::Serialize;
use serde_json::{Map, Value};
use tokio_postgres::GenericClient;
use tokio_postgres::types::{ToSql, Type};

/// Report names, as the CLI names them.
pub const REPORTS: [&str; 13] = [
    "db-stats",
    "table-stats",
    "index-stats",
    "bloat",
    "blocking",
    "locks",
    "long-running-queries",
    "outliers",
    "calls",
    "replication-slots",
    "role-stats",
    "vacuum-stats",
    "traffic-profile",
];

#[derive(Debug, Serialize, JsonSchema)]
pub struct Report {
    pub report: String,
    pub description: String,
    pub columns: Vec<String>,
    pub rows: Vec<Map<String, Value>>,
    /// True when more rows exist than `limit`.
    pub truncated: bool,
    /// Why a report is empty or partial (e.g. pg_stat_statements missing).
    pub note: Option<String>,
}

/// Schema patterns ($1) every report leaves out; with `include_internal` only PostgreSQL's own.
fn excluded_patterns(include_internal: bool) -> Vec<String> {
    let mut patterns = vec!["pg\\_%".to_owned(), "information_schema".to_owned()];
    if !include_internal {
        patterns.extend(INTERNAL_SCHEMAS.iter().map(|s| (*s).to_owned()));
    }
    patterns
}

const TABLES: &str = "from pg_class c join pg_namespace n on n.oid = c.relnamespace \
                      where c.relkind in ('r','p','m') and not n.nspname like any($1)";

fn description(report: &str) -> &'static str {
    match report {
        "db-stats" => "Database size, summed table, index and TOAST sizes, cache hit rates and WAL size.",
        "table-stats" => "Per table: table, index and total size, estimated rows, sequential scans; largest first.",
        "index-stats" => "Per index: size, scans, the table's share of index scans, and whether it is unused.",
        "bloat" => "Estimated bloat of tables and btree indexes from planner statistics: factor and wasted space.",
        "blocking" => "Sessions waiting on a lock, with the session that blocks them and both statements.",
        "locks" => "Exclusive locks held or awaited, with relation, statement and age.",
        "long-running-queries" => "Statements running for more than five minutes.",
        "outliers" => "pg_stat_statements: statements with the most total execution time.",
        "calls" => "pg_stat_statements: statements called most often.",
        "replication-slots" => "Replication slots: active or not, client, state and WAL retained for them.",
        "role-stats" => "Roles with their open connections, connection limit and custom settings.",
        "vacuum-stats" => "Per table: last (auto)vacuum and analyze, dead rows, and whether autovacuum is due.",
        _ => "Per table: blocks read against estimated blocks written; read-heavy or write-heavy at 5:1.",
    }
}

fn sql(report: &str, statements_schema: &str) -> String {
    let pss = format!("{}.pg_stat_statements", quote_ident(statements_schema));
    let statements = |order: &str| {
        format!(
            "select r.rolname::text as role, left(s.query, 500) as query, s.calls, \
               round(s.total_exec_time::numeric, 1)::float8 as total_exec_ms, \
               round((100 * s.total_exec_time / nullif(sum(s.total_exec_time) over (), 0))::numeric, 1)::float8 \
                 as percent_of_total, \
               round(s.mean_exec_time::numeric, 2)::float8 as mean_exec_ms, \
               round((coalesce((to_jsonb(s) ->> 'blk_read_time')::float8, (to_jsonb(s) ->> 'shared_blk_read_time')::float8, 0) \
                    + coalesce((to_jsonb(s) ->> 'blk_write_time')::float8, (to_jsonb(s) ->> 'shared_blk_write_time')::float8, 0))::numeric, 1)::float8 \
                 as sync_io_ms \
             from {pss} s left join pg_roles r on r.oid = s.userid \
             where s.dbid = (select oid from pg_database where datname = current_database()) \
             order by {order} desc limit $2"
        )
    };
    match report {
        "db-stats" => format!(
            "select current_database()::text as database, pg_size_pretty(pg_database_size(current_database())) as database_size, \
               (select pg_size_pretty(coalesce(sum(pg_table_size(c.oid)), 0)) {TABLES}) as total_table_size, \
               (select pg_size_pretty(coalesce(sum(pg_indexes_size(c.oid)), 0)) {TABLES}) as total_index_size, \
               (select pg_size_pretty(coalesce(sum(pg_total_relation_size(c.reltoastrelid)), 0)) {TABLES} and c.reltoastrelid <> 0) as total_toast_size, \
               (select round(sum(idx_blks_hit)::numeric / nullif(sum(idx_blks_hit + idx_blks_read), 0), 4)::float8 \
                  from pg_statio_user_indexes where not schemaname like any($1)) as index_hit_rate, \
               (select round(sum(heap_blks_hit)::numeric / nullif(sum(heap_blks_hit + heap_blks_read), 0), 4)::float8 \
                  from pg_statio_user_tables where not schemaname like any($1)) as table_hit_rate, \
               (select stats_reset::text from pg_stat_database where datname = current_database()) as stats_reset, \
               case when pg_has_role(current_user, 'pg_monitor', 'USAGE') \
                 then (select pg_size_pretty(sum(size)) from pg_ls_waldir()) end as wal_size"
        ),
        "table-stats" => format!(
            "select n.nspname::text as schema, c.relname::text as name, pg_size_pretty(pg_table_size(c.oid)) as table_size, \
               pg_size_pretty(pg_indexes_size(c.oid)) as index_size, pg_size_pretty(pg_total_relation_size(c.oid)) as total_size, \
               greatest(c.reltuples, 0)::int8 as estimated_rows, s.seq_scan as seq_scans \
             {TABLES_S} order by pg_total_relation_size(c.oid) desc, 1, 2 limit $2",
            TABLES_S = TABLES.replace("where", "left join pg_stat_user_tables s on s.relid = c.oid where")
        ),
        "index-stats" => "select s.schemaname::text as schema, s.relname::text as table, s.indexrelname::text as index, \
               pg_size_pretty(pg_relation_size(s.indexrelid)) as size, s.idx_scan as index_scans, t.seq_scan as table_seq_scans, \
               round(100.0 * t.idx_scan / nullif(t.seq_scan + t.idx_scan, 0), 1)::float8 as table_index_usage_percent, \
               (s.idx_scan = 0 and not i.indisunique and not i.indisprimary) as unused \
             from pg_stat_user_indexes s join pg_index i on i.indexrelid = s.indexrelid \
             join pg_stat_user_tables t on t.relid = s.relid \
             where not s.schemaname like any($1) order by pg_relation_size(s.indexrelid) desc, 1, 2, 3 limit $2"
            .to_owned(),
        "bloat" => BLOAT.to_owned(),
        "blocking" => "select w.pid as blocked_pid, left(w.query, 500) as blocked_statement, \
               round(extract(epoch from now() - w.query_start)::numeric, 1)::float8 as blocked_seconds, \
               b.pid as blocking_pid, b.state as blocking_state, left(b.query, 500) as blocking_statement, \
               round(extract(epoch from now() - b.xact_start)::numeric, 1)::float8 as blocking_transaction_seconds \
             from pg_stat_activity w cross join lateral unnest(pg_blocking_pids(w.pid)) as k(pid) \
             join pg_stat_activity b on b.pid = k.pid \
             order by 3 desc nulls last limit $2"
            .to_owned(),
        "locks" => "select a.pid, coalesce(c.relname::text, l.locktype) as relation, l.mode, l.granted, \
               left(a.query, 500) as query, round(extract(epoch from now() - a.query_start)::numeric, 1)::float8 as age_seconds \
             from pg_locks l join pg_stat_activity a on a.pid = l.pid left join pg_class c on c.oid = l.relation \
             left join pg_namespace n on n.oid = c.relnamespace \
             where l.mode like '%ExclusiveLock' and l.locktype not in ('virtualxid', 'transactionid') \
               and a.pid <> pg_backend_pid() and (n.nspname is null or not n.nspname like any($1)) \
             order by l.granted, 6 desc nulls last limit $2"
            .to_owned(),
        "long-running-queries" => "select pid, round(extract(epoch from now() - query_start)::numeric, 1)::float8 as seconds, \
               state, usename::text as role, application_name, left(query, 500) as query \
             from pg_stat_activity where state <> 'idle' and pid <> pg_backend_pid() \
               and now() - query_start > interval '5 minutes' \
             order by 2 desc limit $2"
            .to_owned(),
        "outliers" => statements("s.total_exec_time"),
        "calls" => statements("s.calls"),
        "replication-slots" => "select s.slot_name::text, s.slot_type, s.database::text, s.active, r.state, r.client_addr::text, \
               round((pg_wal_lsn_diff(case when pg_is_in_recovery() then pg_last_wal_receive_lsn() else pg_current_wal_lsn() end, \
                 s.restart_lsn) / 1073741824.0)::numeric, 3)::float8 as retained_wal_gb \
             from pg_replication_slots s left join pg_stat_replication r on r.pid = s.active_pid \
             order by 1 limit $2"
            .to_owned(),
        "role-stats" => "select r.rolname::text as role, \
               (select count(*) from pg_stat_activity a where a.usename = r.rolname) as connections, \
               case when r.rolconnlimit = -1 then current_setting('max_connections')::int8 else r.rolconnlimit end as connection_limit, \
               r.rolcanlogin as can_login, r.rolconfig as custom_config \
             from pg_roles r where r.rolname !~ '^pg_' order by 2 desc, 1 limit $2"
            .to_owned(),
        "vacuum-stats" => VACUUM.to_owned(),
        _ => TRAFFIC.to_owned(),
    }
}

const BLOAT: &str = "with b as (select current_setting('block_size')::int8 as bs), \
  cols as (select schemaname, tablename, attname, null_frac, avg_width from pg_stats where not inherited), \
  t as (select 'table'::text as type, n.nspname::text as schema, c.relname::text as name, c.relpages::int8 as pages, \
          ceil(c.reltuples / greatest(floor((b.bs - 24) / (ceil((24 + w.width) / 8.0) * 8 + 4)), 1))::int8 as expected \
        from pg_class c join pg_namespace n on n.oid = c.relnamespace cross join b \
        join (select schemaname, tablename, sum((1 - null_frac) * avg_width) as width from cols group by 1, 2) w \
          on w.schemaname = n.nspname and w.tablename = c.relname \
        where c.relkind = 'r' and c.reltuples > 0 and not n.nspname like any($1)), \
  i as (select 'index'::text, n.nspname::text, ic.relname::text, ic.relpages::int8, \
          (1 + ceil(ic.reltuples / greatest(floor((b.bs - 40) * 0.9 / (ceil((8 + w.width) / 8.0) * 8 + 4)), 1)))::int8 \
        from pg_index x join pg_class ic on ic.oid = x.indexrelid join pg_class c on c.oid = x.indrelid \
        join pg_namespace n on n.oid = c.relnamespace join pg_am am on am.oid = ic.relam and am.amname = 'btree' \
        cross join b \
        cross join lateral (select sum((1 - s.null_frac) * s.avg_width) as width, count(*) as k \
          from unnest(x.indkey) as ak(attnum) join pg_attribute a on a.attrelid = c.oid and a.attnum = ak.attnum \
          join cols s on s.schemaname = n.nspname and s.tablename = c.relname and s.attname = a.attname) w \
        where w.k = x.indnatts and ic.reltuples > 0 and not n.nspname like any($1)) \
  select type, schema, name, round(pages::numeric / nullif(expected, 0), 1)::float8 as bloat_factor, \
    pg_size_pretty(greatest(pages - expected, 0) * (select bs from b)) as waste \
  from (select * from t union all select * from i) x \
  order by greatest(pages - expected, 0) desc, 2, 3 limit $2";

const VACUUM: &str = "with s as (select s.*, c.reltuples, \
    (select split_part(o, '=', 2) from unnest(c.reloptions) o where o like 'autovacuum_vacuum_threshold=%')::float8 as vt, \
    (select split_part(o, '=', 2) from unnest(c.reloptions) o where o like 'autovacuum_vacuum_scale_factor=%')::float8 as vs, \
    (select split_part(o, '=', 2) from unnest(c.reloptions) o where o like 'autovacuum_analyze_threshold=%')::float8 as at, \
    (select split_part(o, '=', 2) from unnest(c.reloptions) o where o like 'autovacuum_analyze_scale_factor=%')::float8 as asf \
  from pg_stat_user_tables s join pg_class c on c.oid = s.relid where not s.schemaname like any($1)) \
  select schemaname::text as schema, relname::text as table, last_vacuum::text, last_autovacuum::text, \
    last_analyze::text, last_autoanalyze::text, n_live_tup as rows, n_dead_tup as dead_rows, \
    round(coalesce(vt, current_setting('autovacuum_vacuum_threshold')::float8) \
      + coalesce(vs, current_setting('autovacuum_vacuum_scale_factor')::float8) * greatest(reltuples, 0))::int8 \
      as autovacuum_threshold, \
    n_dead_tup > coalesce(vt, current_setting('autovacuum_vacuum_threshold')::float8) \
      + coalesce(vs, current_setting('autovacuum_vacuum_scale_factor')::float8) * greatest(reltuples, 0) as expect_autovacuum, \
    n_mod_since_analyze > coalesce(at, current_setting('autovacuum_analyze_threshold')::float8) \
      + coalesce(asf, current_setting('autovacuum_analyze_scale_factor')::float8) * greatest(reltuples, 0) as expect_autoanalyze \
  from s order by n_dead_tup desc, 1, 2 limit $2";

const TRAFFIC: &str = "with t as (select s.schemaname::text as schema, s.relname::text as table, \
    coalesce(io.heap_blks_read, 0) + coalesce(io.heap_blks_hit, 0) as blocks_read, \
    case when c.reltuples > 0 then round((s.n_tup_ins + s.n_tup_upd + s.n_tup_del) * c.relpages / c.reltuples)::int8 \
         else s.n_tup_ins + s.n_tup_upd + s.n_tup_del end as estimated_blocks_written \
  from pg_stat_user_tables s join pg_statio_user_tables io on io.relid = s.relid join pg_class c on c.oid = s.relid \
  where not s.schemaname like any($1)) \
  select schema, \"table\", blocks_read, estimated_blocks_written, \
    case when blocks_read >= 5 * estimated_blocks_written and blocks_read > 0 then 'read-heavy' \
         when estimated_blocks_written >= 5 * blocks_read and estimated_blocks_written > 0 then 'write-heavy' \
         else 'balanced' end as profile \
  from t order by blocks_read + estimated_blocks_written desc, 1, 2 limit $2";

/// The schema pg_stat_statements is installed in, if it is.
async fn statements_schema(client: &impl GenericClient) -> Result<Option<String>, Failure> {
    let row = client
        .query_typed_opt(
            "select n.nspname::text from pg_extension e join pg_namespace n on n.oid = e.extnamespace \
             where e.extname = 'pg_stat_statements'",
            &[],
        )
        .await
        .map_err(query_failure)?;
    Ok(row.map(|r| r.get(0)))
}

const NOT_INSTALLED: &str = "pg_stat_statements is not installed in this database, so there are no statement \
    statistics. Fix: add pg_stat_statements to shared_preload_libraries in postgresql.conf (the Supabase image has it), \
    restart PostgreSQL, then run CREATE EXTENSION pg_stat_statements WITH SCHEMA extensions;";

/// Runs `report` (one of [`REPORTS`]) with at most `limit` rows. Every report gets the same two parameters
/// with declared types ($1 the excluded schema patterns, $2 the row limit), so reports that have no schemas
/// simply leave $1 unused.
pub async fn run(
    client: &impl GenericClient,
    report: &str,
    include_internal: bool,
    limit: i64,
) -> Result<Report, Failure> {
    if !REPORTS.contains(&report) {
        return Err(Failure::new(
            format!("unknown report '{report}'"),
            "inspect_db knows the Supabase CLI's reports",
            format!("use one of: {}", REPORTS.join(", ")),
        ));
    }
    let empty = |note: &str| Report {
        report: report.to_owned(),
        description: description(report).to_owned(),
        columns: Vec::new(),
        rows: Vec::new(),
        truncated: false,
        note: Some(note.to_owned()),
    };
    let mut schema = String::new();
    if report == "outliers" || report == "calls" {
        match statements_schema(client).await? {
            Some(found) => schema = found,
            None => return Ok(empty(NOT_INSTALLED)),
        }
    }
    let patterns = excluded_patterns(include_internal);
    let fetch = limit + 1;
    let sql = sql(report, &schema);
    let params: [(&(dyn ToSql + Sync), Type); 2] = [(&patterns, Type::TEXT_ARRAY), (&fetch, Type::INT8)];
    let rows = match client.query_typed(&sql, &params).await {
        Ok(rows) => rows,
        Err(e) if e.as_db_error().is_some_and(|db| db.message().contains("shared_preload_libraries")) => {
            return Ok(empty(
                "pg_stat_statements is installed but not loaded: add it to shared_preload_libraries in \
                 postgresql.conf and restart PostgreSQL",
            ));
        }
        Err(e) => return Err(query_failure(e)),
    };
    let columns: Vec<String> =
        rows.first().map(|r| r.columns().iter().map(|c| c.name().to_owned()).collect()).unwrap_or_default();
    let truncated = rows.len() as i64 > limit;
    let rows = rows
        .iter()
        .take(limit.max(0) as usize)
        .map(|row| columns.iter().enumerate().map(|(i, name)| (name.clone(), row.get::<_, JsonCell>(i).0)).collect())
        .collect();
    Ok(Report {
        report: report.to_owned(),
        description: description(report).to_owned(),
        columns,
        rows,
        truncated,
        note: None,
    })
}
