//! The auth section of `compare_instances`: the settings GoTrue publishes (`/settings` and `/health`, no secrets
//! in them) of two instances, setting by setting. A side whose auth API is not configured or not reachable makes
//! the section `unavailable` with the reason.

use crate::failure::Failure;
use crate::supabase::auth::settings::AuthSettings;
use serde::Serialize;

#[derive(Clone, Debug, Serialize, schemars::JsonSchema)]
pub struct SettingChange {
    pub setting: String,
    pub source: String,
    pub target: String,
}

#[derive(Clone, Debug, Serialize, schemars::JsonSchema)]
pub struct AuthSection {
    pub status: String,
    pub note: Option<String>,
    pub differences: usize,
    /// Published settings that differ: enabled_providers, disable_signup, mailer_autoconfirm, phone_autoconfirm,
    /// sms_provider, saml_enabled, version.
    pub settings_differ: Vec<SettingChange>,
}

fn published(settings: &AuthSettings) -> [(&'static str, String); 7] {
    [
        ("enabled_providers", settings.enabled_providers.join(",")),
        ("disable_signup", settings.disable_signup.to_string()),
        ("mailer_autoconfirm", settings.mailer_autoconfirm.to_string()),
        ("phone_autoconfirm", settings.phone_autoconfirm.to_string()),
        ("sms_provider", settings.sms_provider.clone()),
        ("saml_enabled", settings.saml_enabled.to_string()),
        ("version", settings.version.clone().unwrap_or_default()),
    ]
}

/// The section for two sides, each read or the reason it could not be.
pub fn compare(source: Result<AuthSettings, Failure>, target: Result<AuthSettings, Failure>) -> AuthSection {
    match (source, target) {
        (Ok(source), Ok(target)) => {
            let settings_differ: Vec<SettingChange> = published(&source)
                .into_iter()
                .zip(published(&target))
                .filter(|((_, a), (_, b))| a != b)
                .map(|((setting, a), (_, b))| SettingChange { setting: setting.to_owned(), source: a, target: b })
                .collect();
            let differences = settings_differ.len();
            let status = if differences == 0 { "same" } else { "different" }.to_owned();
            AuthSection { status, note: None, differences, settings_differ }
        }
        (source, target) => {
            let why = |side: &str, outcome: &Result<AuthSettings, Failure>| {
                outcome.as_ref().err().map(|failure| format!("{side}: {}", failure.what))
            };
            let reasons: Vec<String> = [why("source", &source), why("target", &target)].into_iter().flatten().collect();
            AuthSection {
                status: "unavailable".to_owned(),
                note: Some(format!("auth settings not compared ({})", reasons.join("; "))),
                differences: 0,
                settings_differ: Vec::new(),
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn settings(autoconfirm: bool) -> AuthSettings {
        AuthSettings {
            enabled_providers: vec!["email".to_owned()],
            external: Default::default(),
            disable_signup: false,
            mailer_autoconfirm: autoconfirm,
            phone_autoconfirm: false,
            sms_provider: String::new(),
            saml_enabled: false,
            service: None,
            version: Some("v2".to_owned()),
        }
    }

    #[test]
    fn settings_that_differ_are_named_with_both_values() {
        let section = compare(Ok(settings(true)), Ok(settings(false)));
        assert_eq!(section.status, "different");
        assert_eq!(section.settings_differ.len(), 1);
        assert_eq!(
            (section.settings_differ[0].setting.as_str(), section.settings_differ[0].source.as_str()),
            ("mailer_autoconfirm", "true")
        );
        assert_eq!(compare(Ok(settings(true)), Ok(settings(true))).status, "same");
    }

    #[test]
    fn a_side_without_the_api_makes_the_section_unavailable() {
        let missing = Failure::new("no Supabase API configured for instance 'prod'", "why", "fix");
        let section = compare(Ok(settings(true)), Err(missing));
        assert_eq!(section.status, "unavailable");
        assert!(section.note.unwrap_or_default().contains("target: no Supabase API"));
    }
}
