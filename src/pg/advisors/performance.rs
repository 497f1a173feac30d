//! Performance lints: missing and wasted indexes, policies that cost more per row than they need, tables
//! without a primary key, bloat, and large tables read by sequential scans.

use super::{Category, Level, Lint, LintRow, quoted_list};
use crate::pg::ident::quote_ident;

const fn lint(
    name: &'static str,
    level: Level,
    title: &'static str,
    sql: &'static str,
    explain: fn(&LintRow) -> Option<(String, String)>,
) -> Lint {
    Lint { name, category: Category::Performance, level, raised_level: level, title, sql, explain }
}

pub(super) const LINTS: [Lint; 8] = [
    lint(
        "unindexed_foreign_keys",
        Level::Info,
        "Foreign key without a covering index",
        concat!(
            "select n.nspname::text, c.relname::text, 'table', con.conname::text, \
               array(select a.attname::text from unnest(con.conkey) with ordinality k(attnum, ord) \
                     join pg_attribute a on a.attrelid = con.conrelid and a.attnum = k.attnum order by k.ord), false \
             from pg_constraint con join pg_class c on c.oid = con.conrelid \
             join pg_namespace n on n.oid = c.relnamespace \
             where con.contype = 'f' and not exists (select 1 from pg_index i where i.indrelid = con.conrelid \
               and i.indpred is null and (i.indkey::int2[])[0:cardinality(con.conkey) - 1] @> con.conkey) and ",
            user_scope!()
        ),
        unindexed_foreign_key,
    ),
    // pg_constraint.conindid has no index: a hashed NOT IN is 4x faster than a correlated NOT EXISTS on
    // 1,000 tables.
    lint(
        "unused_index",
        Level::Info,
        "Index never used",
        concat!(
            "select n.nspname::text, ic.relname::text, 'index', c.relname::text, \
               array[pg_relation_size(ic.oid)::text], false \
             from pg_stat_user_indexes s join pg_index i on i.indexrelid = s.indexrelid \
             join pg_class ic on ic.oid = i.indexrelid join pg_class c on c.oid = i.indrelid \
             join pg_namespace n on n.oid = c.relnamespace \
             where s.idx_scan = 0 and not i.indisunique and not i.indisprimary \
               and i.indexrelid not in (select k.conindid from pg_constraint k where k.conindid <> 0) and ",
            user_scope!()
        ),
        unused_index,
    ),
    lint(
        "duplicate_index",
        Level::Warn,
        "Duplicate indexes",
        concat!(
            "select n.nspname::text, c.relname::text, 'table', null::text, \
               array_agg(ic.relname::text order by i.indisprimary desc, i.indisunique desc, ic.relname), false \
             from pg_index i join pg_class ic on ic.oid = i.indexrelid join pg_class c on c.oid = i.indrelid \
             join pg_namespace n on n.oid = c.relnamespace where ",
            user_scope!(),
            " group by n.nspname, c.relname, i.indrelid, i.indkey::text, i.indclass::text, i.indcollation::text, \
               coalesce(pg_get_expr(i.indexprs, i.indrelid), ''), coalesce(pg_get_expr(i.indpred, i.indrelid), '') \
             having count(*) > 1"
        ),
        duplicate_index,
    ),
    lint(
        "multiple_permissive_policies",
        Level::Warn,
        "Several permissive policies for one role and action",
        concat!(
            "with p as (select pol.polrelid, pol.polname, pol.polroles, unnest(case pol.polcmd \
                 when 'r' then array['SELECT'] when 'a' then array['INSERT'] when 'w' then array['UPDATE'] \
                 when 'd' then array['DELETE'] else array['SELECT', 'INSERT', 'UPDATE', 'DELETE'] end) as action \
               from pg_policy pol where pol.polpermissive), \
             r as (select oid, rolname from pg_roles where rolname in ('anon', 'authenticated') \
                   or oid in (select unnest(polroles) from pg_policy)) \
             select n.nspname::text, c.relname::text, 'table', r.rolname::text || ' ' || p.action, \
               array_agg(p.polname::text order by p.polname), false \
             from p join r on (0 = any(p.polroles) or r.oid = any(p.polroles)) \
             join pg_class c on c.oid = p.polrelid join pg_namespace n on n.oid = c.relnamespace where ",
            user_scope!(),
            " group by n.nspname, c.relname, r.rolname, p.action having count(*) > 1"
        ),
        multiple_permissive,
    ),
    lint(
        "auth_rls_initplan",
        Level::Warn,
        "Auth function re-evaluated for every row",
        concat!(
            "select n.nspname::text, c.relname::text, 'policy', pol.polname::text, \
               array[coalesce(pg_get_expr(pol.polqual, pol.polrelid), ''), \
                     coalesce(pg_get_expr(pol.polwithcheck, pol.polrelid), '')], false \
             from pg_policy pol join pg_class c on c.oid = pol.polrelid \
             join pg_namespace n on n.oid = c.relnamespace \
             where coalesce(pg_get_expr(pol.polqual, pol.polrelid), '') || ' ' || \
                   coalesce(pg_get_expr(pol.polwithcheck, pol.polrelid), '') ~* 'auth\\.(uid|jwt|role|email)\\(\\)' \
               and ",
            user_scope!()
        ),
        auth_initplan,
    ),
    lint(
        "no_primary_key",
        Level::Info,
        "Table without a primary key",
        concat!(
            "select n.nspname::text, c.relname::text, 'table', null::text, null::text[], false \
             from pg_class c join pg_namespace n on n.oid = c.relnamespace \
             where c.relkind in ('r','p') and not c.relispartition \
               and not exists (select 1 from pg_constraint k where k.conrelid = c.oid and k.contype = 'p') and ",
            user_scope!()
        ),
        no_primary_key,
    ),
    lint(
        "table_bloat",
        Level::Warn,
        "Table with heavy bloat",
        concat!(
            "with s as (select n.nspname, c.relname, c.relpages::int8 as pages, c.reltuples::float8 as tuples, \
                 current_setting('block_size')::int8 as bs, 24 + st.width as width \
               from pg_class c join pg_namespace n on n.oid = c.relnamespace \
               join (select schemaname, tablename, sum((1 - null_frac) * avg_width) as width from pg_stats \
                     where not inherited group by 1, 2) st on st.schemaname = n.nspname and st.tablename = c.relname \
               where c.relkind = 'r' and c.reltuples > 0 and c.relpages > 0 and ",
            user_scope!(),
            "), e as (select *, ceil(tuples / greatest(floor((bs - 24) / (ceil(width / 8.0) * 8 + 4)), 1))::int8 \
                 as expected from s) \
             select nspname::text, relname::text, 'table', null::text, \
               array[(pages * bs)::text, ((pages - expected) * bs)::text], false \
             from e where pages >= 2 * expected and (pages - expected) * bs >= $4"
        ),
        bloat,
    ),
    lint(
        "seq_scan_large_table",
        Level::Info,
        "Large table read by sequential scans",
        concat!(
            "select n.nspname::text, c.relname::text, 'table', null::text, \
               array[s.seq_scan::text, coalesce(s.idx_scan, 0)::text, greatest(s.n_live_tup, c.reltuples::int8)::text], \
               false \
             from pg_stat_user_tables s join pg_class c on c.oid = s.relid \
             join pg_namespace n on n.oid = c.relnamespace \
             where greatest(s.n_live_tup, c.reltuples::int8) >= $5 and s.seq_scan >= 10 \
               and s.seq_scan > coalesce(s.idx_scan, 0) and s.seq_tup_read / greatest(s.seq_scan, 1) >= $5 / 2 and ",
            user_scope!()
        ),
        seq_scans,
    ),
];

