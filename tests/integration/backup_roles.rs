//! The roles part of a backup: the definitions (no passwords) of the non-reserved roles the archived objects
//! name are in the manifest; a restore creates the ones the target lacks, with their attributes and memberships,
//! before pg_restore (so their grants come back), drops them again when the restore fails, and leaves existing
//! roles alone.

use crate::mcp_client;
use crate::support;

use serde_json::json;

const KEY: &str = "00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff";
const PASSWORD: &str = "role-password-that-must-not-leak";

#[tokio::test]
async fn missing_roles_are_created_before_the_restore_and_existing_ones_left_alone() {
    let db = support::fresh_sample_database("bk_roles").await;
    let (app, parent) = (format!("bk_app_{}", std::process::id()), format!("bk_parent_{}", std::process::id()));
    let admin = db.admin().await;
    admin
        .batch_execute(&format!(
            "CREATE ROLE {parent} NOLOGIN; CREATE ROLE {app} LOGIN PASSWORD '{PASSWORD}' CONNECTION LIMIT 7 IN ROLE {parent};
             GRANT SELECT ON public.todos TO {app};"
        ))
        .await
        .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let backups = dir.path().join("backups");
    let url = db.url_as("supabase_admin");
    let server = mcp_client::start_with_env(
        &["--database-url", &url, "--backup-dir", backups.to_str().unwrap()],
        &[("SUPAMCP_BACKUP_KEY", KEY)],
    )
    .await;

    let created = server.ok("create_backup", json!({})).await;
    let id = created["id"].as_str().unwrap().to_owned();
    let definitions = created["manifest"]["role_definitions"].as_array().unwrap();
    let names: Vec<&str> = definitions.iter().map(|d| d["name"].as_str().unwrap()).collect();
    assert!(names.contains(&app.as_str()), "{names:?}");
    assert!(
        !names.iter().any(|n| n.starts_with("supabase_") || *n == "authenticated" || *n == "postgres"),
        "{names:?}"
    );
    let saved = definitions.iter().find(|d| d["name"] == app.as_str()).unwrap();
    assert_eq!((saved["login"].clone(), saved["connection_limit"].clone()), (json!(true), json!(7)));
    assert_eq!(saved["member_of"], json!([parent]));
    let manifest_text = std::fs::read_to_string(backups.join(format!("{id}.manifest.json"))).unwrap();
    assert!(!manifest_text.contains(PASSWORD) && !manifest_text.contains("SCRAM"), "no password in the manifest");

    // The role disappears from the cluster; a restore brings it back with its grant.
    admin.batch_execute(&format!("REVOKE SELECT ON public.todos FROM {app}; DROP ROLE {app};")).await.unwrap();
    // A restore that fails after its pre-checks created the role leaves no role behind.
    let refused =
        server.err("restore_backup", json!({"backup_id": id, "target": {"new_database": {"name": db.name}}})).await;
    assert!(refused.contains("already exists") && refused.contains("dropped again"), "{refused}");
    let left: bool =
        admin.query_one("select exists(select 1 from pg_roles where rolname = $1)", &[&app]).await.unwrap().get(0);
    assert!(!left, "the role a failed restore created is gone again");
    let first = format!("{}_roles1", db.name);
    let restored =
        server.ok("restore_backup", json!({"backup_id": id, "target": {"new_database": {"name": first}}})).await;
    let text = restored.to_string();
    assert!(text.contains("roles created") && text.contains(&app), "{text}");
    assert!(!text.contains(PASSWORD), "{text}");
    let row = admin
        .query_one(
            "select r.rolcanlogin, r.rolconnlimit, pg_has_role(r.rolname, $2, 'member'), a.rolpassword is null
             from pg_roles r join pg_authid a on a.oid = r.oid where r.rolname = $1",
            &[&app, &parent],
        )
        .await
        .unwrap();
    assert_eq!(
        (row.get::<_, bool>(0), row.get::<_, i32>(1), row.get::<_, bool>(2), row.get::<_, bool>(3)),
        (true, 7, true, true)
    );
    let restored_db = db.cluster.connect(&first, "supabase_admin").await.unwrap_or_else(|f| panic!("{f}"));
    let granted: bool = restored_db
        .query_one("select has_table_privilege($1, 'public.todos', 'SELECT')", &[&app])
        .await
        .unwrap()
        .get(0);
    assert!(granted, "the grant to the recreated role was restored");

    // An existing role is never altered.
    admin.batch_execute(&format!("ALTER ROLE {app} CONNECTION LIMIT 3")).await.unwrap();
    let second = format!("{}_roles2", db.name);
    let again =
        server.ok("restore_backup", json!({"backup_id": id, "target": {"new_database": {"name": second}}})).await;
    assert!(!again.to_string().contains("roles created"), "{again}");
    let limit: i32 =
        admin.query_one("select rolconnlimit from pg_roles where rolname = $1", &[&app]).await.unwrap().get(0);
    assert_eq!(limit, 3);
    server.stop().await;
}
