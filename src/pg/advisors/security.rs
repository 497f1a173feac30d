//! Security lints: what the anon and authenticated roles can reach through PostgREST that they should
//! not, and definitions that let a caller change what a function or view runs as.

use super::{Category, Level, Lint, LintRow, quoted_list};
use crate::pg::ident::quote_ident;

const fn lint(
    name: &'static str,
    level: Level,
    raised_level: Level,
    title: &'static str,
    sql: &'static str,
    explain: fn(&LintRow) -> Option<(String, String)>,
) -> Lint {
    Lint { name, category: Category::Security, level, raised_level, title, sql, explain }
}

/// The kind of a pg_class row, for messages.
macro_rules! relkind {
    () => {
        "case c.relkind when 'r' then 'table' when 'p' then 'partitioned table' when 'v' then 'view' \
         when 'm' then 'materialized view' when 'f' then 'foreign table' else 'relation' end"
    };
}

/// Policies of the table, by name.
macro_rules! policy_names {
    () => {
        "array(select p.polname::text from pg_policy p where p.polrelid = c.oid order by 1)"
    };
}

pub(super) const LINTS: [Lint; 10] = [
    lint(
        "rls_disabled_in_public",
        Level::Error,
        Level::Error,
        "RLS disabled on a table the API exposes",
        concat!(
            "select n.nspname::text, c.relname::text, ",
            relkind!(),
            ", null::text, null::text[], false \
             from pg_class c join pg_namespace n on n.oid = c.relnamespace \
             where c.relkind in ('r','p') and not c.relrowsecurity and ",
            api_scope!()
        ),
        rls_disabled,
    ),
    lint(
        "rls_enabled_no_policy",
        Level::Info,
        Level::Info,
        "RLS enabled but no policy",
        concat!(
            "select n.nspname::text, c.relname::text, ",
            relkind!(),
            ", null::text, null::text[], false \
             from pg_class c join pg_namespace n on n.oid = c.relnamespace \
             where c.relkind in ('r','p') and c.relrowsecurity \
               and not exists (select 1 from pg_policy p where p.polrelid = c.oid) and ",
            api_scope!()
        ),
        no_policy,
    ),
    lint(
        "policy_exists_rls_disabled",
        Level::Error,
        Level::Error,
        "Policies exist but RLS is disabled",
        concat!(
            "select n.nspname::text, c.relname::text, ",
            relkind!(),
            ", null::text, ",
            policy_names!(),
            ", false \
             from pg_class c join pg_namespace n on n.oid = c.relnamespace \
             where c.relkind in ('r','p') and not c.relrowsecurity \
               and exists (select 1 from pg_policy p where p.polrelid = c.oid) and ",
            api_scope!()
        ),
        policies_without_rls,
    ),
    lint(
        "security_definer_view",
        Level::Error,
        Level::Error,
        "View runs with its owner's rights",
        concat!(
            "select n.nspname::text, c.relname::text, 'view', pg_get_userbyid(c.relowner)::text, null::text[], false \
             from pg_class c join pg_namespace n on n.oid = c.relnamespace \
             where c.relkind = 'v' and not exists (select 1 from unnest(coalesce(c.reloptions, '{}')) o \
               where lower(o) in ('security_invoker=true', 'security_invoker=on', 'security_invoker=1', \
                                  'security_invoker=yes')) and ",
            api_scope!()
        ),
        definer_view,
    ),
    lint(
        "function_search_path_mutable",
        Level::Warn,
        Level::Warn,
        "Function with a mutable search_path",
        "select n.nspname::text, p.proname::text, case p.prokind when 'p' then 'procedure' else 'function' end, \
           pg_get_function_identity_arguments(p.oid), null::text[], p.prosecdef \
         from pg_proc p join pg_namespace n on n.oid = p.pronamespace \
         where p.prokind in ('f','p') and not n.nspname = any($2) and n.nspname !~ '^pg_' \
           and n.nspname <> 'information_schema' \
           and not exists (select 1 from unnest(coalesce(p.proconfig, '{}')) s where s like 'search_path=%') \
           and not exists (select 1 from pg_depend e where e.classid = 'pg_proc'::regclass and e.objid = p.oid \
                           and e.deptype = 'e')",
        mutable_search_path,
    ),
    lint(
        "extension_in_public",
        Level::Warn,
        Level::Warn,
        "Extension installed in public",
        "select n.nspname::text, e.extname::text, 'extension', e.extversion::text, null::text[], false \
         from pg_extension e join pg_namespace n on n.oid = e.extnamespace where n.nspname = 'public'",
        extension_in_public,
    ),
    lint(
        "auth_users_exposed",
        Level::Warn,
        Level::Error,
        "auth.users exposed through a view",
        concat!(
            "select distinct n.nspname::text, c.relname::text, ",
            relkind!(),
            ", null::text, null::text[], \
               exists (select 1 from pg_roles r where r.rolname in ('anon', 'authenticated') \
                       and has_table_privilege(r.oid, c.oid, 'SELECT')) \
             from pg_rewrite w join pg_class c on c.oid = w.ev_class \
             join pg_namespace n on n.oid = c.relnamespace \
             join pg_depend d on d.classid = 'pg_rewrite'::regclass and d.objid = w.oid \
               and d.refclassid = 'pg_class'::regclass and d.refobjid = to_regclass('auth.users') \
             where c.relkind in ('v','m') and ",
            api_scope!()
        ),
        auth_users_exposed,
    ),
    lint(
        "anon_readable_without_rls",
        Level::Error,
        Level::Error,
        "Readable by anon with no RLS",
        concat!(
            "select n.nspname::text, c.relname::text, ",
            relkind!(),
            ", null::text, null::text[], false \
             from pg_class c join pg_namespace n on n.oid = c.relnamespace \
             cross join (select oid from pg_roles where rolname = 'anon') r \
             where c.relkind in ('r','p','m','f') and not c.relrowsecurity \
               and has_schema_privilege(r.oid, n.oid, 'USAGE') and has_table_privilege(r.oid, c.oid, 'SELECT') and ",
            api_scope!()
        ),
        anon_readable,
    ),
    lint(
        "sensitive_columns_exposed",
        Level::Warn,
        Level::Error,
        "Sensitive columns the API exposes",
        concat!(
            "select n.nspname::text, c.relname::text, ",
            relkind!(),
            ", null::text, \
               array_agg(a.attname::text order by a.attnum), not c.relrowsecurity \
             from pg_class c join pg_namespace n on n.oid = c.relnamespace \
             join pg_attribute a on a.attrelid = c.oid and a.attnum > 0 and not a.attisdropped \
             where c.relkind in ('r','p','v','m','f') \
               and a.attname ~* '(passw|pwd|secret|token|api_?key|private_?key|ssn|credit_?card|card_?number|cvv)' \
               and exists (select 1 from pg_roles r where r.rolname in ('anon', 'authenticated') \
                           and has_column_privilege(r.oid, c.oid, a.attnum, 'SELECT')) and ",
            api_scope!(),
            " group by n.nspname, c.relname, c.relkind, c.relrowsecurity"
        ),
        sensitive_columns,
    ),
    lint(
        "realtime_table_rls_disabled",
        Level::Error,
        Level::Error,
        "Realtime streams a table without RLS",
        concat!(
            "select n.nspname::text, c.relname::text, ",
            relkind!(),
            ", null::text, null::text[], false \
             from pg_class c join pg_namespace n on n.oid = c.relnamespace \
             where c.relkind in ('r','p') and not c.relrowsecurity \
               and exists (select 1 from pg_publication_tables p where p.pubname = 'supabase_realtime' \
                           and p.schemaname = n.nspname and p.tablename = c.relname) \
               and exists (select 1 from pg_roles r where r.rolname in ('anon', 'authenticated') \
                           and has_table_privilege(r.oid, c.oid, 'SELECT')) \
               and not n.nspname = any($1) \
               and not (n.nspname = any($2) and pg_get_userbyid(c.relowner)::text = any($3))"
        ),
        realtime_without_rls,
    ),
];

