//! The resume journal of a copy: which tables are finished, kept in the data directory under a key of source,
//! target and selection, so a rerun after a crash or a kill skips them (a table copy is one target transaction,
//! so a killed one left nothing and is redone whole). Removed when the copy completes.

use crate::failure::Failure;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use std::path::{Path, PathBuf};

#[derive(Debug, Default, Serialize, Deserialize)]
pub struct Journal {
    pub schema_done: bool,
    pub post_data_done: bool,
    pub finished: Vec<String>,
    #[serde(skip)]
    path: PathBuf,
}

fn io_failure(path: &Path, e: std::io::Error) -> Failure {
    Failure::new(
        format!("cannot write the copy journal {}", path.display()),
        e.to_string(),
        "check the data directory (SUPAMCP_DATA_DIR)",
    )
}

impl Journal {
    /// The journal of this copy, empty when none was started.
    pub fn open(dir: &Path, key_parts: &[&str]) -> Result<Journal, Failure> {
        let mut hasher = Sha256::new();
        for part in key_parts {
            hasher.update(part.as_bytes());
            hasher.update([0]);
        }
        let key = hex::encode(&hasher.finalize()[..12]);
        let path = dir.join(format!("copy-{key}.json"));
        let mut journal = match crate::fsutil::open_read(&path).and_then(|mut file| {
            let mut bytes = Vec::new();
            std::io::Read::read_to_end(&mut file, &mut bytes).map(|_| bytes)
        }) {
            Ok(bytes) => serde_json::from_slice(&bytes).unwrap_or_default(),
            Err(_) => Journal::default(),
        };
        journal.path = path;
        Ok(journal)
    }

    pub fn is_finished(&self, table: &str) -> bool {
        self.finished.iter().any(|t| t == table)
    }

    /// Records progress durably (write to a temporary file, then rename).
    pub fn save(&self) -> Result<(), Failure> {
        let setting = "the data directory (--data-dir, SUPAMCP_DATA_DIR)";
        if let Some(dir) = self.path.parent() {
            crate::fsutil::ensure_dir(dir, setting)?;
        }
        let bytes = serde_json::to_vec(self).map_err(|e| io_failure(&self.path, std::io::Error::other(e)))?;
        crate::fsutil::write_atomic(&self.path, &bytes, setting)
    }

    /// Removes the journal, and the temporary file a run killed mid-save may have left beside it.
    pub fn remove(&self) {
        let _ = std::fs::remove_file(&self.path);
        crate::fsutil::remove_temporaries_of(&self.path);
    }
}
