//! Work the Dokploy tools share: planning an env change (validated, http→https fixed when the domain
//! is https, changes that break a running stack named), and repairing broken keys while keeping a
//! sound JWT_SECRET. Waiting for a deploy is in `watch`.

use crate::failure::Failure;
use crate::secret::redact_hint;
use crate::supabase::env::url::{Protocol, UrlChange, convert_protocols};
use crate::supabase::env::{self, CheckOptions, EnvFile};
use crate::supabase::finding::{Finding, Severity, is_secret_variable};
use crate::supabase::keys::{legacy_keys, random_alnum, validate_keys};
use serde::Serialize;
use std::collections::BTreeSet;

/// One variable change, with secret values shown only as hints.
#[derive(Clone, Debug, Serialize, schemars::JsonSchema)]
pub struct VariableChange {
    pub variable: String,
    /// "set", "added" or "removed".
    pub action: String,
    pub before: Option<String>,
    pub after: Option<String>,
}

/// A planned env change.
pub struct EnvPlan {
    pub file: EnvFile,
    pub changes: Vec<VariableChange>,
    pub url_changes: Vec<UrlChange>,
    /// Changes that break a running stack (they need `confirm`).
    pub breaking: Vec<String>,
    /// Critical findings the change introduces.
    pub new_critical: Vec<Finding>,
}

fn shown(variable: &str, value: &str) -> String {
    if is_secret_variable(variable) && !value.is_empty() { redact_hint(value) } else { value.to_owned() }
}

/// Applies `set` and `unset` to `current`, switches the public URLs to https when `https` says so,
/// names the breaking changes (`booted`: the stack has been deployed before) and the new critical findings.
pub fn plan_env_update(
    current: &EnvFile,
    set: &[(String, String)],
    unset: &[String],
    https: Option<bool>,
    booted: bool,
) -> EnvPlan {
    let mut file = current.clone();
    let mut changes = Vec::new();
    for (key, value) in set {
        let before = current.get(key).map(str::to_owned);
        if file.set(key, value) {
            let action = if before.is_some() { "set" } else { "added" };
            changes.push(VariableChange {
                variable: key.clone(),
                action: action.to_owned(),
                before: before.map(|b| shown(key, &b)),
                after: Some(shown(key, value)),
            });
        }
    }
    for key in unset {
        let before = file.get(key).map(str::to_owned);
        if file.unset(key) {
            changes.push(VariableChange {
                variable: key.clone(),
                action: "removed".to_owned(),
                before: before.map(|b| shown(key, &b)),
                after: None,
            });
        }
    }
    let url_changes = match https {
        Some(true) => convert_protocols(&mut file, Protocol::Https, false),
        _ => Vec::new(),
    };
    let changed: BTreeSet<&str> = changes.iter().map(|c| c.variable.as_str()).collect();
    let mut breaking = Vec::new();
    if booted && changed.contains("POSTGRES_PASSWORD") {
        breaking.push("POSTGRES_PASSWORD changes after the first boot: the database keeps the password it was created with, so every service fails to log in (change it in the database first with ALTER ROLE, or recreate the volume)".to_owned());
    }
    if changed.contains("JWT_SECRET") && !(changed.contains("ANON_KEY") && changed.contains("SERVICE_ROLE_KEY")) {
        breaking.push("JWT_SECRET changes without new ANON_KEY and SERVICE_ROLE_KEY: the old keys no longer verify, so every client is rejected (use dokploy_regenerate_keys, or set all three)".to_owned());
    }
    let options = CheckOptions::default();
    let before: BTreeSet<(String, String)> = env::findings(current, &options)
        .into_iter()
        .filter(|f| f.severity == Severity::Critical)
        .map(|f| (f.rule, f.variable))
        .collect();
    let new_critical = env::findings(&file, &options)
        .into_iter()
        .filter(|f| f.severity == Severity::Critical && !before.contains(&(f.rule.clone(), f.variable.clone())))
        .collect();
    EnvPlan { file, changes, url_changes, breaking, new_critical }
}

/// What a key repair did.
#[derive(Clone, Debug, Serialize, schemars::JsonSchema)]
pub struct KeyRepair {
    /// The key findings that made the repair necessary.
    pub problems: Vec<Finding>,
    /// True when JWT_SECRET was sound and kept.
    pub kept_jwt_secret: bool,
    /// The variables that got new values.
    pub regenerated: Vec<String>,
}

