//! `ResultWriter`: receives rows one at a time, keeps them in memory while the serialized size stays
//! under the threshold, and past it streams every row to a spill file. Memory stays flat: after the
//! switch only the preview rows and a write buffer are held.

use super::{ColumnInfo, Header, SpillStore};
use crate::failure::Failure;
use serde_json::Value;
use std::fs::File;
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};

/// Where a finished result is.
#[derive(Debug)]
pub enum WrittenResult {
    /// Small enough for the reply.
    Inline {
        columns: Vec<ColumnInfo>,
        rows: Vec<Vec<Value>>,
    },
    Spilled(Spilled),
}

#[derive(Debug, serde::Serialize)]
pub struct Spilled {
    pub handle: String,
    pub path: PathBuf,
    pub columns: Vec<ColumnInfo>,
    pub preview: Vec<Vec<Value>>,
    pub rows: u64,
    pub bytes: u64,
}

struct SpillFile {
    handle: String,
    partial: PathBuf,
    out: BufWriter<File>,
}

pub struct ResultWriter<'a> {
    store: &'a SpillStore,
    preview_rows: usize,
    columns: Vec<ColumnInfo>,
    rows: Vec<Vec<Value>>,
    count: u64,
    bytes: u64,
    /// Encoded size of the preview rows kept after the switch to the file: once over the page budget no more
    /// are kept (the reply could not carry them), so one huge row does not pin twenty in memory.
    preview_bytes: usize,
    scratch: Vec<u8>,
    file: Option<SpillFile>,
}

/// The option that places spill files, for the fixes.
const SETTING: &str = "the data directory (--data-dir, SUPAMCP_DATA_DIR)";

/// The failure of a write into the spill directory `dir`; the writer removes its partial file afterwards.
fn io_failure(dir: &Path) -> impl Fn(std::io::Error) -> Failure + '_ {
    move |e| {
        let fix = crate::fsutil::known_fix(&e, &dir.join("x"), SETTING).unwrap_or_else(|| {
            "free disk space in the data directory (SUPAMCP_DATA_DIR) or lower the result size with a LIMIT".to_owned()
        });
        let why = match e.raw_os_error() {
            Some(libc::EFBIG) => format!("{e} (EFBIG); the partial file was removed"),
            _ => e.to_string(),
        };
        Failure::new("cannot write the spilled result", why, fix)
    }
}

impl<'a> ResultWriter<'a> {
    pub(super) fn new(store: &'a SpillStore, preview_rows: usize) -> Self {
        ResultWriter {
            store,
            preview_rows,
            columns: Vec::new(),
            rows: Vec::new(),
            count: 0,
            bytes: 0,
            preview_bytes: 0,
            scratch: Vec::with_capacity(1024),
            file: None,
        }
    }

    /// Starts a new result, dropping any earlier one (a script keeps the rows of its last result).
    pub fn start(&mut self, columns: Vec<ColumnInfo>) {
        self.discard();
        self.columns = columns;
        self.rows.clear();
        self.count = 0;
        self.bytes = 0;
        self.preview_bytes = 0;
    }

    pub fn rows_written(&self) -> u64 {
        self.count
    }

    /// True while rows are wanted as JSON values: in memory, or to fill the preview. Afterwards rows go to
    /// the file as encoded lines ([`ResultWriter::push_encoded`]).
    pub fn wants_values(&self) -> bool {
        self.file.is_none() || self.wants_preview()
    }

    fn wants_preview(&self) -> bool {
        self.rows.len() < self.preview_rows && self.preview_bytes < self.store.page_budget()
    }

    /// Adds one row that `encode` writes as a JSON array line (with its newline). Only while spilling.
    pub fn push_encoded<E: std::fmt::Display>(
        &mut self,
        encode: impl FnOnce(&mut Vec<u8>) -> Result<(), E>,
    ) -> Result<(), Failure> {
        let Some(file) = &mut self.file else {
            return Err(Failure::new(
                "internal error",
                "an encoded row arrived before the result spilled",
                "report this as a supamcp bug",
            ));
        };
        self.scratch.clear();
        encode(&mut self.scratch).map_err(|e| io_failure(&self.store.dir)(std::io::Error::other(e.to_string())))?;
        self.count += 1;
        self.bytes += self.scratch.len() as u64;
        file.out.write_all(&self.scratch).map_err(io_failure(&self.store.dir))
    }