fn realtime_without_rls(row: &LintRow) -> Option<(String, String)> {
    Some((
        format!(
            "{} streams its changes through Realtime (publication supabase_realtime) with row level security \
             disabled: any client holding the anon key that subscribes receives every row change, although the API \
             does not expose its schema.",
            row.object()
        ),
        format!(
            "ALTER TABLE {} ENABLE ROW LEVEL SECURITY; then add a SELECT policy for the subscribers, or take it out \
             of the publication (disable_realtime)",
            row.qualified()
        ),
    ))
}

fn rls_disabled(row: &LintRow) -> Option<(String, String)> {
    Some((
        format!(
            "{} is in a schema PostgREST exposes and has row level security disabled: every row is open to any \
             role with a table grant, including anon (the key shipped to browsers).",
            row.object()
        ),
        format!(
            "ALTER TABLE {} ENABLE ROW LEVEL SECURITY; then add policies for the rows each role may see (or REVOKE \
             ALL ON {0} FROM anon, authenticated if the API must not reach it)",
            row.qualified()
        ),
    ))
}

fn no_policy(row: &LintRow) -> Option<(String, String)> {
    Some((
        format!(
            "{} has row level security enabled and no policy, so the API roles see no rows at all; fine for a \
             private table, a bug if the app reads it.",
            row.object()
        ),
        format!(
            "CREATE POLICY \"read own rows\" ON {} FOR SELECT TO authenticated USING (...); or leave it if only \
             service_role (which bypasses RLS) uses it",
            row.qualified()
        ),
    ))
}

