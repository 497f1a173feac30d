//! Supabase Cloud's auth configuration through the Management API (`GET`/`PATCH /v1/projects/{ref}/config/auth`):
//! read with every secret field redacted to a hint, and changed with values typed as the current ones (the
//! caller gives strings, as for a self-hosted .env), unknown fields refused before anything is sent, and the
//! previous values kept owner-only in the data directory to roll back to.

use super::{ManagementApi, segment};
use crate::failure::Failure;
use crate::secret::redact_hint;
use reqwest::Method;
use serde_json::{Map, Value};
use std::collections::BTreeMap;

/// Field names whose values are secrets (OAuth client secrets, SMTP password, SMS provider tokens, hook secrets).
fn is_secret(field: &str) -> bool {
    ["secret", "pass", "token", "api_key", "auth_key"].iter().any(|part| field.contains(part))
}

/// `config` with every secret string replaced by its redacted hint.
pub fn redacted(config: &Value) -> Value {
    match config {
        Value::Object(fields) => Value::Object(
            fields
                .iter()
                .map(|(name, value)| {
                    let shown = match value {
                        Value::String(text) if is_secret(name) && !text.is_empty() => Value::String(redact_hint(text)),
                        other => other.clone(),
                    };
                    (name.clone(), shown)
                })
                .collect(),
        ),
        other => other.clone(),
    }
}

/// A change to the cloud auth config: the PATCH body and what it changes (secrets redacted).
#[derive(Debug)]
pub struct AuthConfigPatch {
    pub body: Map<String, Value>,
    /// Field, previous value, new value (secrets as hints).
    pub changes: Vec<(String, Value, Value)>,
    /// The previous values of the changed fields, unredacted, for the rollback file.
    pub previous: Map<String, Value>,
}

/// Turns `set` (strings) into typed values after the fields of `current`; unknown fields and values that do not
/// read as the field's type are refused.
pub fn plan(current: &Value, set: &BTreeMap<String, String>) -> Result<AuthConfigPatch, Failure> {
    let fields = current.as_object().cloned().unwrap_or_default();
    let mut patch = AuthConfigPatch { body: Map::new(), changes: Vec::new(), previous: Map::new() };
    for (name, raw) in set {
        let Some(old) = fields.get(name) else {
            return Err(Failure::new(
                format!("{name} is not a field of this project's auth config"),
                "the Management API's auth config has no such field",
                "read the field names with get_auth_config (cloud), e.g. site_url, disable_signup, smtp_host",
            ));
        };
        let value = typed(name, old, raw)?;
        if &value == old {
            continue;
        }
        let show = |v: &Value| redacted(&Value::Object(Map::from_iter([(name.clone(), v.clone())])))[name].clone();
        patch.changes.push((name.clone(), show(old), show(&value)));
        patch.previous.insert(name.clone(), old.clone());
        patch.body.insert(name.clone(), value);
    }
    Ok(patch)
}

fn typed(name: &str, old: &Value, raw: &str) -> Result<Value, Failure> {
    let refuse = |kind: &str| {
        Failure::new(
            format!("{name} takes {kind}"),
            format!("'{}' does not read as {kind}", if is_secret(name) { redact_hint(raw) } else { raw.to_owned() }),
            format!("pass {name} as {kind}"),
        )
    };
    match old {
        Value::Bool(_) => match raw.trim().to_ascii_lowercase().as_str() {
            "true" => Ok(Value::Bool(true)),
            "false" => Ok(Value::Bool(false)),
            _ => Err(refuse("true or false")),
        },
        Value::Number(_) => raw.trim().parse::<i64>().map(Value::from).map_err(|_| refuse("a whole number")),
        _ => Ok(Value::String(raw.to_owned())),
    }
}

impl ManagementApi {
    pub async fn auth_config(&self, reference: &str) -> Result<Value, Failure> {
        let path = format!("/v1/projects/{}/config/auth", segment(reference));
        self.get_json(&path, &[], &format!("read the auth config of project {reference}")).await
    }

    pub async fn update_auth_config(&self, reference: &str, body: &Map<String, Value>) -> Result<Value, Failure> {
        let path = format!("/v1/projects/{}/config/auth", segment(reference));
        let what = format!("change the auth config of project {reference}");
        let reply = self.send(Method::PATCH, &path, &[], Some(&Value::Object(body.clone())), &what).await?;
        self.decode(&reply, &what)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn values_take_the_type_of_the_field_and_secrets_stay_hidden() {
        let current = json!({"disable_signup": false, "jwt_exp": 3600, "site_url": "http://a", "smtp_pass": "old-secret-value-123"});
        let set = BTreeMap::from([
            ("disable_signup".to_owned(), "true".to_owned()),
            ("jwt_exp".to_owned(), "7200".to_owned()),
            ("smtp_pass".to_owned(), "new-secret-value-456".to_owned()),
        ]);
        let patch = plan(&current, &set).unwrap();
        assert_eq!(patch.body["disable_signup"], json!(true));
        assert_eq!(patch.body["jwt_exp"], json!(7200));
        assert!(!format!("{:?}", patch.changes).contains("secret-value"));
        assert_eq!(patch.previous["smtp_pass"], json!("old-secret-value-123"));
        let unknown = plan(&current, &BTreeMap::from([("nope".to_owned(), "1".to_owned())])).unwrap_err();
        assert!(unknown.to_string().contains("not a field"));
        let wrong = plan(&current, &BTreeMap::from([("jwt_exp".to_owned(), "soon".to_owned())])).unwrap_err();
        assert!(wrong.to_string().contains("whole number"));
        assert!(redacted(&current)["smtp_pass"].as_str().unwrap().starts_with("[redacted"));
    }
}
