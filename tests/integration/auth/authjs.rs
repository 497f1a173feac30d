//! The fake GoTrue speaks the real protocol: the official admin client, `@supabase/auth-js` (pinned in
//! scripts/test.sh, installed into .tools), runs createUser, listUsers (its pagination from `X-Total-Count`
//! and `Link`), updateUserById, generateLink, mfa.listFactors, getUserById and deleteUser against it, and
//! every call gets the shapes the client expects, errors included (auth-js reads the versioned shape); and an
//! app's GoTrueClient signs in and refreshes against it, the session landing in the fixture's auth tables.

use crate::gotrue_fake::{Fake, SERVICE_KEY};
use serde_json::{Value, json};

const AUTH_JS: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/.tools/node_modules/@supabase/auth-js");
const SCRIPT: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/support/gotrue_fake/authjs_check.cjs");
const SESSIONS_SCRIPT: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/support/gotrue_fake/authjs_sessions.cjs");

/// Runs an auth-js script against `fake` and returns the JSON it printed.
async fn run_auth_js(script: &str, fake: &Fake) -> Value {
    assert!(
        std::path::Path::new(AUTH_JS).join("package.json").exists(),
        "@supabase/auth-js is missing from .tools: run scripts/test.sh (it installs it)"
    );
    let output = tokio::process::Command::new("node")
        .arg(script)
        .env("AUTH_JS", AUTH_JS)
        .env("GOTRUE_URL", &fake.url)
        .env("SERVICE_KEY", SERVICE_KEY)
        .env("ANON_KEY", crate::gotrue_fake::ANON_KEY)
        .output()
        .await
        .expect("run node");
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(output.status.success(), "auth-js script failed: {stderr}");
    serde_json::from_slice(&output.stdout).unwrap_or_else(|e| panic!("{e}: {stderr}"))
}

#[tokio::test]
async fn the_official_admin_client_gets_what_it_expects() {
    let fake = Fake::start().await;
    let out = run_auth_js(SCRIPT, &fake).await;

    assert_eq!(out["create"]["error"], Value::Null, "{out}");
    assert_eq!(out["create"]["email"], "js@example.com");
    assert_eq!(out["create"]["confirmed"], true);
    assert_eq!(out["create"]["identities"], 1);
    assert_eq!(out["create"]["providers"], json!(["email"]));
    assert_eq!(out["duplicate"]["status"], 422, "{out}");
    assert_eq!(out["duplicate"]["code"], "email_exists");
    assert_eq!(out["duplicate"]["name"], "AuthApiError");

    assert_eq!(out["list"]["error"], Value::Null);
    assert_eq!(out["list"]["count"], 2);
    assert_eq!(out["list"]["total"], 3, "from X-Total-Count");
    assert_eq!(out["list"]["nextPage"], 2, "from the Link header");
    assert_eq!(out["list"]["lastPage"], 2);
    assert_eq!(out["list"]["aud"], "authenticated");

    assert_eq!(out["update"]["error"], Value::Null);
    assert_eq!(out["update"]["metadata"], json!({"from": "auth-js", "plan": "pro"}), "merged");
    assert_eq!(out["update"]["banned"], true);
    assert_eq!(out["bad_ban"]["status"], 400);
    assert_eq!(out["bad_ban"]["code"], "validation_failed");

    assert_eq!(out["link"]["error"], Value::Null, "{out}");
    assert_eq!(out["link"]["user_id"], out["create"]["id"], "generateLink regroups the flat reply into user");
    assert_eq!(out["link"]["has_action_link"], true);
    assert_eq!(out["link"]["verification_type"], "magiclink");
    assert_eq!(out["link"]["otp_length"], 6);
    assert_eq!(out["factors"], json!({"error": null, "count": 0}));
    assert_eq!(out["get"]["email"], "js@example.com");
    assert_eq!(out["missing"]["status"], 404);
    assert_eq!(out["missing"]["code"], "user_not_found");
    assert_eq!(out["delete"]["error"], Value::Null);
    assert_eq!(out["after_delete"]["code"], "user_not_found");
    assert_eq!(out["soft_delete"]["error"], Value::Null);
    let requests = fake.state().requests.join("\n");
    assert!(requests.contains("GET /auth/v1/admin/users?page=1&per_page=2"), "{requests}");
}

/// An app's sign-in and refresh with auth-js's GoTrueClient (anon key): the session and the rotated refresh
/// token land in auth.sessions / auth.refresh_tokens as GoTrue writes them.
#[tokio::test]
async fn the_official_client_signs_in_and_refreshes_into_the_auth_tables() {
    let db = crate::support::fresh_database("auth_js_sessions").await;
    let fake = Fake::with_database(db.admin().await).await;
    let out = run_auth_js(SESSIONS_SCRIPT, &fake).await;
    assert_eq!(out["wrong"]["status"], 400, "{out}");
    assert_eq!(out["wrong"]["code"], "invalid_credentials", "{out}");
    assert_eq!(out["sign_in"]["error"], Value::Null, "{out}");
    assert_eq!(out["sign_in"]["user_id"], out["user_id"]);
    assert_eq!(out["sign_in"]["expires_in"], 3600);
    assert_eq!(out["refresh"]["error"], Value::Null, "{out}");
    let (first, second) = (out["sign_in"]["refresh_token"].as_str().unwrap(), out["refresh"]["refresh_token"].as_str());
    assert_ne!(Some(first), second, "the refresh rotated the token");
    let admin = db.admin().await;
    let user = out["user_id"].as_str().unwrap();
    let rows = admin
        .query(
            "SELECT r.token, r.revoked, r.parent FROM auth.refresh_tokens r JOIN auth.sessions s ON s.id = r.session_id \
             WHERE s.user_id::text = $1 ORDER BY r.id",
            &[&user],
        )
        .await
        .unwrap();
    let rows: Vec<(String, bool, Option<String>)> = rows.iter().map(|r| (r.get(0), r.get(1), r.get(2))).collect();
    assert_eq!(
        rows,
        vec![(first.to_owned(), true, None), (second.unwrap().to_owned(), false, Some(first.to_owned()))],
        "one session, its first token revoked and the successor naming it"
    );
}
