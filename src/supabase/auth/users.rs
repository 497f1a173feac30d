//! The user endpoints of GoTrue's admin API: list (page/per_page, `X-Total-Count`, `Link`), get, create (200
//! with the user), update (metadata merged by GoTrue itself, `ban_duration`), delete (hard or soft), the MFA
//! factors, `generate_link` (sends no mail) and `invite` (sends the invite mail).

use super::types::{Factor, User};
use super::{AuthAdmin, checked_uuid, has_next, total_count};
use crate::failure::Failure;
use crate::secret::Secret;
use reqwest::Method;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value, json};

/// One page of `GET /admin/users`.
#[derive(Debug)]
pub struct UserPage {
    pub users: Vec<User>,
    /// `X-Total-Count`: users matching the filter.
    pub total: Option<u64>,
    /// The `Link` header names a next page.
    pub has_next: bool,
}

/// What `POST /admin/users` and `PUT /admin/users/{id}` accept. Secrets stay [`Secret`] until the body is built.
#[derive(Debug, Default)]
pub struct UserAttributes {
    pub id: Option<String>,
    pub email: Option<String>,
    pub phone: Option<String>,
    pub password: Option<Secret>,
    /// A bcrypt or argon2 hash, so a moved user keeps their password.
    pub password_hash: Option<Secret>,
    pub email_confirm: Option<bool>,
    pub phone_confirm: Option<bool>,
    pub user_metadata: Option<Map<String, Value>>,
    pub app_metadata: Option<Map<String, Value>>,
    /// Go duration (`24h`) or `none`.
    pub ban_duration: Option<String>,
    pub role: Option<String>,
}

impl UserAttributes {
    /// The request body; the only place the password leaves its [`Secret`].
    fn body(&self) -> Value {
        let mut body = Map::new();
        let mut put = |key: &str, value: Option<Value>| {
            if let Some(value) = value {
                body.insert(key.to_owned(), value);
            }
        };
        put("id", self.id.clone().map(Value::String));
        put("email", self.email.clone().map(Value::String));
        put("phone", self.phone.clone().map(Value::String));
        put("password", self.password.as_ref().map(|p| Value::String(p.expose().to_owned())));
        put("password_hash", self.password_hash.as_ref().map(|p| Value::String(p.expose().to_owned())));
        put("email_confirm", self.email_confirm.map(Value::Bool));
        put("phone_confirm", self.phone_confirm.map(Value::Bool));
        put("user_metadata", self.user_metadata.clone().map(Value::Object));
        put("app_metadata", self.app_metadata.clone().map(Value::Object));
        put("ban_duration", self.ban_duration.clone().map(Value::String));
        put("role", self.role.clone().map(Value::String));
        Value::Object(body)
    }
}

/// The link types `POST /admin/generate_link` knows.
#[derive(Clone, Copy, Debug, Deserialize, Serialize, JsonSchema, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum LinkType {
    Signup,
    Invite,
    Magiclink,
    Recovery,
    EmailChangeCurrent,
    EmailChangeNew,
}

/// A generated link: the user and the secrets that sign them in.
#[derive(Debug)]
pub struct GeneratedLink {
    pub user: User,
    pub action_link: Secret,
    pub email_otp: Secret,
    pub verification_type: String,
    pub redirect_to: String,
}

impl AuthAdmin {
    /// `GET /admin/users?page&per_page[&filter]`; `filter` matches the email or the full_name metadata.
    pub async fn list_users(&self, page: u32, per_page: u32, filter: Option<&str>) -> Result<UserPage, Failure> {
        let mut query = vec![("page", page.max(1).to_string()), ("per_page", per_page.max(1).to_string())];
        if let Some(filter) = filter.filter(|f| !f.is_empty()) {
            query.push(("filter", filter.to_owned()));
        }
        let what = "list users";
        let reply = self.call(Method::GET, "/admin/users", &query, None, what).await?;
        #[derive(Deserialize)]
        struct Body {
            #[serde(default)]
            users: Vec<User>,
        }
        let body: Body = self.parse(&reply, what)?;
        Ok(UserPage { users: body.users, total: total_count(&reply), has_next: has_next(&reply) })
    }

    /// `GET /admin/users/{id}`: the user with identities and factors.
    pub async fn get_user(&self, id: &str) -> Result<User, Failure> {
        let id = checked_uuid(id, "user_id")?;
        let what = "get user";
        let reply = self.call(Method::GET, &format!("/admin/users/{id}"), &[], None, what).await?;
        self.parse(&reply, what)
    }

    /// `POST /admin/users` (GoTrue answers 200 with the user).
    pub async fn create_user(&self, attributes: &UserAttributes) -> Result<User, Failure> {
        if let Some(id) = &attributes.id {
            checked_uuid(id, "id")?;
        }
        let what = "create user";
        let reply = self.call(Method::POST, "/admin/users", &[], Some(&attributes.body()), what).await?;
        self.parse(&reply, what)
    }

