//! Each lint against a schema that triggers it and one that does not, straight through `pg::advisors`;
//! and the tool end to end on the sample app.

use crate::{mcp_client, support};
use serde_json::json;
use supamcp::pg::advisors::{self, AdvisorOptions, DEFAULT_API_SCHEMAS, Finding};

struct Case {
    lint: &'static str,
    object: &'static str,
    /// Run as supabase_admin in a fresh database holding the Supabase layout.
    triggers: &'static str,
    quiet: &'static str,
}

const TABLE_WITH_POLICY: &str = "create table public.t1 (id int primary key, owner uuid); \
    alter table public.t1 enable row level security; \
    create policy p on public.t1 for select to authenticated using (owner = (select auth.uid()));";

const CASES: &[Case] = &[
    Case {
        lint: "rls_disabled_in_public",
        object: "public.t1",
        triggers: "set role postgres; create table public.t1 (id int primary key);",
        quiet: TABLE_WITH_POLICY,
    },
    Case {
        lint: "rls_enabled_no_policy",
        object: "public.t1",
        triggers: "set role postgres; create table public.t1 (id int primary key); \
                   alter table public.t1 enable row level security;",
        quiet: TABLE_WITH_POLICY,
    },
    Case {
        lint: "policy_exists_rls_disabled",
        object: "public.t1",
        triggers: "set role postgres; create table public.t1 (id int primary key); \
                   create policy p on public.t1 for select using (true);",
        quiet: TABLE_WITH_POLICY,
    },
    Case {
        lint: "security_definer_view",
        object: "public.v1",
        triggers: "set role postgres; create view public.v1 as select 1 as x;",
        quiet: "set role postgres; create view public.v1 with (security_invoker = true) as select 1 as x;",
    },
    Case {
        lint: "function_search_path_mutable",
        object: "public.f1",
        triggers: "set role postgres; create function public.f1() returns int language sql as 'select 1';",
        quiet: "set role postgres; create function public.f1() returns int language sql set search_path = '' \
                as 'select 1';",
    },
    Case {
        lint: "extension_in_public",
        object: "public.pg_trgm",
        triggers: "create extension pg_trgm with schema public;",
        quiet: "create extension pg_trgm with schema extensions;",
    },
    Case {
        lint: "auth_users_exposed",
        object: "public.user_emails",
        triggers: "create view public.user_emails with (security_invoker = true) as select id, email from auth.users; \
                   grant select on public.user_emails to anon;",
        quiet: "create schema private; \
                create view private.user_emails with (security_invoker = true) as select id, email from auth.users;",
    },
    Case {
        lint: "anon_readable_without_rls",
        object: "public.t1",
        triggers: "set role postgres; create table public.t1 (id int primary key);",
        quiet: "set role postgres; create table public.t1 (id int primary key); revoke all on public.t1 from anon;",
    },
    Case {
        lint: "sensitive_columns_exposed",
        object: "public.accounts",
        triggers: "set role postgres; create table public.accounts (id int primary key, password_hash text, api_key text);",
        quiet: "set role postgres; create table public.accounts (id int primary key, password_hash text); \
                revoke all on public.accounts from anon, authenticated;",
    },
    Case {
        lint: "realtime_table_rls_disabled",
        object: "private.feed",
        triggers: "create schema private; create table private.feed (id int primary key); \
                   grant select on private.feed to anon; alter publication supabase_realtime add table private.feed;",
        quiet: "create schema private; create table private.feed (id int primary key); \
                grant select on private.feed to anon; alter publication supabase_realtime add table private.feed; \
                alter table private.feed enable row level security;",
    },
    Case {
        lint: "unindexed_foreign_keys",
        object: "public.b",
        triggers: "set role postgres; create table public.a (id int primary key); \
                   create table public.b (id int primary key, a_id int references public.a);",
        quiet: "set role postgres; create table public.a (id int primary key); \
                create table public.b (id int primary key, a_id int references public.a); \
                create index on public.b (a_id);",
    },
    Case {
        lint: "unused_index",
        object: "public.u_x",
        triggers: "set role postgres; create table public.u (id int primary key, x int); \
                   create index u_x on public.u (x);",
        quiet: "set role postgres; create table public.u (id int primary key, x int); \
                create index u_x on public.u (x); set enable_seqscan = off; \
                select * from public.u where x = 1; select pg_stat_force_next_flush();",
    },
    Case {
        lint: "duplicate_index",
        object: "public.d",
        triggers: "set role postgres; create table public.d (id int primary key, x int); \
                   create index d1 on public.d (x); create index d2 on public.d (x);",
        quiet: "set role postgres; create table public.d (id int primary key, x int); \
                create index d1 on public.d (x); create index d2 on public.d (x, id);",
    },
    Case {
        lint: "multiple_permissive_policies",
        object: "public.m",
        triggers: "set role postgres; create table public.m (id int primary key, owner uuid); \
                   alter table public.m enable row level security; \
                   create policy a on public.m for select to authenticated using (true); \
                   create policy b on public.m for all to authenticated using (owner = (select auth.uid()));",
        quiet: "set role postgres; create table public.m (id int primary key, owner uuid); \
                alter table public.m enable row level security; \
                create policy a on public.m for select to authenticated using (true); \
                create policy b on public.m as restrictive for all to authenticated using (owner = (select auth.uid()));",
    },
    Case {
        lint: "auth_rls_initplan",
        object: "public.m",
        triggers: "set role postgres; create table public.m (id int primary key, owner uuid); \
                   alter table public.m enable row level security; \
                   create policy own on public.m for all to authenticated using (auth.uid() = owner) \
                     with check ((auth.jwt() ->> 'role') = 'authenticated');",
        quiet: "set role postgres; create table public.m (id int primary key, owner uuid); \
                alter table public.m enable row level security; \
                create policy own on public.m for all to authenticated using ((select auth.uid()) = owner) \
                  with check (((select auth.jwt()) ->> 'role') = 'authenticated');",
    },
    Case {
        lint: "no_primary_key",
        object: "public.n",
        triggers: "set role postgres; create table public.n (x int);",
        quiet: "set role postgres; create table public.n (x int primary key);",
    },
    Case {
        lint: "table_bloat",
        object: "public.bl",
        triggers: "set role postgres; create table public.bl (id int primary key, pad text) with (autovacuum_enabled = off); \
                   insert into public.bl select g, repeat('x', 100) from generate_series(1, 50000) g; \
                   delete from public.bl where id % 10 <> 0; analyze public.bl;",
        quiet: "set role postgres; create table public.bl (id int primary key, pad text) with (autovacuum_enabled = off); \
                insert into public.bl select g, repeat('x', 100) from generate_series(1, 50000) g; analyze public.bl;",
    },
    Case {
        lint: "seq_scan_large_table",
        object: "public.s",
        triggers: "set role postgres; create table public.s (id int primary key, x int); \
                   insert into public.s select g, g % 100 from generate_series(1, 20000) g; analyze public.s; \
                   select count(*) from public.s where x = 1; select count(*) from public.s where x = 2; \
                   select count(*) from public.s where x = 3; select count(*) from public.s where x = 4; \
                   select count(*) from public.s where x = 5; select count(*) from public.s where x = 6; \
                   select count(*) from public.s where x = 7; select count(*) from public.s where x = 8; \
                   select count(*) from public.s where x = 9; select count(*) from public.s where x = 10; \
                   select count(*) from public.s where x = 11; select pg_stat_force_next_flush();",
        quiet: "set role postgres; create table public.s (id int primary key, x int); \
                insert into public.s select g, g % 100 from generate_series(1, 20000) g; analyze public.s; \
                select count(*) from public.s where id = 1; select pg_stat_force_next_flush();",
    },
];

