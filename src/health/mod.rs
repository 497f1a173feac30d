//! Health checks: the database side (connections, cache, wraparound, sequences, indexes, replication,
//! sessions, locks) and the API side (Auth, PostgREST and Storage answering with the anon key, and the TLS
//! certificate's expiry). Every alert carries a severity, the measured value, the threshold and the fix.

pub mod api;
pub mod database;
pub mod realtime;
pub mod replication;
pub mod timeline;

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    Critical,
    Warning,
}

/// One alert. Serialized with `knowledge`, the knowledge-base entry its check links to (see [`AlertReply`]).
#[derive(Debug)]
pub struct Alert {
    /// Stable check name, e.g. `connections`, `sequence`, `tls_expiry`.
    pub check: &'static str,
    pub severity: Severity,
    pub message: String,
    /// The measured value, in `unit`.
    pub value: f64,
    /// The threshold it crossed, in `unit`.
    pub threshold: f64,
    pub unit: &'static str,
    pub fix: String,
}

/// An alert as replies carry it.
#[derive(Serialize, JsonSchema)]
#[schemars(rename = "Alert")]
pub struct AlertReply<'a> {
    /// Stable check name, e.g. `connections`, `sequence`, `tls_expiry`.
    pub check: &'a str,
    pub severity: Severity,
    pub message: &'a str,
    /// The measured value, in `unit`.
    pub value: f64,
    /// The threshold it crossed, in `unit`.
    pub threshold: f64,
    pub unit: &'a str,
    pub fix: &'a str,
    /// The knowledge-base entry about this check (explain_error with this id gives cause, check and fix).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub knowledge: Option<&'static str>,
}

impl Serialize for Alert {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        AlertReply {
            check: self.check,
            severity: self.severity,
            message: &self.message,
            value: self.value,
            threshold: self.threshold,
            unit: self.unit,
            fix: &self.fix,
            knowledge: crate::knowledge::entry_for(&format!("health:{}", self.check)),
        }
        .serialize(serializer)
    }
}

impl JsonSchema for Alert {
    fn schema_name() -> std::borrow::Cow<'static, str> {
        AlertReply::schema_name()
    }

    fn json_schema(generator: &mut schemars::SchemaGenerator) -> schemars::Schema {
        AlertReply::json_schema(generator)
    }
}

/// Alert thresholds; every one can be set per call.
#[derive(Clone, Debug, Deserialize, Serialize, JsonSchema)]
#[serde(default, deny_unknown_fields)]
pub struct Thresholds {
    /// Connections in use, % of max_connections: warning from here.
    pub connections_warning_percent: f64,
    /// ... and critical from here.
    pub connections_critical_percent: f64,
    /// Cache hit ratio (0..1) below which to warn.
    pub cache_hit_min_ratio: f64,
    /// Transaction IDs used, % of the wraparound horizon: warning from here.
    pub xid_warning_percent: f64,
    /// ... and critical from here.
    pub xid_critical_percent: f64,
    /// A sequence's use of its maximum, %: warning from here.
    pub sequence_warning_percent: f64,
    /// ... and critical from here.
    pub sequence_critical_percent: f64,
    /// Replica lag in seconds from which to warn.
    pub replication_lag_seconds: f64,
    /// WAL held by an inactive slot, MiB: critical from here.
    pub inactive_slot_critical_mb: f64,
    /// Seconds after which a statement is long-running.
    pub long_running_seconds: f64,
    /// Seconds idle in a transaction that are reported.
    pub idle_in_transaction_seconds: f64,
    /// Seconds of lock wait that are reported.
    pub lock_wait_seconds: f64,
    /// ms after which an API endpoint is slow.
    pub api_slow_ms: f64,
    /// Days before TLS expiry from which to warn.
    pub tls_expiry_warning_days: f64,
}

impl Default for Thresholds {
    fn default() -> Self {
        Thresholds {
            connections_warning_percent: 75.0,
            connections_critical_percent: 90.0,
            cache_hit_min_ratio: 0.95,
            xid_warning_percent: 50.0,
            xid_critical_percent: 75.0,
            sequence_warning_percent: 90.0,
            sequence_critical_percent: 98.0,
            replication_lag_seconds: 60.0,
            inactive_slot_critical_mb: 10240.0,
            long_running_seconds: 300.0,
            idle_in_transaction_seconds: 60.0,
            lock_wait_seconds: 10.0,
            api_slow_ms: 1000.0,
            tls_expiry_warning_days: 7.0,
        }
    }
}

/// `critical` when `value` reaches `critical`, `warning` when it reaches `warning`, else nothing.
pub(crate) fn grade(value: f64, warning: f64, critical: f64) -> Option<(Severity, f64)> {
    if value >= critical {
        Some((Severity::Critical, critical))
    } else if value >= warning {
        Some((Severity::Warning, warning))
    } else {
        None
    }
}

/// "ok", "warning" or "critical": the worst alert.
pub fn overall(alerts: &[Alert]) -> &'static str {
    match alerts.iter().map(|a| a.severity).min() {
        Some(Severity::Critical) => "critical",
        Some(Severity::Warning) => "warning",
        None => "ok",
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn alerts_carry_the_knowledge_entry_of_their_check() {
        let alert = |check| Alert {
            check,
            severity: Severity::Warning,
            message: "m".into(),
            value: 1.0,
            threshold: 0.5,
            unit: "",
            fix: "f".into(),
        };
        let linked = serde_json::to_value(alert("connections")).expect("json");
        assert_eq!(linked["knowledge"].as_str(), crate::knowledge::entry_for("health:connections"));
        assert!(linked["knowledge"].is_string() && linked["check"] == "connections", "{linked}");
        let unlinked = serde_json::to_value(alert("no_such_check")).expect("json");
        assert!(unlinked.get("knowledge").is_none(), "{unlinked}");
    }

    use super::*;

    #[test]
    fn grades_and_overall_status() {
        assert_eq!(grade(95.0, 90.0, 98.0), Some((Severity::Warning, 90.0)));
        assert_eq!(grade(99.0, 90.0, 98.0), Some((Severity::Critical, 98.0)));
        assert_eq!(grade(10.0, 90.0, 98.0), None);
        let alert = |severity| Alert {
            check: "x",
            severity,
            message: String::new(),
            value: 0.0,
            threshold: 0.0,
            unit: "",
            fix: String::new(),
        };
        assert_eq!(overall(&[]), "ok");
        assert_eq!(overall(&[alert(Severity::Warning)]), "warning");
        assert_eq!(overall(&[alert(Severity::Warning), alert(Severity::Critical)]), "critical");
    }
}
