//! sign_out_user on a real auth schema: the user's auth.sessions rows go in one transaction, their refresh
//! tokens with them (the session_id foreign key cascades, as in GoTrue's schema), other users keep theirs;
//! get_user counts the sessions when the database is configured.

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
                .execute("INSERT INTO auth.sessions (id, user_id, created_at) VALUES ($1, $2, now())", &[&session, &user])
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
