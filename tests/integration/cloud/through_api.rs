//! With only an access token (no database URL), the official server's database and development tools reach
//! the project through the Management API, with the official names and parameters: SQL on the fake's real
//! PostgreSQL (parameters bound, read-only through the read-only endpoint), tables and extensions from the
//! catalog, migrations applied and listed, types, the project URL and only the public keys. Tools that need a
//! connection are refused with the reason; `--project-ref` injects the project; `--read-only` hides writers.

#![allow(clippy::expect_used, clippy::unwrap_used, clippy::panic)]

use crate::management_fake::{Fake, PROJECT, TOKEN};
use crate::mcp_client::{self, Server};
use crate::support;
use serde_json::{Value, json};

/// The binary with every default group and only the fake's token and URL (no database).
async fn start(fake: &Fake, extra: &[&str]) -> Server {
    let env = fake.env();
    let env: Vec<(&str, &str)> = env.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let mut args = vec!["--features", "database,development,debugging,cloud"];
    args.extend_from_slice(extra);
    mcp_client::start_with_env(&args, &env).await
}

fn rows(reply: &Value) -> Vec<Value> {
    reply["rows"].as_array().cloned().unwrap_or_default()
}

#[tokio::test]
async fn the_database_tools_run_through_the_management_api() {
    let db = support::fresh_database("cloud_through_api").await;
    let fake = Fake::with_database(db.client().await).await;
    let server = start(&fake, &[]).await;

    let names: Vec<String> = server.client.list_all_tools().await.unwrap().iter().map(|t| t.name.to_string()).collect();
    for tool in ["execute_sql", "list_tables", "list_extensions", "list_migrations", "apply_migration"] {
        assert!(names.contains(&tool.to_owned()), "{tool} is offered through the API: {names:?}");
    }
    assert!(!names.contains(&"describe_table".to_owned()), "describe_table needs a connection: {names:?}");
    let refused = server.err("describe_table", json!({ "table": "notes" })).await;
    assert!(refused.contains("needs a database"), "{refused}");

    // A call without a project says to pass one.
    let missing = server.err("execute_sql", json!({ "query": "select 1" })).await;
    assert!(missing.contains("project_id"), "{missing}");

    let applied = server
        .ok(
            "apply_migration",
            json!({ "project_id": PROJECT, "name": "add notes",
                    "query": "create table public.notes (id int primary key, body text); \
                              insert into public.notes values (1, 'first'), (2, 'second');" }),
        )
        .await;
    assert_eq!(applied["name"], "add_notes");
    assert_eq!(applied["version"].as_str().unwrap().len(), 14, "{applied}");
    assert_eq!(applied["statements"].as_array().unwrap().len(), 2, "{applied}");
    let history = server.ok("list_migrations", json!({ "project_id": PROJECT })).await;
    let migrations = history["migrations"].as_array().unwrap();
    assert!(migrations.iter().any(|m| m["name"] == "add_notes" && m["applied"] == true && m["local"] == false));

    let destructive = server
        .err(
            "apply_migration",
            json!({ "project_id": PROJECT, "name": "drop notes", "query": "drop table public.notes" }),
        )
        .await;
    assert!(destructive.contains("confirm"), "{destructive}");
    let dry = server
        .err("apply_migration", json!({ "project_id": PROJECT, "name": "x", "query": "select 1", "dry_run": true }))
        .await;
    assert!(dry.contains("dry_run") && dry.contains("Management API"), "{dry}");

    let selected = server
        .ok(
            "execute_sql",
            json!({ "project_id": PROJECT, "query": "select id, body, id > 1 as later from public.notes where id >= $1 order by id",
                    "params": [1] }),
        )
        .await;
    assert_eq!(
        rows(&selected),
        vec![json!({"id": 1, "body": "first", "later": false}), json!({"id": 2, "body": "second", "later": true})]
    );
    assert_eq!(selected["row_count"], 2);

    // Read-only SQL: the statement guard refuses a write before sending; the endpoint is the read-only one.
    let write = server
        .err(
            "execute_sql",
            json!({ "project_id": PROJECT, "query": "insert into public.notes values (3, 'x')", "read_only": true }),
        )
        .await;
    assert!(write.contains("read-only") || write.contains("read only"), "{write}");
    let read = server
        .ok(
            "execute_sql",
            json!({ "project_id": PROJECT, "query": "select count(*) as n from public.notes", "read_only": true }),
        )
        .await;
    assert_eq!(read["read_only_enforcement"]["enforced_by"], "database", "{read}");
    assert_eq!(fake.count("POST", &format!("/v1/projects/{PROJECT}/database/query/read-only")), 1);
    // The side-effecting function trick: PostgreSQL itself refuses it on the read-only endpoint.
    server
        .ok(
            "execute_sql",
            json!({ "project_id": PROJECT, "confirm": true,
                    "query": "create function public.sneaky() returns int language sql as $$ insert into public.notes values (9, 'x') returning 1 $$" }),
        )
        .await;
    let sneaky = server
        .err("execute_sql", json!({ "project_id": PROJECT, "query": "select public.sneaky()", "read_only": true }))
        .await;
    assert!(sneaky.contains("read-only transaction"), "{sneaky}");
    let count = server
        .ok("execute_sql", json!({ "project_id": PROJECT, "query": "select count(*)::int as n from public.notes" }))
        .await;
    assert_eq!(rows(&count), vec![json!({ "n": 2 })]);

    let tables = server.ok("list_tables", json!({ "project_id": PROJECT, "schemas": ["public"] })).await;
    let notes = tables["tables"].as_array().unwrap().iter().find(|t| t["name"] == "notes").cloned().unwrap();
    assert_eq!((notes["schema"].clone(), notes["rls_enabled"].clone()), (json!("public"), json!(false)));
    assert!(notes["size_bytes"].as_i64().unwrap() > 0, "{notes}");
    assert_eq!(tables["total"], 1);
    assert!(tables.get("details").is_none_or(|d| d.as_array().is_some_and(Vec::is_empty)), "{tables}");
    let extensions = server.ok("list_extensions", json!({ "project_id": PROJECT, "include_available": false })).await;
    assert!(extensions["extensions"].as_array().unwrap().iter().any(|e| e["name"] == "plpgsql"), "{extensions}");
    // verbose: the detail describe_table gives, in seven requests whatever the number of tables.
    server
        .ok(
            "execute_sql",
            json!({ "project_id": PROJECT,
                    "query": "create table public.tags (id bigint generated always as identity primary key, \
                              note_id int not null references public.notes(id), label text default 'x'); \
                              create index tags_label_idx on public.tags (label); \
                              alter table public.tags enable row level security; \
                              create policy tags_read on public.tags for select to authenticated using (true);" }),
        )
        .await;
    let before = fake.count("POST", &format!("/v1/projects/{PROJECT}/database/query/read-only"));
    let verbose =
        server.ok("list_tables", json!({ "project_id": PROJECT, "schemas": ["public"], "verbose": true })).await;
    assert_eq!(fake.count("POST", &format!("/v1/projects/{PROJECT}/database/query/read-only")) - before, 8, "list + 7");
    let details = verbose["details"].as_array().unwrap();
    assert_eq!(details.len(), 2, "{verbose}");
    let notes = details.iter().find(|d| d["name"] == "notes").unwrap();
    let tags = details.iter().find(|d| d["name"] == "tags").unwrap();
    let columns: Vec<(&str, &str, bool)> = tags["columns"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| (c["name"].as_str().unwrap(), c["type"].as_str().unwrap(), c["nullable"].as_bool().unwrap()))
        .collect();
    assert_eq!(columns, [("id", "bigint", false), ("note_id", "integer", false), ("label", "text", true)]);
    assert_eq!(tags["columns"][0]["identity"], "always", "{tags}");
    assert_eq!(tags["columns"][2]["default"], "'x'::text", "{tags}");
    assert_eq!(tags["primary_key"], json!(["id"]));
    assert_eq!(tags["foreign_keys"][0]["references"], "notes", "{tags}");
    assert_eq!(tags["foreign_keys"][0]["referenced_columns"], json!(["id"]));
    assert_eq!(notes["referenced_by"][0]["table"], "tags", "{notes}");
    assert!(tags["indexes"].as_array().unwrap().iter().any(|i| i["name"] == "tags_label_idx"), "{tags}");
    assert_eq!((tags["rls_enabled"].clone(), tags["policies"][0]["name"].clone()), (json!(true), json!("tags_read")));
    assert_eq!(tags["policies"][0]["roles"], json!(["authenticated"]));
    assert!(tags["size_bytes"].as_i64().unwrap() > 0 && tags["owner"].as_str().is_some_and(|o| !o.is_empty()));
    // Exactly what describe_table reads over a connection to the same database.
    let url = db.url();
    let local = mcp_client::start(&["--features", "database", "--database-url", &url]).await;
    let direct = local.ok("list_tables", json!({ "schemas": ["public"], "verbose": true })).await;
    assert_eq!(direct["details"], verbose["details"]);
    local.stop().await;

    // get_advisors with the official parameters: the platform's lints, in our findings' shape.
    let advisors = server.ok("get_advisors", json!({ "project_id": PROJECT, "type": "security" })).await;
    assert_eq!(advisors["source"], "management_api", "{advisors}");
    let finding = &advisors["findings"][0];
    assert_eq!((finding["name"].clone(), finding["level"].clone()), (json!("rls_disabled_in_public"), json!("ERROR")));
    assert_eq!((finding["object"].clone(), finding["category"].clone()), (json!("public.notes"), json!("security")));
    assert_eq!(advisors["summary"]["errors"], 1);
    assert_eq!(fake.count("GET", &format!("/v1/projects/{PROJECT}/advisors/performance")), 0, "only the kind asked");
    let both = server.ok("get_advisors", json!({ "project_id": PROJECT })).await;
    assert_eq!(both["findings"].as_array().unwrap().len(), 2, "{both}");

    let url = server.ok("get_project_url", json!({ "project_id": PROJECT })).await;
    assert_eq!(url["url"], format!("https://{PROJECT}.supabase.co"));
    let keys = server.ok("get_publishable_keys", json!({ "project_id": PROJECT })).await;
    let kinds: Vec<&str> = keys["keys"].as_array().unwrap().iter().map(|k| k["kind"].as_str().unwrap()).collect();
    assert_eq!(kinds, ["anon", "publishable"], "{keys}");
    assert_eq!(keys["withheld"].as_array().unwrap().len(), 2, "service_role and the secret key: {keys}");
    assert!(!keys.to_string().contains("sb_secret_abcd") && !keys.to_string().contains("c2VjcmV0c2ln"), "{keys}");
    assert!(keys["withheld"][0]["reason"].as_str().unwrap().contains("service_role"), "{keys}");
    let types =
        server.ok("generate_typescript_types", json!({ "project_id": PROJECT, "schemas": ["public", "app"] })).await;
    assert!(types["types"].as_str().unwrap().contains("generated by the platform for: public,app"), "{types}");

    let audit =
        std::fs::read_to_string(server.data_dir.as_ref().unwrap().path().join("audit.jsonl")).unwrap_or_default();
    assert!(!audit.contains(TOKEN), "the token stays out of the audit log");
    server.stop().await;
}