    /// `PUT /admin/users/{id}` with only the given attributes; GoTrue merges metadata (a null value removes a key).
    pub async fn update_user(&self, id: &str, attributes: &UserAttributes) -> Result<User, Failure> {
        let id = checked_uuid(id, "user_id")?;
        let what = "update user";
        let reply = self.call(Method::PUT, &format!("/admin/users/{id}"), &[], Some(&attributes.body()), what).await?;
        self.parse(&reply, what)
    }

    /// `DELETE /admin/users/{id}`; a soft delete keeps the row with `deleted_at` and obfuscated identities.
    pub async fn delete_user(&self, id: &str, soft: bool) -> Result<(), Failure> {
        let id = checked_uuid(id, "user_id")?;
        let body = json!({"should_soft_delete": soft});
        self.call(Method::DELETE, &format!("/admin/users/{id}"), &[], Some(&body), "delete user").await?;
        Ok(())
    }

    /// `GET /admin/users/{id}/factors` (a bare array).
    pub async fn list_factors(&self, id: &str) -> Result<Vec<Factor>, Failure> {
        let id = checked_uuid(id, "user_id")?;
        let what = "list MFA factors";
        let reply = self.call(Method::GET, &format!("/admin/users/{id}/factors"), &[], None, what).await?;
        self.parse(&reply, what)
    }

    /// `DELETE /admin/users/{id}/factors/{factor_id}`: the deleted factor (its sessions drop to aal1).
    pub async fn delete_factor(&self, id: &str, factor_id: &str) -> Result<Factor, Failure> {
        let id = checked_uuid(id, "user_id")?;
        let factor_id = checked_uuid(factor_id, "factor_id")?;
        let what = "delete MFA factor";
        let path = format!("/admin/users/{id}/factors/{factor_id}");
        let reply = self.call(Method::DELETE, &path, &[], None, what).await?;
        self.parse(&reply, what)
    }

    /// `POST /admin/generate_link`: the link and OTP (no mail is sent).
    pub async fn generate_link(
        &self,
        kind: LinkType,
        email: &str,
        new_email: Option<&str>,
        password: Option<&Secret>,
        data: Option<&Map<String, Value>>,
        redirect_to: Option<&str>,
    ) -> Result<GeneratedLink, Failure> {
        let mut body = json!({"type": kind, "email": email});
        if let Some(new_email) = new_email {
            body["new_email"] = json!(new_email);
        }
        if let Some(password) = password {
            body["password"] = json!(password.expose());
        }
        if let Some(data) = data {
            body["data"] = Value::Object(data.clone());
        }
        if let Some(redirect_to) = redirect_to {
            body["redirect_to"] = json!(redirect_to);
        }
        let what = "generate link";
        let reply = self.call(Method::POST, "/admin/generate_link", &[], Some(&body), what).await?;
        let value: Value = self.parse(&reply, what)?;
        let text = |key: &str| value.get(key).and_then(Value::as_str).unwrap_or_default().to_owned();
        let (action_link, email_otp) = (Secret::new(text("action_link")), Secret::new(text("email_otp")));
        let (verification_type, redirect_to) = (text("verification_type"), text("redirect_to"));
        let user: User = self.parse(&reply, what)?;
        Ok(GeneratedLink { user, action_link, email_otp, verification_type, redirect_to })
    }

    /// `POST /invite`: creates the user and sends the invite mail (needs working SMTP).
    pub async fn invite(
        &self,
        email: &str,
        data: Option<&Map<String, Value>>,
        redirect_to: Option<&str>,
    ) -> Result<User, Failure> {
        let mut body = json!({"email": email});
        if let Some(data) = data {
            body["data"] = Value::Object(data.clone());
        }
        let query: Vec<(&str, String)> = redirect_to.map(|r| vec![("redirect_to", r.to_owned())]).unwrap_or_default();
        let what = "invite user";
        let reply = self.call(Method::POST, "/invite", &query, Some(&body), what).await?;
        self.parse(&reply, what)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_given_attributes_are_sent_and_secrets_only_in_the_body() {
        let attributes = UserAttributes {
            email: Some("a@example.com".to_owned()),
            password: Some(Secret::new("hunter2-long")),
            ban_duration: Some("none".to_owned()),
            ..UserAttributes::default()
        };
        let body = attributes.body();
        assert_eq!(body, json!({"email": "a@example.com", "password": "hunter2-long", "ban_duration": "none"}));
        assert!(!format!("{attributes:?}").contains("hunter2"));
    }

    #[test]
    fn link_types_serialise_as_gotrue_names() {
        assert_eq!(json!(LinkType::EmailChangeNew), json!("email_change_new"));
        assert_eq!(json!(LinkType::Magiclink), json!("magiclink"));
    }
}
