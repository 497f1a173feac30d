//! Supabase Cloud's Realtime settings through the Management API (`GET`/`PATCH /v1/projects/{ref}/config/realtime`):
//! private_only (refuse public channels), the per-project limits, presence and the suspend switch. A change is a
//! typed patch: only the fields given are sent, and their previous values are kept owner-only in the data
//! directory to change them back with. The settings hold no secrets.

use super::{ManagementApi, segment};
use crate::failure::Failure;
use reqwest::Method;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

// Realtime's settings on a cloud project; a field left out is not changed.
#[derive(Clone, Debug, Default, Deserialize, Serialize, schemars::JsonSchema, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct RealtimeConfigPatch {
    // Only private channels (RLS on realtime.messages); public ones are refused.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub private_only: Option<bool>,
    // Database connections Realtime keeps.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub connection_pool: Option<i64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_concurrent_users: Option<i64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_events_per_second: Option<i64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_bytes_per_second: Option<i64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_channels_per_client: Option<i64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_joins_per_second: Option<i64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_presence_events_per_second: Option<i64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_payload_size_in_kb: Option<i64>,
    // Realtime turned off for the project.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub suspend: Option<bool>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub presence_enabled: Option<bool>,
}

/// One field a change sets: its value before and after.
#[derive(Clone, Debug, Serialize, schemars::JsonSchema)]
pub struct ConfigChange {
    pub field: String,
    /// Null when the project had no value (the platform default applies).
    pub before: Value,
    pub after: Value,
}

/// The PATCH body (only the fields that change), what changes, and the previous values.
#[derive(Debug)]
pub struct RealtimePlan {
    pub body: Map<String, Value>,
    pub changes: Vec<ConfigChange>,
    pub previous: Map<String, Value>,
}

/// Compares `wanted` with the project's `current` settings.
pub fn plan(current: &Value, wanted: &RealtimeConfigPatch) -> Result<RealtimePlan, Failure> {
    let wanted = serde_json::to_value(wanted)
        .map_err(|e| Failure::new("cannot encode the realtime config", e.to_string(), "report this as a bug"))?;
    let mut plan = RealtimePlan { body: Map::new(), changes: Vec::new(), previous: Map::new() };
    for (field, after) in wanted.as_object().into_iter().flatten() {
        let before = current.get(field).cloned().unwrap_or(Value::Null);
        if &before == after {
            continue;
        }
        plan.changes.push(ConfigChange { field: field.clone(), before: before.clone(), after: after.clone() });
        plan.previous.insert(field.clone(), before);
        plan.body.insert(field.clone(), after.clone());
    }
    if plan.body.is_empty() && wanted.as_object().is_none_or(Map::is_empty) {
        return Err(Failure::new(
            "no realtime setting was given",
            "config names the settings to change",
            "pass config, e.g. {\"private_only\": true} or {\"max_concurrent_users\": 500}",
        ));
    }
    Ok(plan)
}

impl ManagementApi {
    /// The project's Realtime settings as the API returns them.
    pub async fn realtime_config(&self, reference: &str) -> Result<Value, Failure> {
        let path = format!("/v1/projects/{}/config/realtime", segment(reference));
        self.get_json(&path, &[], &format!("read the realtime config of project {reference}")).await
    }

    /// Sends the fields of `body`.
    pub async fn update_realtime_config(&self, reference: &str, body: &Map<String, Value>) -> Result<(), Failure> {
        let path = format!("/v1/projects/{}/config/realtime", segment(reference));
        let what = format!("change the realtime config of project {reference}");
        self.send(Method::PATCH, &path, &[], Some(&Value::Object(body.clone())), &what).await.map(|_| ())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn only_changed_fields_are_sent_and_previous_values_kept() {
        let current = json!({"private_only": false, "max_concurrent_users": 200, "suspend": null});
        let wanted = RealtimeConfigPatch {
            private_only: Some(true),
            max_concurrent_users: Some(200),
            max_events_per_second: Some(100),
            ..RealtimeConfigPatch::default()
        };
        let plan = plan(&current, &wanted).unwrap();
        assert_eq!(Value::Object(plan.body), json!({"private_only": true, "max_events_per_second": 100}));
        assert_eq!(Value::Object(plan.previous), json!({"private_only": false, "max_events_per_second": null}));
        assert!(super::plan(&current, &RealtimeConfigPatch::default()).is_err());
        let unknown: Result<RealtimeConfigPatch, _> = serde_json::from_value(json!({"private": true}));
        assert!(unknown.is_err());
    }
}
