//! Reading users with SQL on auth.* when GoTrue cannot be reached but the database can: the same compact rows
//! and filters as the admin API path (one parameterised query, newest first, the total by a window count).
//! Reads only: users are never created or changed with SQL.

use super::listing::{UserFilter, UserListing};
use super::types::UserRow;
use crate::failure::Failure;
use crate::pg::catalog::query_failure;
use chrono::SecondsFormat;
use serde_json::Value;
use tokio_postgres::GenericClient;

const LIST: &str = "\
SELECT u.id::text, u.email::text, u.phone, coalesce(u.raw_app_meta_data->'providers', '[]'::jsonb),
       u.email_confirmed_at IS NOT NULL OR u.phone_confirmed_at IS NOT NULL,
       to_json(u.last_sign_in_at)#>>'{}', to_json(u.created_at)#>>'{}', to_json(u.banned_until)#>>'{}',
       u.is_anonymous, FACTORS, count(*) OVER ()
FROM auth.users u
WHERE u.deleted_at IS NULL
  AND ($3::text IS NULL OR u.email ILIKE '%' || $3 || '%' OR u.raw_user_meta_data->>'full_name' ILIKE '%' || $3 || '%')
  AND ($4::text IS NULL OR coalesce(u.raw_app_meta_data->'providers', '[]'::jsonb) ? lower($4))
  AND ($5::bool IS NULL OR (u.email_confirmed_at IS NOT NULL OR u.phone_confirmed_at IS NOT NULL) = $5)
  AND ($6::bool IS NULL OR (coalesce(u.banned_until > now(), false)) = $6)
  AND ($7::bool IS NULL OR u.is_anonymous = $7)
  AND ($8::text IS NULL OR u.created_at >= $8::text::timestamptz)
  AND ($9::text IS NULL OR u.created_at < $9::text::timestamptz)
  AND ($10::text IS NULL OR u.last_sign_in_at >= $10::text::timestamptz)
  AND ($11::text IS NULL OR u.last_sign_in_at < $11::text::timestamptz)
ORDER BY u.created_at DESC, u.id
LIMIT $1 OFFSET $2";

/// One page of users read from auth.users.
pub async fn list_users(
    client: &impl GenericClient,
    page: u32,
    per_page: u32,
    filter: Option<&str>,
    extra: &UserFilter,
) -> Result<UserListing, Failure> {
    let has_factors = client
        .query_one("SELECT to_regclass('auth.mfa_factors') IS NOT NULL", &[])
        .await
        .map_err(query_failure)?
        .get::<_, bool>(0);
    let factors =
        if has_factors { "(SELECT count(*) FROM auth.mfa_factors f WHERE f.user_id = u.id)" } else { "0::bigint" };
    let sql = LIST.replace("FACTORS", factors);
    let page = page.max(1);
    let (limit, offset) = (i64::from(per_page), i64::from(page - 1) * i64::from(per_page));
    let time = |t: Option<chrono::DateTime<chrono::Utc>>| t.map(|t| t.to_rfc3339_opts(SecondsFormat::Micros, true));
    let filter =
        filter.filter(|f| !f.is_empty()).map(|f| f.replace('\\', "\\\\").replace('%', "\\%").replace('_', "\\_"));
    let rows = client
        .query(
            &sql,
            &[
                &limit,
                &offset,
                &filter,
                &extra.provider,
                &extra.confirmed,
                &extra.banned,
                &extra.anonymous,
                &time(extra.created_after),
                &time(extra.created_before),
                &time(extra.signed_in_after),
                &time(extra.signed_in_before),
            ],
        )
        .await
        .map_err(query_failure)?;
    let total = rows.first().map(|row| u64::try_from(row.get::<_, i64>(10)).unwrap_or_default());
    let users = rows
        .iter()
        .map(|row| {
            let providers: Value = row.get(3);
            UserRow {
                id: row.get(0),
                email: row.get::<_, Option<String>>(1).filter(|e| !e.is_empty()),
                phone: row.get::<_, Option<String>>(2).filter(|p| !p.is_empty()),
                providers: providers
                    .as_array()
                    .into_iter()
                    .flatten()
                    .filter_map(Value::as_str)
                    .map(str::to_owned)
                    .collect(),
                confirmed: row.get(4),
                last_sign_in_at: row.get(5),
                created_at: row.get(6),
                banned_until: row.get(7),
                is_anonymous: row.get(8),
                factors: usize::try_from(row.get::<_, i64>(9)).unwrap_or_default(),
            }
        })
        .collect();
    let total = total.or(if offset == 0 { Some(0) } else { None });
    let has_more = total.is_some_and(|t| t > u64::from(page) * u64::from(per_page));
    Ok(UserListing { users, page, per_page, total, has_more, scanned: None, note: None })
}

const ONE: &str = "\
SELECT jsonb_build_object('id', u.id, 'aud', u.aud, 'role', u.role, 'email', coalesce(u.email, ''),
    'phone', coalesce(u.phone, ''), 'email_confirmed_at', u.email_confirmed_at,
    'phone_confirmed_at', u.phone_confirmed_at, 'confirmed_at', u.confirmed_at, 'invited_at', u.invited_at,
    'last_sign_in_at', u.last_sign_in_at, 'created_at', u.created_at, 'updated_at', u.updated_at,
    'banned_until', u.banned_until, 'deleted_at', u.deleted_at, 'is_anonymous', u.is_anonymous,
    'app_metadata', coalesce(u.raw_app_meta_data, '{}'), 'user_metadata', coalesce(u.raw_user_meta_data, '{}'),
    'identities', coalesce((SELECT jsonb_agg(jsonb_build_object('identity_id', i.id, 'id', i.provider_id,
        'provider', i.provider, 'email', i.email, 'last_sign_in_at', i.last_sign_in_at, 'created_at', i.created_at)
        ORDER BY i.created_at) FROM auth.identities i WHERE i.user_id = u.id), '[]'),
    'factors', FACTORS)
FROM auth.users u WHERE u.id = $1";

const FACTOR_LIST: &str = "coalesce((SELECT jsonb_agg(jsonb_build_object('id', f.id, 'friendly_name', f.friendly_name,
    'factor_type', f.factor_type, 'status', f.status, 'phone', f.phone, 'created_at', f.created_at,
    'last_challenged_at', f.last_challenged_at) ORDER BY f.created_at) FROM auth.mfa_factors f
    WHERE f.user_id = u.id), '[]')";

/// One user read from auth.users (identities and factors included, never a factor's secret); `None` when absent.
pub async fn get_user(client: &impl GenericClient, id: &str) -> Result<Option<super::User>, Failure> {
    let id = uuid::Uuid::parse_str(id)
        .map_err(|_| Failure::new(format!("user_id '{id}' is not a UUID"), "users have UUID ids", "pass the id"))?;
    let has_factors = client
        .query_one("SELECT to_regclass('auth.mfa_factors') IS NOT NULL", &[])
        .await
        .map_err(query_failure)?
        .get::<_, bool>(0);
    let sql = ONE.replace("FACTORS", if has_factors { FACTOR_LIST } else { "'[]'::jsonb" });
    let Some(row) = client.query_opt(&sql, &[&id]).await.map_err(query_failure)? else {
        return Ok(None);
    };
    serde_json::from_value(row.get::<_, Value>(0))
        .map(Some)
        .map_err(|e| Failure::new("cannot read the user row", e.to_string(), "report this as a supamcp bug"))
}
