//! The setup wizard's plan and record. The plan is the env supamcp writes over the template's (our own
//! secrets, never Dokploy's generator; https URLs for the domain; SMTP, or autoconfirm when there is
//! none) reviewed by the .env doctor. The record notes every step done and every object created, under
//! `<data_dir>/dokploy/deploys/<id>.json` (owner-only: it holds the secrets a resume needs), so a failed
//! run can be resumed or removed.

use crate::failure::Failure;
use crate::supabase::env::template::TEMPLATE;
use crate::supabase::env::{self, CheckOptions, EnvFile};
use crate::supabase::finding::{Finding, Severity};
use crate::supabase::keys::{GenerateOptions, fresh_secret, generate};
use serde::{Deserialize, Serialize};
use std::path::{Path, PathBuf};

/// SMTP settings for GoTrue.
#[derive(Clone, Debug, Deserialize, Serialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Smtp {
    /// The SMTP server's host name.
    pub host: String,
    /// Its port (587 STARTTLS, 465 TLS).
    pub port: u16,
    /// The login user.
    pub user: String,
    /// The login password.
    pub pass: String,
    /// The From address, also SMTP_ADMIN_EMAIL.
    pub admin_email: String,
    /// Sender name shown in mails.
    #[serde(default)]
    pub sender_name: Option<String>,
}

/// Variables in order, `(name, value)`.
pub type Vars = Vec<(String, String)>;

/// The variables supamcp sets over the template's, in order, and the notes about them.
pub fn overrides(domain: &str, smtp: Option<&Smtp>, site_url: Option<&str>) -> Result<(Vars, Vec<String>), Failure> {
    let generated = generate(&GenerateOptions::default())?;
    let mut vars: Vec<(String, String)> =
        generated.vars.iter().map(|(name, value)| ((*name).to_owned(), value.expose().to_owned())).collect();
    for (name, _, _) in TEMPLATE {
        if !vars.iter().any(|(k, _)| k == name)
            && let Some(value) = fresh_secret(name)
        {
            vars.push(((*name).to_owned(), value));
        }
    }
    let public = format!("https://{domain}");
    let site = site_url.map_or_else(|| public.clone(), str::to_owned);
    let mut notes = Vec::new();
    let mut push = |k: &str, v: String| vars.push((k.to_owned(), v));
    push("SUPABASE_HOST", domain.to_owned());
    push("API_EXTERNAL_URL", public.clone());
    push("SUPABASE_PUBLIC_URL", public.clone());
    push("SITE_URL", site.clone());
    push("ADDITIONAL_REDIRECT_URLS", format!("{site}/*"));
    push("POOLER_TENANT_ID", uuid::Uuid::new_v4().to_string());
    match smtp {
        Some(smtp) => {
            push("SMTP_HOST", smtp.host.clone());
            push("SMTP_PORT", smtp.port.to_string());
            push("SMTP_USER", smtp.user.clone());
            push("SMTP_PASS", smtp.pass.clone());
            push("SMTP_ADMIN_EMAIL", smtp.admin_email.clone());
            push("SMTP_SENDER_NAME", smtp.sender_name.clone().unwrap_or_else(|| "Supabase".to_owned()));
        }
        None => {
            push("ENABLE_EMAIL_AUTOCONFIRM", "true".to_owned());
            notes.push("no SMTP given: the template's fake SMTP stays and email autoconfirm is on so sign-ups work; set real SMTP later with dokploy_update_env (SMTP_* and ENABLE_EMAIL_AUTOCONFIRM=false)".to_owned());
        }
    }
    Ok((vars, notes))
}

/// Applies `vars` over `base`.
pub fn apply(base: &EnvFile, vars: &[(String, String)]) -> EnvFile {
    let mut file = base.clone();
    for (key, value) in vars {
        file.set(key, value);
    }
    file
}

/// The env a dry run reviews: the template's defaults with `vars` over them.
pub fn template_baseline() -> EnvFile {
    let mut file = EnvFile::default();
    for (key, value, _) in TEMPLATE {
        file.set(key, value);
    }
    file.set("SMTP_HOST", "supabase-mail");
    file.set("SMTP_PORT", "2500");
    file.set("SMTP_USER", "fake_mail_user");
    file.set("SMTP_PASS", "fake_mail_password");
    file.set("SMTP_SENDER_NAME", "fake_sender");
    file.set("SMTP_ADMIN_EMAIL", "admin@example.com");
    file.set("ENABLE_EMAIL_SIGNUP", "true");
    file.set("ENABLE_EMAIL_AUTOCONFIRM", "false");
    file
}

