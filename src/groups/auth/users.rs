//! Reading users: `list_users` (paginated compact rows, Studio's filters) and `get_user` (identities, MFA
//! factors, metadata, and the session count when the instance's database is configured). When GoTrue cannot
//! be reached, both read auth.* with SQL (and say so). User data is fenced as untrusted: metadata
//! is written by end users.

use super::{default_page, default_per_page, fenced};
use crate::failure::Failure;
use crate::server::SupamcpServer;
use crate::server::output::{IntoToolResult, schema_of};
use crate::supabase::auth::listing::parse_bound;
use crate::supabase::auth::{User, UserFilter, UserListing, is_unreachable, sessions, sql};
use rmcp::handler::server::wrapper::Parameters;
use rmcp::model::CallToolResult;
use rmcp::{ErrorData as McpError, schemars, tool, tool_router};
use serde::{Deserialize, Serialize};

/// The most users one page may hold (keeps the reply bounded).
const MAX_PER_PAGE: u32 = 1000;

#[derive(Debug, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ListUsersParams {
    /// Page number, from 1.
    #[serde(default = "default_page")]
    pub page: u32,
    /// Users per page (default 50, max 1000).
    #[serde(default = "default_per_page")]
    pub per_page: u32,
    /// Substring of the email or full name.
    pub filter: Option<String>,
    /// Sign-in provider (email, phone, google...).
    pub provider: Option<String>,
    /// Confirmed or not.
    pub confirmed: Option<bool>,
    /// Banned or not.
    pub banned: Option<bool>,
    /// Anonymous or not.
    pub anonymous: Option<bool>,
    /// Created at/after (RFC 3339 or YYYY-MM-DD).
    pub created_after: Option<String>,
    /// Created before.
    pub created_before: Option<String>,
    /// Last sign-in at/after.
    pub signed_in_after: Option<String>,
    /// Last sign-in before.
    pub signed_in_before: Option<String>,
    /// Configured instance (default: the default one).
    pub instance: Option<String>,
}

#[derive(Debug, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct UserIdParams {
    /// The user's id (UUID).
    pub user_id: String,
    /// Configured instance (default: the default one).
    pub instance: Option<String>,
}

#[derive(Debug, Serialize, schemars::JsonSchema)]
struct UserReply {
    user: User,
    /// Active sessions in auth.sessions (null without a database connection).
    session_count: Option<i64>,
    /// Set when the user was read with SQL because GoTrue could not be reached.
    #[serde(skip_serializing_if = "Option::is_none")]
    note: Option<String>,
}

impl ListUsersParams {
    fn user_filter(&self) -> Result<UserFilter, Failure> {
        let bound = |value: &Option<String>, name: &str| value.as_deref().map(|v| parse_bound(v, name)).transpose();
        Ok(UserFilter {
            provider: self.provider.clone().filter(|p| !p.is_empty()),
            confirmed: self.confirmed,
            banned: self.banned,
            anonymous: self.anonymous,
            created_after: bound(&self.created_after, "created_after")?,
            created_before: bound(&self.created_before, "created_before")?,
            signed_in_after: bound(&self.signed_in_after, "signed_in_after")?,
            signed_in_before: bound(&self.signed_in_before, "signed_in_before")?,
        })
    }
}

#[tool_router(router = auth_users_router, vis = "pub(crate)")]
impl SupamcpServer {
    /// List Supabase Auth users page by page, newest first, with compact rows (providers, confirmed, last
    /// sign-in, ban, MFA factor count) and the total. Filter by email/name, provider, status or time ranges.
    /// Falls back to SQL on auth.users when GoTrue is unreachable.
    #[tool(
        annotations(title = "List auth users", read_only_hint = true, destructive_hint = false, idempotent_hint = true, open_world_hint = true),
        output_schema = schema_of::<UserListing>()
    )]
    async fn list_users(&self, Parameters(params): Parameters<ListUsersParams>) -> Result<CallToolResult, McpError> {
        let outcome = async {
            let extra = params.user_filter()?;
            let admin = self.auth_admin(params.instance.as_deref())?;
            let per_page = params.per_page.clamp(1, MAX_PER_PAGE);
            let filter = params.filter.as_deref();
            match admin.list_filtered(params.page, per_page, filter, &extra).await {
                Err(failure) if is_unreachable(&failure) => {
                    let Ok(database) = self.state.databases.get(params.instance.as_deref()) else {
                        return Err(failure);
                    };
                    let client = database.client().await.map_err(|_| failure.clone())?;
                    let mut listing = sql::list_users(&**client, params.page, per_page, filter, &extra).await?;
                    listing.note = Some(format!(
                        "{}: {}; these users were read from auth.users with SQL instead",
                        failure.what, failure.why
                    ));
                    Ok(listing)
                }
                other => other,
            }
        }
        .await;
        Ok(outcome.map_or_else(IntoToolResult::into_result, |listing| fenced("user data", &listing)))
    }

    /// One Supabase Auth user with identities, MFA factors (never their secrets), metadata, ban and
    /// last sign-in, and the number of active sessions when the database is reachable. Falls back to SQL on
    /// auth.users when GoTrue is unreachable.
    #[tool(
        annotations(title = "Get auth user", read_only_hint = true, destructive_hint = false, idempotent_hint = true, open_world_hint = true),
        output_schema = schema_of::<UserReply>()
    )]
    async fn get_user(&self, Parameters(params): Parameters<UserIdParams>) -> Result<CallToolResult, McpError> {
        let instance = params.instance.as_deref();
        let outcome = async {
            let (user, note) = match self.auth_admin(instance)?.get_user(&params.user_id).await {
                Ok(user) => (user, None),
                Err(failure) if is_unreachable(&failure) => {
                    let Ok(database) = self.state.databases.get(instance) else { return Err(failure) };
                    let client = database.client().await.map_err(|_| failure.clone())?;
                    let user = sql::get_user(&**client, &params.user_id).await?.ok_or_else(|| {
                        Failure::new(
                            format!("user {} not found in auth.users", params.user_id),
                            format!(
                                "{}: {}; auth.users was read instead and has no such id",
                                failure.what, failure.why
                            ),
                            "find the user's id with list_users",
                        )
                    })?;
                    let note =
                        format!("{}: {}; this user was read from auth.users with SQL", failure.what, failure.why);
                    (user, Some(note))
                }
                Err(failure) => return Err(failure),
            };
            let session_count = match self.state.databases.get(instance) {
                Ok(database) => match database.client().await {
                    Ok(client) => sessions::session_count(&**client, &user.id).await,
                    Err(_) => None,
                },
                Err(_) => None,
            };
            Ok::<_, Failure>(UserReply { user, session_count, note })
        }
        .await;
        Ok(outcome.map_or_else(IntoToolResult::into_result, |reply| fenced("user data", &reply)))
    }
}
