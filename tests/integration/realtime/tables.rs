//! enable_realtime / disable_realtime / list_realtime_tables on the fixture: a dry run changes nothing and keeps
//! no file; the real call adds the tables and sets REPLICA IDENTITY FULL in one recorded migration with a down
//! file; the listing shows RLS, SELECT policies and the old-row columns; disable needs confirm; rolling the
//! migration back (migrations group) restores the previous state; a missing publication is created as Supabase
//! creates it.

#![allow(clippy::expect_used, clippy::unwrap_used, clippy::panic)]

use super::files_in;
use crate::{mcp_client, support};
use serde_json::{Value, json};

async fn membership(client: &tokio_postgres::Client) -> Vec<String> {
    client
        .query(
            "select schemaname || '.' || tablename from pg_publication_tables where pubname = 'supabase_realtime' \
             order by 1",
            &[],
        )
        .await
        .unwrap()
        .iter()
        .map(|r| r.get(0))
        .collect()
}

async fn identity(client: &tokio_postgres::Client, table: &str) -> String {
    let sql = "select relreplident::text from pg_class where oid = to_regclass($1)";
    client.query_one(sql, &[&table]).await.unwrap().get(0)
}

fn table<'a>(listing: &'a Value, name: &str) -> &'a Value {
    listing["tables"].as_array().unwrap().iter().find(|t| t["table"] == name).unwrap_or_else(|| panic!("{listing}"))
}