/// The doctor's critical findings on `file`.
pub fn review(file: &EnvFile) -> Vec<Finding> {
    env::findings(file, &CheckOptions::default()).into_iter().filter(|f| f.severity == Severity::Critical).collect()
}

/// True for a plausible DNS host name (letters, digits, '-', dots; no scheme, port or path).
pub fn valid_host(host: &str) -> bool {
    let labels: Vec<&str> = host.split('.').collect();
    host.len() <= 253
        && labels.len() >= 2
        && labels.iter().all(|l| {
            !l.is_empty()
                && l.len() <= 63
                && !l.starts_with('-')
                && !l.ends_with('-')
                && l.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')
        })
}

/// What a wizard run did so far.
#[derive(Clone, Debug, Default, Deserialize, Serialize)]
pub struct Record {
    pub id: String,
    pub server: String,
    pub project_name: String,
    pub domain: String,
    pub server_id: Option<String>,
    /// The variables written over the template's env (secrets: the file is owner-only).
    pub vars: Vec<(String, String)>,
    pub project_id: Option<String>,
    /// True when the wizard created the project (rollback removes it then).
    pub project_created: bool,
    pub environment_id: Option<String>,
    pub compose_id: Option<String>,
    pub app_name: Option<String>,
    /// The deployments there were before the deploy step (the wait looks for the one made after).
    #[serde(default)]
    pub deploy_baseline: Option<super::watch::Baseline>,
    /// Names of the steps completed.
    pub done: Vec<String>,
    pub failed: Option<String>,
    pub rolled_back: bool,
}

impl Record {
    pub fn is_done(&self, step: &str) -> bool {
        self.done.iter().any(|s| s == step)
    }
}

/// The record store of one data directory.
pub struct Records {
    dir: PathBuf,
}

impl Records {
    pub fn new(data_dir: &Path) -> Records {
        Records { dir: data_dir.join("dokploy").join("deploys") }
    }

    pub fn save(&self, record: &Record) -> Result<(), Failure> {
        let fail = |e: String| {
            Failure::new("cannot write the deploy record", e, "check that the data directory (--data-dir) is writable")
        };
        let setting = "the data directory (--data-dir, SUPAMCP_DATA_DIR)";
        crate::fsutil::ensure_dir(&self.dir, setting)?;
        let text = serde_json::to_string_pretty(record).map_err(|e| fail(e.to_string()))?;
        crate::fsutil::write_atomic(&self.dir.join(format!("{}.json", record.id)), text.as_bytes(), setting)
    }

    pub fn load(&self, id: &str) -> Result<Record, Failure> {
        let safe: String = id.chars().filter(|c| c.is_ascii_alphanumeric() || *c == '-').collect();
        let path = self.dir.join(format!("{safe}.json"));
        let text = crate::fsutil::open_read(&path).and_then(std::io::read_to_string).map_err(|_| {
            Failure::new(
                format!("no deploy record '{id}'"),
                format!("{} does not exist", path.display()),
                "pass the deploy_id a dokploy_deploy_supabase failure reported",
            )
        })?;
        serde_json::from_str(&text).map_err(|e| {
            Failure::new("the deploy record is unreadable", e.to_string(), "remove the objects by hand in Dokploy")
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn our_env_passes_the_review_without_smtp() {
        let (vars, notes) = overrides("db.example.com", None, None).unwrap_or_default();
        let file = apply(&template_baseline(), &vars);
        assert!(review(&file).is_empty(), "{:?}", review(&file));
        assert_eq!(notes.len(), 1);
        assert_eq!(file.get("API_EXTERNAL_URL"), Some("https://db.example.com"));
    }

    #[test]
    fn hosts() {
        assert!(valid_host("db.example.com"));
        assert!(!valid_host("https://db.example.com"));
        assert!(!valid_host("localhost"));
        assert!(!valid_host("-a.example.com"));
    }
}
