//! The GoTrue admin API's JSON read into typed values: users (with identities and MFA factors, never a TOTP
//! secret), the compact row `list_users` returns, factors, audit entries and the public settings. GoTrue
//! sends `""` for a missing email or phone and `null` for empty lists; both read as empty here.

use schemars::JsonSchema;
use serde::{Deserialize, Deserializer, Serialize};
use serde_json::{Map, Value};

/// `null` reads as the type's default (GoTrue sends `"identities": null` for some users).
fn nullable<'de, D: Deserializer<'de>, T: Default + Deserialize<'de>>(deserializer: D) -> Result<T, D::Error> {
    Ok(Option::<T>::deserialize(deserializer)?.unwrap_or_default())
}

/// One user as GoTrue's admin API returns it.
#[derive(Clone, Debug, Deserialize, Serialize, JsonSchema)]
pub struct User {
    pub id: String,
    #[serde(default, deserialize_with = "nullable")]
    pub aud: String,
    #[serde(default, deserialize_with = "nullable")]
    pub role: String,
    /// Empty when the user has none.
    #[serde(default, deserialize_with = "nullable")]
    pub email: String,
    #[serde(default, deserialize_with = "nullable")]
    pub phone: String,
    #[serde(default)]
    pub email_confirmed_at: Option<String>,
    #[serde(default)]
    pub phone_confirmed_at: Option<String>,
    #[serde(default)]
    pub confirmed_at: Option<String>,
    #[serde(default)]
    pub invited_at: Option<String>,
    #[serde(default)]
    pub last_sign_in_at: Option<String>,
    #[serde(default)]
    pub created_at: Option<String>,
    #[serde(default)]
    pub updated_at: Option<String>,
    /// Set while the user is banned.
    #[serde(default)]
    pub banned_until: Option<String>,
    /// Set on a soft-deleted user.
    #[serde(default)]
    pub deleted_at: Option<String>,
    #[serde(default, deserialize_with = "nullable")]
    pub is_anonymous: bool,
    #[serde(default, deserialize_with = "nullable")]
    pub app_metadata: Map<String, Value>,
    #[serde(default, deserialize_with = "nullable")]
    pub user_metadata: Map<String, Value>,
    #[serde(default, deserialize_with = "nullable")]
    pub identities: Vec<Identity>,
    #[serde(default, deserialize_with = "nullable")]
    pub factors: Vec<Factor>,
}

/// A sign-in identity. GoTrue's quirk: `id` is the provider's id for the user (for email: the user id),
/// `identity_id` is the row's own id.
#[derive(Clone, Debug, Deserialize, Serialize, JsonSchema)]
pub struct Identity {
    #[serde(default, deserialize_with = "nullable")]
    pub identity_id: String,
    /// The provider's id of the user.
    #[serde(default, deserialize_with = "nullable")]
    pub id: String,
    #[serde(default, deserialize_with = "nullable")]
    pub provider: String,
    #[serde(default)]
    pub email: Option<String>,
    #[serde(default)]
    pub last_sign_in_at: Option<String>,
    #[serde(default)]
    pub created_at: Option<String>,
}

/// An MFA factor (its secret is never returned).
#[derive(Clone, Debug, Deserialize, Serialize, JsonSchema)]
pub struct Factor {
    pub id: String,
    #[serde(default, deserialize_with = "nullable")]
    pub friendly_name: String,
    /// totp, phone or webauthn.
    #[serde(default, deserialize_with = "nullable")]
    pub factor_type: String,
    /// unverified or verified.
    #[serde(default, deserialize_with = "nullable")]
    pub status: String,
    #[serde(default)]
    pub phone: Option<String>,
    #[serde(default)]
    pub created_at: Option<String>,
    #[serde(default)]
    pub last_challenged_at: Option<String>,
}

/// The compact row of a user listing.
#[derive(Clone, Debug, Serialize, JsonSchema)]
pub struct UserRow {
    pub id: String,
    pub email: Option<String>,
    pub phone: Option<String>,
    /// Sign-in providers (email, phone, google, ...).
    pub providers: Vec<String>,
    /// Email or phone confirmed.
    pub confirmed: bool,
    pub last_sign_in_at: Option<String>,
    pub created_at: Option<String>,
    pub banned_until: Option<String>,
    pub is_anonymous: bool,
    /// Number of MFA factors.
    pub factors: usize,
}

impl User {
    /// The providers GoTrue lists in app_metadata, else those of the identities.
    pub fn providers(&self) -> Vec<String> {
        let listed: Vec<String> = self
            .app_metadata
            .get("providers")
            .and_then(Value::as_array)
            .map(|list| list.iter().filter_map(Value::as_str).map(str::to_owned).collect())
            .unwrap_or_default();
        if !listed.is_empty() {
            return listed;
        }
        let mut from_identities: Vec<String> = self.identities.iter().map(|i| i.provider.clone()).collect();
        from_identities.dedup();
        from_identities
    }

    pub fn is_confirmed(&self) -> bool {
        self.confirmed_at.is_some() || self.email_confirmed_at.is_some() || self.phone_confirmed_at.is_some()
    }

    /// Banned now: `banned_until` lies in the future.
    pub fn is_banned(&self) -> bool {
        self.banned_until.as_deref().and_then(parse_time).is_some_and(|until| until > chrono::Utc::now())
    }

    pub fn row(&self) -> UserRow {
        let non_empty = |s: &str| (!s.is_empty()).then(|| s.to_owned());
        UserRow {
            id: self.id.clone(),
            email: non_empty(&self.email),
            phone: non_empty(&self.phone),
            providers: self.providers(),
            confirmed: self.is_confirmed(),
            last_sign_in_at: self.last_sign_in_at.clone(),
            created_at: self.created_at.clone(),
            banned_until: self.banned_until.clone(),
            is_anonymous: self.is_anonymous,
            factors: self.factors.len(),
        }
    }
}

/// An RFC 3339 time as GoTrue writes it.
pub fn parse_time(text: &str) -> Option<chrono::DateTime<chrono::Utc>> {
    chrono::DateTime::parse_from_rfc3339(text).ok().map(|t| t.with_timezone(&chrono::Utc))
}

/// One entry of GoTrue's audit log (`auth.audit_log_entries`).
#[derive(Clone, Debug, Deserialize, Serialize, JsonSchema)]
pub struct AuditEntry {
    pub id: String,
    #[serde(default)]
    pub created_at: Option<String>,
    #[serde(default, deserialize_with = "nullable")]
    pub ip_address: String,
    /// actor_id, actor_username, action, log_type, traits.
    #[serde(default, deserialize_with = "nullable")]
    pub payload: Map<String, Value>,
}
