//! Every auth tool's happy path through the real binary: create, get, list with filters and 1,200-user
//! pagination, update with merged and replaced metadata, ban and unban, delete (hard and soft), factors,
//! links, invite, the audit log and the settings.

use super::serve;
use crate::gotrue_fake::Fake;
use serde_json::{Value, json};
use std::collections::BTreeSet;

#[tokio::test]
async fn users_are_created_read_updated_banned_and_deleted() {
    let fake = Fake::start().await;
    let server = serve(&fake).await;
    let created = server
        .ok(
            "create_user",
            json!({"email": "Ada@Example.com", "password": "correct-horse-battery", "email_confirm": true,
                "user_metadata": {"full_name": "Ada Lovelace", "plan": "free"}, "app_metadata": {"tier": 1}}),
        )
        .await;
    let id = created["user"]["id"].as_str().unwrap().to_owned();
    assert_eq!(created["user"]["email"], "ada@example.com", "GoTrue lower-cases the email");
    assert_eq!(created["user"]["confirmed"], true);
    assert_eq!(created["app_metadata"]["providers"], json!(["email"]));
    assert_eq!(created["app_metadata"]["tier"], 1);
    assert!(fake.bodies().contains("\"password\":\"correct-horse-battery\""), "the password reached GoTrue");

    let got = server.ok("get_user", json!({"user_id": id})).await;
    let identity = &got["user"]["identities"][0];
    assert_eq!(identity["provider"], "email");
    assert_eq!(identity["id"], id.as_str(), "the email identity's id is the user id (GoTrue's quirk)");
    assert_eq!(got["session_count"], Value::Null, "no database configured");

    let merged =
        server.ok("update_user", json!({"user_id": id, "user_metadata": {"plan": "pro", "full_name": null}})).await;
    assert_eq!(merged["user_metadata"], json!({"plan": "pro"}), "merged, and null removed a key");
    let refused =
        server.err("update_user", json!({"user_id": id, "replace_metadata": true, "user_metadata": {}})).await;
    assert!(refused.contains("confirm: true"), "{refused}");
    let replaced = server
        .ok(
            "update_user",
            json!({"user_id": id, "replace_metadata": true, "confirm": true, "user_metadata": {"only": 1}}),
        )
        .await;
    assert_eq!(replaced["user_metadata"], json!({"only": 1}));

    let banned = server.ok("update_user", json!({"user_id": id, "ban_duration": "24h"})).await;
    assert!(banned["user"]["banned_until"].is_string());
    let listed = server.ok("list_users", json!({"banned": true})).await;
    assert_eq!(listed["total"], 1);
    let unbanned = server.ok("update_user", json!({"user_id": id, "ban_duration": "none"})).await;
    assert_eq!(unbanned["user"]["banned_until"], Value::Null);
    assert_eq!(server.ok("list_users", json!({"banned": true})).await["total"], 0);

    let refused = server.err("delete_user", json!({"user_id": id})).await;
    assert!(refused.contains("confirm"), "{refused}");
    assert!(fake.user(&id).is_some(), "nothing was deleted without confirm");
    let deleted = server.ok("delete_user", json!({"user_id": id, "confirm": true})).await;
    assert_eq!(deleted["email"], "ada@example.com");
    assert!(deleted["removed"].to_string().contains("1 identities"), "{deleted}");
    assert!(fake.user(&id).is_none());
    let gone = server.err("get_user", json!({"user_id": id})).await;
    assert!(gone.contains("user_not_found") && gone.contains("list_users"), "{gone}");

    let soft = server.ok("create_user", json!({"phone": "+15550001111", "phone_confirm": true})).await;
    let soft_id = soft["user"]["id"].as_str().unwrap().to_owned();
    assert_eq!(soft["user"]["providers"], json!(["phone"]));
    server.ok("delete_user", json!({"user_id": soft_id, "soft": true, "confirm": true})).await;
    assert!(fake.user(&soft_id).unwrap()["deleted_at"].is_string(), "a soft delete keeps the row");
    server.stop().await;
}

