//! Sessions, refresh tokens and MFA factors as GoTrue keeps them: the fake signs users in through
//! `POST /token` (rows in auth.sessions and auth.refresh_tokens, rotated on refresh) and writes enrolled factors to
//! auth.mfa_factors. Through the binary: get_user counts the sessions and lists the factors without their secret;
//! delete_user_factor removes the row and drops the sessions verified with it to aal1; sign_out_user deletes
//! the user's sessions and refresh tokens in one transaction (the user's next refresh fails as it would on
//! GoTrue), other users keep theirs; a ban refuses sign-in and refresh, unban lets the user in again;
//! check_auth_triggers judges the triggers on auth.users.

use crate::gotrue_fake::{Fake, SERVICE_KEY};
use crate::{mcp_client, support};
use serde_json::json;

async fn count(admin: &tokio_postgres::Client, sql: &str, id: &str) -> i64 {
    admin.query_one(sql, &[&id]).await.unwrap().get(0)
}

const SESSIONS: &str = "SELECT count(*) FROM auth.sessions WHERE user_id::text = $1";
const TOKENS: &str = "SELECT count(*) FROM auth.refresh_tokens WHERE user_id = $1";

#[tokio::test]
async fn sessions_and_factors_written_as_gotrue_writes_them_are_read_signed_out_and_banned() {
    let db = support::fresh_database("auth_sessions").await;
    let admin = db.admin().await;
    let fake = Fake::with_database(db.admin().await).await;
    let server = mcp_client::start_with_env(
        &["--features", "auth", "--database-url", &db.url()],
        &[("SUPABASE_URL", &fake.url), ("SUPABASE_SERVICE_ROLE_KEY", SERVICE_KEY)],
    )
    .await;
    let mut ids = Vec::new();
    for email in ["ana@example.com", "ben@example.com"] {
        let user = server
            .ok("create_user", json!({"email": email, "password": "Correct-Horse-9", "email_confirm": true}))
            .await;
        ids.push(user["user"]["id"].as_str().unwrap().to_owned());
    }
    let (ana, ben) = (ids[0].clone(), ids[1].clone());
    let (status, wrong) = fake.sign_in("ana@example.com", "wrong").await;
    assert_eq!((status, wrong["error_code"].as_str()), (400, Some("invalid_credentials")), "{wrong}");
    let mut sessions = Vec::new();
    for _ in 0..2 {
        let (status, session) = fake.sign_in("ana@example.com", "Correct-Horse-9").await;
        assert_eq!(status, 200, "{session}");
        sessions.push(session);
    }
    let (status, rotated) = fake.refresh(sessions[0]["refresh_token"].as_str().unwrap()).await;
    assert_eq!(status, 200, "{rotated}");
    let (status, reused) = fake.refresh(sessions[0]["refresh_token"].as_str().unwrap()).await;
    assert_eq!((status, reused["error_code"].as_str()), (400, Some("refresh_token_already_used")));
    assert_eq!(fake.sign_in("ben@example.com", "Correct-Horse-9").await.0, 200);
    assert_eq!(count(&admin, SESSIONS, &ana).await, 2);
    assert_eq!(count(&admin, TOKENS, &ana).await, 3, "the refresh rotated: one revoked, its successor");
    let parent: Option<String> = admin
        .query_one("SELECT parent FROM auth.refresh_tokens WHERE token = $1", &[&rotated["refresh_token"].as_str()])
        .await
        .unwrap()
        .get(0);
    assert_eq!(parent.as_deref(), sessions[0]["refresh_token"].as_str(), "the successor names its parent");
    let audit = server.ok("get_auth_audit_log", json!({"action": "token_refreshed"})).await;
    assert_eq!(audit["total"], 1, "{audit}");
    let logins = server.ok("get_auth_audit_log", json!({"action": "login"})).await;
    assert_eq!(logins["total"], 3, "{logins}");
    let rows: i64 = admin
        .query_one("SELECT count(*) FROM auth.audit_log_entries WHERE payload->>'action' = 'login'", &[])
        .await
        .unwrap()
        .get(0);
    assert_eq!(rows, 3, "the login rows are in the table too");

    let factor = fake.enroll_factor(&ana, "phone app").await;
    let session_id = admin
        .query_one("SELECT id::text FROM auth.sessions WHERE user_id::text = $1 ORDER BY created_at LIMIT 1", &[&ana])
        .await
        .unwrap()
        .get::<_, String>(0);
    fake.verify_factor(&session_id, &factor).await;
    let secret: String =
        admin.query_one("SELECT secret FROM auth.mfa_factors WHERE id::text = $1", &[&factor]).await.unwrap().get(0);
    let got = server.ok("get_user", json!({"user_id": ana})).await;
    assert_eq!(got["session_count"], 2, "{got}");
    assert_eq!(got["user"]["factors"][0]["id"], factor.as_str(), "{got}");
    assert!(got["user"]["last_sign_in_at"].is_string(), "{got}");
    let factors = server.ok("list_user_factors", json!({"user_id": ana})).await;
    assert_eq!(factors["factors"].as_array().unwrap().len(), 1, "{factors}");
    assert!(!got.to_string().contains(&secret) && !factors.to_string().contains(&secret), "no TOTP secret");
    server.ok("delete_user_factor", json!({"user_id": ana, "factor_id": factor, "confirm": true})).await;
    assert_eq!(count(&admin, "SELECT count(*) FROM auth.mfa_factors WHERE user_id::text = $1", &ana).await, 0);
    let aal: String = admin
        .query_one(
            "SELECT aal::text || coalesce(factor_id::text, '') FROM auth.sessions WHERE id::text = $1",
            &[&session_id],
        )
        .await
        .unwrap()
        .get(0);
    assert_eq!(aal, "aal1", "the session verified with the factor dropped to aal1");

    let refused = server.err("sign_out_user", json!({"user_id": ana})).await;
    assert!(refused.contains("confirm"), "{refused}");
    let out = server.ok("sign_out_user", json!({"user_id": ana, "confirm": true})).await;
    assert_eq!((out["sessions_deleted"].as_u64(), out["refresh_tokens_deleted"].as_u64()), (Some(2), Some(3)), "{out}");
    assert!(out["note"].as_str().unwrap().contains("stay valid until"), "{out}");
    assert_eq!((count(&admin, SESSIONS, &ana).await, count(&admin, TOKENS, &ana).await), (0, 0));
    assert_eq!((count(&admin, SESSIONS, &ben).await, count(&admin, TOKENS, &ben).await), (1, 1), "ben keeps his");
    let (status, gone) = fake.refresh(rotated["refresh_token"].as_str().unwrap()).await;
    assert_eq!((status, gone["error_code"].as_str()), (400, Some("refresh_token_not_found")), "{gone}");
    assert_eq!(server.ok("get_user", json!({"user_id": ana})).await["session_count"], 0);

    server.ok("update_user", json!({"user_id": ben, "ban_duration": "24h"})).await;
    let (status, banned) = fake.sign_in("ben@example.com", "Correct-Horse-9").await;
    assert_eq!((status, banned["error_code"].as_str()), (400, Some("user_banned")), "{banned}");
    let ben_token: String =
        admin.query_one("SELECT token FROM auth.refresh_tokens WHERE user_id = $1", &[&ben]).await.unwrap().get(0);
    assert_eq!(fake.refresh(&ben_token).await.1["error_code"], "user_banned", "a ban refuses refreshes too");
    assert_eq!(count(&admin, SESSIONS, &ben).await, 1, "a ban does not delete sessions (sign_out_user does)");
    server.ok("update_user", json!({"user_id": ben, "ban_duration": "none"})).await;
    assert!(server.ok("get_user", json!({"user_id": ben})).await["user"]["banned_until"].is_null());
    assert_eq!(fake.sign_in("ben@example.com", "Correct-Horse-9").await.0, 200, "unbanned: signs in again");
    let deleted = server.ok("delete_user", json!({"user_id": ben, "confirm": true})).await;
    assert!(deleted.to_string().contains("sessions"), "{deleted}");
    assert_eq!((count(&admin, SESSIONS, &ben).await, count(&admin, TOKENS, &ben).await), (0, 0), "cascaded");
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
