//! Fixes a `.env`: regenerates broken keys and secrets (keeping healthy ones), restores infrastructure
//! values, converts public URLs to https, adds required variables; then re-checks and lists what only a
//! human can fix. Also the redacted rendering, the unified diff, and writing with a timestamped backup.

use super::check::{CheckOptions, findings};
use super::template::{FIXED, default_of};
use super::url::{Protocol, convert_protocols};
use super::{EnvFile, project::sanitize_project_name};
use crate::failure::Failure;
use crate::secret::redact_hint;
use crate::supabase::finding::{Finding, Severity, is_secret_variable, shown_value};
use crate::supabase::keys::{self, GenerateOptions, fresh_secret};
use serde::Serialize;
use std::path::{Path, PathBuf};

const LEGACY: [&str; 2] = ["ANON_KEY", "SERVICE_ROLE_KEY"];
const NEW_SYSTEM: [&str; 6] = [
    "SUPABASE_PUBLISHABLE_KEY",
    "SUPABASE_SECRET_KEY",
    "JWT_KEYS",
    "JWT_JWKS",
    "ANON_KEY_ASYMMETRIC",
    "SERVICE_ROLE_KEY_ASYMMETRIC",
];

#[derive(Clone, Copy, Debug, Default)]
pub struct FixOptions {
    pub check: CheckOptions,
    /// Lifetime of regenerated keys in days (0: the default five years).
    pub lifetime_days: u32,
}

/// One variable the fixer changed.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, schemars::JsonSchema)]
pub struct Change {
    pub variable: String,
    /// The rules that caused the change.
    pub rules: Vec<String>,
    /// Before and after, secrets as redacted hints.
    pub before: Option<String>,
    pub after: String,
}

/// The fixed file and what happened.
#[derive(Clone, Debug, Serialize)]
pub struct FixOutcome {
    #[serde(skip)]
    pub fixed: EnvFile,
    pub changes: Vec<Change>,
    /// Findings still present after the fix: they need a human (real SMTP, the right domain, ...).
    pub remaining: Vec<Finding>,
    /// Steps to take outside the file.
    pub follow_up: Vec<String>,
}

struct Fixer<'a> {
    file: EnvFile,
    changes: Vec<Change>,
    original: &'a EnvFile,
}

impl Fixer<'_> {
    fn set(&mut self, variable: &str, value: &str, rule: &str) {
        if self.file.get(variable) == Some(value) {
            return;
        }
        self.file.set(variable, value);
        if let Some(change) = self.changes.iter_mut().find(|c| c.variable == variable) {
            change.after = shown_value(variable, value);
            if !change.rules.iter().any(|r| r == rule) {
                change.rules.push(rule.to_owned());
            }
            return;
        }
        self.changes.push(Change {
            variable: variable.to_owned(),
            rules: vec![rule.to_owned()],
            before: self.original.get(variable).map(|v| shown_value(variable, v)),
            after: shown_value(variable, value),
        });
    }
}

fn has(found: &[Finding], variables: &[&str], skip_info: bool) -> Option<String> {
    found
        .iter()
        .find(|f| variables.contains(&f.variable.as_str()) && !(skip_info && f.severity == Severity::Info))
        .map(|f| f.rule.clone())
}