fn options() -> AdvisorOptions {
    AdvisorOptions {
        security: true,
        performance: true,
        api_schemas: DEFAULT_API_SCHEMAS.iter().map(|s| (*s).to_owned()).collect(),
        bloat_min_wasted_bytes: 1024 * 1024,
        large_table_rows: 10_000,
    }
}

async fn findings_after(hint: &str, sql: &str) -> Vec<Finding> {
    let db = support::fresh_database(hint).await;
    let admin = db.admin().await;
    admin.batch_execute(sql).await.unwrap_or_else(|e| panic!("{hint}: {sql}: {e:?}"));
    drop(admin);
    // Statistics reach the shared view when the session goes idle; give it a moment.
    tokio::time::sleep(std::time::Duration::from_millis(300)).await;
    advisors::run(&db.client().await, &options()).await.unwrap_or_else(|f| panic!("{hint}: {f}"))
}

#[tokio::test]
async fn the_bare_supabase_layout_has_no_findings() {
    let findings = findings_after("lint_bare", "select 1").await;
    assert!(findings.is_empty(), "{findings:#?}");
}

#[tokio::test]
async fn every_lint_triggers_on_its_schema_and_stays_quiet_on_the_fixed_one() {
    let mut problems = Vec::new();
    for case in CASES {
        let found = findings_after(&format!("{}_on", case.lint), case.triggers).await;
        let hit = found.iter().find(|f| f.name == case.lint && f.object == case.object);
        match hit {
            None => problems.push(format!("{} did not trigger on {}: {found:#?}", case.lint, case.object)),
            Some(f) if f.description.is_empty() || f.remediation.is_empty() => {
                problems.push(format!("{} lacks a description or remediation: {f:?}", case.lint))
            }
            Some(_) => {}
        }
        let quiet = findings_after(&format!("{}_off", case.lint), case.quiet).await;
        if let Some(f) = quiet.iter().find(|f| f.name == case.lint) {
            problems.push(format!("{} triggered on the fixed schema: {f:?}", case.lint));
        }
    }
    let names: Vec<&str> = CASES.iter().map(|c| c.lint).collect();
    assert_eq!(names, advisors::lint_names(), "every lint has a case");
    assert!(problems.is_empty(), "{}", problems.join("\n\n"));
}

