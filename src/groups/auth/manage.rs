//! Changing users through GoTrue's admin API (never SQL on auth.users): `create_user`, `update_user` (metadata
//! merged unless replaced, ban/unban), `delete_user` (hard or soft, confirmed) and `sign_out_user` (the user's
//! auth.sessions rows deleted in one transaction, as GoTrue's own logout does; confirmed).

use super::{Metadata, metadata_schema, needs_confirm};
use crate::failure::Failure;
use crate::secret::Secret;
use crate::server::SupamcpServer;
use crate::server::output::{IntoToolResult, schema_of, structured};
use crate::supabase::auth::sessions::{self, SignOut};
use crate::supabase::auth::{UserAttributes, UserRow, checked_uuid};
use rmcp::handler::server::wrapper::Parameters;
use rmcp::model::CallToolResult;
use rmcp::{ErrorData as McpError, schemars, tool, tool_router};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

#[derive(Debug, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateUserParams {
    /// Email address (email and/or phone is required).
    pub email: Option<String>,
    /// Phone number in E.164 form.
    pub phone: Option<String>,
    /// Password; omit for a passwordless user.
    pub password: Option<String>,
    /// A bcrypt or argon2 hash instead of a password (keeps a moved user's password).
    pub password_hash: Option<String>,
    /// Mark the email confirmed (no confirmation mail).
    #[serde(default)]
    pub email_confirm: bool,
    /// Mark the phone confirmed.
    #[serde(default)]
    pub phone_confirm: bool,
    /// user_metadata (raw_user_meta_data).
    #[schemars(schema_with = "metadata_schema")]
    pub user_metadata: Metadata,
    /// app_metadata, merged into GoTrue's provider keys.
    #[schemars(schema_with = "metadata_schema")]
    pub app_metadata: Metadata,
    /// A fixed user id (UUID), e.g. when moving users between instances.
    pub id: Option<String>,
    /// Configured instance (default: the default one).
    pub instance: Option<String>,
}

#[derive(Debug, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct UpdateUserParams {
    /// The user's id (UUID).
    pub user_id: String,
    /// New email address.
    pub email: Option<String>,
    /// New phone number (E.164).
    pub phone: Option<String>,
    /// New password.
    pub password: Option<String>,
    /// Mark the email confirmed.
    pub email_confirm: Option<bool>,
    /// Mark the phone confirmed.
    pub phone_confirm: Option<bool>,
    /// user_metadata keys to set (null removes a key).
    #[schemars(schema_with = "metadata_schema")]
    pub user_metadata: Metadata,
    /// app_metadata keys to set (null removes a key).
    #[schemars(schema_with = "metadata_schema")]
    pub app_metadata: Metadata,
    /// Replace the given metadata objects instead of merging (needs confirm).
    #[serde(default)]
    pub replace_metadata: bool,
    /// Ban for a Go duration such as "24h" or "876000h"; "none" unbans.
    pub ban_duration: Option<String>,
    /// Required with replace_metadata.
    #[serde(default)]
    pub confirm: bool,
    /// Configured instance (default: the default one).
    pub instance: Option<String>,
}

#[derive(Debug, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct DeleteUserParams {
    /// The user's id (UUID).
    pub user_id: String,
    /// Soft delete: keep the row with deleted_at set and identities obfuscated.
    #[serde(default)]
    pub soft: bool,
    /// Must be true.
    #[serde(default)]
    pub confirm: bool,
    /// Configured instance (default: the default one).
    pub instance: Option<String>,
}

#[derive(Debug, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct SignOutParams {
    /// The user's id (UUID).
    pub user_id: String,
    /// Must be true.
    #[serde(default)]
    pub confirm: bool,
    /// Configured instance (default: the default one).
    pub instance: Option<String>,
}

#[derive(Debug, Serialize, schemars::JsonSchema)]
struct UserChanged {
    user: UserRow,
    user_metadata: Map<String, Value>,
    app_metadata: Map<String, Value>,
}

#[derive(Debug, Serialize, schemars::JsonSchema)]
struct DeleteReply {
    user_id: String,
    email: Option<String>,
    soft: bool,
    /// What went with the user.
    removed: Vec<String>,
}

fn secret(value: Option<String>) -> Option<Secret> {
    value.filter(|v| !v.is_empty()).map(Secret::new)
}

/// `wanted` as a full replacement of `current`: keys absent from `wanted` are sent as null (GoTrue removes them).
fn replacement(current: &Map<String, Value>, wanted: Option<Map<String, Value>>) -> Option<Map<String, Value>> {
    let mut wanted = wanted?;
    for key in current.keys() {
        wanted.entry(key.clone()).or_insert(Value::Null);
    }
    Some(wanted)
}

fn changed(user: crate::supabase::auth::User) -> UserChanged {
    UserChanged { user: user.row(), user_metadata: user.user_metadata, app_metadata: user.app_metadata }
}

