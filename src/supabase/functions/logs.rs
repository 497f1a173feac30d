//! get_function_logs's work (no rmcp). Cloud: the Management API's logs endpoint
//! (`/analytics/endpoints/logs.all`, the unified `logs` table) for one source, `function_logs` (what the
//! function printed, its boots and errors) or `function_edge_logs` (each request: method, status, time),
//! filtered on `log_attributes['function_id']` (the function's id, read from the API first), in the same
//! bounded window as get_logs. A stack on Dokploy: the functions container's log through `compose.readLogs`
//! (docker logs with timestamps), searched for the slug, from the window's start, cut at its end. Rows are
//! `{timestamp, event_message, attributes}` either way, values clipped.

use crate::failure::Failure;
use crate::spill::bound::clip_value;
use crate::supabase::management::{ManagementApi, segment};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

/// Rows asked for by default, and at most.
pub const DEFAULT_LIMIT: u32 = 100;
pub const MAX_LIMIT: u32 = 1000;
/// Longest value kept in a row.
const VALUE_BYTES: usize = 2048;

/// Which log of a function.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Deserialize, Serialize, schemars::JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum LogKind {
    /// What the function printed, boots, shutdowns and uncaught errors (cloud: function_logs).
    #[default]
    Runtime,
    /// One row per request: method, status code, execution time (cloud: function_edge_logs).
    Requests,
}

impl LogKind {
    pub fn source(self) -> &'static str {
        match self {
            LogKind::Runtime => "function_logs",
            LogKind::Requests => "function_edge_logs",
        }
    }
}

/// The query for `kind`, newest first, limited, for one function id or all.
pub fn cloud_sql(kind: LogKind, function_id: Option<&str>, limit: u32) -> Result<String, Failure> {
    let columns = match kind {
        LogKind::Runtime => {
            "id, timestamp, event_message, log_attributes['level'] as level, log_attributes['event_type'] as \
             event_type, log_attributes['function_id'] as function_id, log_attributes['execution_id'] as \
             execution_id, log_attributes['version'] as version"
        }
        LogKind::Requests => {
            "id, timestamp, event_message, log_attributes['request.method'] as method, \
             toInt32OrZero(log_attributes['response.status_code']) as status_code, \
             toFloat64OrZero(log_attributes['execution_time_ms']) as execution_time_ms, \
             log_attributes['function_id'] as function_id, log_attributes['version'] as version"
        }
    };
    let filter = match function_id {
        Some(id) if !id.is_empty() && id.chars().all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_') => {
            format!(" and log_attributes['function_id'] = '{id}'")
        }
        Some(id) => {
            return Err(Failure::new(
                "the function's id cannot be used in a log query",
                format!("the API gave '{id}', which is not an id"),
                "report this as a supamcp bug",
            ));
        }
        None => String::new(),
    };
    let limit = limit.clamp(1, MAX_LIMIT);
    Ok(format!(
        "select {columns} from logs where source = '{}'{filter} order by timestamp desc limit {limit}",
        kind.source()
    ))
}

/// A row as returned: timestamp and message first, the other fields in `attributes`.
fn row(fields: Map<String, Value>, cut: &mut u64) -> Value {
    let mut out = Map::new();
    let mut attributes = Map::new();
    for (key, value) in fields {
        let value = clip_value(value, VALUE_BYTES, cut);
        match key.as_str() {
            "timestamp" | "event_message" => {
                out.insert(key, value);
            }
            _ => {
                attributes.insert(key, value);
            }
        }
    }
    out.insert("attributes".to_owned(), Value::Object(attributes));
    Value::Object(out)
}

#[derive(Debug, Deserialize)]
struct IdOnly {
    id: String,
}

impl ManagementApi {
    /// A function's id (what its log rows carry).
    pub async fn function_id(&self, reference: &str, slug: &str) -> Result<String, Failure> {
        let path = format!("/v1/projects/{}/functions/{}", segment(reference), segment(slug));
        let what = format!("read edge function {slug} of project {reference}");
        let found: IdOnly = self.get_json(&path, &[], &what).await.map_err(|f| {
            if f.why.ends_with("(HTTP 404)") {
                Failure::new(
                    format!("project {reference} has no function '{slug}'"),
                    f.why,
                    "list_edge_functions gives the slugs",
                )
            } else {
                f
            }
        })?;
        Ok(found.id)
    }

