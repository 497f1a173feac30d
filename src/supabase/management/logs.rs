//! get_logs's work: the last log rows of one service of a project through
//! `GET /v1/projects/{ref}/analytics/endpoints/logs.all`, with the official server's services and its SQL over
//! the unified `logs` table (one `source` per service), in a bounded time window (default and at most the last
//! 24 hours), at most 100 rows, each value and the whole reply cut to a byte budget.

use super::{ManagementApi, segment};
use crate::failure::Failure;
use crate::spill::bound::{PAGE_BUDGET_BYTES, clip_value};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use serde_json::Value;

/// Rows asked for.
pub const ROW_LIMIT: usize = 100;
/// The widest window, and the default one (ending now).
pub const WINDOW_HOURS: i64 = 24;
/// Longest value kept in a row.
const VALUE_BYTES: usize = 2048;

/// The services the official get_logs reads.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Deserialize, Serialize, schemars::JsonSchema)]
#[serde(rename_all = "kebab-case")]
pub enum LogService {
    Api,
    BranchAction,
    Postgres,
    EdgeFunction,
    EdgeFunctionRuntime,
    Auth,
    Storage,
    Realtime,
}

impl LogService {
    /// The `source` of the unified logs table.
    pub fn source(self) -> &'static str {
        match self {
            LogService::Api => "edge_logs",
            LogService::BranchAction => "workflow_run_logs",
            LogService::Postgres => "postgres_logs",
            LogService::EdgeFunction => "function_edge_logs",
            LogService::EdgeFunctionRuntime => "function_logs",
            LogService::Auth => "auth_logs",
            LogService::Storage => "storage_logs",
            LogService::Realtime => "realtime_logs",
        }
    }

    /// The query sent for this service.
    pub fn sql(self) -> String {
        format!(
            "select id, timestamp, event_message, log_attributes from logs where source = '{}' order by timestamp desc limit {ROW_LIMIT}",
            self.source()
        )
    }
}

/// Log rows of one service.
#[derive(Clone, Debug, Serialize, schemars::JsonSchema)]
pub struct LogRows {
    pub service: LogService,
    pub iso_timestamp_start: String,
    pub iso_timestamp_end: String,
    /// Newest first.
    #[schemars(with = "Vec<serde_json::Map<String, Value>>")]
    pub rows: Vec<Value>,
    /// Values cut to fit (each ends with a marker giving its full length).
    pub truncated_values: u64,
    /// Rows left out to keep the reply within its byte budget.
    pub rows_left_out: usize,
}

/// The window asked for, checked: both ends parse, start before end, at most [`WINDOW_HOURS`] wide; missing
/// ends default to now and 24 hours before the end.
pub fn window(
    start: Option<&str>,
    end: Option<&str>,
    now: DateTime<Utc>,
) -> Result<(DateTime<Utc>, DateTime<Utc>), Failure> {
    let parse = |label: &str, text: &str| {
        DateTime::parse_from_rfc3339(text).map(|t| t.with_timezone(&Utc)).map_err(|e| {
            Failure::new(
                format!("{label} '{text}' is not a timestamp"),
                e.to_string(),
                "give an ISO 8601 timestamp such as 2026-01-31T12:00:00Z",
            )
        })
    };
    let end = match end {
        Some(text) => parse("iso_timestamp_end", text)?,
        None => now,
    };
    let start = match start {
        Some(text) => parse("iso_timestamp_start", text)?,
        None => end - chrono::Duration::hours(WINDOW_HOURS),
    };
    if start >= end {
        return Err(Failure::new(
            "the log window is empty",
            "iso_timestamp_start is not before iso_timestamp_end",
            "swap or widen them",
        ));
    }
    if end - start > chrono::Duration::hours(WINDOW_HOURS) {
        return Err(Failure::new(
            "the log window is too wide",
            format!("it spans more than {WINDOW_HOURS} hours"),
            "ask for at most 24 hours at a time (omit iso_timestamp_start for the 24 hours before the end)",
        ));
    }
    Ok((start, end))
}

impl ManagementApi {
    /// The newest log rows of `service` in the window, bounded.
    pub async fn get_logs(
        &self,
        reference: &str,
        service: LogService,
        start: DateTime<Utc>,
        end: DateTime<Utc>,
    ) -> Result<LogRows, Failure> {
        let path = format!("/v1/projects/{}/analytics/endpoints/logs.all", segment(reference));
        let start_text = start.to_rfc3339_opts(chrono::SecondsFormat::Millis, true);
        let end_text = end.to_rfc3339_opts(chrono::SecondsFormat::Millis, true);
        let query = [
            ("sql", service.sql()),
            ("iso_timestamp_start", start_text.clone()),
            ("iso_timestamp_end", end_text.clone()),
        ];
        let what = format!("read the {} logs of project {reference}", source_name(service));
        let reply: Value = self.get_json(&path, &query, &what).await?;
        if let Some(error) = reply.get("error").filter(|e| !e.is_null()) {
            let message = error.get("message").and_then(Value::as_str).map_or_else(|| error.to_string(), str::to_owned);
            return Err(Failure::new(format!("{what} failed"), message, "narrow the window and retry"));
        }
        let raw = match reply.get("result") {
            Some(Value::Array(rows)) => rows.clone(),
            _ => Vec::new(),
        };
        let mut truncated_values = 0;
        let mut rows = Vec::new();
        let mut bytes = 0;
        let total = raw.len();
        for row in raw.into_iter().take(ROW_LIMIT) {
            let row = match row {
                Value::Object(fields) => Value::Object(
                    fields.into_iter().map(|(k, v)| (k, clip_value(v, VALUE_BYTES, &mut truncated_values))).collect(),
                ),
                other => clip_value(other, VALUE_BYTES, &mut truncated_values),
            };
            bytes += row.to_string().len();
            if bytes > PAGE_BUDGET_BYTES && !rows.is_empty() {
                break;
            }
            rows.push(row);
        }
        let rows_left_out = total.min(ROW_LIMIT) - rows.len();
        Ok(LogRows {
            service,
            iso_timestamp_start: start_text,
            iso_timestamp_end: end_text,
            rows,
            truncated_values,
            rows_left_out,
        })
    }
}

fn source_name(service: LogService) -> &'static str {
    service.source().trim_end_matches("_logs")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn windows_default_to_a_day_and_stay_within_one() {
        let now = Utc::now();
        let (start, end) = window(None, None, now).unwrap();
        assert_eq!(end - start, chrono::Duration::hours(24));
        assert!(window(Some("2026-01-01T00:00:00Z"), Some("2026-01-03T00:00:00Z"), now).is_err());
        assert!(window(Some("2026-01-02T00:00:00Z"), Some("2026-01-01T00:00:00Z"), now).is_err());
        assert!(window(Some("yesterday"), None, now).unwrap_err().fix.contains("ISO 8601"));
        assert!(LogService::Api.sql().contains("source = 'edge_logs'"));
    }
}
