//! GoTrue and SQL agree: with the fake writing what GoTrue writes to the fixture's auth.* tables, a user
//! created through the tools has no NULL token column, its email identity and its audit row; a hard delete
//! cascades; and when GoTrue is unreachable (no connection, or 503s after the retries) list_users and get_user
//! read auth.* with SQL, with the same filters (factors counted and listed from the auth.mfa_factors rows the fake
//! wrote, never their secret), and say so.

use crate::gotrue_fake::{Fake, SERVICE_KEY};
use crate::{mcp_client, support};
use serde_json::json;

#[tokio::test]
async fn users_created_through_gotrue_read_the_same_with_sql() {
    let db = support::fresh_database("auth_sql_path").await;
    let fake = Fake::with_database(db.admin().await).await;
    let server = mcp_client::start_with_env(
        &["--features", "auth", "--database-url", &db.url()],
        &[("SUPABASE_URL", &fake.url), ("SUPABASE_SERVICE_ROLE_KEY", SERVICE_KEY)],
    )
    .await;
    let ada = server
        .ok(
            "create_user",
            json!({"email": "ada@example.com", "password": "pw-123456", "email_confirm": true,
            "user_metadata": {"full_name": "Ada Lovelace"}}),
        )
        .await["user"]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let bob =
        server.ok("create_user", json!({"email": "bob@example.com"})).await["user"]["id"].as_str().unwrap().to_owned();
    server.ok("update_user", json!({"user_id": bob, "ban_duration": "24h"})).await;
    let admin = db.admin().await;
    let nulls: i64 = admin
        .query_one(
            "SELECT count(*) FROM auth.users WHERE confirmation_token IS NULL OR recovery_token IS NULL
               OR email_change_token_new IS NULL OR email_change IS NULL OR encrypted_password IS NULL
               OR phone_change IS NULL OR reauthentication_token IS NULL",
            &[],
        )
        .await
        .unwrap()
        .get(0);
    assert_eq!(nulls, 0, "GoTrue's token columns hold empty strings, never NULL");
    let identity = admin
        .query_one("SELECT provider, provider_id, email FROM auth.identities WHERE user_id = $1::text::uuid", &[&ada])
        .await
        .unwrap();
    assert_eq!(identity.get::<_, String>(0), "email");
    assert_eq!(identity.get::<_, String>(1), ada, "the email identity's provider_id is the user id");
    assert_eq!(identity.get::<_, String>(2), "ada@example.com");
    let signups: i64 = admin
        .query_one("SELECT count(*) FROM auth.audit_log_entries WHERE payload->>'action' = 'user_signedup'", &[])
        .await
        .unwrap()
        .get(0);
    assert_eq!(signups, 2);

    // GoTrue answering 503 past the retries: the listing comes from SQL, with the same rows and filters.
    fake.fail_next(&[503, 503, 503]);
    let listing = server.ok("list_users", json!({})).await;
    assert!(listing["note"].as_str().unwrap().contains("read from auth.users with SQL"), "{listing}");
    assert_eq!(listing["total"], 2);
    assert_eq!(listing["users"][0]["id"], bob.as_str(), "newest first");
    assert_eq!(listing["users"][1]["providers"], json!(["email"]));
    assert_eq!(listing["users"][1]["confirmed"], true);
    fake.fail_next(&[503, 503, 503]);
    let banned = server.ok("list_users", json!({"banned": true})).await;
    assert_eq!(banned["total"], 1);
    assert_eq!(banned["users"][0]["email"], "bob@example.com");
    fake.fail_next(&[503, 503, 503]);
    let by_name = server.ok("list_users", json!({"filter": "lovelace"})).await;
    assert_eq!(by_name["users"][0]["id"], ada.as_str());
    let from_api = server.ok("list_users", json!({})).await;
    assert!(from_api.get("note").is_none(), "{from_api}");

    server.ok("delete_user", json!({"user_id": ada, "confirm": true})).await;
    let left: i64 = admin
        .query_one("SELECT count(*) FROM auth.identities WHERE user_id = $1::text::uuid", &[&ada])
        .await
        .unwrap()
        .get(0);
    assert_eq!(left, 0, "the identities went with the user");
    let factor = fake.enroll_factor(&bob, "authenticator").await;
    server.stop().await;

    // GoTrue not reachable at all: same answer from SQL, naming what failed.
    let closed = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}", closed.local_addr().unwrap());
    drop(closed);
    let server = mcp_client::start_with_env(
        &["--features", "auth", "--database-url", &db.url()],
        &[("SUPABASE_URL", &url), ("SUPABASE_SERVICE_ROLE_KEY", SERVICE_KEY)],
    )
    .await;
    let listing = server.ok("list_users", json!({})).await;
    assert_eq!(listing["total"], 1);
    assert!(listing["note"].as_str().unwrap().contains(&url), "{listing}");
    assert_eq!(listing["users"][0]["factors"], 1, "counted in auth.mfa_factors: {listing}");
    let got = server.ok("get_user", json!({"user_id": bob})).await;
    assert!(got["note"].as_str().unwrap().contains("read from auth.users with SQL"), "{got}");
    assert_eq!(got["user"]["email"], "bob@example.com");
    assert!(got["user"]["banned_until"].is_string());
    assert_eq!(got["user"]["identities"][0]["id"], bob.as_str());
    assert_eq!(got["user"]["identities"][0]["provider"], "email");
    assert_eq!(got["session_count"], 0);
    assert_eq!(got["user"]["factors"][0]["id"], factor.as_str(), "{got}");
    assert_eq!(got["user"]["factors"][0]["factor_type"], "totp");
    assert!(!got.to_string().contains("fake-totp-secret"), "never the factor's secret: {got}");
    let missing = server.err("get_user", json!({"user_id": ada})).await;
    assert!(missing.contains("not found in auth.users"), "{missing}");
    server.stop().await;
}
