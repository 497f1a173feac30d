//! The auth service's public settings (`GET /auth/v1/settings`) and health (`GET /auth/v1/health`) read into
//! what an admin looks for first: which providers are on, signup, autoconfirm, and the GoTrue version.

use super::AuthAdmin;
use crate::failure::Failure;
use schemars::JsonSchema;
use serde::Serialize;
use serde_json::Value;
use std::collections::BTreeMap;

/// What GoTrue publishes about its configuration (no secrets are in it).
#[derive(Debug, Serialize, JsonSchema)]
pub struct AuthSettings {
    /// Providers that are on (email, phone, anonymous_users, google, ...).
    pub enabled_providers: Vec<String>,
    /// Every provider GoTrue knows, on or off.
    pub external: BTreeMap<String, bool>,
    pub disable_signup: bool,
    /// Email signups need no confirmation.
    pub mailer_autoconfirm: bool,
    pub phone_autoconfirm: bool,
    pub sms_provider: String,
    pub saml_enabled: bool,
    /// GoTrue's name and version from /health.
    pub service: Option<String>,
    pub version: Option<String>,
}

impl AuthAdmin {
    /// The settings and the health of the auth service.
    pub async fn auth_settings(&self) -> Result<AuthSettings, Failure> {
        let settings = self.settings().await?;
        let health = self.health().await.ok();
        let flag = |key: &str| settings.get(key).and_then(Value::as_bool).unwrap_or(false);
        let external: BTreeMap<String, bool> = settings
            .get("external")
            .and_then(Value::as_object)
            .map(|map| map.iter().map(|(name, on)| (name.clone(), on.as_bool().unwrap_or(false))).collect())
            .unwrap_or_default();
        let text = |value: Option<&Value>, key: &str| {
            value.and_then(|v| v.get(key)).and_then(Value::as_str).map(str::to_owned)
        };
        Ok(AuthSettings {
            enabled_providers: external.iter().filter(|(_, on)| **on).map(|(name, _)| name.clone()).collect(),
            external,
            disable_signup: flag("disable_signup"),
            mailer_autoconfirm: flag("mailer_autoconfirm"),
            phone_autoconfirm: flag("phone_autoconfirm"),
            sms_provider: text(Some(&settings), "sms_provider").unwrap_or_default(),
            saml_enabled: flag("saml_enabled"),
            service: text(health.as_ref(), "name"),
            version: text(health.as_ref(), "version"),
        })
    }
}
