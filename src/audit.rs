//! The audit log: one JSON line per call of a tool that is not read-only (time, instance, tool,
//! arguments with secrets redacted, outcome, duration), appended to `audit.jsonl` in the data directory.
//! Redacted before anything is written: secret-named arguments, bound parameters (`params`, count kept),
//! password literals in SQL arguments (`crate::redact`), JWTs, `sb_secret_` keys and URL passwords; the
//! outcome loses whatever the arguments lost.

use crate::redact;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use std::collections::VecDeque;
use std::io::{BufRead, BufReader, Write};
use std::path::PathBuf;
use std::sync::Mutex;
use std::time::Duration;

#[derive(Clone, Debug, Serialize, Deserialize, PartialEq, JsonSchema)]
pub struct AuditEntry {
    pub time: String,
    pub instance: String,
    pub tool: String,
    pub arguments: Value,
    /// "ok", or "error: <text>".
    pub outcome: String,
    pub duration_ms: u64,
    /// Over HTTP: the name of the token the call came with.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub caller: Option<String>,
}

impl AuditEntry {
    pub fn new(
        tool: &str,
        arguments: Option<Map<String, Value>>,
        error: Option<String>,
        duration: Duration,
        default_instance: &str,
    ) -> Self {
        let mut removed = Vec::new();
        let arguments = redact_value(Value::Object(arguments.unwrap_or_default()), &mut removed);
        let instance = arguments.get("instance").and_then(Value::as_str).unwrap_or(default_instance).to_owned();
        AuditEntry {
            time: chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Millis, true),
            instance,
            tool: tool.to_owned(),
            arguments,
            // An error message may echo what the arguments held (PostgreSQL quotes a parameter it cannot read).
            outcome: match error {
                None => "ok".to_owned(),
                Some(text) => format!("error: {}", redact::scrub(&redact_text(&text), &removed)),
            },
            duration_ms: u64::try_from(duration.as_millis()).unwrap_or(u64::MAX),
            caller: None,
        }
    }

    /// The redaction run again over a stored entry: one written before a rule existed loses its secrets on read.
    fn redacted_again(mut self) -> Self {
        let mut removed = Vec::new();
        self.arguments = redact_value(self.arguments, &mut removed);
        if let Some(text) = self.outcome.strip_prefix("error: ") {
            self.outcome = format!("error: {}", redact::scrub(&redact_text(text), &removed));
        }
        self
    }
}

/// Argument names whose values are never written.
const SECRET_NAME_PARTS: &[&str] = &["password", "secret", "token", "key", "jwt", "credential", "passphrase"];

fn is_secret_name(name: &str) -> bool {
    let lower = name.to_ascii_lowercase();
    // `SMTP_PASS` and the like: .env variables passed as map keys (update_auth_config, dokploy_update_env).
    SECRET_NAME_PARTS.iter().any(|part| lower.contains(part)) || lower == "pass" || lower.ends_with("_pass")
}

/// Argument names that hold SQL: their password literals are redacted, the rest is kept.
fn is_sql_name(name: &str) -> bool {
    let lower = name.to_ascii_lowercase();
    lower == "sql"
        || lower.ends_with("_sql")
        || ["query", "statement", "statements", "script"].contains(&lower.as_str())
}

/// The argument that carries bound parameters (execute_sql's `params`): values go, their count stays.
const PARAMS_NAME: &str = "params";

/// Replaces secret-named fields, bound parameters, passwords in SQL, JWT-shaped strings and passwords inside
/// connection URLs.
pub fn redact_arguments(value: Value) -> Value {
    redact_value(value, &mut Vec::new())
}