#[tokio::test]
async fn project_scoped_and_read_only_modes_hold_through_the_api() {
    let db = support::fresh_database("cloud_through_api_ro").await;
    let fake = Fake::with_database(db.client().await).await;
    let scoped = start(&fake, &["--project-ref", PROJECT]).await;
    let one = scoped.ok("execute_sql", json!({ "query": "select 1 as one" })).await;
    assert_eq!(rows(&one), vec![json!({ "one": 1 })]);
    scoped.stop().await;

    let read_only = start(&fake, &["--project-ref", PROJECT, "--read-only"]).await;
    let names: Vec<String> =
        read_only.client.list_all_tools().await.unwrap().iter().map(|t| t.name.to_string()).collect();
    assert!(names.contains(&"execute_sql".to_owned()) && !names.contains(&"apply_migration".to_owned()), "{names:?}");
    let write = read_only.err("execute_sql", json!({ "query": "create table public.nope (id int)" })).await;
    assert!(write.contains("read-only") || write.contains("read only"), "{write}");
    let read = read_only.ok("execute_sql", json!({ "query": "select 2 as two" })).await;
    assert_eq!(read["read_only"], true);
    assert_eq!(fake.count("POST", &format!("/v1/projects/{PROJECT}/database/query")), 1, "only the scoped call wrote");
    read_only.stop().await;
}