#[tokio::test]
async fn list_users_pages_through_1200_users_and_filters() {
    let fake = Fake::start().await;
    let ids = fake.seed_users(1200);
    let server = serve(&fake).await;
    let mut seen = BTreeSet::new();
    for (page, expected, more) in [(1, 500, true), (2, 500, true), (3, 200, false)] {
        let listing = server.ok("list_users", json!({"page": page, "per_page": 500})).await;
        assert_eq!(listing["total"], 1200);
        assert_eq!(listing["has_more"], more, "page {page}");
        let users = listing["users"].as_array().unwrap();
        assert_eq!(users.len(), expected, "page {page}");
        seen.extend(users.iter().map(|u| u["id"].as_str().unwrap().to_owned()));
    }
    assert_eq!(seen.len(), 1200, "every user once");
    let first = server.ok("list_users", json!({"per_page": 1})).await;
    assert_eq!(first["users"][0]["id"], ids[1199].as_str(), "newest first");
    assert_eq!(first["users"][0]["email"], "user1200@example.com");

    let filtered = server.ok("list_users", json!({"filter": "user11"})).await;
    assert_eq!(filtered["total"], 100, "user1100..user1199");
    let unconfirmed = server.ok("list_users", json!({"confirmed": false})).await;
    assert_eq!(unconfirmed["total"], 0);
    assert_eq!(unconfirmed["scanned"], 1200);
    let page = server.ok("list_users", json!({"provider": "email", "page": 2, "per_page": 700})).await;
    assert_eq!(page["users"].as_array().unwrap().len(), 500);
    assert_eq!(page["total"], 1200);
    assert_eq!(page["has_more"], false);
    let future = server.ok("list_users", json!({"created_after": "2999-01-01"})).await;
    assert_eq!(future["total"], 0);
    let fenced = server.call("list_users", json!({"per_page": 1})).await;
    assert!(crate::mcp_client::text(&fenced).contains("untrusted-data-"), "user data is fenced");
    server.stop().await;
}

#[tokio::test]
async fn factors_links_invites_audit_and_settings() {
    let fake = Fake::start().await;
    let server = serve(&fake).await;
    let user = server.ok("create_user", json!({"email": "mfa@example.com"})).await;
    let id = user["user"]["id"].as_str().unwrap().to_owned();
    let factor = fake.add_factor(&id, "phone app");
    fake.add_factor(&id, "backup");

    let factors = server.ok("list_user_factors", json!({"user_id": id})).await;
    assert_eq!(factors["factors"].as_array().unwrap().len(), 2);
    assert_eq!(factors["factors"][0]["factor_type"], "totp");
    assert!(!factors.to_string().contains("fake-totp-secret"), "factor secrets are never shown");
    assert_eq!(server.ok("list_users", json!({"filter": "mfa@"})).await["users"][0]["factors"], 2);
    let refused = server.err("delete_user_factor", json!({"user_id": id, "factor_id": factor})).await;
    assert!(refused.contains("confirm"), "{refused}");
    let deleted = server.ok("delete_user_factor", json!({"user_id": id, "factor_id": factor, "confirm": true})).await;
    assert_eq!(deleted["deleted"]["friendly_name"], "phone app");
    let missing = server.err("delete_user_factor", json!({"user_id": id, "factor_id": factor, "confirm": true})).await;
    assert!(missing.contains("mfa_factor_not_found"), "{missing}");

    let link = server.ok("generate_link", json!({"type": "recovery", "email": "mfa@example.com"})).await;
    assert!(link["action_link"].as_str().unwrap().contains("type=recovery"), "{link}");
    assert_eq!(link["email_otp"].as_str().unwrap().len(), 6);
    assert_eq!(link["user"]["id"], id.as_str());
    let signup = server
        .ok("generate_link", json!({"type": "signup", "email": "new@example.com", "password": "pw-123456"}))
        .await;
    assert_eq!(signup["verification_type"], "signup");
    let exists = server.err("generate_link", json!({"type": "invite", "email": "new@example.com"})).await;
    assert!(exists.contains("email_exists"), "{exists}");
    let unknown = server.err("generate_link", json!({"type": "recovery", "email": "nobody@example.com"})).await;
    assert!(unknown.contains("user_not_found"), "{unknown}");

    let invited = server.ok("invite_user", json!({"email": "guest@example.com", "data": {"team": "a"}})).await;
    assert!(invited["invited_at"].is_string());
    assert_eq!(fake.state().emails_sent, vec!["guest@example.com".to_owned()]);

    let audit = server.ok("get_auth_audit_log", json!({"action": "user_signedup"})).await;
    assert_eq!(audit["total"], 3, "{audit}");
    assert_eq!(audit["entries"][0]["payload"]["action"], "user_signedup");
    let both = server.err("get_auth_audit_log", json!({"action": "login", "actor": "x"})).await;
    assert!(both.contains("only one"), "{both}");
    let deletions = server.ok("get_auth_audit_log", json!({"log_type": "factor", "since": "2000-01-01"})).await;
    assert_eq!(deletions["entries"].as_array().unwrap().len(), 1);

    let config = server.ok("get_auth_config", json!({})).await;
    assert_eq!(config["service"]["enabled_providers"], json!(["email", "github"]));
    assert_eq!(config["service"]["version"], "v2.186.0");
    assert_eq!(config["service"]["disable_signup"], false);
    assert_eq!(config["env"], serde_json::Value::Null);
    server.stop().await;
}