    /// The rows of `sql` in the window; returns them and how many values were clipped.
    pub async fn function_logs(
        &self,
        reference: &str,
        sql: String,
        start: DateTime<Utc>,
        end: DateTime<Utc>,
    ) -> Result<(Vec<Value>, u64), Failure> {
        let path = format!("/v1/projects/{}/analytics/endpoints/logs.all", segment(reference));
        let query = [
            ("sql", sql),
            ("iso_timestamp_start", start.to_rfc3339_opts(chrono::SecondsFormat::Millis, true)),
            ("iso_timestamp_end", end.to_rfc3339_opts(chrono::SecondsFormat::Millis, true)),
        ];
        let what = format!("read the function logs of project {reference}");
        let reply: Value = self.get_json(&path, &query, &what).await?;
        if let Some(error) = reply.get("error").filter(|e| !e.is_null()) {
            let message = error.get("message").and_then(Value::as_str).map_or_else(|| error.to_string(), str::to_owned);
            return Err(Failure::new(format!("{what} failed"), message, "narrow the window and retry"));
        }
        let mut cut = 0;
        let rows = match reply.get("result") {
            Some(Value::Array(rows)) => rows
                .iter()
                .map(|r| match r {
                    Value::Object(fields) => row(fields.clone(), &mut cut),
                    other => row(Map::from_iter([("event_message".to_owned(), other.clone())]), &mut cut),
                })
                .collect(),
            _ => Vec::new(),
        };
        Ok((rows, cut))
    }
}

/// Dokploy's `since` for a window starting at `start`: whole seconds before now (at least one).
pub fn since(start: DateTime<Utc>, now: DateTime<Utc>) -> String {
    format!("{}s", (now - start).num_seconds().max(1))
}

/// The lines of `docker logs --timestamps` as rows, those stamped after `end` left out; returns the rows and
/// how many values were clipped.
pub fn container_rows(text: &str, end: DateTime<Utc>) -> (Vec<Value>, u64) {
    let mut cut = 0;
    let mut rows = Vec::new();
    for line in text.lines().filter(|l| !l.trim().is_empty()) {
        let (stamp, message) = match line.split_once(' ') {
            Some((first, rest)) => match DateTime::parse_from_rfc3339(first) {
                Ok(t) if t.with_timezone(&Utc) > end => continue,
                Ok(_) => (Value::String(first.to_owned()), rest),
                Err(_) => (Value::Null, line),
            },
            None => (Value::Null, line),
        };
        let fields = Map::from_iter([
            ("timestamp".to_owned(), stamp),
            ("event_message".to_owned(), Value::String(message.to_owned())),
        ]);
        rows.push(row(fields, &mut cut));
    }
    (rows, cut)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn queries_name_one_source_and_one_function() {
        let sql = cloud_sql(LogKind::Requests, Some("8aad167e-1e6d-4a9e"), 5000).unwrap();
        assert!(sql.contains("source = 'function_edge_logs' and log_attributes['function_id'] = '8aad167e-1e6d-4a9e'"));
        assert!(sql.ends_with("limit 1000"));
        assert!(!cloud_sql(LogKind::Runtime, None, 10).unwrap().contains("function_id'] ="));
        assert!(cloud_sql(LogKind::Runtime, Some("x' or 1=1 --"), 10).is_err());
    }

    #[test]
    fn container_lines_keep_their_stamp_and_stop_at_the_end() {
        let end = DateTime::parse_from_rfc3339("2026-01-01T00:00:10Z").unwrap().with_timezone(&Utc);
        let text = "2026-01-01T00:00:01.5Z serving the request with /home/deno/functions/hello\nplain line\n2026-01-01T00:00:11Z later\n";
        let (rows, _) = container_rows(text, end);
        assert_eq!(rows.len(), 2);
        assert_eq!(rows[0]["timestamp"], "2026-01-01T00:00:01.5Z");
        assert_eq!(rows[1]["timestamp"], Value::Null);
        assert_eq!(since(end - chrono::Duration::hours(1), end), "3600s");
    }
}