    /// Adds one row.
    pub fn push(&mut self, row: Vec<Value>) -> Result<(), Failure> {
        self.scratch.clear();
        serde_json::to_writer(&mut self.scratch, &row)
            .map_err(|e| io_failure(&self.store.dir)(std::io::Error::other(e)))?;
        self.scratch.push(b'\n');
        self.count += 1;
        self.bytes += self.scratch.len() as u64;
        if let Some(file) = &mut self.file {
            file.out.write_all(&self.scratch).map_err(io_failure(&self.store.dir))?;
            if self.wants_preview() {
                self.preview_bytes += self.scratch.len();
                self.rows.push(row);
            }
            return Ok(());
        }
        self.rows.push(row);
        if self.bytes > self.store.threshold_bytes as u64 {
            self.switch_to_file()?;
        }
        Ok(())
    }

    fn switch_to_file(&mut self) -> Result<(), Failure> {
        crate::fsutil::ensure_dir(&self.store.dir, SETTING)?;
        let handle = uuid::Uuid::new_v4().to_string();
        let partial = self.store.dir.join(format!("{handle}.partial"));
        let out = BufWriter::with_capacity(256 * 1024, crate::fsutil::create_new(&partial, SETTING)?);
        // From here on the file is the writer's: any failure below (EFBIG, a full disk) removes it on discard.
        let file = self.file.insert(SpillFile { handle, partial, out });
        // The header is rewritten with the final row count when the result is complete; reserve its line.
        file.out.write_all(&header_line(&self.columns, 0)).map_err(io_failure(&self.store.dir))?;
        for row in &self.rows {
            serde_json::to_writer(&mut file.out, row)
                .map_err(|e| io_failure(&self.store.dir)(std::io::Error::other(e)))?;
            file.out.write_all(b"\n").map_err(io_failure(&self.store.dir))?;
        }
        self.rows.truncate(self.preview_rows);
        self.preview_bytes =
            self.rows.iter().map(|row| serde_json::to_vec(row).map_or(0, |bytes| bytes.len() + 1)).sum();
        Ok(())
    }

    /// Completes the result. A spilled file is renamed to its final name only now.
    pub fn finish(mut self) -> Result<WrittenResult, Failure> {
        let Some(file) = self.file.take() else {
            return Ok(WrittenResult::Inline {
                columns: std::mem::take(&mut self.columns),
                rows: std::mem::take(&mut self.rows),
            });
        };
        let SpillFile { handle, partial, out } = file;
        let path = self.store.path_of(&handle);
        let completed = out.into_inner().map_err(|e| e.into_error()).and_then(|mut inner| {
            finalize_header(&mut inner, &self.columns, self.count)?;
            inner.sync_data()?;
            std::fs::rename(&partial, &path)
        });
        if let Err(e) = completed {
            let _ = std::fs::remove_file(&partial);
            return Err(io_failure(&self.store.dir)(e));
        }
        Ok(WrittenResult::Spilled(Spilled {
            handle,
            path,
            columns: std::mem::take(&mut self.columns),
            preview: std::mem::take(&mut self.rows),
            rows: self.count,
            bytes: self.bytes,
        }))
    }

    /// Drops the result and removes its partial file.
    pub fn discard(&mut self) {
        if let Some(file) = self.file.take() {
            drop(file.out);
            let _ = std::fs::remove_file(&file.partial);
        }
    }
}

impl Drop for ResultWriter<'_> {
    fn drop(&mut self) {
        self.discard();
    }
}

/// The header line, padded with spaces to the same width whatever the row count (a u64 has at most 20
/// digits), so the final count can overwrite it in place.
fn header_line(columns: &[ColumnInfo], rows: u64) -> Vec<u8> {
    let header = Header { columns: columns.to_vec(), rows };
    let mut line = serde_json::to_vec(&header).unwrap_or_default();
    line.resize(line.len() + 20 - rows.to_string().len(), b' ');
    line.push(b'\n');
    line
}

fn finalize_header(file: &mut File, columns: &[ColumnInfo], rows: u64) -> std::io::Result<()> {
    use std::io::{Seek, SeekFrom};
    file.seek(SeekFrom::Start(0))?;
    file.write_all(&header_line(columns, rows))?;
    file.flush()
}