#[tool_router(router = auth_manage_router, vis = "pub(crate)")]
impl SupamcpServer {
    /// Create a Supabase Auth user through GoTrue's admin API (never raw SQL), with email and/or phone,
    /// password or password hash, confirmation flags and metadata.
    #[tool(
        annotations(title = "Create auth user", read_only_hint = false, destructive_hint = false, idempotent_hint = false, open_world_hint = true),
        output_schema = schema_of::<UserChanged>()
    )]
    async fn create_user(&self, Parameters(params): Parameters<CreateUserParams>) -> Result<CallToolResult, McpError> {
        let outcome = async {
            if params.email.is_none() && params.phone.is_none() {
                return Err(Failure::new("create user", "neither email nor phone was given", "pass email or phone"));
            }
            let attributes = UserAttributes {
                id: params.id,
                email: params.email,
                phone: params.phone,
                password: secret(params.password),
                password_hash: secret(params.password_hash),
                email_confirm: params.email_confirm.then_some(true),
                phone_confirm: params.phone_confirm.then_some(true),
                user_metadata: params.user_metadata,
                app_metadata: params.app_metadata,
                ..UserAttributes::default()
            };
            self.auth_admin(params.instance.as_deref())?.create_user(&attributes).await
        }
        .await;
        Ok(outcome.map_or_else(IntoToolResult::into_result, |user| structured(&changed(user))))
    }

    /// Change a Supabase Auth user: email, phone, password, confirmation, metadata (merged; replace_metadata
    /// replaces), or ban for a duration ("none" unbans).
    #[tool(
        annotations(title = "Update auth user", read_only_hint = false, destructive_hint = false, idempotent_hint = true, open_world_hint = true),
        output_schema = schema_of::<UserChanged>()
    )]
    async fn update_user(&self, Parameters(params): Parameters<UpdateUserParams>) -> Result<CallToolResult, McpError> {
        let outcome = async {
            let admin = self.auth_admin(params.instance.as_deref())?;
            let (mut user_metadata, mut app_metadata) = (params.user_metadata, params.app_metadata);
            if params.replace_metadata {
                if !params.confirm {
                    return Err(needs_confirm("replacing metadata", "keys not in the new objects are removed"));
                }
                let current = admin.get_user(&params.user_id).await?;
                user_metadata = replacement(&current.user_metadata, user_metadata);
                app_metadata = replacement(&current.app_metadata, app_metadata);
            }
            let attributes = UserAttributes {
                email: params.email,
                phone: params.phone,
                password: secret(params.password),
                email_confirm: params.email_confirm,
                phone_confirm: params.phone_confirm,
                user_metadata,
                app_metadata,
                ban_duration: params.ban_duration,
                ..UserAttributes::default()
            };
            admin.update_user(&params.user_id, &attributes).await
        }
        .await;
        Ok(outcome.map_or_else(IntoToolResult::into_result, |user| structured(&changed(user))))
    }

    /// Delete a Supabase Auth user (hard, or soft with soft: true) through GoTrue; its identities, sessions,
    /// refresh tokens and MFA factors go with it. Needs confirm: true.
    #[tool(
        annotations(title = "Delete auth user", read_only_hint = false, destructive_hint = true, idempotent_hint = false, open_world_hint = true),
        output_schema = schema_of::<DeleteReply>()
    )]
    async fn delete_user(&self, Parameters(params): Parameters<DeleteUserParams>) -> Result<CallToolResult, McpError> {
        let outcome = async {
            if !params.confirm {
                return Err(needs_confirm("deleting the user", "the user, its identities, sessions and factors go"));
            }
            let admin = self.auth_admin(params.instance.as_deref())?;
            let user = admin.get_user(&params.user_id).await?;
            admin.delete_user(&user.id, params.soft).await?;
            let mut removed = vec![
                format!("{} identities", user.identities.len()),
                format!("{} MFA factors", user.factors.len()),
                "all sessions and their refresh tokens".to_owned(),
            ];
            if !params.soft {
                removed.insert(0, "the auth.users row".to_owned());
            }
            let email = (!user.email.is_empty()).then(|| user.email.clone());
            Ok::<_, Failure>(DeleteReply { user_id: user.id, email, soft: params.soft, removed })
        }
        .await;
        Ok(outcome.map_or_else(IntoToolResult::into_result, |reply| structured(&reply)))
    }

    /// End every session of a Supabase Auth user: its auth.sessions rows and their refresh tokens are deleted
    /// (GoTrue has no admin endpoint for it). Access tokens already issued stay valid until they expire.
    /// Needs confirm: true.
    #[tool(
        annotations(title = "Sign out auth user", read_only_hint = false, destructive_hint = true, idempotent_hint = true, open_world_hint = false),
        output_schema = schema_of::<SignOut>()
    )]
    async fn sign_out_user(&self, Parameters(params): Parameters<SignOutParams>) -> Result<CallToolResult, McpError> {
        if !params.confirm {
            return Ok(needs_confirm("signing the user out", "every session of the user ends").into_result());
        }
        let user_id = match checked_uuid(&params.user_id, "user_id") {
            Ok(id) => id,
            Err(failure) => return Ok(failure.into_result()),
        };
        Ok(self
            .with_client(params.instance.as_deref(), |mut client| async move {
                Ok(structured(&sessions::sign_out(&mut client, &user_id).await?))
            })
            .await)
    }
}
