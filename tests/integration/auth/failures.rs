//! What goes wrong, explained: duplicate email (422 email_exists), weak password, unknown user (404), a
//! non-UUID id, the wrong key (Kong's 401, GoTrue's 403 not_admin and bad_jwt), GoTrue down (the URL tried
//! and the fix), 5xx and 429 faults, reads retried after a 503 and writes not, read-only mode.

use super::{serve, serve_with_key};
use crate::gotrue_fake::{ANON_KEY, FOREIGN_KEY, Fake, SECRET_KEY};
use crate::mcp_client;
use serde_json::json;

#[tokio::test]
async fn gotrue_refusals_are_explained() {
    let fake = Fake::start().await;
    let server = serve(&fake).await;
    server.ok("create_user", json!({"email": "dup@example.com"})).await;
    let duplicate = server.err("create_user", json!({"email": "DUP@example.com"})).await;
    assert!(duplicate.contains("422 email_exists") && duplicate.contains("update_user"), "{duplicate}");
    let weak = server.err("create_user", json!({"email": "weak@example.com", "password": "abc"})).await;
    assert!(weak.contains("weak_password") && weak.contains("length"), "{weak}");
    let neither = server.err("create_user", json!({"user_metadata": {"a": 1}})).await;
    assert!(neither.contains("email or phone"), "{neither}");
    let unknown = server.err("get_user", json!({"user_id": uuid::Uuid::new_v4().to_string()})).await;
    assert!(unknown.contains("404 user_not_found") && unknown.contains("list_users"), "{unknown}");
    let requests = fake.state().requests.len();
    let not_uuid = server.err("update_user", json!({"user_id": "dup@example.com", "ban_duration": "1h"})).await;
    assert!(not_uuid.contains("not a UUID"), "{not_uuid}");
    assert_eq!(fake.state().requests.len(), requests, "a non-UUID id never reaches GoTrue");
    let bad_ban = server.err("update_user", json!({"user_id": fake.seed_users(1)[0], "ban_duration": "forever"})).await;
    assert!(bad_ban.contains("ban duration"), "{bad_ban}");
    let bad_time = server.err("list_users", json!({"created_after": "last tuesday"})).await;
    assert!(bad_time.contains("2026-01-31"), "{bad_time}");
    server.stop().await;
}

#[tokio::test]
async fn wrong_keys_are_named_with_their_fix() {
    let fake = Fake::start().await;
    for (key, expected) in
        [("not-a-key-kong-knows", "refused the key"), (ANON_KEY, "403 not_admin"), (FOREIGN_KEY, "403 bad_jwt")]
    {
        let server = serve_with_key(&fake, key, &[]).await;
        let error = server.err("list_users", json!({})).await;
        assert!(error.contains(expected), "{key}: {error}");
        assert!(error.contains("Fix:"), "{error}");
        server.stop().await;
    }
    // An opaque secret key goes only in apikey; the gateway swaps in the service-role JWT.
    let server = serve_with_key(&fake, SECRET_KEY, &[]).await;
    server.ok("list_users", json!({})).await;
    server.stop().await;
}

#[tokio::test]
async fn gotrue_down_and_faults() {
    let closed = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}", closed.local_addr().unwrap());
    drop(closed);
    let server = mcp_client::start_with_env(
        &["--features", "auth"],
        &[("SUPABASE_URL", &url), ("SUPABASE_SERVICE_ROLE_KEY", crate::gotrue_fake::SERVICE_KEY)],
    )
    .await;
    let down = server.err("list_users", json!({})).await;
    assert!(down.contains(&url) && down.contains("SUPABASE_URL"), "{down}");
    server.stop().await;

    let fake = Fake::start().await;
    let server = serve(&fake).await;
    fake.fail_next(&[503, 503]);
    server.ok("list_users", json!({})).await;
    fake.fail_next(&[503]);
    let write = server.err("create_user", json!({"email": "once@example.com"})).await;
    assert!(write.contains("503"), "{write}");
    assert!(fake.state().users.is_empty(), "a write is not retried");
    fake.fail_next(&[500]);
    let failed = server.err("create_user", json!({"email": "once@example.com"})).await;
    assert!(failed.contains("500 unexpected_failure") && failed.contains("health_check"), "{failed}");
    fake.fail_next(&[429]);
    let limited = server.err("invite_user", json!({"email": "x@example.com"})).await;
    assert!(limited.contains("429") && limited.contains("wait"), "{limited}");
    server.stop().await;
}

#[tokio::test]
async fn read_only_mode_lists_only_the_readers() {
    let fake = Fake::start().await;
    let server = serve_with_key(&fake, crate::gotrue_fake::SERVICE_KEY, &["--read-only"]).await;
    let tools = server.client.list_all_tools().await.unwrap();
    let names: Vec<&str> = tools.iter().map(|t| t.name.as_ref()).collect();
    for reader in ["list_users", "get_user", "list_user_factors", "get_auth_config", "get_auth_audit_log"] {
        assert!(names.contains(&reader), "{reader} missing from {names:?}");
    }
    for writer in [
        "create_user",
        "update_user",
        "delete_user",
        "generate_link",
        "invite_user",
        "sign_out_user",
        "update_auth_config",
    ] {
        assert!(!names.contains(&writer), "{writer} listed in read-only mode");
    }
    let refused = server.call("create_user", json!({"email": "ro@example.com"})).await;
    assert!(refused.is_error == Some(true) || mcp_client::text(&refused).contains("read-only"));
    assert!(fake.state().users.is_empty(), "read-only mode created nothing");
    server.stop().await;
}