/// Fixes what can be fixed without a human.
pub fn fix(original: &EnvFile, options: &FixOptions) -> FixOutcome {
    let found = findings(original, &options.check);
    let mut fixer = Fixer { file: original.clone(), changes: Vec::new(), original };
    let mut follow_up = Vec::new();
    fix_keys(&mut fixer, &found, options);
    for finding in &found {
        let variable = finding.variable.as_str();
        let rule = finding.rule.as_str();
        match rule {
            "secret_default" | "secret_weak" | "password_url_unsafe" => {
                if let Some(value) = fresh_secret(variable) {
                    fixer.set(variable, &value, rule);
                }
            }
            "required_missing" => {
                let value = match variable {
                    "POOLER_TENANT_ID" => Some(uuid::Uuid::new_v4().to_string()),
                    "API_EXTERNAL_URL" => original.get("SUPABASE_PUBLIC_URL").map(str::to_owned),
                    "SUPABASE_PUBLIC_URL" => original.get("API_EXTERNAL_URL").map(str::to_owned),
                    _ => fresh_secret(variable).or_else(|| default_of(variable).map(str::to_owned)),
                };
                if let Some(value) = value.filter(|v| !v.is_empty()) {
                    fixer.set(variable, &value, rule);
                }
            }
            "infra_changed" => {
                if let Some((_, expected)) = FIXED.iter().find(|(v, _)| *v == variable) {
                    fixer.set(variable, expected, rule);
                }
            }
            "value_not_integer" | "pooler_pool_too_small" => {
                if let Some(default) = default_of(variable).or(if variable == "SMTP_PORT" { Some("587") } else { None })
                {
                    fixer.set(variable, default, rule);
                }
            }
            "pooler_pool_too_large" => {
                let db_pool =
                    original.get("POOLER_DB_POOL_SIZE").and_then(|v| v.trim().parse::<i64>().ok()).unwrap_or(5);
                let fits = (options.check.max_connections - 3 - 30 - db_pool).clamp(1, 20);
                fixer.set(variable, &fits.to_string(), rule);
            }
            "pooler_clients_below_pool" => fixer.set(variable, "100", rule),
            "jwt_expiry_range" => fixer.set(variable, "3600", rule),
            "project_name_invalid" | "container_prefix_invalid" => {
                let sanitized = sanitize_project_name(original.get(variable).unwrap_or_default());
                fixer.set(variable, &sanitized, rule);
            }
            "url_http" | "url_mixed_scheme" if finding.severity != Severity::Info => {
                for change in convert_protocols(&mut fixer.file.clone(), Protocol::Https, false) {
                    fixer.set(&change.variable, &change.after, rule);
                }
            }
            _ => {}
        }
    }
    if fixer.changes.iter().any(|c| c.variable == "POSTGRES_PASSWORD" && c.before.is_some()) {
        follow_up.push(
            "POSTGRES_PASSWORD changed. If the database volume already exists, it still has the old password: run \
             ALTER ROLE <role> WITH PASSWORD '<new>' for postgres, supabase_admin, authenticator, pgbouncer, \
             supabase_auth_admin, supabase_storage_admin and supabase_functions_admin before restarting"
                .to_owned(),
        );
    }
    if fixer.changes.iter().any(|c| c.variable == "JWT_SECRET" || LEGACY.contains(&c.variable.as_str())) {
        follow_up.push(
            "The JWT keys changed: restart the whole stack, and give clients the new ANON_KEY (existing user \
             sessions signed with the old secret end)"
                .to_owned(),
        );
    }
    if !fixer.changes.is_empty() {
        follow_up.push(
            "Redeploy (docker compose up -d, or Dokploy's redeploy) so the services read the new values".to_owned(),
        );
    }
    let remaining = findings(&fixer.file, &options.check);
    FixOutcome { fixed: fixer.file, changes: fixer.changes, remaining, follow_up }
}

