//! Bounded replies: a result stays in memory up to the spill threshold; past it the whole result streams
//! to a file in the data directory and the reply carries a preview, the counts and a handle that
//! `read_result` pages through. Old files are removed after the configured age.

use std::path::PathBuf;
use std::time::Duration;

pub struct SpillStore {
    pub dir: PathBuf,
    pub threshold_bytes: usize,
    pub max_age: Duration,
}

impl SpillStore {
    pub fn new(dir: PathBuf, threshold_bytes: usize, max_age: Duration) -> Self {
        SpillStore { dir, threshold_bytes, max_age }
    }
}
