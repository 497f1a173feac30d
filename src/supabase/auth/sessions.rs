//! Ending a user's sessions. GoTrue has no admin endpoint for it, so this does what GoTrue's own logout does:
//! delete the user's `auth.sessions` rows in one transaction (their refresh tokens go with them through the
//! `session_id ... ON DELETE CASCADE` key). Access tokens already issued stay valid until they expire.

use crate::failure::Failure;
use crate::pg::catalog::query_failure;
use schemars::JsonSchema;
use serde::Serialize;

/// What a sign-out removed.
#[derive(Debug, Serialize, JsonSchema)]
pub struct SignOut {
    pub user_id: String,
    pub sessions_deleted: u64,
    /// Refresh tokens of those sessions (removed by the cascade).
    pub refresh_tokens_deleted: u64,
    pub note: String,
}

/// Deletes every session of `user_id` (a checked UUID) in one transaction.
pub async fn sign_out(client: &mut tokio_postgres::Client, user_id: &str) -> Result<SignOut, Failure> {
    let id = uuid::Uuid::parse_str(user_id).map_err(|_| {
        Failure::new(format!("user_id '{user_id}' is not a UUID"), "sessions belong to a user id", "pass the id")
    })?;
    let transaction = client.transaction().await.map_err(query_failure)?;
    let has_refresh_tokens = transaction
        .query_one("SELECT to_regclass('auth.refresh_tokens') IS NOT NULL", &[])
        .await
        .map_err(query_failure)?
        .get::<_, bool>(0);
    let refresh_tokens_deleted = if has_refresh_tokens {
        let row = transaction
            .query_one(
                "SELECT count(*) FROM auth.refresh_tokens r JOIN auth.sessions s ON s.id = r.session_id \
                 WHERE s.user_id = $1",
                &[&id],
            )
            .await
            .map_err(query_failure)?;
        u64::try_from(row.get::<_, i64>(0)).unwrap_or_default()
    } else {
        0
    };
    let sessions_deleted =
        transaction.execute("DELETE FROM auth.sessions WHERE user_id = $1", &[&id]).await.map_err(query_failure)?;
    transaction.commit().await.map_err(query_failure)?;
    Ok(SignOut {
        user_id: id.to_string(),
        sessions_deleted,
        refresh_tokens_deleted,
        note: "refresh tokens are gone, so no session can be renewed; access tokens already issued stay valid until \
               they expire (JWT_EXPIRY, 1 hour by default); ban the user with update_user to refuse new sign-ins"
            .to_owned(),
    })
}

/// How many sessions `user_id` has, `None` when auth.sessions cannot be read.
pub async fn session_count(client: &impl tokio_postgres::GenericClient, user_id: &str) -> Option<i64> {
    let id = uuid::Uuid::parse_str(user_id).ok()?;
    let row = client.query_one("SELECT count(*) FROM auth.sessions WHERE user_id = $1", &[&id]).await.ok()?;
    Some(row.get(0))
}