/// Regenerates JWT_SECRET when it is broken, and the key set when any key is broken or the secret changed.
fn fix_keys(fixer: &mut Fixer, found: &[Finding], options: &FixOptions) {
    let secret_rule = has(found, &["JWT_SECRET"], true);
    let legacy_rule = has(found, &LEGACY, true);
    let new_rule = has(found, &NEW_SYSTEM, true);
    if secret_rule.is_none() && legacy_rule.is_none() && new_rule.is_none() {
        return;
    }
    let keep =
        secret_rule.is_none().then(|| fixer.original.get("JWT_SECRET").map(crate::secret::Secret::new)).flatten();
    let in_use =
        NEW_SYSTEM.iter().any(|v| fixer.original.get(v).is_some_and(|x| !x.trim().is_empty() && x.trim() != "[]"));
    let generate = GenerateOptions {
        jwt_secret: keep,
        asymmetric: in_use,
        other_secrets: false,
        lifetime_days: if options.lifetime_days == 0 { keys::DEFAULT_LIFETIME_DAYS } else { options.lifetime_days },
        now: options.check.now,
        ..GenerateOptions::default()
    };
    let Ok(generated) = keys::generate(&generate) else {
        return;
    };
    let secret_changes = secret_rule.is_some();
    let rule = secret_rule.or(legacy_rule).or(new_rule).unwrap_or_default();
    for (variable, value) in &generated.vars {
        // With the secret kept, a healthy legacy key stays: clients already hold it.
        let legacy = LEGACY.contains(variable) && (secret_changes || has(found, &[variable], true).is_some());
        let is_new = NEW_SYSTEM.contains(variable) && in_use;
        if *variable == "JWT_SECRET" || legacy || is_new {
            let rule = has(found, &[variable], true).unwrap_or_else(|| rule.clone());
            fixer.set(variable, value.expose(), &rule);
        }
    }
}

/// A copy of `file` with every secret value replaced by its redacted hint.
pub fn redacted(file: &EnvFile) -> EnvFile {
    let mut copy = file.clone();
    copy.rewrite_values(|e| (is_secret_variable(&e.key) && !e.value.is_empty()).then(|| redact_hint(&e.value)));
    copy
}

/// A unified diff (3 lines of context) from `before` to `after`.
pub fn unified_diff(before: &str, after: &str, name: &str) -> String {
    similar::TextDiff::from_lines(before, after)
        .unified_diff()
        .context_radius(3)
        .header(&format!("a/{name}"), &format!("b/{name}"))
        .to_string()
}

/// Writes `text` to `path` whole: a temporary file beside it, renamed over it, so a failed write (full disk,
/// file-size limit) leaves the old file and nothing else. An existing file is first copied to
/// `<path>.bak.<UTC timestamp>` (owner-only, created exclusively), whose path is returned, and keeps its mode;
/// a new file gets mode 0600 (a .env holds secrets). Where a tool may write is decided before
/// (`fsutil::output_file`).
pub fn backup_and_write(path: &Path, text: &str) -> Result<Option<PathBuf>, Failure> {
    backup_and_write_mode(path, text, 0o600)
}

/// [`backup_and_write`] where a new file gets `new_mode`.
pub fn backup_and_write_mode(path: &Path, text: &str, new_mode: u32) -> Result<Option<PathBuf>, Failure> {
    use std::os::unix::fs::PermissionsExt;
    let setting = "the path written";
    let existing = std::fs::metadata(path).ok().filter(std::fs::Metadata::is_file);
    let backup = match &existing {
        Some(_) => {
            let stamp = chrono::Utc::now().format("%Y%m%dT%H%M%S%.3fZ");
            let name = path.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_else(|| ".env".into());
            let backup = path.with_file_name(format!("{name}.bak.{stamp}"));
            copy_private(path, &backup, setting)?;
            Some(backup)
        }
        None => None,
    };
    let mode = existing.map(|m| m.permissions().mode() & 0o7777).unwrap_or(new_mode);
    crate::fsutil::write_atomic_with_mode(path, text.as_bytes(), mode, setting)?;
    Ok(backup)
}

/// Copies `from` to the new owner-only file `to`; a failed copy leaves no `to`.
fn copy_private(from: &Path, to: &Path, setting: &str) -> Result<(), Failure> {
    let mut source = std::fs::File::open(from).map_err(|e| {
        crate::fsutil::io_failure(format!("cannot back up {}", from.display()), from, &e, setting, "check the file")
    })?;
    let mut copy = crate::fsutil::create_new(to, setting)?;
    std::io::copy(&mut source, &mut copy).and_then(|_| copy.sync_all()).map_err(|e| {
        let _ = std::fs::remove_file(to);
        crate::fsutil::io_failure(
            format!("cannot back up {} to {}", from.display(), to.display()),
            to,
            &e,
            setting,
            "check the directory is writable",
        )
    })
}