fn policies_without_rls(row: &LintRow) -> Option<(String, String)> {
    Some((
        format!(
            "{} has policies ({}) but row level security is disabled, so none of them is enforced.",
            row.object(),
            row.items.join(", ")
        ),
        format!("ALTER TABLE {} ENABLE ROW LEVEL SECURITY;", row.qualified()),
    ))
}

fn definer_view(row: &LintRow) -> Option<(String, String)> {
    Some((
        format!(
            "View {} runs its query with the rights of its owner ({}), so row level security of the tables \
             below is checked against the owner, not the caller: the API roles may see rows their policies hide.",
            row.object(),
            row.info
        ),
        format!("ALTER VIEW {} SET (security_invoker = true);", row.qualified()),
    ))
}

fn mutable_search_path(row: &LintRow) -> Option<(String, String)> {
    let signature = format!("{}({})", row.qualified(), row.info);
    let definer =
        if row.raised { " It is SECURITY DEFINER, so a caller's search_path runs code as its owner." } else { "" };
    Some((
        format!(
            "Function {}.{}({}) does not pin search_path: the objects it names resolve through the caller's \
             search_path, which a caller can point at objects of its own.{definer}",
            row.schema, row.name, row.info
        ),
        format!(
            "ALTER FUNCTION {signature} SET search_path = ''; then schema-qualify the names in its body (or SET \
             search_path = pg_catalog, public)"
        ),
    ))
}

fn extension_in_public(row: &LintRow) -> Option<(String, String)> {
    Some((
        format!(
            "Extension {} ({}) is installed in public, so its functions and types sit in the schema the API \
             exposes and clutter it.",
            row.name, row.info
        ),
        format!(
            "ALTER EXTENSION {} SET SCHEMA extensions; (where the extension supports it; otherwise drop and \
             re-create it WITH SCHEMA extensions)",
            quote_ident(&row.name)
        ),
    ))
}

fn auth_users_exposed(row: &LintRow) -> Option<(String, String)> {
    let who = if row.raised { "anon or authenticated can select from it" } else { "no API role can select it yet" };
    Some((
        format!(
            "{} {} reads auth.users (emails, phone numbers, metadata) in a schema the API exposes; {who}.",
            row.kind,
            row.object()
        ),
        format!(
            "REVOKE ALL ON {} FROM anon, authenticated; or move it to a schema the API does not expose, or read \
             only the columns needed from a security_invoker view over a public profiles table",
            row.qualified()
        ),
    ))
}

fn anon_readable(row: &LintRow) -> Option<(String, String)> {
    let (what, fix) = if row.kind == "table" || row.kind == "partitioned table" {
        (
            "has no row level security",
            format!("ALTER TABLE {} ENABLE ROW LEVEL SECURITY; and add policies", row.qualified()),
        )
    } else {
        ("cannot have row level security", format!("REVOKE SELECT ON {} FROM anon;", row.qualified()))
    };
    Some((
        format!(
            "The anon role may SELECT {} {}, which {what}: anyone holding the public anon key reads every row.",
            row.kind,
            row.object()
        ),
        fix,
    ))
}

fn sensitive_columns(row: &LintRow) -> Option<(String, String)> {
    let rls = if row.raised { "with no row level security" } else { "behind row level security" };
    Some((
        format!(
            "{} {} has columns that look sensitive ({}) readable by anon or authenticated through the API, {rls}.",
            row.kind,
            row.object(),
            row.items.join(", ")
        ),
        format!(
            "REVOKE SELECT ({cols}) ON {table} FROM anon, authenticated; or move the columns to a table in a \
             private schema; store password hashes only in auth.users",
            cols = quoted_list(&row.items),
            table = row.qualified()
        ),
    ))
}
