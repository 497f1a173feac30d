//! `generate_link` (signup, invite, magic link, recovery, email change: GoTrue returns the link and sends no
//! mail) and `invite_user` (GoTrue creates the user and sends the invite mail). The link and the OTP sign the
//! user in: they are in the reply for the caller to deliver, never in a log or the audit log.

use super::{Metadata, metadata_schema};
use crate::failure::Failure;
use crate::secret::Secret;
use crate::server::SupamcpServer;
use crate::server::output::{IntoToolResult, schema_of, structured};
use crate::supabase::auth::envconfig::auth_findings;
use crate::supabase::auth::{LinkType, UserRow};
use crate::supabase::finding::Finding;
use rmcp::handler::server::wrapper::Parameters;
use rmcp::model::CallToolResult;
use rmcp::{ErrorData as McpError, schemars, tool, tool_router};
use serde::{Deserialize, Serialize};

#[derive(Debug, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct GenerateLinkParams {
    /// signup, invite, magiclink, recovery, email_change_current or email_change_new.
    #[serde(rename = "type")]
    pub kind: LinkType,
    /// The user's email.
    pub email: String,
    /// The new email (email_change_* only).
    pub new_email: Option<String>,
    /// Password of the new user (signup only).
    pub password: Option<String>,
    /// user_metadata of a new user (signup, invite).
    #[schemars(schema_with = "metadata_schema")]
    pub data: Metadata,
    /// Where the link leads after verification (must be in the redirect allow-list).
    pub redirect_to: Option<String>,
    /// Configured instance (default: the default one).
    pub instance: Option<String>,
}

#[derive(Debug, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct InviteParams {
    /// The email to invite.
    pub email: String,
    /// Self-hosted: the stack's .env, checked for fake SMTP settings before inviting.
    pub path: Option<String>,
    /// user_metadata of the new user.
    #[schemars(schema_with = "metadata_schema")]
    pub data: Metadata,
    /// Where the invite link leads (must be in the redirect allow-list).
    pub redirect_to: Option<String>,
    /// Configured instance (default: the default one).
    pub instance: Option<String>,
}

#[derive(Debug, Serialize, schemars::JsonSchema)]
struct LinkReply {
    user: UserRow,
    /// The verification link: it signs the user in, deliver it only to them.
    action_link: String,
    /// The one-time code equivalent to the link.
    email_otp: String,
    verification_type: String,
    redirect_to: String,
    /// No email was sent.
    note: String,
}

#[derive(Debug, Serialize, schemars::JsonSchema)]
struct InviteReply {
    user: UserRow,
    invited_at: Option<String>,
    note: String,
    /// The .env's SMTP problems (with path): the mail is then not delivered.
    smtp_findings: Vec<Finding>,
}

#[tool_router(router = auth_links_router, vis = "pub(crate)")]
impl SupamcpServer {
    /// Generate a signup, invite, magic-link, recovery or email-change link (and its OTP) for a user without
    /// sending any email, to deliver yourself or to test flows.
    #[tool(
        annotations(title = "Generate auth link", read_only_hint = false, destructive_hint = false, idempotent_hint = false, open_world_hint = true),
        output_schema = schema_of::<LinkReply>()
    )]
    async fn generate_link(
        &self,
        Parameters(params): Parameters<GenerateLinkParams>,
    ) -> Result<CallToolResult, McpError> {
        let outcome = async {
            let admin = self.auth_admin(params.instance.as_deref())?;
            let password = params.password.filter(|p| !p.is_empty()).map(Secret::new);
            let link = admin
                .generate_link(
                    params.kind,
                    &params.email,
                    params.new_email.as_deref(),
                    password.as_ref(),
                    params.data.as_ref(),
                    params.redirect_to.as_deref(),
                )
                .await?;
            Ok::<_, Failure>(LinkReply {
                user: link.user.row(),
                action_link: link.action_link.expose().to_owned(),
                email_otp: link.email_otp.expose().to_owned(),
                verification_type: link.verification_type,
                redirect_to: link.redirect_to,
                note: "no email was sent; the link and OTP sign the user in, so share them only with that user".into(),
            })
        }
        .await;
        Ok(outcome.map_or_else(IntoToolResult::into_result, |reply| structured(&reply)))
    }

    /// Invite a user by email: GoTrue creates the user and sends the invite mail, so the instance needs
    /// working SMTP; with path, the self-hosted .env is checked for the template's fake SMTP.
    #[tool(
        annotations(title = "Invite auth user", read_only_hint = false, destructive_hint = false, idempotent_hint = false, open_world_hint = true),
        output_schema = schema_of::<InviteReply>()
    )]
    async fn invite_user(&self, Parameters(params): Parameters<InviteParams>) -> Result<CallToolResult, McpError> {
        let outcome = async {
            let smtp_findings = match params.path.as_deref() {
                Some(path) => {
                    auth_findings(&crate::supabase::env::load_strict(None, Some(std::path::Path::new(path)))?)
                        .into_iter()
                        .filter(|f| f.variable.starts_with("SMTP_"))
                        .collect()
                }
                None => Vec::new(),
            };
            let admin = self.auth_admin(params.instance.as_deref())?;
            let user = admin.invite(&params.email, params.data.as_ref(), params.redirect_to.as_deref()).await?;
            Ok::<_, Failure>((user, smtp_findings))
        }
        .await;
        Ok(outcome.map_or_else(IntoToolResult::into_result, |(user, smtp_findings)| {
            let note = if smtp_findings.is_empty() {
                "GoTrue accepted the invite and handed the mail to its SMTP server; if it does not arrive, check the \
                 SMTP settings (SMTP_HOST/USER/PASS) and GoTrue's logs"
            } else {
                "GoTrue accepted the invite, but the .env's SMTP settings are the template's placeholders: the mail \
                 will not arrive; set real SMTP_* values (update_auth_config), or send a generate_link link yourself"
            };
            structured(&InviteReply {
                invited_at: user.invited_at.clone(),
                user: user.row(),
                note: note.to_owned(),
                smtp_findings,
            })
        }))
    }
}