#[tokio::test]
async fn tables_enter_and_leave_the_publication_through_reversible_migrations() {
    let db = support::fresh_sample_database("realtime_tables").await;
    let admin = db.admin().await;
    admin
        .batch_execute(
            "create table public.messages (id bigint primary key, body text, room text);
             alter table public.messages enable row level security;
             create policy \"members read\" on public.messages for select to authenticated using (true);
             create table public.notes (id int primary key, body text);",
        )
        .await
        .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let migrations = dir.path().join("supabase/migrations");
    // The publication and the tables belong to supabase_admin here, as on a stack.
    let url = db.admin_url();
    let server =
        mcp_client::start_in_dir(&["--features", "realtime,migrations", "--database-url", &url], &[], dir.path()).await;

    let listed = server.call("list_realtime_tables", json!({})).await;
    assert!(mcp_client::text(&listed).contains("<untrusted-data-"), "the listing is fenced");
    let listed = listed.structured_content.unwrap();
    assert_eq!(listed["exists"], true);
    assert_eq!(listed["all_tables"], false);
    assert_eq!(listed["operations"], json!(["insert", "update", "delete", "truncate"]));
    assert_eq!(table(&listed, "todos")["replica_identity"], "default");

    let dry = server
        .ok(
            "enable_realtime",
            json!({"tables": ["messages", "public.notes"], "replica_identity_full": true, "dry_run": true}),
        )
        .await;
    assert_eq!(dry["applied"]["dry_run"], true, "{dry}");
    assert_eq!(dry["migration"], Value::Null);
    assert!(
        dry["up"]
            .as_str()
            .unwrap()
            .contains(r#"alter publication "supabase_realtime" add table "public"."messages", "public"."notes""#)
    );
    assert!(files_in(&migrations).is_empty(), "a dry run keeps no file: {:?}", files_in(&migrations));
    assert_eq!(membership(&admin).await, ["public.todos"], "a dry run changes nothing");

    let enabled = server
        .ok("enable_realtime", json!({"tables": ["messages", "public.notes"], "replica_identity_full": true}))
        .await;
    assert_eq!(enabled["tables"], json!(["public.messages", "public.notes"]), "{enabled}");
    assert_eq!(enabled["identity_changes"], json!(["public.messages", "public.notes"]));
    assert_eq!(enabled["creates_publication"], false);
    assert_eq!(membership(&admin).await, ["public.messages", "public.notes", "public.todos"]);
    assert_eq!(identity(&admin, "public.notes").await, "f");
    let written = files_in(&migrations);
    assert_eq!(written.len(), 2, "the migration and its down file: {written:?}");
    let down = std::fs::read_to_string(migrations.join(&written[0])).unwrap();
    assert!(
        down.contains("replica identity default")
            && down.contains(r#"drop table "public"."messages", "public"."notes""#),
        "{down}"
    );
    let version = enabled["applied"]["version"].as_str().unwrap().to_owned();
    let recorded: i64 = admin
        .query_one("select count(*) from supabase_migrations.schema_migrations where version = $1", &[&version])
        .await
        .unwrap()
        .get(0);
    assert_eq!(recorded, 1, "the migration is in the history");

    let listed = server.ok("list_realtime_tables", json!({})).await;
    let messages = table(&listed, "messages");
    assert_eq!(messages["rls_enabled"], true);
    assert_eq!(messages["select_policies"], 1);
    assert_eq!(messages["replica_identity"], "full");
    assert_eq!(messages["old_row_columns"], json!(["id"]), "with RLS on, old rows carry the primary key only");
    assert_eq!(table(&listed, "notes")["old_row_columns"], json!(["id", "body"]));
    assert_eq!(table(&listed, "todos")["old_row_columns"], json!(["id"]), "default identity: the primary key");

    let again = server.ok("enable_realtime", json!({"tables": ["notes"], "replica_identity_full": true})).await;
    assert_eq!(again["unchanged"], json!(["public.notes"]));
    assert_eq!(again["migration"], Value::Null);
    assert!(again["note"].as_str().unwrap().contains("nothing to change"));

    let refused = server.err("disable_realtime", json!({"tables": ["notes"]})).await;
    assert!(refused.contains("confirm"), "{refused}");
    let disabled = server
        .ok("disable_realtime", json!({"tables": ["notes"], "reset_replica_identity": true, "confirm": true}))
        .await;
    assert_eq!(disabled["tables"], json!(["public.notes"]), "{disabled}");
    assert_eq!(membership(&admin).await, ["public.messages", "public.todos"]);
    assert_eq!(identity(&admin, "public.notes").await, "d");

    let version = disabled["applied"]["version"].as_str().unwrap();
    server.ok("rollback_migration", json!({"version": version, "confirm": true})).await;
    assert_eq!(
        membership(&admin).await,
        ["public.messages", "public.notes", "public.todos"],
        "the down file re-adds it"
    );
    assert_eq!(identity(&admin, "public.notes").await, "f", "and restores the identity it had");

    let missing = server.err("enable_realtime", json!({"tables": ["nope"]})).await;
    assert!(missing.contains("does not exist"), "{missing}");
}

#[tokio::test]
async fn a_missing_publication_is_created_as_supabase_creates_it() {
    let db = support::fresh_database("realtime_publication").await;
    let admin = db.admin().await;
    admin
        .batch_execute("drop publication supabase_realtime; create table public.rooms (id int primary key)")
        .await
        .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let url = db.admin_url();
    let server = mcp_client::start_in_dir(&["--features", "realtime", "--database-url", &url], &[], dir.path()).await;
    let listed = server.ok("list_realtime_tables", json!({})).await;
    assert_eq!(listed["exists"], false);
    let enabled = server.ok("enable_realtime", json!({"tables": ["rooms"]})).await;
    assert_eq!(enabled["creates_publication"], true);
    assert!(enabled["up"].as_str().unwrap().starts_with("create publication \"supabase_realtime\";\n"), "{enabled}");
    let row = admin
        .query_one(
            "select puballtables, pubinsert and pubupdate and pubdelete and pubtruncate from pg_publication \
             where pubname = 'supabase_realtime'",
            &[],
        )
        .await
        .unwrap();
    assert!(!row.get::<_, bool>(0) && row.get::<_, bool>(1), "no FOR ALL TABLES, every operation");
    assert_eq!(membership(&admin).await, ["public.rooms"]);
}
