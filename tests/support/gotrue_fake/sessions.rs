//! Sign-in and token refresh (`POST /token?grant_type=password|refresh_token`), kept where GoTrue keeps them:
//! in auth.sessions and auth.refresh_tokens of the fixture database, never in the fake's memory. A password
//! grant writes one aal1 session and its first refresh token (parent NULL), sets last_sign_in_at and logs
//! `login`; a refresh revokes the token it was given and writes its successor (parent = the old token) in the
//! same session, logging `token_revoked` and `token_refreshed`. A banned user gets 400 user_banned, wrong credentials 400 invalid_credentials, a token whose
//! session is gone 400 refresh_token_not_found: what a client sees after sign_out_user.

use super::routes::{ApiError, Database, Reply, Shared};
use base64::Engine;
use serde_json::{Value, json};

fn bad_request(code: &str, msg: &str) -> ApiError {
    ApiError::new(400, code, msg)
}

fn db_error(error: tokio_postgres::Error) -> ApiError {
    ApiError::new(500, "unexpected_failure", format!("Database error: {error}"))
}

/// A JWT-shaped access token carrying GoTrue's claims (signed with nothing the tests check).
fn access_token(user: &Value, session_id: &uuid::Uuid, aal: &str, exp: i64) -> String {
    let encode = |v: Value| base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(v.to_string());
    let header = encode(json!({"alg": "HS256", "typ": "JWT"}));
    let claims = encode(json!({"sub": user["id"], "aud": "authenticated", "role": "authenticated", "exp": exp,
        "email": user["email"], "session_id": session_id.to_string(), "aal": aal, "is_anonymous": false}));
    format!("{header}.{claims}.fake-user-signature")
}

fn banned(user: &Value) -> bool {
    user["banned_until"]
        .as_str()
        .and_then(|t| chrono::DateTime::parse_from_rfc3339(t).ok())
        .is_some_and(|until| until > chrono::Utc::now())
}

fn session_reply(user: &Value, session_id: &uuid::Uuid, refresh_token: &str, aal: &str) -> Reply {
    let expires_at = chrono::Utc::now().timestamp() + 3600;
    Reply::ok(json!({"access_token": access_token(user, session_id, aal, expires_at), "token_type": "bearer",
        "expires_in": 3600, "expires_at": expires_at, "refresh_token": refresh_token, "user": user}))
}

/// `POST /token?grant_type=...`.
pub async fn grant(
    state: &Shared,
    database: Option<&Database>,
    grant_type: &str,
    body: &Value,
) -> Result<Reply, ApiError> {
    let Some(database) = database else {
        return Err(ApiError::new(
            500,
            "unexpected_failure",
            "this fake keeps sessions in a database: use with_database",
        ));
    };
    match grant_type {
        "password" => password(state, database, body).await,
        "refresh_token" => refresh(state, database, body).await,
        _ => Err(bad_request("validation_failed", "unsupported_grant_type")),
    }
}

async fn password(state: &Shared, database: &Database, body: &Value) -> Result<Reply, ApiError> {
    let email = body["email"].as_str().unwrap_or_default().to_lowercase();
    let given = body["password"].as_str().unwrap_or_default();
    let (user, rows, audit) = {
        let mut state = state.lock().unwrap();
        let invalid = || bad_request("invalid_credentials", "Invalid login credentials");
        let user = state.by_email(&email).ok_or_else(invalid)?;
        if user.password.as_deref() != Some(given) || given.is_empty() {
            return Err(invalid());
        }
        if banned(&user.json) {
            return Err(bad_request("user_banned", "User is banned"));
        }
        if user.json["email_confirmed_at"].is_null() {
            return Err(bad_request("email_not_confirmed", "Email not confirmed"));
        }
        let id = user.json["id"].as_str().unwrap_or_default().to_owned();
        let now = state.now();
        let stored = state.user_mut(&id).unwrap();
        stored.json["last_sign_in_at"] = json!(now);
        for identity in stored.json["identities"].as_array_mut().into_iter().flatten() {
            identity["last_sign_in_at"] = json!(now);
        }
        let user = stored.json.clone();
        let created_at = state.now();
        state.audit.push(json!({"id": uuid::Uuid::new_v4().to_string(), "created_at": created_at, "ip_address": "",
            "payload": {"actor_id": id, "actor_username": email, "actor_via_sso": false, "action": "login",
                "log_type": "account", "traits": {"provider": "email"}}}));
        let audit = state.audit[state.synced_audit..].to_vec();
        state.synced_audit = state.audit.len();
        (user, super::mirror::rows(&state), audit)
    };
    let mut client = database.lock().await;
    super::mirror::sync(&mut client, &rows, &audit).await.map_err(db_error)?;
    let user_id: uuid::Uuid = user["id"].as_str().unwrap_or_default().parse().unwrap_or_default();
    let session_id = uuid::Uuid::new_v4();
    let token = uuid::Uuid::new_v4().simple().to_string()[..12].to_owned();
    let transaction = client.transaction().await.map_err(db_error)?;
    transaction
        .execute(
            "INSERT INTO auth.sessions (id, user_id, created_at, updated_at, aal, user_agent, ip) \
             VALUES ($1, $2, now(), now(), 'aal1', 'supamcp-tests', '127.0.0.1')",
            &[&session_id, &user_id],
        )
        .await
        .map_err(db_error)?;
    transaction
        .execute(
            "INSERT INTO auth.refresh_tokens (instance_id, token, user_id, revoked, created_at, updated_at, parent, \
             session_id) VALUES ('00000000-0000-0000-0000-000000000000', $1, $2, false, now(), now(), NULL, $3)",
            &[&token, &user_id.to_string(), &session_id],
        )
        .await
        .map_err(db_error)?;
    transaction.commit().await.map_err(db_error)?;
    Ok(session_reply(&user, &session_id, &token, "aal1"))
}

