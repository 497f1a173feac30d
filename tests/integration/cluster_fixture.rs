//! The Supabase-like fixture on a real cluster: column lists, generated columns, roles and their
//! attributes, RLS, the realtime publication, the read-only role, and the sample app.

// A test crate: helpers outside #[test] functions fail loudly on purpose.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use crate::support;

use tokio_postgres::Client;

async fn strings(client: &Client, sql: &str, params: &[&(dyn tokio_postgres::types::ToSql + Sync)]) -> Vec<String> {
    let rows = client.query(sql, params).await.unwrap_or_else(|e| panic!("{sql}: {e}"));
    rows.iter().map(|row| row.get::<_, String>(0)).collect()
}

async fn count(client: &Client, sql: &str) -> i64 {
    client.query_one(sql, &[]).await.unwrap_or_else(|e| panic!("{sql}: {e}")).get(0)
}

const COLUMNS_SQL: &str = "select column_name::text from information_schema.columns \
                           where table_schema = $1 and table_name = $2 order by ordinal_position";
const GENERATED_SQL: &str = "select column_name::text from information_schema.columns \
                             where table_schema = $1 and table_name = $2 and is_generated = 'ALWAYS'";

#[tokio::test]
async fn auth_users_has_the_35_reference_columns_in_order() {
    let db = support::fresh_database("auth_users_columns").await;
    let client = db.client().await;
    let columns = strings(&client, COLUMNS_SQL, &[&"auth", &"users"]).await;
    let expected = [
        "instance_id",
        "id",
        "aud",
        "role",
        "email",
        "encrypted_password",
        "email_confirmed_at",
        "invited_at",
        "confirmation_token",
        "confirmation_sent_at",
        "recovery_token",
        "recovery_sent_at",
        "email_change_token_new",
        "email_change",
        "email_change_sent_at",
        "last_sign_in_at",
        "raw_app_meta_data",
        "raw_user_meta_data",
        "is_super_admin",
        "created_at",
        "updated_at",
        "phone",
        "phone_confirmed_at",
        "phone_change",
        "phone_change_token",
        "phone_change_sent_at",
        "confirmed_at",
        "email_change_token_current",
        "email_change_confirm_status",
        "banned_until",
        "reauthentication_token",
        "reauthentication_sent_at",
        "is_sso_user",
        "deleted_at",
        "is_anonymous",
    ];
    assert_eq!(columns, expected);
    assert_eq!(strings(&client, GENERATED_SQL, &[&"auth", &"users"]).await, ["confirmed_at"]);
    let partial_index: String = client
        .query_one(
            "select indexdef from pg_indexes where schemaname = 'auth' and indexname = 'users_email_partial_key'",
            &[],
        )
        .await
        .unwrap_or_else(|e| panic!("{e}"))
        .get(0);
    assert!(partial_index.contains("UNIQUE") && partial_index.contains("is_sso_user = false"), "{partial_index}");
}

#[tokio::test]
async fn generated_columns_compute_like_upstream() {
    let db = support::fresh_database("generated_columns").await;
    let client = db.admin().await;
    client
        .batch_execute(
            "insert into auth.users (id, email, email_confirmed_at, phone_confirmed_at)
               values ('00000000-0000-0000-0000-000000000001', 'a@example.com', '2025-02-01Z', '2025-01-01Z');
             insert into auth.identities (provider_id, user_id, identity_data, provider)
               values ('p1', '00000000-0000-0000-0000-000000000001', '{\"email\": \"A@Example.COM\"}', 'email');
             insert into storage.buckets (id, name) values ('b', 'b');
             insert into storage.objects (bucket_id, name) values ('b', 'folder/sub/file.png');",
        )
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    let confirmed: String = client
        .query_one("select confirmed_at::date::text from auth.users", &[])
        .await
        .unwrap_or_else(|e| panic!("{e}"))
        .get(0);
    assert_eq!(confirmed, "2025-01-01");
    assert_eq!(strings(&client, "select email from auth.identities", &[]).await, ["a@example.com"]);
    let tokens: Vec<String> =
        client.query_one("select path_tokens from storage.objects", &[]).await.unwrap_or_else(|e| panic!("{e}")).get(0);
    assert_eq!(tokens, ["folder", "sub", "file.png"]);
    assert_eq!(strings(&client, GENERATED_SQL, &[&"storage", &"objects"]).await, ["path_tokens"]);
    let bucket_type: String =
        client.query_one("select type::text from storage.buckets", &[]).await.unwrap_or_else(|e| panic!("{e}")).get(0);
    assert_eq!(bucket_type, "STANDARD");
}

