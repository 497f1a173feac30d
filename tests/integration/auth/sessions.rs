//! sign_out_user on a real auth schema: the user's auth.sessions rows go in one transaction, their refresh
//! tokens with them (the session_id foreign key cascades, as in GoTrue's schema), other users keep theirs;
//! get_user counts the sessions when the database is configured; check_auth_triggers judges the triggers on
//! auth.users.

use crate::gotrue_fake::{Fake, SERVICE_KEY};
use crate::{mcp_client, support};
use serde_json::json;

/// GoTrue's auth.refresh_tokens (the fixture has only users, identities and sessions).
const REFRESH_TOKENS: &str = "CREATE TABLE auth.refresh_tokens (instance_id uuid, id bigserial PRIMARY KEY, \
    token varchar(255) UNIQUE, user_id varchar(255), revoked bool, created_at timestamptz, updated_at timestamptz, \
    parent varchar(255), session_id uuid REFERENCES auth.sessions (id) ON DELETE CASCADE)";

#[tokio::test]
async fn sign_out_deletes_sessions_and_their_refresh_tokens() {
    let db = support::fresh_database("auth_sign_out").await;
    let fake = Fake::start().await;
    let ids = fake.seed_users(2);
    let admin = db.admin().await;
    admin.batch_execute(REFRESH_TOKENS).await.unwrap();
    admin.batch_execute("GRANT ALL ON auth.refresh_tokens TO postgres").await.unwrap();
    for id in &ids {
        let user: uuid::Uuid = id.parse().unwrap();
        admin
            .execute(
                "INSERT INTO auth.users (instance_id, id, aud, role, email, created_at, updated_at) \
                 VALUES ('00000000-0000-0000-0000-000000000000', $1, 'authenticated', 'authenticated', $2, now(), now())",
                &[&user, &format!("{id}@example.com")],
            )
            .await
            .unwrap();
        for n in 0..3 {
            let session = uuid::Uuid::new_v4();
            admin
                .execute(
                    "INSERT INTO auth.sessions (id, user_id, created_at) VALUES ($1, $2, now())",
                    &[&session, &user],
                )
                .await
                .unwrap();
            admin
                .execute(
                    "INSERT INTO auth.refresh_tokens (token, user_id, revoked, session_id) VALUES ($1, $2, false, $3)",
                    &[&format!("{session}-{n}"), id, &session],
                )
                .await
                .unwrap();
        }
    }
    let server = mcp_client::start_with_env(
        &["--features", "auth", "--database-url", &db.url()],
        &[("SUPABASE_URL", &fake.url), ("SUPABASE_SERVICE_ROLE_KEY", SERVICE_KEY)],
    )
    .await;
    assert_eq!(server.ok("get_user", json!({"user_id": ids[0]})).await["session_count"], 3);
    let refused = server.err("sign_out_user", json!({"user_id": ids[0]})).await;
    assert!(refused.contains("confirm"), "{refused}");
    let out = server.ok("sign_out_user", json!({"user_id": ids[0], "confirm": true})).await;
    assert_eq!(out["sessions_deleted"], 3);
    assert_eq!(out["refresh_tokens_deleted"], 3);
    assert!(out["note"].as_str().unwrap().contains("stay valid until"), "{out}");
    let count = |sql: &'static str, id: String| {
        let admin = &admin;
        async move { admin.query_one(sql, &[&id]).await.unwrap().get::<_, i64>(0) }
    };
    assert_eq!(count("SELECT count(*) FROM auth.sessions WHERE user_id::text = $1", ids[0].clone()).await, 0);
    assert_eq!(count("SELECT count(*) FROM auth.refresh_tokens WHERE user_id = $1", ids[0].clone()).await, 0);
    assert_eq!(count("SELECT count(*) FROM auth.sessions WHERE user_id::text = $1", ids[1].clone()).await, 3);
    assert_eq!(count("SELECT count(*) FROM auth.refresh_tokens WHERE user_id = $1", ids[1].clone()).await, 3);
    assert_eq!(server.ok("get_user", json!({"user_id": ids[0]})).await["session_count"], 0);
    server.stop().await;
}

#[tokio::test]
async fn check_auth_triggers_names_the_risky_functions() {
    let db = support::fresh_database("auth_triggers").await;
    let fake = Fake::start().await;
    let server = mcp_client::start_with_env(
        &["--features", "auth", "--database-url", &db.url()],
        &[("SUPABASE_URL", &fake.url), ("SUPABASE_SERVICE_ROLE_KEY", SERVICE_KEY)],
    )
    .await;
    let none = server.ok("check_auth_triggers", json!({})).await;
    assert_eq!(none["triggers"], json!([]));
    assert!(none["summary"].as_str().unwrap().contains("no triggers"), "{none}");
    db.admin()
        .await
        .batch_execute(
            "CREATE TABLE public.profiles (id uuid PRIMARY KEY, email text);
             CREATE FUNCTION public.handle_new_user() RETURNS trigger LANGUAGE plpgsql AS $$
             BEGIN INSERT INTO public.profiles (id, email) VALUES (new.id, new.email); RETURN new; END $$;
             CREATE TRIGGER on_auth_user_created AFTER INSERT ON auth.users
               FOR EACH ROW EXECUTE FUNCTION public.handle_new_user();
             CREATE FUNCTION public.safe_new_user() RETURNS trigger LANGUAGE plpgsql SECURITY DEFINER
               SET search_path = '' AS $$
             BEGIN INSERT INTO public.profiles (id) VALUES (new.id); RETURN new;
             EXCEPTION WHEN others THEN RAISE WARNING 'profile: %', sqlerrm; RETURN new; END $$;
             CREATE TRIGGER z_safe AFTER INSERT ON auth.users FOR EACH ROW EXECUTE FUNCTION public.safe_new_user();",
        )
        .await
        .unwrap();
    let report = server.ok("check_auth_triggers", json!({})).await;
    let triggers = report["triggers"].as_array().unwrap();
    assert_eq!(triggers.len(), 2, "{report}");
    assert_eq!(triggers[0]["name"], "on_auth_user_created");
    assert_eq!(triggers[0]["function"], "handle_new_user()");
    let risks = triggers[0]["risks"].to_string();
    assert!(risks.contains("no EXCEPTION block") && risks.contains("supabase_auth_admin"), "{risks}");
    assert_eq!(triggers[1]["security_definer"], true);
    assert_eq!(triggers[1]["search_path"], "\"\"");
    assert_eq!(triggers[1]["risks"], json!([]), "{report}");
    assert!(report["summary"].as_str().unwrap().contains("1 with risks"), "{report}");
    server.stop().await;
}
