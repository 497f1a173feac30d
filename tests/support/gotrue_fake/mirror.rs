//! The fake's state written to the real fixture database after every change, as GoTrue writes it: auth.users
//! with empty strings (not NULL) in the token columns and a bcrypt-shaped encrypted_password, the identities
//! (their `email` column is generated), and the audit rows. SQL-side reads and the fake then agree.

use serde_json::Value;
use tokio_postgres::Client;

/// GoTrue's audit table (the Supabase fixture has only users, identities and sessions).
pub const AUDIT_TABLE: &str = "CREATE TABLE IF NOT EXISTS auth.audit_log_entries (instance_id uuid, id uuid NOT NULL \
    PRIMARY KEY, payload json, created_at timestamptz, ip_address varchar(64) NOT NULL DEFAULT '')";

const UPSERT_USER: &str = "\
INSERT INTO auth.users (instance_id, id, aud, role, email, encrypted_password, email_confirmed_at, invited_at,
    confirmation_token, confirmation_sent_at, recovery_token, recovery_sent_at, email_change_token_new, email_change,
    email_change_sent_at, last_sign_in_at, raw_app_meta_data, raw_user_meta_data, is_super_admin, created_at,
    updated_at, phone, phone_confirmed_at, phone_change, phone_change_token, email_change_token_current,
    banned_until, reauthentication_token, is_sso_user, deleted_at, is_anonymous)
SELECT '00000000-0000-0000-0000-000000000000', (u->>'id')::uuid, u->>'aud', u->>'role', nullif(u->>'email', ''),
    $2, (u->>'email_confirmed_at')::timestamptz, (u->>'invited_at')::timestamptz, '',
    (u->>'confirmation_sent_at')::timestamptz, '', (u->>'recovery_sent_at')::timestamptz, '',
    coalesce(u->>'new_email', ''), (u->>'email_change_sent_at')::timestamptz, (u->>'last_sign_in_at')::timestamptz,
    u->'app_metadata', u->'user_metadata', false, (u->>'created_at')::timestamptz, (u->>'updated_at')::timestamptz,
    nullif(u->>'phone', ''), (u->>'phone_confirmed_at')::timestamptz, '', '', '', (u->>'banned_until')::timestamptz,
    '', false, (u->>'deleted_at')::timestamptz, (u->>'is_anonymous')::bool
FROM (SELECT $1::jsonb AS u) s
ON CONFLICT (id) DO UPDATE SET email = EXCLUDED.email, email_confirmed_at = EXCLUDED.email_confirmed_at,
    invited_at = EXCLUDED.invited_at, confirmation_sent_at = EXCLUDED.confirmation_sent_at,
    recovery_sent_at = EXCLUDED.recovery_sent_at, email_change = EXCLUDED.email_change,
    email_change_sent_at = EXCLUDED.email_change_sent_at, raw_app_meta_data = EXCLUDED.raw_app_meta_data,
    raw_user_meta_data = EXCLUDED.raw_user_meta_data, updated_at = EXCLUDED.updated_at, phone = EXCLUDED.phone,
    phone_confirmed_at = EXCLUDED.phone_confirmed_at, banned_until = EXCLUDED.banned_until,
    deleted_at = EXCLUDED.deleted_at";

const IDENTITIES: &str = "\
INSERT INTO auth.identities (provider_id, user_id, identity_data, provider, last_sign_in_at, created_at, updated_at, id)
SELECT i->>'id', (i->>'user_id')::uuid, i->'identity_data', i->>'provider', (i->>'last_sign_in_at')::timestamptz,
    (i->>'created_at')::timestamptz, (i->>'updated_at')::timestamptz, (i->>'identity_id')::uuid
FROM jsonb_array_elements($1::jsonb) i";

/// Writes `users` (GoTrue JSON with whether a password is set) and the new `audit` rows in one transaction;
/// users no longer in the fake are deleted (their identities and sessions cascade).
pub async fn sync(client: &mut Client, users: &[(Value, bool)], audit: &[Value]) -> Result<(), tokio_postgres::Error> {
    let transaction = client.transaction().await?;
    let ids: Vec<Value> = users.iter().map(|(u, _)| u["id"].clone()).collect();
    transaction
        .execute(
            "DELETE FROM auth.users WHERE NOT (id::text = ANY (SELECT jsonb_array_elements_text($1::jsonb)))",
            &[&Value::Array(ids)],
        )
        .await?;
    for (user, has_password) in users {
        // bcrypt-shaped, as GoTrue stores (a random one when no password was given).
        let hash = has_password.then(|| format!("$2a$10${}", uuid::Uuid::new_v4().simple()));
        transaction.execute(UPSERT_USER, &[user, &hash]).await?;
        let id: uuid::Uuid = user["id"].as_str().unwrap_or_default().parse().unwrap_or_default();
        transaction.execute("DELETE FROM auth.identities WHERE user_id = $1", &[&id]).await?;
        transaction.execute(IDENTITIES, &[&user["identities"]]).await?;
    }
    if !audit.is_empty() {
        transaction
            .execute(
                "INSERT INTO auth.audit_log_entries (instance_id, id, payload, created_at, ip_address)
                 SELECT '00000000-0000-0000-0000-000000000000', (a->>'id')::uuid, (a->'payload')::json,
                        (a->>'created_at')::timestamptz, a->>'ip_address'
                 FROM jsonb_array_elements($1::jsonb) a",
                &[&Value::Array(audit.to_vec())],
            )
            .await?;
    }
    transaction.commit().await
}
