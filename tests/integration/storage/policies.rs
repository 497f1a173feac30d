//! Storage policies against the real PostgreSQL fixture: a template written as a migration (with its down
//! file) and applied, listed back (fenced), then enforced: a user JWT may insert into its own folder and not
//! into another user's, checked with SET ROLE authenticated and request.jwt.claims. Bucket usage is read from
//! storage.objects.

#![allow(clippy::expect_used, clippy::unwrap_used, clippy::panic)]

use crate::mcp_client;
use crate::storage_fake::Fake;
use crate::support;
use serde_json::json;

#[tokio::test]
async fn policies_are_created_as_migrations_and_enforced() {
    let db = support::fresh_database("storage_policies").await;
    let fake = Fake::with_database(&db.admin_url()).await;
    let dir = tempfile::tempdir().unwrap();
    let env = fake.env();
    let env: Vec<(&str, &str)> = env.iter().map(|(k, v)| (*k, v.as_str())).collect();
    // storage.objects belongs to supabase_storage_admin: policies are created by a role that may (the stack's
    // supabase_admin here; `postgres` is refused with "must be owner of table objects" and the fix says so).
    let url = db.admin_url();
    let server = mcp_client::start_in_dir(&["--features", "storage", "--database-url", &url], &env, dir.path()).await;
    server.ok("create_bucket", json!({ "bucket": "avatars" })).await;
    fake.synced().await;
    let admin = db.admin().await;
    let public: bool =
        admin.query_one("select public from storage.buckets where id = 'avatars'", &[]).await.unwrap().get(0);
    assert!(!public, "the fake wrote the bucket row as the service does");

    let created = server
        .ok("create_storage_policy", json!({ "bucket": "avatars", "template": "authenticated_upload_own_folder" }))
        .await;
    assert_eq!(created["policies"], json!(["avatars upload to own folder"]));
    let migration = std::path::PathBuf::from(created["migration"].as_str().unwrap());
    assert!(migration.starts_with(dir.path().canonicalize().unwrap().join("supabase/migrations")), "{migration:?}");
    assert!(std::fs::read_to_string(&migration).unwrap().contains("create policy"));
    let down = migration.to_string_lossy().replace(".sql", ".down.sql");
    assert!(std::fs::read_to_string(&down).unwrap().contains("drop policy if exists"), "{down}");
    let recorded: i64 = admin
        .query_one(
            "select count(*) from supabase_migrations.schema_migrations where name like 'storage_policy_avatars'",
            &[],
        )
        .await
        .unwrap()
        .get(0);
    assert_eq!(recorded, 1, "the migration is in the history");

    let listed = server.call("list_storage_policies", json!({ "bucket": "avatars" })).await;
    let content = listed.structured_content.clone().unwrap();
    assert_eq!(content["rls_enabled"], true);
    assert_eq!(content["policies"][0]["command"], "INSERT");
    assert!(content["policies"][0]["with_check"].as_str().unwrap().contains("foldername"), "{content}");
    assert!(mcp_client::text(&listed).contains("<untrusted-data-"));
    let other = server.ok("list_storage_policies", json!({ "bucket": "nothing" })).await;
    assert_eq!(other["policies"], json!([]));

    let user = "6a1f7c0e-2b8d-4c44-9f5e-3d2a1b0c9e87";
    let stranger = "0b9e8d7c-6a5f-4e3d-8c2b-1a0f9e8d7c6b";
    let try_insert = |folder: &'static str| {
        let url = db.admin_url();
        async move {
            let (client, connection) = tokio_postgres::connect(&url, tokio_postgres::NoTls).await.unwrap();
            tokio::spawn(connection);
            client.batch_execute("begin; set local role authenticated").await.unwrap();
            let claims = json!({ "sub": user, "role": "authenticated" }).to_string();
            client.execute("select set_config('request.jwt.claims', $1, true)", &[&claims]).await.unwrap();
            let name = format!("{folder}/photo.png");
            let outcome = client
                .execute(
                    "insert into storage.objects (bucket_id, name, owner_id) values ('avatars', $1, $2)",
                    &[&name, &user],
                )
                .await;
            client.batch_execute(if outcome.is_ok() { "commit" } else { "rollback" }).await.unwrap();
            outcome.map_err(|e| e.as_db_error().map(|d| d.message().to_owned()).unwrap_or_default())
        }
    };
    try_insert(user).await.expect("a user uploads into its own folder");
    let refused = try_insert(stranger).await.expect_err("not into another user's folder");
    assert!(refused.contains("row-level security"), "{refused}");

    // An upload through the API shows in storage.objects with the service's metadata.
    std::fs::write(dir.path().join("a.png"), vec![7u8; 1234]).unwrap();
    server.ok("upload_object", json!({ "bucket": "avatars", "path": "admin/a.png", "file": "a.png" })).await;
    fake.synced().await;
    let (mimetype, size): (String, i64) = {
        let row = admin
            .query_one("select metadata->>'mimetype', (metadata->>'size')::int8 from storage.objects where name = 'admin/a.png'", &[])
            .await
            .unwrap();
        (row.get(0), row.get(1))
    };
    assert_eq!((mimetype.as_str(), size), ("image/png", 1234));
    let usage = server.ok("get_bucket", json!({ "bucket": "avatars" })).await;
    assert_eq!(usage["usage"]["objects"], 2, "{usage}");
    assert_eq!(usage["usage"]["bytes"], 1234, "{usage}");
    server.stop().await;
}