/// [`redact_arguments`], collecting the removed values in `removed`.
fn redact_value(value: Value, removed: &mut Vec<String>) -> Value {
    match value {
        Value::Object(map) => Value::Object(
            map.into_iter()
                .map(|(name, inner)| {
                    let redacted = if inner.is_null() {
                        inner
                    } else if is_secret_name(&name) {
                        collect_strings(&inner, removed);
                        Value::String(redact::REDACTED.to_owned())
                    } else if name == PARAMS_NAME {
                        collect_strings(&inner, removed);
                        match inner {
                            Value::Array(items) => {
                                Value::Array(items.iter().map(|_| Value::String(redact::REDACTED.to_owned())).collect())
                            }
                            _ => Value::String(redact::REDACTED.to_owned()),
                        }
                    } else if is_sql_name(&name) {
                        redact_sql_value(inner, removed)
                    } else {
                        redact_value(inner, removed)
                    };
                    (name, redacted)
                })
                .collect(),
        ),
        Value::Array(items) => Value::Array(items.into_iter().map(|item| redact_value(item, removed)).collect()),
        Value::String(text) => Value::String(redact_text(&text)),
        other => other,
    }
}

fn redact_sql_value(value: Value, removed: &mut Vec<String>) -> Value {
    match value {
        Value::String(sql) => {
            let redacted = redact::sql_passwords(&sql);
            removed.extend(redacted.removed);
            Value::String(redact_text(&redacted.text))
        }
        Value::Array(items) => Value::Array(items.into_iter().map(|item| redact_sql_value(item, removed)).collect()),
        other => redact_value(other, removed),
    }
}

/// Every string and number inside `value`, as text.
fn collect_strings(value: &Value, into: &mut Vec<String>) {
    match value {
        Value::String(text) => into.push(text.clone()),
        Value::Number(number) => into.push(number.to_string()),
        Value::Array(items) => items.iter().for_each(|item| collect_strings(item, into)),
        Value::Object(map) => map.values().for_each(|item| collect_strings(item, into)),
        Value::Bool(_) | Value::Null => {}
    }
}

/// Redacts secrets inside free text: `postgres://user:PASSWORD@`, JWTs and `sb_secret_` keys.
pub fn redact_text(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for (index, word) in text.split(' ').enumerate() {
        if index > 0 {
            out.push(' ');
        }
        out.push_str(&redact_word(word));
    }
    out
}

fn redact_word(word: &str) -> String {
    if word.starts_with("eyJ") && word.matches('.').count() == 2 || word.starts_with("sb_secret_") {
        return "[redacted]".to_owned();
    }
    if let Some(scheme_end) = word.find("://") {
        let rest = &word[scheme_end + 3..];
        if let (Some(at), Some(colon)) = (rest.rfind('@'), rest.find(':'))
            && colon < at
        {
            return format!("{}{}:[redacted]{}", &word[..scheme_end + 3], &rest[..colon], &rest[at..]);
        }
    }
    word.to_owned()
}

pub struct AuditLog {
    path: PathBuf,
    write_lock: Mutex<()>,
}

impl AuditLog {
    pub fn new(path: PathBuf) -> Self {
        AuditLog { path, write_lock: Mutex::new(()) }
    }

    pub fn path(&self) -> &std::path::Path {
        &self.path
    }

    pub fn append(&self, entry: &AuditEntry) -> std::io::Result<()> {
        let line = serde_json::to_string(entry).map_err(std::io::Error::other)?;
        let _guard = self.write_lock.lock().map_err(|_| std::io::Error::other("audit log lock poisoned"))?;
        let setting = "the data directory (--data-dir, SUPAMCP_DATA_DIR)";
        if let Some(dir) = self.path.parent().filter(|d| !d.as_os_str().is_empty()) {
            crate::fsutil::ensure_dir(dir, setting).map_err(std::io::Error::other)?;
        }
        let mut file = crate::fsutil::open_append(&self.path, setting).map_err(std::io::Error::other)?;
        file.write_all(format!("{line}\n").as_bytes())
    }

