//! Channel authorization on realtime.messages: templates created as migrations and listed back, then proven by
//! PostgreSQL as Realtime checks a join: SET ROLE authenticated with request.jwt.claims and the channel topic in
//! `realtime.topic` (set_config), reading and inserting realtime.messages. A role that does not own the table is
//! refused with the fix, and the migration file is taken back.

#![allow(clippy::expect_used, clippy::unwrap_used, clippy::panic)]

use super::files_in;
use crate::{mcp_client, support};
use serde_json::json;

const MEMBER: &str = "6a1f7c0e-2b8d-4c44-9f5e-3d2a1b0c9e87";
const STRANGER: &str = "0b9e8d7c-6a5f-4e3d-8c2b-1a0f9e8d7c6b";

/// What `user` may see of topic `topic`'s broadcasts, or the error of inserting one, as Realtime checks a join.
async fn as_user(url: &str, user: &str, topic: &str, insert: bool) -> Result<i64, String> {
    let (client, connection) = tokio_postgres::connect(url, tokio_postgres::NoTls).await.unwrap();
    tokio::spawn(connection);
    client.batch_execute("begin; set local role authenticated").await.unwrap();
    let claims = json!({ "sub": user, "role": "authenticated" }).to_string();
    client.execute("select set_config('request.jwt.claims', $1, true)", &[&claims]).await.unwrap();
    client.execute("select set_config('realtime.topic', $1, true)", &[&topic]).await.unwrap();
    let outcome = if insert {
        client
            .execute(
                "insert into realtime.messages (topic, extension, payload, event) \
                 values (realtime.topic(), 'broadcast', '{\"n\": 1}', 'greet')",
                &[],
            )
            .await
            .map(|n| n as i64)
    } else {
        client
            .query_one("select count(*) from realtime.messages where topic = realtime.topic()", &[])
            .await
            .map(|row| row.get(0))
    };
    client.batch_execute("rollback").await.unwrap();
    outcome.map_err(|e| e.as_db_error().map(|d| d.message().to_owned()).unwrap_or_else(|| e.to_string()))
}

#[tokio::test]
async fn channel_policies_are_migrations_that_postgresql_enforces() {
    let db = support::fresh_database("realtime_policies").await;
    let owner = db.client().await;
    owner
        .batch_execute(&format!(
            "create table public.room_members (user_id uuid not null, topic text not null);
             insert into public.room_members values ('{MEMBER}', 'room:1');"
        ))
        .await
        .unwrap();
    let admin = db.admin().await;
    admin
        .batch_execute(
            "insert into realtime.messages (topic, extension, payload, event) values
               ('room:1', 'broadcast', '{\"hi\": 1}', 'greet'), ('room:1', 'presence', '{}', 'sync'),
               ('room:2', 'broadcast', '{\"hi\": 2}', 'greet')",
        )
        .await
        .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let migrations = dir.path().join("supabase/migrations");

    // As postgres (not the owner of realtime.messages): refused with the fix, no file left behind.
    let as_postgres = db.url();
    let server =
        mcp_client::start_in_dir(&["--features", "realtime", "--database-url", &as_postgres], &[], dir.path()).await;
    let refused = server.err("create_realtime_policy", json!({"template": "own_topic_send"})).await;
    assert!(refused.contains("supabase_realtime_admin") && refused.contains("removed again"), "{refused}");
    assert!(files_in(&migrations).is_empty(), "{:?}", files_in(&migrations));
    server.stop().await;

    let url = db.admin_url();
    let server = mcp_client::start_in_dir(&["--features", "realtime", "--database-url", &url], &[], dir.path()).await;
    let none = server.ok("list_realtime_policies", json!({})).await;
    assert_eq!((none["rls_enabled"].clone(), none["can_receive"].clone()), (json!(true), json!(false)), "{none}");
    assert_eq!(as_user(&url, MEMBER, "room:1", false).await, Ok(0), "RLS on and no policy: nothing is visible");

    let missing = server.err("create_realtime_policy", json!({"template": "topic_members_read"})).await;
    assert!(missing.contains("membership_table"), "{missing}");
    let dry = server
        .ok(
            "create_realtime_policy",
            json!({"template": "topic_members_read", "name": "rooms", "membership_table": "public.room_members", "dry_run": true}),
        )
        .await;
    assert_eq!(dry["applied"]["dry_run"], true);
    assert!(files_in(&migrations).is_empty());
    let members = server
        .ok(
            "create_realtime_policy",
            json!({"template": "topic_members_read", "name": "rooms", "membership_table": "public.room_members"}),
        )
        .await;
    assert_eq!(members["policies"], json!(["rooms members read"]), "{members}");
    let own = server.ok("create_realtime_policy", json!({"template": "own_topic_send", "name": "inbox"})).await;
    assert_eq!(own["policies"], json!(["inbox own topic send", "inbox own topic read"]));
    assert_eq!(files_in(&migrations).len(), 4, "two migrations with their down files");

    let listed = server.call("list_realtime_policies", json!({})).await;
    assert!(mcp_client::text(&listed).contains("<untrusted-data-"));
    let listed = listed.structured_content.unwrap();
    assert_eq!((listed["can_receive"].clone(), listed["can_send"].clone()), (json!(true), json!(true)), "{listed}");
    assert_eq!(listed["policies"].as_array().unwrap().len(), 3);

    assert_eq!(
        as_user(&url, MEMBER, "room:1", false).await,
        Ok(2),
        "a member receives the topic's broadcast and presence"
    );
    assert_eq!(as_user(&url, STRANGER, "room:1", false).await, Ok(0), "a stranger receives nothing");
    assert_eq!(as_user(&url, MEMBER, "room:2", false).await, Ok(0), "nor does a member of another topic");
    let inbox = format!("user:{MEMBER}");
    assert_eq!(as_user(&url, MEMBER, &inbox, true).await, Ok(1), "a user sends on its own topic");
    let foreign = format!("user:{STRANGER}");
    let sent = as_user(&url, MEMBER, &foreign, true).await.unwrap_err();
    assert!(sent.contains("row-level security"), "and not on another user's: {sent}");
}