#[tokio::test]
async fn get_advisors_puts_the_platform_lints_beside_ours_for_a_cloud_database() {
    let db = support::fresh_database("cloud_advisors_beside").await;
    let fake = Fake::with_database(db.client().await).await;
    let mut env = fake.env();
    env.push(("SUPABASE_URL", format!("https://{PROJECT}.supabase.co")));
    let env: Vec<(&str, &str)> = env.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let url = db.url();
    let server = mcp_client::start_with_env(&["--features", "debugging", "--database-url", &url], &env).await;
    db.client().await.batch_execute("create table public.open_notes (id int primary key)").await.unwrap();

    let reply = server.ok("get_advisors", json!({ "type": "security" })).await;
    assert_eq!(reply["source"], "database", "{reply}");
    assert!(
        reply["findings"].as_array().unwrap().iter().any(|f| f["object"] == "public.open_notes"),
        "our own lint ran on the connection: {reply}"
    );
    let ours = reply["findings"].as_array().unwrap().iter().find(|f| f["name"] == "rls_disabled_in_public").cloned();
    let platform = &reply["platform"];
    assert_eq!(platform["findings"][0]["name"], "rls_disabled_in_public", "{reply}");
    // Both point to the same knowledge-base entry (explain_error takes the id).
    assert!(ours.as_ref().is_some_and(|f| f["knowledge"].is_string()), "{ours:?}");
    assert_eq!(platform["findings"][0]["knowledge"], ours.unwrap()["knowledge"]);
    assert!(platform.get("error").is_none(), "{platform}");
    assert_eq!(fake.count("GET", &format!("/v1/projects/{PROJECT}/advisors/security")), 1);

    // The platform unreachable: ours still answer, the platform part says why.
    {
        let mut state = fake.state();
        state.rate_limit_next = 1;
        state.retry_after_seconds = 600;
    }
    let degraded = server.ok("get_advisors", json!({ "type": "security" })).await;
    assert!(!degraded["findings"].as_array().unwrap().is_empty(), "{degraded}");
    assert!(degraded["platform"]["error"].as_str().unwrap().contains("advisors"), "{degraded}");
    server.stop().await;
}