fn unindexed_foreign_key(row: &LintRow) -> Option<(String, String)> {
    Some((
        format!(
            "Foreign key {} on {} ({}) has no index starting with its columns: deletes and updates of the \
             referenced rows scan the whole table, and joins on it cannot use an index.",
            row.info,
            row.object(),
            row.items.join(", ")
        ),
        format!("CREATE INDEX CONCURRENTLY ON {} ({});", row.qualified(), quoted_list(&row.items)),
    ))
}

fn unused_index(row: &LintRow) -> Option<(String, String)> {
    let bytes = row.items.first().and_then(|b| b.parse::<i64>().ok()).unwrap_or(0);
    Some((
        format!(
            "Index {} on {}.{} ({}) has not been scanned since statistics were last reset: it costs writes and \
             space for nothing (check replicas and rare jobs before dropping it).",
            row.object(),
            row.schema,
            row.info,
            human_bytes(bytes)
        ),
        format!("DROP INDEX CONCURRENTLY {};", row.qualified()),
    ))
}

fn duplicate_index(row: &LintRow) -> Option<(String, String)> {
    let (keep, drop) = row.items.split_first()?;
    let drops: Vec<String> = drop
        .iter()
        .map(|name| format!("DROP INDEX CONCURRENTLY {}.{};", quote_ident(&row.schema), quote_ident(name)))
        .collect();
    Some((
        format!(
            "Table {} has identical indexes ({}): every write maintains each of them; keep {keep}.",
            row.object(),
            row.items.join(", ")
        ),
        format!("{} (if one backs a constraint, drop the constraint with ALTER TABLE instead)", drops.join(" ")),
    ))
}

fn multiple_permissive(row: &LintRow) -> Option<(String, String)> {
    Some((
        format!(
            "Table {} has {} permissive policies for {} ({}): PostgreSQL evaluates every one of them for each row.",
            row.object(),
            row.items.len(),
            row.info,
            row.items.join(", ")
        ),
        format!(
            "merge them into one policy whose USING is the OR of theirs, then drop the others: DROP POLICY {} ON {};",
            row.items.iter().skip(1).map(|p| quote_ident(p)).collect::<Vec<_>>().join(", "),
            row.qualified()
        ),
    ))
}