#[tokio::test]
async fn findings_are_ranked_with_remediation_sql() {
    let found = findings_after(
        "lint_ranked",
        "set role postgres; create table public.t1 (id int primary key, owner uuid); \
         create policy p on public.t1 for select using (auth.uid() = owner); \
         create view public.user_emails as select id, email from auth.users;",
    )
    .await;
    let levels: Vec<String> = found.iter().map(|f| format!("{:?}", f.level)).collect();
    let mut sorted = levels.clone();
    sorted.sort_by_key(|l| ["Error", "Warn", "Info"].iter().position(|x| x == l));
    assert_eq!(levels, sorted, "errors first");
    let exposed = found.iter().find(|f| f.name == "auth_users_exposed").expect("auth.users view");
    assert_eq!(format!("{:?}", exposed.level), "Error", "anon can read it through default privileges");
    let initplan = found.iter().find(|f| f.name == "auth_rls_initplan").expect("per-row auth.uid()");
    assert!(initplan.remediation.contains("(select auth.uid())"), "{}", initplan.remediation);
    let rls = found.iter().find(|f| f.name == "policy_exists_rls_disabled").expect("policy without RLS");
    assert_eq!(rls.remediation, "ALTER TABLE \"public\".\"t1\" ENABLE ROW LEVEL SECURITY;");
}

#[tokio::test]
async fn get_advisors_end_to_end_on_the_sample_app() {
    let db = support::fresh_sample_database("advisors_e2e").await;
    let server = mcp_client::start(&["--database-url", &db.url()]).await;
    let both = server.ok("get_advisors", json!({})).await;
    let names: Vec<&str> = both["findings"].as_array().unwrap().iter().map(|f| f["name"].as_str().unwrap()).collect();
    assert!(names.contains(&"auth_rls_initplan"), "sample policies call auth.uid() per row: {names:?}");
    assert!(names.contains(&"function_search_path_mutable"), "open_todo_count: {names:?}");
    assert!(names.contains(&"unindexed_foreign_keys"), "todos.user_id: {names:?}");
    assert_eq!(both["lints"].as_array().unwrap().len(), advisors::lint_names().len());
    assert_eq!(both["truncated"], json!(false));
    let total = ["errors", "warnings", "info"].iter().map(|k| both["summary"][k].as_u64().unwrap()).sum::<u64>();
    assert_eq!(total as usize, names.len());
    let first = server.ok("get_advisors", json!({"limit": 2})).await;
    assert_eq!(first["findings"].as_array().unwrap().len(), 2);
    assert_eq!(first["truncated"], json!(true));
    assert_eq!(first["summary"], both["summary"], "the summary counts every finding");
    assert_eq!(first["findings"][0], both["findings"][0], "the most severe first");

    let security = server.ok("get_advisors", json!({"type": "security"})).await;
    assert!(security["findings"].as_array().unwrap().iter().all(|f| f["category"] == "security"));
    assert_eq!(security["api_schemas"], json!(["public", "storage", "graphql_public"]));
    let performance = server.ok("get_advisors", json!({"type": "performance", "api_schemas": ["public"]})).await;
    assert!(performance["findings"].as_array().unwrap().iter().all(|f| f["category"] == "performance"));
    let wrong = server.call("get_advisors", json!({"type": "speed"})).await;
    assert!(wrong.is_error == Some(true) || mcp_client::text(&wrong).contains("unknown variant"));
    server.stop().await;
}