async fn refresh(state: &Shared, database: &Database, body: &Value) -> Result<Reply, ApiError> {
    let old = body["refresh_token"].as_str().unwrap_or_default().to_owned();
    let mut client = database.lock().await;
    let transaction = client.transaction().await.map_err(db_error)?;
    let row = transaction
        .query_opt(
            "SELECT r.user_id, r.revoked, r.session_id, s.aal::text FROM auth.refresh_tokens r \
             JOIN auth.sessions s ON s.id = r.session_id WHERE r.token = $1 FOR UPDATE OF r",
            &[&old],
        )
        .await
        .map_err(db_error)?
        .ok_or_else(|| bad_request("refresh_token_not_found", "Invalid Refresh Token: Refresh Token Not Found"))?;
    let (user_id, revoked, session_id, aal): (String, bool, uuid::Uuid, Option<String>) =
        (row.get(0), row.get(1), row.get(2), row.get(3));
    if revoked {
        return Err(bad_request("refresh_token_already_used", "Invalid Refresh Token: Already Used"));
    }
    let user = state
        .lock()
        .unwrap()
        .user(&user_id)
        .map(|u| u.json.clone())
        .ok_or_else(|| ApiError::new(404, "user_not_found", "User not found"))?;
    if banned(&user) {
        return Err(bad_request("user_banned", "User is banned"));
    }
    let token = uuid::Uuid::new_v4().simple().to_string()[..12].to_owned();
    transaction
        .execute("UPDATE auth.refresh_tokens SET revoked = true, updated_at = now() WHERE token = $1", &[&old])
        .await
        .map_err(db_error)?;
    transaction
        .execute(
            "INSERT INTO auth.refresh_tokens (instance_id, token, user_id, revoked, created_at, updated_at, parent, \
             session_id) VALUES ('00000000-0000-0000-0000-000000000000', $1, $2, false, now(), now(), $3, $4)",
            &[&token, &user_id, &old, &session_id],
        )
        .await
        .map_err(db_error)?;
    transaction
        .execute("UPDATE auth.sessions SET refreshed_at = now(), updated_at = now() WHERE id = $1", &[&session_id])
        .await
        .map_err(db_error)?;
    transaction.commit().await.map_err(db_error)?;
    let audit = {
        let mut state = state.lock().unwrap();
        for action in ["token_revoked", "token_refreshed"] {
            let created_at = state.now();
            state.audit.push(json!({"id": uuid::Uuid::new_v4().to_string(), "created_at": created_at,
                "ip_address": "", "payload": {"actor_id": user_id, "actor_username": user["email"],
                    "actor_via_sso": false, "action": action, "log_type": "token"}}));
        }
        let audit = state.audit[state.synced_audit..].to_vec();
        state.synced_audit = state.audit.len();
        (super::mirror::rows(&state), audit)
    };
    super::mirror::sync(&mut client, &audit.0, &audit.1).await.map_err(db_error)?;
    Ok(session_reply(&user, &session_id, &token, aal.as_deref().unwrap_or("aal1")))
}

/// What GoTrue writes when a session verifies a factor (`POST /factors/{id}/verify`): the session goes to aal2
/// bound to the factor, with a `totp` AMR claim.
pub async fn verify_factor(
    database: &Database,
    session_id: &str,
    factor_id: &str,
) -> Result<(), tokio_postgres::Error> {
    let session: uuid::Uuid = session_id.parse().unwrap();
    let factor: uuid::Uuid = factor_id.parse().unwrap();
    let client = database.lock().await;
    client
        .execute(
            "UPDATE auth.sessions SET aal = 'aal2', factor_id = $2, updated_at = now() WHERE id = $1",
            &[&session, &factor],
        )
        .await?;
    client
        .execute(
            "INSERT INTO auth.mfa_amr_claims (session_id, created_at, updated_at, authentication_method, id) \
             VALUES ($1, now(), now(), 'totp', $2)",
            &[&session, &uuid::Uuid::new_v4()],
        )
        .await?;
    Ok(())
}
