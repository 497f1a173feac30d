//! get_logs's work: the last log rows of one service of a project through
//! `GET /v1/projects/{ref}/analytics/endpoints/logs.all`, with the official server's services and its SQL over
//! the unified `logs` table (one `source` per service), in a bounded time window (default and at most the last
//! 24 hours), at most 100 rows; and query_logs's: any SQL over that table in the same window. The caller
//! bounds the reply.

use super::{ManagementApi, segment};
use crate::failure::Failure;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use serde_json::Value;

/// Rows asked for.
pub const ROW_LIMIT: usize = 100;
/// The widest window, and the default one (ending now).
pub const WINDOW_HOURS: i64 = 24;

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
    /// The rows `sql` selects from the project's unified logs table within the window, as the API returns them
    /// (the caller bounds the reply); the API's own error (a bad query) as a failure.
    pub async fn query_logs(
        &self,
        reference: &str,
        sql: &str,
        start: DateTime<Utc>,
        end: DateTime<Utc>,
        what: &str,
    ) -> Result<Vec<Value>, Failure> {
        let path = format!("/v1/projects/{}/analytics/endpoints/logs.all", segment(reference));
        let query = [("sql", sql.to_owned()), ("iso_timestamp_start", iso(start)), ("iso_timestamp_end", iso(end))];
        let reply: Value = self.get_json(&path, &query, what).await?;
        if let Some(error) = reply.get("error").filter(|e| !e.is_null()) {
            let message = error.get("message").and_then(Value::as_str).map_or_else(|| error.to_string(), str::to_owned);
            return Err(Failure::new(
                format!("{what} failed"),
                message,
                "check the query against the logs table's columns (id, timestamp, event_message, metadata) and \
                 narrow the window",
            ));
        }
        Ok(match reply.get("result") {
            Some(Value::Array(rows)) => rows.clone(),
            _ => Vec::new(),
        })
    }

    /// The newest log rows (at most [`ROW_LIMIT`]) of `service` in the window.
    pub async fn get_logs(
        &self,
        reference: &str,
        service: LogService,
        start: DateTime<Utc>,
        end: DateTime<Utc>,
    ) -> Result<Vec<Value>, Failure> {
        let what = format!("read the {} logs of project {reference}", source_name(service));
        self.query_logs(reference, &service.sql(), start, end, &what).await
    }
}

/// A window end as the API takes it: RFC 3339 in UTC with milliseconds.
pub fn iso(time: DateTime<Utc>) -> String {
    time.to_rfc3339_opts(chrono::SecondsFormat::Millis, true)
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