    /// The newest `limit` entries (oldest first), optionally only those of `tool`, redacted again (older
    /// versions wrote SQL passwords and parameters as given). A missing log is empty.
    pub fn recent(&self, limit: usize, tool: Option<&str>) -> std::io::Result<Vec<AuditEntry>> {
        let file = match crate::fsutil::open_read(&self.path) {
            Ok(file) => file,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
            Err(e) => return Err(e),
        };
        let mut newest = VecDeque::with_capacity(limit.min(1024));
        for line in BufReader::new(file).lines() {
            let line = line?;
            let Ok(entry) = serde_json::from_str::<AuditEntry>(&line) else {
                continue;
            };
            if tool.is_some_and(|wanted| wanted != entry.tool) {
                continue;
            }
            if newest.len() == limit {
                newest.pop_front();
            }
            if limit > 0 {
                newest.push_back(entry);
            }
        }
        Ok(newest.into_iter().map(AuditEntry::redacted_again).collect())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn secrets_are_redacted_by_name_and_by_shape() {
        let args = json!({
            "sql": "select 1",
            "password": "hunter2",
            "nested": {"service_role_key": "abc", "note": "postgres://u:pw@h:5432/d and eyJa.eyJb.sig"},
            "list": ["sb_secret_abcdefghijklmnopqrstuv_12345678"],
            "set": {"SMTP_PASS": "smtp-hunter3", "SMTP_HOST": "smtp.example.com"}
        });
        let redacted = redact_arguments(args);
        let text = redacted.to_string();
        assert_eq!(redacted["set"]["SMTP_HOST"], "smtp.example.com");
        for secret in ["hunter2", "\"abc\"", ":pw@", "eyJa", "sb_secret_", "smtp-hunter3"] {
            assert!(!text.contains(secret), "{secret} leaked in {text}");
        }
        assert_eq!(redacted["sql"], "select 1");
        assert_eq!(redacted["nested"]["note"], "postgres://u:[redacted]@h:5432/d and [redacted]");
    }

    #[test]
    fn sql_passwords_and_parameters_are_redacted_and_scrubbed_from_the_outcome() {
        let args = json!({
            "sql": "ALTER ROLE app PASSWORD 'hunter2-secret'; select $1::int",
            "params": ["param-secret-1", 987654321, null],
            "down_sql": "alter user app with encrypted password $$hunter2-other$$",
        });
        let error = "invalid input syntax for type integer: \"param-secret-1\"; hunter2-secret".to_owned();
        let entry = AuditEntry::new("execute_sql", args.as_object().cloned(), Some(error), Duration::ZERO, "dev");
        let text = serde_json::to_string(&entry).unwrap_or_default();
        for secret in ["hunter2", "param-secret", "987654321"] {
            assert!(!text.contains(secret), "{secret} leaked in {text}");
        }
        assert_eq!(entry.arguments["sql"], "ALTER ROLE app PASSWORD '[redacted]'; select $1::int");
        assert_eq!(entry.arguments["params"], json!(["[redacted]", "[redacted]", "[redacted]"]));
        assert_eq!(entry.outcome, "error: invalid input syntax for type integer: \"[redacted]\"; [redacted]");
    }

    #[test]
    fn entries_written_before_the_sql_rules_are_redacted_on_read() {
        let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
        let log = AuditLog::new(dir.path().join("audit.jsonl"));
        let old = r#"{"time":"t","instance":"dev","tool":"execute_sql","arguments":{"sql":"alter role x password 'hunter2-old'","params":["old-param-secret"]},"outcome":"error: bad \"old-param-secret\"","duration_ms":1}"#;
        std::fs::write(log.path(), format!("{old}\n")).unwrap_or_else(|e| panic!("{e}"));
        let read = log.recent(10, None).unwrap_or_else(|e| panic!("{e}"));
        let text = serde_json::to_string(&read).unwrap_or_default();
        assert!(!text.contains("hunter2") && !text.contains("old-param-secret"), "{text}");
        assert_eq!(read[0].outcome, "error: bad \"[redacted]\"");
    }

    #[test]
    fn append_then_read_recent_with_filter() {
        let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
        let log = AuditLog::new(dir.path().join("a/audit.jsonl"));
        for (i, tool) in ["execute_sql", "fix_config", "execute_sql"].iter().enumerate() {
            let args = json!({"n": i}).as_object().cloned();
            let error = (i == 2).then(|| "boom".to_owned());
            log.append(&AuditEntry::new(tool, args, error, Duration::from_millis(5), "dev"))
                .unwrap_or_else(|e| panic!("{e}"));
        }
        let sql = log.recent(10, Some("execute_sql")).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(sql.len(), 2);
        assert_eq!(sql[1].outcome, "error: boom");
        assert_eq!(sql[0].instance, "dev");
        assert_eq!(log.recent(1, None).map(|v| v.len()).ok(), Some(1));
    }
}
