//! The auth settings of a self-hosted stack as its `.env` holds them (the variables docker-compose passes to
//! the `auth` service as GOTRUE_*): read with secrets redacted, and changed through the `.env` model (only the
//! touched lines change), with the doctor's findings compared before and after. A change applies when the
//! auth container is recreated.

use crate::failure::Failure;
use crate::secret::redact_hint;
use crate::supabase::env::{CheckOptions, EnvFile, findings};
use crate::supabase::finding::Finding;
use schemars::JsonSchema;
use serde::Serialize;
use std::collections::{BTreeMap, BTreeSet};

/// How a variable's value is checked.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Kind {
    Bool,
    Seconds,
    Port,
    Url,
    UrlList,
    Text,
    Secret,
}

/// The auth variables of Supabase's self-hosted `.env` (docker/.env.example), and the OAuth ones the compose
/// file's provider blocks read once they are uncommented.
const VARIABLES: &[(&str, Kind)] = &[
    ("SITE_URL", Kind::Url),
    ("ADDITIONAL_REDIRECT_URLS", Kind::UrlList),
    ("JWT_EXPIRY", Kind::Seconds),
    ("DISABLE_SIGNUP", Kind::Bool),
    ("ENABLE_EMAIL_SIGNUP", Kind::Bool),
    ("ENABLE_EMAIL_AUTOCONFIRM", Kind::Bool),
    ("ENABLE_ANONYMOUS_USERS", Kind::Bool),
    ("ENABLE_PHONE_SIGNUP", Kind::Bool),
    ("ENABLE_PHONE_AUTOCONFIRM", Kind::Bool),
    ("SMTP_ADMIN_EMAIL", Kind::Text),
    ("SMTP_HOST", Kind::Text),
    ("SMTP_PORT", Kind::Port),
    ("SMTP_USER", Kind::Text),
    ("SMTP_PASS", Kind::Secret),
    ("SMTP_SENDER_NAME", Kind::Text),
    ("MAILER_URLPATHS_CONFIRMATION", Kind::Text),
    ("MAILER_URLPATHS_INVITE", Kind::Text),
    ("MAILER_URLPATHS_RECOVERY", Kind::Text),
    ("MAILER_URLPATHS_EMAIL_CHANGE", Kind::Text),
    ("GOOGLE_ENABLED", Kind::Bool),
    ("GOOGLE_CLIENT_ID", Kind::Text),
    ("GOOGLE_SECRET", Kind::Secret),
    ("GITHUB_ENABLED", Kind::Bool),
    ("GITHUB_CLIENT_ID", Kind::Text),
    ("GITHUB_SECRET", Kind::Secret),
    ("AZURE_ENABLED", Kind::Bool),
    ("AZURE_CLIENT_ID", Kind::Text),
    ("AZURE_SECRET", Kind::Secret),
];

/// The command that makes the auth service read a changed `.env` (run where the compose file is).
pub const RESTART_COMMAND: &str = "docker compose up -d --force-recreate auth";

fn kind_of(name: &str) -> Option<Kind> {
    VARIABLES.iter().find(|(variable, _)| *variable == name).map(|(_, kind)| *kind)
}

/// The names `update_auth_config` accepts.
pub fn known_variables() -> String {
    VARIABLES.iter().map(|(name, _)| *name).collect::<Vec<_>>().join(", ")
}

/// The auth variables present in `file`, secrets as redacted hints.
pub fn auth_env(file: &EnvFile) -> BTreeMap<String, String> {
    VARIABLES
        .iter()
        .filter_map(|(name, kind)| {
            let value = file.get(name)?;
            let shown = if *kind == Kind::Secret { redact_hint(value) } else { value.to_owned() };
            Some(((*name).to_owned(), shown))
        })
        .collect()
}

/// The findings about auth variables (fake SMTP, SITE_URL ...).
pub fn auth_findings(file: &EnvFile) -> Vec<Finding> {
    findings(file, &CheckOptions::default()).into_iter().filter(|f| kind_of(&f.variable).is_some()).collect()
}

/// One variable a plan changes (secrets as redacted hints).
#[derive(Debug, Serialize, JsonSchema)]
pub struct AuthEnvChange {
    pub variable: String,
    pub before: Option<String>,
    pub after: String,
}