/// The key findings of a file (ANON_KEY, SERVICE_ROLE_KEY, JWT_SECRET), critical and warning.
pub fn key_problems(file: &EnvFile) -> Vec<Finding> {
    let now = chrono::Utc::now().timestamp();
    validate_keys(|name| file.get(name), now)
        .into_iter()
        .filter(|f| f.severity >= Severity::Warning)
        .filter(|f| ["ANON_KEY", "SERVICE_ROLE_KEY", "JWT_SECRET"].contains(&f.variable.as_str()))
        .collect()
}

/// Regenerates ANON_KEY and SERVICE_ROLE_KEY when any key problem exists (and JWT_SECRET when it is
/// itself unsound); `force` regenerates the keys anyway. Returns `None` when nothing needed doing.
pub fn repair_keys(file: &mut EnvFile, force: bool, lifetime_days: u32) -> Result<Option<KeyRepair>, Failure> {
    let problems = key_problems(file);
    if problems.is_empty() && !force {
        return Ok(None);
    }
    let secret_broken = problems.iter().any(|f| f.variable == "JWT_SECRET")
        || file.get("JWT_SECRET").is_none_or(|s| s.chars().count() < crate::supabase::keys::MIN_JWT_SECRET_LENGTH);
    let mut regenerated = Vec::new();
    let secret = if secret_broken {
        let fresh = random_alnum(crate::supabase::keys::DEFAULT_JWT_SECRET_LENGTH);
        file.set("JWT_SECRET", &fresh);
        regenerated.push("JWT_SECRET".to_owned());
        fresh
    } else {
        file.get("JWT_SECRET").unwrap_or_default().to_owned()
    };
    let iat = chrono::Utc::now().timestamp();
    let exp = iat + i64::from(lifetime_days) * 86_400;
    let (anon, service) = legacy_keys(&secret, iat, exp);
    file.set("ANON_KEY", &anon);
    file.set("SERVICE_ROLE_KEY", &service);
    regenerated.extend(["ANON_KEY".to_owned(), "SERVICE_ROLE_KEY".to_owned()]);
    let left = key_problems(file);
    if !left.is_empty() {
        return Err(Failure::new(
            "the regenerated keys still fail validation",
            left.iter().map(|f| f.message.clone()).collect::<Vec<_>>().join("; "),
            "report this as a supamcp bug",
        ));
    }
    Ok(Some(KeyRepair { problems, kept_jwt_secret: !secret_broken, regenerated }))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &str) -> EnvFile {
        EnvFile::parse(text).unwrap_or_default()
    }

    #[test]
    fn password_after_boot_and_lonely_jwt_secret_are_breaking() {
        let current = parse("POSTGRES_PASSWORD=a\nJWT_SECRET=b\n");
        let set = vec![("POSTGRES_PASSWORD".to_owned(), "c".to_owned()), ("JWT_SECRET".to_owned(), "d".repeat(40))];
        let plan = plan_env_update(&current, &set, &[], None, true);
        assert_eq!(plan.breaking.len(), 2);
        assert_eq!(plan.changes[0].before.as_deref(), Some("[redacted, 1 chars]"));
        let fresh = plan_env_update(&current, &set[..1], &[], None, false);
        assert!(fresh.breaking.is_empty());
    }

    #[test]
    fn https_domains_fix_http_urls_on_the_way() {
        let current = parse("API_EXTERNAL_URL=http://db.example.com\n");
        let plan = plan_env_update(&current, &[], &[], Some(true), false);
        assert_eq!(plan.file.get("API_EXTERNAL_URL"), Some("https://db.example.com"));
        assert_eq!(plan.url_changes.len(), 1);
    }

    #[test]
    fn roleless_identical_keys_are_repaired_keeping_the_secret() {
        let secret = "zni0oknba9jekel0bbbneuocl2b0ds0y";
        let same = crate::supabase::keys::jwt::encode_hs256(
            &serde_json::json!({"iss":"dokploy","iat":1,"exp":1_893_456_000}),
            secret,
        );
        let mut file = parse(&format!("JWT_SECRET={secret}\nANON_KEY={same}\nSERVICE_ROLE_KEY={same}\n"));
        let repair = repair_keys(&mut file, false, 365).ok().flatten();
        let repair = repair.unwrap_or_else(|| panic!("no repair"));
        assert!(repair.kept_jwt_secret);
        assert_eq!(file.get("JWT_SECRET"), Some(secret));
        assert_ne!(file.get("ANON_KEY"), file.get("SERVICE_ROLE_KEY"));
        assert!(repair_keys(&mut file, false, 365).ok().flatten().is_none());
    }
}