#[tokio::test]
async fn storage_and_session_tables_have_the_2026_columns() {
    let db = support::fresh_database("storage_columns").await;
    let client = db.client().await;
    let objects = strings(&client, COLUMNS_SQL, &[&"storage", &"objects"]).await;
    assert_eq!(objects.len(), 15, "{objects:?}");
    assert_eq!(&objects[12..], ["archived_at", "is_delete_marker", "is_versioned"]);
    let buckets = strings(&client, COLUMNS_SQL, &[&"storage", &"buckets"]).await;
    assert_eq!(buckets.last().map(String::as_str), Some("versioning_status"));
    let identities = strings(&client, COLUMNS_SQL, &[&"auth", &"identities"]).await;
    assert_eq!(identities.first().map(String::as_str), Some("provider_id"));
    assert_eq!(identities.last().map(String::as_str), Some("id"));
    let refreshed_type = strings(
        &client,
        "select data_type::text from information_schema.columns \
         where table_schema = 'auth' and table_name = 'sessions' and column_name = 'refreshed_at'",
        &[],
    )
    .await;
    assert_eq!(refreshed_type, ["timestamp without time zone"]);
}

#[tokio::test]
async fn roles_have_the_reference_attributes() {
    let db = support::fresh_database("roles").await;
    let client = db.client().await;
    let flags = |role: &'static str| {
        let client = &client;
        async move {
            let row = client
                .query_one(
                    "select rolsuper, rolinherit, rolcanlogin, rolbypassrls, rolcreaterole from pg_roles where rolname = $1",
                    &[&role],
                )
                .await
                .unwrap_or_else(|e| panic!("{role}: {e}"));
            (
                row.get::<_, bool>(0),
                row.get::<_, bool>(1),
                row.get::<_, bool>(2),
                row.get::<_, bool>(3),
                row.get::<_, bool>(4),
            )
        }
    };
    // (super, inherit, login, bypassrls, createrole)
    assert_eq!(flags("supabase_admin").await, (true, true, true, true, true));
    assert_eq!(flags("postgres").await, (false, true, true, true, true));
    assert_eq!(flags("authenticator").await, (false, false, true, false, false));
    assert_eq!(flags("service_role").await, (false, true, false, true, false));
    assert_eq!(flags("anon").await, (false, true, false, false, false));
    assert_eq!(flags("supabase_read_only_user").await, (false, true, true, true, false));
    let members = |role: &'static str| {
        let client = &client;
        async move {
            strings(
                client,
                "select g.rolname::text from pg_auth_members m join pg_roles g on g.oid = m.roleid \
                 join pg_roles r on r.oid = m.member where r.rolname = $1 order by 1",
                &[&role],
            )
            .await
        }
    };
    assert_eq!(members("authenticator").await, ["anon", "authenticated", "service_role"]);
    assert_eq!(members("supabase_read_only_user").await, ["pg_read_all_data"]);
    let postgres_roles = members("postgres").await;
    for role in ["anon", "pg_read_all_data", "supabase_superuser", "supabase_functions_admin"] {
        assert!(postgres_roles.iter().any(|r| r == role), "postgres lacks {role}: {postgres_roles:?}");
    }
    assert!(!postgres_roles.iter().any(|r| r == "supabase_auth_admin"), "{postgres_roles:?}");
    // The gotcha: no session_preload_libraries, so authenticator can log in on stock PostgreSQL.
    let authenticator = db.client_as("authenticator").await;
    authenticator.batch_execute("set role anon").await.unwrap_or_else(|e| panic!("{e}"));
}

#[tokio::test]
async fn rls_is_enabled_on_the_five_tables_and_the_publication_is_empty() {
    let db = support::fresh_database("rls_publication").await;
    let client = db.client().await;
    let with_rls = strings(
        &client,
        "select n.nspname || '.' || c.relname from pg_class c join pg_namespace n on n.oid = c.relnamespace \
         where n.nspname in ('auth', 'storage') and c.relkind = 'r' and c.relrowsecurity order by 1",
        &[],
    )
    .await;
    assert_eq!(with_rls, ["auth.identities", "auth.sessions", "auth.users", "storage.buckets", "storage.objects"]);
    let row = client
        .query_one("select puballtables, pubinsert and pubupdate and pubdelete and pubtruncate from pg_publication where pubname = 'supabase_realtime'", &[])
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!((row.get::<_, bool>(0), row.get::<_, bool>(1)), (false, true));
    assert_eq!(count(&client, "select count(*) from pg_publication_tables").await, 0);
    let owners = strings(
        &client,
        "select tableowner::text from pg_tables where schemaname in ('auth', 'storage') order by schemaname, tablename",
        &[],
    )
    .await;
    assert_eq!(
        owners,
        [
            "supabase_auth_admin",
            "supabase_auth_admin",
            "supabase_auth_admin",
            "supabase_storage_admin",
            "supabase_storage_admin"
        ]
    );
}