/// An update of the auth variables, before it is written.
#[derive(Debug)]
pub struct AuthEnvPlan {
    pub updated: EnvFile,
    pub changes: Vec<AuthEnvChange>,
    /// Findings the update introduces (compared by rule and variable).
    pub new_findings: Vec<Finding>,
}

fn check_value(name: &str, kind: Kind, value: &str) -> Result<(), Failure> {
    let bad = |expected: &str| {
        Failure::new(
            format!("{name} cannot be set to this value"),
            format!("{name} takes {expected}"),
            format!("pass {expected} for {name}"),
        )
    };
    let url = |text: &str| text.starts_with("http://") || text.starts_with("https://") || text.contains("://");
    match kind {
        Kind::Bool if !matches!(value, "true" | "false") => Err(bad("true or false")),
        Kind::Seconds if value.parse::<u32>().map_or(true, |n| n == 0) => Err(bad("a number of seconds above 0")),
        Kind::Port if value.parse::<u16>().map_or(true, |n| n == 0) => Err(bad("a port number")),
        Kind::Url if !url(value) => Err(bad("a URL such as https://app.example.com")),
        Kind::UrlList if !value.is_empty() && !value.split(',').all(|u| url(u.trim())) => {
            Err(bad("a comma-separated list of URLs (wildcards allowed)"))
        }
        _ if value.contains('\n') => Err(bad("a single line")),
        _ => Ok(()),
    }
}

/// Plans setting `set` in `file`: only auth variables, each value checked.
pub fn plan_update(file: &EnvFile, set: &BTreeMap<String, String>) -> Result<AuthEnvPlan, Failure> {
    if set.is_empty() {
        return Err(Failure::new("nothing to change", "`set` is empty", "pass the variables to set in `set`"));
    }
    let mut updated = file.clone();
    let mut changes = Vec::new();
    for (name, value) in set {
        let kind = kind_of(name).ok_or_else(|| {
            Failure::new(
                format!("{name} is not an auth setting update_auth_config changes"),
                format!("it changes only: {}", known_variables()),
                "use dokploy_update_env or edit the .env for other variables",
            )
        })?;
        check_value(name, kind, value)?;
        let shown = |v: &str| if kind == Kind::Secret { redact_hint(v) } else { v.to_owned() };
        let before = file.get(name).map(shown);
        if file.get(name) == Some(value.as_str()) {
            continue;
        }
        updated.set(name, value);
        changes.push(AuthEnvChange { variable: name.clone(), before, after: shown(value) });
    }
    let key = |f: &Finding| (f.rule.clone(), f.variable.clone());
    let old: BTreeSet<(String, String)> = auth_findings(file).iter().map(key).collect();
    let new_findings = auth_findings(&updated).into_iter().filter(|f| !old.contains(&key(f))).collect();
    Ok(AuthEnvPlan { updated, changes, new_findings })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn file(text: &str) -> EnvFile {
        EnvFile::parse(text).unwrap()
    }

    #[test]
    fn only_auth_variables_with_valid_values_change_and_secrets_stay_hidden() {
        let env = file("SITE_URL=http://localhost:3000\nDISABLE_SIGNUP=false\nSMTP_PASS=old-smtp-password-123456789\n");
        let set: BTreeMap<String, String> = [
            ("DISABLE_SIGNUP".to_owned(), "true".to_owned()),
            ("SMTP_PASS".to_owned(), "new-smtp-password-abcdefghijk".to_owned()),
            ("SITE_URL".to_owned(), "http://localhost:3000".to_owned()),
        ]
        .into();
        let plan = plan_update(&env, &set).unwrap();
        assert_eq!(plan.changes.len(), 2, "an unchanged value is no change");
        assert_eq!(plan.updated.get("DISABLE_SIGNUP"), Some("true"));
        let shown = format!("{:?}", plan.changes);
        assert!(!shown.contains("new-smtp-password") && !shown.contains("old-smtp-password"), "{shown}");
        let bad: BTreeMap<String, String> = [("DISABLE_SIGNUP".to_owned(), "yes".to_owned())].into();
        assert!(plan_update(&env, &bad).unwrap_err().why.contains("true or false"));
        let foreign: BTreeMap<String, String> = [("POSTGRES_PASSWORD".to_owned(), "x".to_owned())].into();
        assert!(plan_update(&env, &foreign).unwrap_err().what.contains("not an auth setting"));
        assert_eq!(auth_env(&env)["SMTP_PASS"], redact_hint("old-smtp-password-123456789"));
    }
}