fn auth_initplan(row: &LintRow) -> Option<(String, String)> {
    let using = row.items.first().map(String::as_str).unwrap_or("");
    let check = row.items.get(1).map(String::as_str).unwrap_or("");
    let (new_using, changed_using) = wrap_auth_calls(using);
    let (new_check, changed_check) = wrap_auth_calls(check);
    if !changed_using && !changed_check {
        return None;
    }
    let mut clauses = Vec::new();
    if changed_using {
        clauses.push(format!("USING ({new_using})"));
    }
    if changed_check {
        clauses.push(format!("WITH CHECK ({new_check})"));
    }
    Some((
        format!(
            "Policy \"{}\" on {} calls auth functions directly, so they run once per row; wrapped in a \
             sub-select they run once per query.",
            row.info,
            row.object()
        ),
        format!("ALTER POLICY {} ON {} {};", quote_ident(&row.info), row.qualified(), clauses.join(" ")),
    ))
}

/// Wraps every `auth.uid()`, `auth.jwt()`, `auth.role()` and `auth.email()` not already inside
/// `(select ...)` as `(select auth.x())`; the flag tells whether anything changed.
pub(crate) fn wrap_auth_calls(expr: &str) -> (String, bool) {
    const CALLS: [&str; 4] = ["auth.uid()", "auth.jwt()", "auth.role()", "auth.email()"];
    let mut out = String::with_capacity(expr.len() + 16);
    let mut changed = false;
    let mut rest = expr;
    while !rest.is_empty() {
        let next = CALLS.iter().filter_map(|call| rest.find(call).map(|at| (at, *call))).min_by_key(|(at, _)| *at);
        let Some((at, call)) = next else {
            out.push_str(rest);
            break;
        };
        let before = &rest[..at];
        out.push_str(before);
        let wrapped = out.trim_end().to_ascii_lowercase().ends_with("select");
        if wrapped {
            out.push_str(call);
        } else {
            out.push_str(&format!("(select {call})"));
            changed = true;
        }
        rest = &rest[at + call.len()..];
    }
    (out, changed)
}

fn no_primary_key(row: &LintRow) -> Option<(String, String)> {
    Some((
        format!(
            "Table {} has no primary key: rows cannot be addressed one by one (the API and logical replication \
             of updates and deletes need one).",
            row.object()
        ),
        format!("ALTER TABLE {} ADD PRIMARY KEY (id); (or add an identity column first)", row.qualified()),
    ))
}

fn bloat(row: &LintRow) -> Option<(String, String)> {
    let size = row.items.first().and_then(|b| b.parse::<i64>().ok()).unwrap_or(0);
    let wasted = row.items.get(1).and_then(|b| b.parse::<i64>().ok()).unwrap_or(0);
    Some((
        format!(
            "Table {} takes {} of which about {} is dead space (estimate from the planner statistics): scans read \
             the empty pages too.",
            row.object(),
            human_bytes(size),
            human_bytes(wasted)
        ),
        format!(
            "VACUUM (FULL, ANALYZE) {}; (takes an exclusive lock; pg_repack does it online), then tune autovacuum \
             for the table",
            row.qualified()
        ),
    ))
}

fn seq_scans(row: &LintRow) -> Option<(String, String)> {
    let get = |i: usize| row.items.get(i).map(String::as_str).unwrap_or("?");
    Some((
        format!(
            "Table {} has about {} rows and was read by {} sequential scans against {} index scans.",
            row.object(),
            get(2),
            get(0),
            get(1)
        ),
        "find the queries with inspect_db report=outliers, EXPLAIN them, and CREATE INDEX CONCURRENTLY on the \
         columns they filter or join on"
            .to_owned(),
    ))
}

/// 1536 -> "1.5 KiB".
pub(crate) fn human_bytes(bytes: i64) -> String {
    const UNITS: [&str; 5] = ["B", "KiB", "MiB", "GiB", "TiB"];
    let mut value = bytes as f64;
    let mut unit = 0;
    while value >= 1024.0 && unit < UNITS.len() - 1 {
        value /= 1024.0;
        unit += 1;
    }
    if unit == 0 { format!("{bytes} B") } else { format!("{value:.1} {}", UNITS[unit]) }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn auth_calls_are_wrapped_once() {
        let (out, changed) = wrap_auth_calls("(auth.uid() = owner_id)");
        assert!(changed);
        assert_eq!(out, "((select auth.uid()) = owner_id)");
        let (same, changed) = wrap_auth_calls("(( SELECT auth.uid() AS uid) = owner_id)");
        assert!(!changed);
        assert_eq!(same, "(( SELECT auth.uid() AS uid) = owner_id)");
        let (mixed, changed) = wrap_auth_calls("((( SELECT auth.uid() AS uid) = a) OR ((auth.jwt() ->> 'x') = b))");
        assert!(changed);
        assert_eq!(mixed, "((( SELECT auth.uid() AS uid) = a) OR (((select auth.jwt()) ->> 'x') = b))");
    }

    #[test]
    fn bytes_read_as_people_write_them() {
        assert_eq!(human_bytes(512), "512 B");
        assert_eq!(human_bytes(1536), "1.5 KiB");
        assert_eq!(human_bytes(10 * 1024 * 1024), "10.0 MiB");
    }
}
