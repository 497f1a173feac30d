//! Rows that arrive as JSON objects (the Management API's SQL and log queries) made into a bounded reply the
//! way a connection's rows are: small results inline, large ones spilled to a result file that `read_result`
//! pages through, with a preview cut to the page budget. Columns are the first row's keys, in its order.

use crate::failure::Failure;
use crate::groups::core::sql::SpillInfo;
use crate::server::SupamcpServer;
use crate::spill::{ColumnInfo, WrittenResult, bound_rows, row_object};
use serde_json::{Map, Value};

/// Rows kept in the reply when a result spills to a file (as on a connection).
const PREVIEW_ROWS: usize = 20;

/// JSON rows, bounded.
pub struct JsonRows {
    pub columns: Vec<ColumnInfo>,
    /// The rows in the reply (all of them, or the preview of a spilled result).
    pub rows: Vec<Map<String, Value>>,
    /// Values cut to fit the page budget.
    pub truncated_values: u64,
    /// Rows kept (at most the limit).
    pub row_count: u64,
    /// Rows the source returned, before the limit.
    pub row_count_all: u64,
    pub spilled: Option<SpillInfo>,
}

impl SupamcpServer {
    /// `rows` (JSON objects; anything else is one `value` column) bounded: at most `limit` kept, spilled past
    /// the threshold.
    pub(crate) fn json_rows(&self, rows: Vec<Value>, limit: Option<u64>) -> Result<JsonRows, Failure> {
        let row_count_all = rows.len() as u64;
        let columns: Vec<ColumnInfo> = match rows.first() {
            Some(Value::Object(first)) => {
                first.keys().map(|name| ColumnInfo { name: name.clone(), type_name: "json".to_owned() }).collect()
            }
            Some(_) => vec![ColumnInfo { name: "value".to_owned(), type_name: "json".to_owned() }],
            None => Vec::new(),
        };
        let mut writer = self.state.spill.writer(PREVIEW_ROWS);
        writer.start(columns.clone());
        let limit = limit.map_or(usize::MAX, |l| usize::try_from(l).unwrap_or(usize::MAX));
        for row in rows.into_iter().take(limit) {
            let values = match row {
                Value::Object(mut object) => {
                    columns.iter().map(|c| object.remove(&c.name).unwrap_or(Value::Null)).collect()
                }
                other => vec![other],
            };
            writer.push(values)?;
        }
        let row_count = writer.rows_written();
        let (rows, truncated_values, spilled) = match writer.finish()? {
            WrittenResult::Inline { columns, rows } => {
                (rows.into_iter().map(|row| row_object(&columns, row)).collect(), 0, None)
            }
            WrittenResult::Spilled(s) => {
                tracing::info!(handle = %s.handle, path = %s.path.display(), rows = s.rows, "result spilled to a file");
                let uri = crate::server::resources::result_uri(&s.handle, 0);
                let info = SpillInfo { handle: s.handle, uri, rows: s.rows, bytes: s.bytes };
                let preview = bound_rows(&s.columns, s.preview, self.state.spill.page_budget());
                (preview.rows, preview.truncated_values, Some(info))
            }
        };
        Ok(JsonRows { columns, rows, truncated_values, row_count, row_count_all, spilled })
    }
}
