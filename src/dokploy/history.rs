//! Local snapshots of a compose's env and compose file, taken before every change supamcp makes.
//! Dokploy has no rollback for composes; this is ours. Snapshots live under
//! `<data_dir>/dokploy/history/<server>/<composeId>/<id>.json`, readable by the owner only, because the
//! env holds every secret of the stack.

use crate::failure::Failure;
use serde::{Deserialize, Serialize};
use std::path::{Path, PathBuf};

/// A stored snapshot.
#[derive(Clone, Deserialize, Serialize)]
pub struct Snapshot {
    pub id: String,
    pub created_at: String,
    /// Why it was taken, e.g. "before dokploy_update_env".
    pub reason: String,
    pub env: String,
    pub compose_file: String,
}

/// A snapshot as listed (no secrets).
#[derive(Clone, Debug, Serialize, schemars::JsonSchema)]
pub struct SnapshotInfo {
    pub id: String,
    pub created_at: String,
    pub reason: String,
    /// The variable names of the env, in order.
    pub variables: Vec<String>,
    pub compose_file_bytes: usize,
}

impl Snapshot {
    pub fn info(&self) -> SnapshotInfo {
        let variables = self
            .env
            .lines()
            .filter_map(|line| {
                let line = line.trim_start();
                let line = line.strip_prefix("export ").unwrap_or(line);
                (!line.starts_with('#')).then(|| line.split_once('=').map(|(k, _)| k.trim().to_owned())).flatten()
            })
            .collect();
        SnapshotInfo {
            id: self.id.clone(),
            created_at: self.created_at.clone(),
            reason: self.reason.clone(),
            variables,
            compose_file_bytes: self.compose_file.len(),
        }
    }
}

/// The snapshot store of one data directory.
#[derive(Clone, Debug)]
pub struct History {
    root: PathBuf,
}

fn safe(part: &str) -> String {
    part.chars().map(|c| if c.is_ascii_alphanumeric() || c == '-' || c == '_' { c } else { '_' }).collect()
}

const SETTING: &str = "the data directory (--data-dir, SUPAMCP_DATA_DIR)";

fn io_failure(what: &str, path: &Path, e: std::io::Error) -> Failure {
    Failure::new(what, format!("{}: {e}", path.display()), "check that the data directory (--data-dir) is writable")
}

impl History {
    pub fn new(data_dir: &Path) -> History {
        History { root: data_dir.join("dokploy").join("history") }
    }

    fn dir(&self, server: &str, compose_id: &str) -> PathBuf {
        self.root.join(safe(server)).join(safe(compose_id))
    }

    /// Stores a snapshot and returns its listing.
    pub fn save(
        &self,
        server: &str,
        compose_id: &str,
        reason: &str,
        env: &str,
        compose_file: &str,
    ) -> Result<SnapshotInfo, Failure> {
        let dir = self.dir(server, compose_id);
        crate::fsutil::ensure_dir(&dir, SETTING)?;
        let now = chrono::Utc::now();
        let mut id = now.format("%Y%m%dT%H%M%S%6fZ").to_string();
        let mut n = 1;
        while dir.join(format!("{id}.json")).exists() {
            n += 1;
            id = format!("{}-{n}", now.format("%Y%m%dT%H%M%S%6fZ"));
        }
        let snapshot = Snapshot {
            id: id.clone(),
            created_at: now.to_rfc3339(),
            reason: reason.to_owned(),
            env: env.to_owned(),
            compose_file: compose_file.to_owned(),
        };
        let path = dir.join(format!("{id}.json"));
        let text = serde_json::to_string_pretty(&snapshot)
            .map_err(|e| Failure::new("cannot encode the snapshot", e.to_string(), "report this as a supamcp bug"))?;
        crate::fsutil::write_new(&path, text.as_bytes(), SETTING)?;
        Ok(snapshot.info())
    }

    /// Every snapshot of a compose, newest first.
    pub fn list(&self, server: &str, compose_id: &str) -> Result<Vec<SnapshotInfo>, Failure> {
        let dir = self.dir(server, compose_id);
        let entries = match std::fs::read_dir(&dir) {
            Ok(entries) => entries,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
            Err(e) => return Err(io_failure("cannot read the snapshot directory", &dir, e)),
        };
        let mut ids: Vec<String> = entries
            .filter_map(Result::ok)
            .filter_map(|e| e.file_name().to_str().and_then(|n| n.strip_suffix(".json")).map(str::to_owned))
            .collect();
        ids.sort();
        ids.reverse();
        ids.iter().map(|id| self.load(server, compose_id, id).map(|s| s.info())).collect()
    }

    /// One snapshot by id.
    pub fn load(&self, server: &str, compose_id: &str, id: &str) -> Result<Snapshot, Failure> {
        let path = self.dir(server, compose_id).join(format!("{}.json", safe(id)));
        let text = crate::fsutil::open_read(&path).and_then(std::io::read_to_string).map_err(|_| {
            Failure::new(
                format!("no snapshot '{id}' for compose {compose_id}"),
                format!("{} does not exist", path.display()),
                "list the snapshots with dokploy_history and pass one of their ids",
            )
        })?;
        serde_json::from_str(&text).map_err(|e| {
            Failure::new("a snapshot is unreadable", format!("{}: {e}", path.display()), "pick another snapshot")
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn saves_lists_newest_first_and_loads() {
        let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
        let history = History::new(dir.path());
        let first =
            history.save("main", "c1", "first", "A=1\n# c\nB=2", "services: {}").unwrap_or_else(|e| panic!("{e}"));
        let second = history.save("main", "c1", "second", "A=3", "").unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(first.variables, ["A", "B"]);
        let listed: Vec<String> =
            history.list("main", "c1").unwrap_or_default().into_iter().map(|s| s.reason).collect();
        assert_eq!(listed, ["second", "first"]);
        assert_eq!(history.load("main", "c1", &second.id).map(|s| s.env).ok().as_deref(), Some("A=3"));
        assert!(history.load("main", "c1", "nope").is_err());
        assert!(history.list("main", "other").unwrap_or_default().is_empty());
    }

    #[test]
    fn snapshots_are_private_and_a_planted_link_is_not_followed() {
        use std::os::unix::fs::PermissionsExt;
        let mode = |p: &Path| std::fs::metadata(p).map(|m| m.permissions().mode() & 0o777).unwrap_or_default();
        let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
        let history = History::new(dir.path());
        let saved = history.save("main", "c1", "first", "SECRET=x", "").unwrap_or_else(|e| panic!("{e}"));
        let folder = history.dir("main", "c1");
        assert_eq!(mode(&folder), 0o700);
        assert_eq!(mode(&folder.join(format!("{}.json", saved.id))), 0o600);

        let elsewhere = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
        std::fs::create_dir_all(history.root.join("main")).unwrap_or_else(|e| panic!("{e}"));
        std::os::unix::fs::symlink(elsewhere.path(), history.dir("main", "c2")).unwrap_or_else(|e| panic!("{e}"));
        let failure = history.save("main", "c2", "x", "SECRET=x", "").err().unwrap_or_else(|| panic!("followed"));
        assert!(failure.why.contains("symbolic link"), "{failure}");
        assert_eq!(std::fs::read_dir(elsewhere.path()).map(Iterator::count).unwrap_or_default(), 0);
    }
}
