//! `list_users` with the filters Studio offers beyond GoTrue's own `filter` (email or name substring):
//! provider, confirmed, banned, anonymous, created and last-sign-in ranges. Without them a page is one
//! GoTrue call with its `X-Total-Count`; with them the users are read in pages of [`SCAN_PAGE`] up to
//! [`SCAN_LIMIT`] and only the requested page of matches is kept (memory stays one page).

use super::AuthAdmin;
use super::types::{User, UserRow, parse_time};
use crate::failure::Failure;
use chrono::{DateTime, NaiveDate, Utc};
use schemars::JsonSchema;
use serde::Serialize;

/// Users read per GoTrue call while filtering.
pub const SCAN_PAGE: u32 = 1000;
/// Users read at most while filtering.
pub const SCAN_LIMIT: u64 = 100_000;

/// The filters GoTrue does not apply itself.
#[derive(Debug, Default)]
pub struct UserFilter {
    pub provider: Option<String>,
    pub confirmed: Option<bool>,
    pub banned: Option<bool>,
    pub anonymous: Option<bool>,
    pub created_after: Option<DateTime<Utc>>,
    pub created_before: Option<DateTime<Utc>>,
    pub signed_in_after: Option<DateTime<Utc>>,
    pub signed_in_before: Option<DateTime<Utc>>,
}

/// A page of users.
#[derive(Debug, Serialize, JsonSchema)]
pub struct UserListing {
    pub users: Vec<UserRow>,
    pub page: u32,
    pub per_page: u32,
    /// Users matching all filters (null when the scan stopped at its limit).
    pub total: Option<u64>,
    pub has_more: bool,
    /// With filters beyond `filter`: how many users were read to find these.
    pub scanned: Option<u64>,
    /// Set when the users were read with SQL on auth.users because GoTrue could not be reached.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
}

impl UserFilter {
    pub fn is_empty(&self) -> bool {
        self.provider.is_none()
            && self.confirmed.is_none()
            && self.banned.is_none()
            && self.anonymous.is_none()
            && self.created_after.is_none()
            && self.created_before.is_none()
            && self.signed_in_after.is_none()
            && self.signed_in_before.is_none()
    }

    pub fn matches(&self, user: &User) -> bool {
        let within = |time: Option<&str>, after: Option<DateTime<Utc>>, before: Option<DateTime<Utc>>| {
            if after.is_none() && before.is_none() {
                return true;
            }
            let Some(time) = time.and_then(parse_time) else { return false };
            after.is_none_or(|a| time >= a) && before.is_none_or(|b| time < b)
        };
        self.provider.as_ref().is_none_or(|p| user.providers().iter().any(|have| have.eq_ignore_ascii_case(p)))
            && self.confirmed.is_none_or(|c| user.is_confirmed() == c)
            && self.banned.is_none_or(|b| user.is_banned() == b)
            && self.anonymous.is_none_or(|a| user.is_anonymous == a)
            && within(user.created_at.as_deref(), self.created_after, self.created_before)
            && within(user.last_sign_in_at.as_deref(), self.signed_in_after, self.signed_in_before)
    }
}

/// A time bound given as RFC 3339 or a date (midnight UTC).
pub fn parse_bound(text: &str, name: &str) -> Result<DateTime<Utc>, Failure> {
    parse_time(text.trim())
        .or_else(|| {
            NaiveDate::parse_from_str(text.trim(), "%Y-%m-%d")
                .ok()
                .and_then(|d| d.and_hms_opt(0, 0, 0))
                .map(|t| t.and_utc())
        })
        .ok_or_else(|| {
            Failure::new(
                format!("{name} '{text}' is not a time"),
                "times are RFC 3339 or dates",
                "use e.g. 2026-01-31 or 2026-01-31T12:00:00Z",
            )
        })
}

impl AuthAdmin {
    /// One page of users matching GoTrue's `filter` and `extra`.
    pub async fn list_filtered(
        &self,
        page: u32,
        per_page: u32,
        filter: Option<&str>,
        extra: &UserFilter,
    ) -> Result<UserListing, Failure> {
        let page = page.max(1);
        if extra.is_empty() {
            let found = self.list_users(page, per_page, filter).await?;
            let has_more =
                found.has_next || found.total.is_some_and(|total| total > u64::from(page) * u64::from(per_page));
            return Ok(UserListing {
                users: found.users.iter().map(User::row).collect(),
                page,
                per_page,
                total: found.total,
                has_more,
                scanned: None,
                note: None,
            });
        }
        let skip = u64::from(page - 1) * u64::from(per_page);
        let (mut matched, mut scanned, mut users) = (0u64, 0u64, Vec::new());
        let mut source_page = 1;
        let complete = loop {
            let found = self.list_users(source_page, SCAN_PAGE, filter).await?;
            let count = found.users.len() as u64;
            for user in found.users.iter().filter(|u| extra.matches(u)) {
                if matched >= skip && users.len() < per_page as usize {
                    users.push(user.row());
                }
                matched += 1;
            }
            scanned += count;
            let more = found.has_next || found.total.is_some_and(|t| t > scanned);
            if !more || count == 0 {
                break true;
            }
            if scanned >= SCAN_LIMIT {
                break false;
            }
            source_page += 1;
        };
        Ok(UserListing {
            users,
            page,
            per_page,
            total: complete.then_some(matched),
            has_more: !complete || matched > skip + u64::from(per_page),
            scanned: Some(scanned),
            note: None,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn user(value: serde_json::Value) -> User {
        serde_json::from_value(value).unwrap()
    }

    #[test]
    fn filters_read_providers_confirmation_bans_and_ranges() {
        let banned = user(json!({"id": "1", "email": "a@x.io", "app_metadata": {"providers": ["email", "google"]},
            "email_confirmed_at": "2026-01-02T00:00:00Z", "banned_until": "2999-01-01T00:00:00Z",
            "created_at": "2026-01-01T10:00:00Z", "identities": null, "factors": null}));
        let filter = UserFilter { provider: Some("Google".into()), banned: Some(true), ..UserFilter::default() };
        assert!(filter.matches(&banned));
        let filter = UserFilter { confirmed: Some(false), ..UserFilter::default() };
        assert!(!filter.matches(&banned));
        let after = parse_bound("2026-01-02", "created_after").unwrap();
        let filter = UserFilter { created_after: Some(after), ..UserFilter::default() };
        assert!(!filter.matches(&banned));
        let filter = UserFilter { signed_in_after: Some(after), ..UserFilter::default() };
        assert!(!filter.matches(&banned), "never signed in is outside any range");
        assert!(parse_bound("yesterday", "x").is_err());
    }
}
