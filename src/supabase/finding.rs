//! `Finding`: one problem found in a key set or a `.env` file, with its rule id, severity, the variable,
//! the current value (secrets redacted), the expected value and the fix. Shared by `keys` and `env`.

use crate::secret::redact_hint;
use serde::Serialize;

/// How bad a finding is. The order matters: `Critical` is the worst.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, schemars::JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    /// Worth knowing; nothing is broken.
    Info,
    /// Likely broken or insecure in some setups.
    Warning,
    /// The stack is broken or exposed as it stands.
    Critical,
}

impl Severity {
    pub fn name(self) -> &'static str {
        match self {
            Severity::Info => "info",
            Severity::Warning => "warning",
            Severity::Critical => "critical",
        }
    }
}

/// The knowledge entry of doctor rule `rule`.
fn link(rule: &str) -> Option<String> {
    crate::knowledge::entry_for(&format!("doctor:{rule}")).map(str::to_owned)
}

/// One problem, explained.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, schemars::JsonSchema)]
pub struct Finding {
    /// Stable rule id, e.g. `jwt_role_missing`.
    pub rule: String,
    pub severity: Severity,
    /// The variable the finding is about, e.g. `ANON_KEY`.
    pub variable: String,
    /// The current value; secrets are shown only as a redacted hint. `None` when the variable is missing.
    pub current: Option<String>,
    /// What the value should be (a description when no single value is right).
    pub expected: String,
    /// What is wrong and why it matters.
    pub message: String,
    /// How to fix it.
    pub fix: String,
    /// The knowledge-base entry about this rule (explain_error with this id gives cause, check and fix).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub knowledge: Option<String>,
}

impl Finding {
    pub fn new(rule: &str, severity: Severity, variable: &str) -> Finding {
        Finding {
            rule: rule.to_owned(),
            severity,
            variable: variable.to_owned(),
            current: None,
            expected: String::new(),
            message: String::new(),
            fix: String::new(),
            knowledge: link(rule),
        }
    }

    /// The same finding under another rule (and that rule's knowledge entry).
    pub fn renamed(self, rule: &str) -> Finding {
        Finding { rule: rule.to_owned(), knowledge: link(rule), ..self }
    }

    /// Records the current value, redacted when `variable` holds a secret.
    pub fn current(mut self, value: &str) -> Finding {
        self.current = Some(shown_value(&self.variable, value));
        self
    }

    pub fn expected(mut self, expected: impl Into<String>) -> Finding {
        self.expected = expected.into();
        self
    }

    pub fn message(mut self, message: impl Into<String>) -> Finding {
        self.message = message.into();
        self
    }

    pub fn fix(mut self, fix: impl Into<String>) -> Finding {
        self.fix = fix.into();
        self
    }
}

/// True for variables whose values are secrets (passwords, keys, tokens).
pub fn is_secret_variable(name: &str) -> bool {
    let upper = name.to_ascii_uppercase();
    if upper == "JWT_JWKS" || upper.ends_with("_USERNAME") || upper.ends_with("_USER") {
        return false;
    }
    ["PASSWORD", "SECRET", "_KEY", "TOKEN", "KEY_BASE", "JWT_KEYS"].iter().any(|part| upper.contains(part))
        || upper.ends_with("_PASS")
}

/// The value as it may be shown in a report: secrets become a redacted hint.
pub fn shown_value(variable: &str, value: &str) -> String {
    if is_secret_variable(variable) && !value.is_empty() { redact_hint(value) } else { value.to_owned() }
}

/// The worst severity among `findings`, `None` when there are none.
pub fn worst(findings: &[Finding]) -> Option<Severity> {
    findings.iter().map(|f| f.severity).max()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secrets_are_redacted_in_current() {
        let finding = Finding::new("x", Severity::Warning, "POSTGRES_PASSWORD").current("hunter2hunter2hunter2hunter2");
        assert_eq!(finding.current.as_deref(), Some("hunt…ter2 (28 chars)"));
        let public = Finding::new("x", Severity::Info, "SITE_URL").current("http://a");
        assert_eq!(public.current.as_deref(), Some("http://a"));
    }

    #[test]
    fn secret_names() {
        for name in ["JWT_SECRET", "ANON_KEY", "SERVICE_ROLE_KEY", "SMTP_PASS", "SECRET_KEY_BASE", "JWT_KEYS"] {
            assert!(is_secret_variable(name), "{name}");
        }
        for name in ["SITE_URL", "JWT_JWKS", "SMTP_USER", "DASHBOARD_USERNAME", "JWT_EXPIRY"] {
            assert!(!is_secret_variable(name), "{name}");
        }
        assert_eq!(worst(&[]), None);
        assert_eq!(
            worst(&[Finding::new("a", Severity::Info, "A"), Finding::new("b", Severity::Critical, "B")]),
            Some(Severity::Critical)
        );
    }
}
