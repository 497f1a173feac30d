//! The fake's state written to the real fixture database after every change, as GoTrue writes it: auth.users
//! with empty strings (not NULL) in the token columns and a bcrypt-shaped encrypted_password, the identities
//! (their `email` column is generated), the MFA factors in auth.mfa_factors (with the TOTP secret GoTrue
//! never returns; a deleted factor's sessions downgraded to aal1), and the audit rows. Sessions and refresh
//! tokens live only in the database (`sessions.rs` writes them at sign-in), as GoTrue keeps them. SQL-side reads
//! and the fake then agree.

use serde_json::Value;
use tokio_postgres::Client;

/// GoTrue's tables the Supabase fixture lacks (it has users, identities and sessions), created as GoTrue's own
/// migrations create them when the service boots: the audit log, refresh tokens (their `user_id` is text, with
/// no foreign key; `session_id` cascades), MFA factors, challenges and AMR claims.
pub const GOTRUE_TABLES: &str = "
CREATE TABLE IF NOT EXISTS auth.audit_log_entries (instance_id uuid, id uuid NOT NULL PRIMARY KEY, payload json,
    created_at timestamptz, ip_address varchar(64) NOT NULL DEFAULT '');
CREATE TABLE IF NOT EXISTS auth.refresh_tokens (instance_id uuid, id bigserial PRIMARY KEY, token varchar(255),
    user_id varchar(255), revoked bool, created_at timestamptz, updated_at timestamptz, parent varchar(255),
    session_id uuid REFERENCES auth.sessions (id) ON DELETE CASCADE, CONSTRAINT refresh_tokens_token_unique UNIQUE (token));
CREATE INDEX IF NOT EXISTS refresh_tokens_session_id_revoked_idx ON auth.refresh_tokens (session_id, revoked);
CREATE TABLE IF NOT EXISTS auth.mfa_factors (id uuid PRIMARY KEY, user_id uuid NOT NULL REFERENCES auth.users (id)
    ON DELETE CASCADE, friendly_name text, factor_type auth.factor_type NOT NULL, status auth.factor_status NOT NULL,
    created_at timestamptz NOT NULL, updated_at timestamptz NOT NULL, secret text, phone text UNIQUE,
    last_challenged_at timestamptz UNIQUE, web_authn_credential jsonb, web_authn_aaguid uuid);
CREATE TABLE IF NOT EXISTS auth.mfa_challenges (id uuid PRIMARY KEY, factor_id uuid NOT NULL REFERENCES
    auth.mfa_factors (id) ON DELETE CASCADE, created_at timestamptz NOT NULL, verified_at timestamptz,
    ip_address inet NOT NULL, otp_code text, web_authn_session_data jsonb);
CREATE TABLE IF NOT EXISTS auth.mfa_amr_claims (session_id uuid NOT NULL REFERENCES auth.sessions (id) ON DELETE
    CASCADE, created_at timestamptz NOT NULL, updated_at timestamptz NOT NULL, authentication_method text NOT NULL,
    id uuid NOT NULL PRIMARY KEY, CONSTRAINT mfa_amr_claims_session_id_authentication_method_pkey UNIQUE (session_id,
    authentication_method));
ALTER TABLE auth.audit_log_entries OWNER TO supabase_auth_admin;
ALTER TABLE auth.refresh_tokens OWNER TO supabase_auth_admin;
ALTER TABLE auth.mfa_factors OWNER TO supabase_auth_admin;
ALTER TABLE auth.mfa_challenges OWNER TO supabase_auth_admin;
ALTER TABLE auth.mfa_amr_claims OWNER TO supabase_auth_admin;
GRANT ALL ON auth.audit_log_entries, auth.refresh_tokens, auth.mfa_factors, auth.mfa_challenges,
    auth.mfa_amr_claims TO postgres, dashboard_user;
GRANT ALL ON SEQUENCE auth.refresh_tokens_id_seq TO postgres, dashboard_user;";

const FACTORS: &str = "\
INSERT INTO auth.mfa_factors (id, user_id, friendly_name, factor_type, status, created_at, updated_at, secret, phone,
    last_challenged_at)
SELECT (f->>'id')::uuid, $2, f->>'friendly_name', (f->>'factor_type')::auth.factor_type,
    (f->>'status')::auth.factor_status, (f->>'created_at')::timestamptz, (f->>'updated_at')::timestamptz,
    $3::jsonb->>(n::int - 1), nullif(f->>'phone', ''), (f->>'last_challenged_at')::timestamptz
FROM jsonb_array_elements($1::jsonb) WITH ORDINALITY AS e(f, n)
ON CONFLICT (id) DO UPDATE SET friendly_name = EXCLUDED.friendly_name, status = EXCLUDED.status,
    updated_at = EXCLUDED.updated_at";

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

/// One user as the mirror writes it.
pub struct Row {
    pub json: Value,
    pub has_password: bool,
    /// The TOTP secrets of `json["factors"]`, in order.
    pub secrets: Vec<String>,
}

/// Writes `users` and the new `audit` rows in one transaction; users no longer in the fake are deleted (their
/// identities, sessions, refresh tokens and factors cascade).
pub async fn sync(client: &mut Client, users: &[Row], audit: &[Value]) -> Result<(), tokio_postgres::Error> {
    let transaction = client.transaction().await?;
    let ids: Vec<Value> = users.iter().map(|u| u.json["id"].clone()).collect();
    transaction
        .execute(
            "DELETE FROM auth.users WHERE NOT (id::text = ANY (SELECT jsonb_array_elements_text($1::jsonb)))",
            &[&Value::Array(ids)],
        )
        .await?;
    for Row { json: user, has_password, secrets } in users {
        // bcrypt-shaped, as GoTrue stores (a random one when no password was given).
        let hash = has_password.then(|| format!("$2a$10${}", uuid::Uuid::new_v4().simple()));
        transaction.execute(UPSERT_USER, &[user, &hash]).await?;
        let id: uuid::Uuid = user["id"].as_str().unwrap_or_default().parse().unwrap_or_default();
        transaction.execute("DELETE FROM auth.identities WHERE user_id = $1", &[&id]).await?;
        transaction.execute(IDENTITIES, &[&user["identities"]]).await?;
        let kept: Vec<uuid::Uuid> =
            user["factors"].as_array().into_iter().flatten().filter_map(|f| f["id"].as_str()?.parse().ok()).collect();
        // A deleted factor's sessions drop to aal1 (GoTrue's DowngradeSessionsToAAL1), then the row goes.
        transaction
            .execute(
                "UPDATE auth.sessions SET aal = 'aal1', factor_id = NULL, updated_at = now() \
                 WHERE user_id = $1 AND factor_id IS NOT NULL AND NOT (factor_id = ANY ($2))",
                &[&id, &kept],
            )
            .await?;
        transaction
            .execute("DELETE FROM auth.mfa_factors WHERE user_id = $1 AND NOT (id = ANY ($2))", &[&id, &kept])
            .await?;
        transaction.execute(FACTORS, &[&user["factors"], &id, &serde_json::json!(secrets)]).await?;
        if !user["deleted_at"].is_null() {
            // A soft delete ends the user's sessions (their refresh tokens cascade).
            transaction.execute("DELETE FROM auth.sessions WHERE user_id = $1", &[&id]).await?;
        }
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

/// The fake's users as the mirror writes them.
pub fn rows(state: &super::State) -> Vec<Row> {
    state
        .users
        .iter()
        .map(|u| Row { json: u.json.clone(), has_password: u.has_password, secrets: u.factor_secrets.clone() })
        .collect()
}