#[tokio::test]
async fn schemas_extensions_and_helpers_are_in_place() {
    let db = support::fresh_database("schemas").await;
    let client = db.client().await;
    let schemas = strings(&client, "select nspname::text from pg_namespace", &[]).await;
    for schema in [
        "auth",
        "storage",
        "realtime",
        "_realtime",
        "extensions",
        "graphql",
        "graphql_public",
        "vault",
        "pgsodium",
        "pgbouncer",
        "supabase_functions",
        "supabase_migrations",
    ] {
        assert!(schemas.iter().any(|s| s == schema), "missing schema {schema}");
    }
    let extensions = strings(
        &client,
        "select e.extname || '@' || n.nspname from pg_extension e join pg_namespace n on n.oid = e.extnamespace \
         where e.extname <> 'plpgsql' order by 1",
        &[],
    )
    .await;
    assert_eq!(extensions, ["pgcrypto@extensions", "uuid-ossp@extensions"]);
    client
        .batch_execute("set request.jwt.claims = '{\"sub\": \"00000000-0000-0000-0000-00000000000a\", \"role\": \"authenticated\", \"email\": \"x@example.com\"}'")
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    let row = client
        .query_one("select auth.uid()::text, auth.role(), auth.email(), auth.jwt() ->> 'role', graphql_public.graphql() -> 'errors' is not null", &[])
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(row.get::<_, String>(0), "00000000-0000-0000-0000-00000000000a");
    assert_eq!(row.get::<_, String>(1), "authenticated");
    assert_eq!(row.get::<_, String>(2), "x@example.com");
    assert_eq!(row.get::<_, String>(3), "authenticated");
    assert!(row.get::<_, bool>(4));
}

#[tokio::test]
async fn read_only_user_reads_everything_and_writes_nothing() {
    let db = support::fresh_sample_database("read_only_user").await;
    let reader = db.client_as("supabase_read_only_user").await;
    assert_eq!(count(&reader, "select count(*) from public.todos").await, 300);
    assert_eq!(count(&reader, "select count(*) from auth.users").await, 20);
    let denied = reader.batch_execute("insert into public.profiles (id) values (gen_random_uuid())").await;
    let code = denied.err().and_then(|e| e.code().cloned());
    assert_eq!(code, Some(tokio_postgres::error::SqlState::INSUFFICIENT_PRIVILEGE));
}

#[tokio::test]
async fn sample_app_has_its_rows_policies_and_realtime_table() {
    let db = support::fresh_sample_database("sample_app").await;
    let client = db.client().await;
    for (sql, expected) in [
        ("select count(*) from public.profiles", 20),
        ("select count(*) from public.projects", 40),
        ("select count(*) from auth.identities", 19),
        ("select count(*) from storage.objects", 30),
        ("select count(*) from public.todos where attachment is not null", 30),
        ("select count(*) from public.project_summary", 40),
        ("select count(*) from pg_publication_tables where pubname = 'supabase_realtime' and tablename = 'todos'", 1),
    ] {
        assert_eq!(count(&client, sql).await, expected, "{sql}");
    }
    // As the API's authenticated role with user 1's claims, RLS shows only user 1's projects.
    let owner: String =
        client.query_one("select md5('user-1')::uuid::text", &[]).await.unwrap_or_else(|e| panic!("{e}")).get(0);
    let owned: i64 = client
        .query_one("select count(*) from public.projects where owner_id = $1::text::uuid", &[&owner])
        .await
        .unwrap_or_else(|e| panic!("{e}"))
        .get(0);
    assert!(owned > 0);
    let claims = format!("{{\"sub\": \"{owner}\"}}");
    client
        .execute("select set_config('request.jwt.claims', $1, false)", &[&claims])
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    client.batch_execute("set role authenticated").await.unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(count(&client, "select count(*) from public.projects").await, owned);
}

#[tokio::test]
async fn the_second_slot_is_a_separate_cluster_with_the_same_fixture() {
    let a = support::fresh_database_in(support::Slot::A, "slot_a", false).await;
    let b = support::fresh_database_in(support::Slot::B, "slot_b", true).await;
    assert_ne!(a.cluster.socket_dir(), b.cluster.socket_dir());
    let (client_a, client_b) = (a.client().await, b.client().await);
    assert_eq!(count(&client_a, "select count(*) from auth.users").await, 0);
    assert_eq!(count(&client_b, "select count(*) from auth.users").await, 20);
    let system_id = "select system_identifier::text from pg_control_system()";
    assert_ne!(strings(&client_a, system_id, &[]).await, strings(&client_b, system_id, &[]).await);
}
