//! Bounded replies: a result stays in memory up to the spill threshold; past it the whole result streams
//! to a file in the data directory and the reply carries a preview, the counts and a handle that
//! `read_result` pages through. A file becomes readable only when complete (written under a temporary
//! name, then renamed); files older than the configured age are removed.

pub mod bound;
mod writer;

pub use bound::{Bounded, PAGE_BUDGET_BYTES, bound_rows};
pub use writer::{ResultWriter, Spilled, WrittenResult};

use crate::failure::Failure;
use serde::Serialize;
use serde_json::{Map, Value};
use std::io::{BufRead, BufReader};
use std::path::PathBuf;
use std::time::{Duration, SystemTime};

/// A result column: its name and PostgreSQL type name.
#[derive(Clone, Debug, Serialize, serde::Deserialize, PartialEq, Eq)]
pub struct ColumnInfo {
    pub name: String,
    #[serde(rename = "type")]
    pub type_name: String,
}

pub struct SpillStore {
    pub dir: PathBuf,
    pub threshold_bytes: usize,
    pub max_age: Duration,
}

/// One page of a spilled result.
#[derive(Debug, Serialize)]
pub struct Page {
    pub handle: String,
    pub columns: Vec<ColumnInfo>,
    pub rows: Vec<Map<String, Value>>,
    pub offset: u64,
    /// Offset of the next page, or null after the last row.
    pub next_offset: Option<u64>,
    pub total_rows: u64,
    /// Values cut to fit the page (each ends with a marker giving its full length).
    pub truncated_values: u64,
}

/// Handles are UUIDs: nothing else may reach the file system.
fn valid_handle(handle: &str) -> bool {
    handle.len() == 36 && handle.chars().all(|c| c.is_ascii_hexdigit() || c == '-')
}

/// Header line of a spill file.
#[derive(Serialize, serde::Deserialize)]
struct Header {
    columns: Vec<ColumnInfo>,
    rows: u64,
}

impl SpillStore {
    pub fn new(dir: PathBuf, threshold_bytes: usize, max_age: Duration) -> Self {
        SpillStore { dir, threshold_bytes, max_age }
    }

    /// A writer for one result; `preview_rows` rows are kept for the reply when it spills.
    pub fn writer(&self, preview_rows: usize) -> ResultWriter<'_> {
        ResultWriter::new(self, preview_rows)
    }

    fn path_of(&self, handle: &str) -> PathBuf {
        self.dir.join(format!("{handle}.ndjson"))
    }

    /// The byte budget of a preview or a page: [`PAGE_BUDGET_BYTES`], lower when the threshold is.
    pub fn page_budget(&self) -> usize {
        self.threshold_bytes.clamp(1, PAGE_BUDGET_BYTES)
    }

    /// Reads rows `offset..` of a spilled result: at most `limit` rows and [`SpillStore::page_budget`] bytes,
    /// long values cut (at least one row, so paging always moves on).
    pub fn read(&self, handle: &str, offset: u64, limit: u64) -> Result<Page, Failure> {
        let unknown = || {
            Failure::new(
                format!("no spilled result '{handle}'"),
                format!(
                    "it was never written, or it is older than {} hours and was removed",
                    self.max_age.as_secs() / 3600
                ),
                "run the query again to get a new handle",
            )
        };
        if !valid_handle(handle) {
            return Err(unknown());
        }
        let file = crate::fsutil::open_read(&self.path_of(handle)).map_err(|_| unknown())?;
        let io_failure = |e: std::io::Error| {
            Failure::new("cannot read the spilled result", e.to_string(), "check the data directory")
        };
        let mut reader = BufReader::with_capacity(64 * 1024, file);
        let mut line = Vec::new();
        reader.read_until(b'\n', &mut line).map_err(io_failure)?;
        let header: Header = serde_json::from_slice(&line).map_err(|_| unknown())?;
        let mut skipped = 0;
        while skipped < offset {
            line.clear();
            if reader.read_until(b'\n', &mut line).map_err(io_failure)? == 0 {
                break;
            }
            skipped += 1;
        }
        let mut bounder = bound::Bounder::new(&header.columns, self.page_budget());
        let mut taken = 0;
        while taken < limit {
            line.clear();
            if reader.read_until(b'\n', &mut line).map_err(io_failure)? == 0 {
                break;
            }
            let values: Vec<Value> = serde_json::from_slice(&line).map_err(|e| io_failure(std::io::Error::other(e)))?;
            if !bounder.push(values) {
                break;
            }
            taken += 1;
        }
        let bounded = bounder.finish();
        let end = offset + taken;
        Ok(Page {
            handle: handle.to_owned(),
            rows: bounded.rows,
            columns: header.columns,
            offset,
            next_offset: (end < header.rows).then_some(end),
            total_rows: header.rows,
            truncated_values: bounded.truncated_values,
        })
    }

    /// Removes spill files older than the configured age; returns how many went.
    pub fn cleanup(&self) -> std::io::Result<usize> {
        let entries = match std::fs::read_dir(&self.dir) {
            Ok(entries) => entries,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(0),
            Err(e) => return Err(e),
        };
        let now = SystemTime::now();
        let mut removed = 0;
        for entry in entries.flatten() {
            let old = entry
                .metadata()
                .and_then(|m| m.modified())
                .ok()
                .and_then(|modified| now.duration_since(modified).ok())
                .is_some_and(|age| age > self.max_age);
            let ours = entry.file_name().to_str().is_some_and(|n| n.ends_with(".ndjson") || n.ends_with(".partial"));
            if old && ours && std::fs::remove_file(entry.path()).is_ok() {
                removed += 1;
            }
        }
        Ok(removed)
    }
}

/// Pairs values with column names; repeated names get a suffix (`id`, `id_2`) so no value is lost.
pub fn row_object(columns: &[ColumnInfo], values: Vec<Value>) -> Map<String, Value> {
    let mut object = Map::with_capacity(values.len());
    for (column, value) in columns.iter().zip(values) {
        let mut key = column.name.clone();
        let mut n = 2;
        while object.contains_key(&key) {
            key = format!("{}_{n}", column.name);
            n += 1;
        }
        object.insert(key, value);
    }
    object
}

#[cfg(test)]
#[path = "spill_tests.rs"]
mod tests;
