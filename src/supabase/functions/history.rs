//! Earlier versions of functions, kept in the data directory for rollback and after a delete:
//! `<data_dir>/functions/<target>/<slug>/<millis>-v<version>/` holding `meta.json` and `files/...`. Written
//! under a temporary name and renamed, owner-only; at most [`KEEP`] versions per function.

use super::SourceFile;
use crate::failure::Failure;
use crate::fsutil;
use serde::{Deserialize, Serialize};
use std::path::{Path, PathBuf};

/// Versions kept per function.
pub const KEEP: usize = 10;
const SETTING: &str = "the data directory (--data-dir, SUPAMCP_DATA_DIR)";

/// What is recorded with a kept version.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct SavedMeta {
    pub slug: String,
    pub version: u64,
    pub entrypoint_path: String,
    pub import_map_path: Option<String>,
    pub verify_jwt: bool,
    /// Why it was kept: "replaced by a deploy", "deleted", "replaced by a rollback".
    pub reason: String,
    pub saved_at: String,
}

/// A kept version.
#[derive(Clone, Debug)]
pub struct Saved {
    pub dir: PathBuf,
    pub meta: SavedMeta,
    pub files: Vec<SourceFile>,
}

/// The store of one data directory.
#[derive(Clone, Debug)]
pub struct History {
    root: PathBuf,
}

fn io(what: String, path: &Path) -> impl FnOnce(std::io::Error) -> Failure + '_ {
    move |e| fsutil::io_failure(what, path, &e, SETTING, &format!("check {SETTING}"))
}

/// `text` reduced to characters safe in one path segment.
fn safe(text: &str) -> String {
    text.chars().map(|c| if c.is_ascii_alphanumeric() || c == '-' || c == '_' { c } else { '_' }).collect()
}

impl History {
    pub fn new(data_dir: &Path) -> History {
        History { root: data_dir.join("functions") }
    }

    fn dir_of(&self, target: &str, slug: &str) -> PathBuf {
        self.root.join(safe(target)).join(safe(slug))
    }

    /// Keeps `files` as a version of `slug` on `target`; returns where.
    pub fn save(&self, target: &str, meta: &SavedMeta, files: &[SourceFile]) -> Result<PathBuf, Failure> {
        let parent = self.dir_of(target, &meta.slug);
        for dir in [&self.root, &self.root.join(safe(target)), &parent] {
            fsutil::ensure_dir(dir, SETTING)?;
        }
        let name = format!("{:016}-v{}", chrono::Utc::now().timestamp_millis(), meta.version);
        let partial = parent.join(format!(".{name}.partial"));
        let _ = std::fs::remove_dir_all(&partial);
        let written = write_version(&partial, meta, files);
        if let Err(failure) = written {
            let _ = std::fs::remove_dir_all(&partial);
            return Err(failure);
        }
        let dir = parent.join(&name);
        std::fs::rename(&partial, &dir).map_err(io(format!("cannot keep {}", dir.display()), &dir))?;
        let mut versions = self.versions(target, &meta.slug)?;
        while versions.len() > KEEP {
            let oldest = versions.remove(0);
            let _ = std::fs::remove_dir_all(oldest);
        }
        Ok(dir)
    }

    /// The kept versions of `slug`, oldest first.
    fn versions(&self, target: &str, slug: &str) -> Result<Vec<PathBuf>, Failure> {
        let parent = self.dir_of(target, slug);
        let entries = match std::fs::read_dir(&parent) {
            Ok(entries) => entries,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
            Err(e) => return Err(io(format!("cannot list {}", parent.display()), &parent)(e)),
        };
        let mut found: Vec<PathBuf> = entries
            .filter_map(Result::ok)
            .filter(|e| !e.file_name().to_string_lossy().starts_with('.'))
            .map(|e| e.path())
            .collect();
        found.sort();
        Ok(found)
    }

    /// The newest kept version of `slug`, if any.
    pub fn latest(&self, target: &str, slug: &str) -> Result<Option<Saved>, Failure> {
        let Some(dir) = self.versions(target, slug)?.pop() else { return Ok(None) };
        let meta_path = dir.join("meta.json");
        let text = std::fs::read_to_string(&meta_path)
            .map_err(io(format!("cannot read {}", meta_path.display()), &meta_path))?;
        let meta: SavedMeta = serde_json::from_str(&text).map_err(|e| {
            Failure::new(format!("cannot read {}", meta_path.display()), e.to_string(), "remove that directory")
        })?;
        let files_dir = dir.join("files");
        let mut files = Vec::new();
        collect(&files_dir, &files_dir, &mut files)?;
        files.sort_by(|a, b| a.name.cmp(&b.name));
        Ok(Some(Saved { dir, meta, files }))
    }

    /// Forgets a kept version (after it was deployed again).
    pub fn forget(&self, saved: &Saved) {
        let _ = std::fs::remove_dir_all(&saved.dir);
    }
}

fn write_version(dir: &Path, meta: &SavedMeta, files: &[SourceFile]) -> Result<(), Failure> {
    fsutil::ensure_dir(dir, SETTING)?;
    let text = serde_json::to_vec_pretty(meta)
        .map_err(|e| Failure::new("cannot encode the version record", e.to_string(), "report this as a bug"))?;
    fsutil::write_new(&dir.join("meta.json"), &text, SETTING)?;
    write_files(&dir.join("files"), files, true)
}

/// Writes `files` under `dir` (created), making their parent directories; `private`: 0700/0600, else the
/// process's umask (source code the functions service reads).
pub fn write_files(dir: &Path, files: &[SourceFile], private: bool) -> Result<(), Failure> {
    let make_dir = |path: &Path| -> Result<(), Failure> {
        if private {
            fsutil::ensure_dir(path, SETTING)
        } else {
            std::fs::create_dir_all(path).map_err(io(format!("cannot create {}", path.display()), path))
        }
    };
    make_dir(dir)?;
    for file in files {
        super::validate::check_file_name(&file.name)?;
        let path = dir.join(&file.name);
        if let Some(parent) = path.parent().filter(|p| *p != dir) {
            let mut walk = dir.to_path_buf();
            for part in parent.strip_prefix(dir).unwrap_or(parent).components() {
                walk.push(part);
                make_dir(&walk)?;
            }
        }
        if private {
            fsutil::write_new(&path, file.content.as_bytes(), SETTING)?;
        } else {
            std::fs::write(&path, file.content.as_bytes())
                .map_err(io(format!("cannot write {}", path.display()), &path))?;
        }
    }
    Ok(())
}

/// Reads every regular file under `dir` as a [`SourceFile`] named relative to `root` (hidden entries skipped).
pub fn collect(root: &Path, dir: &Path, out: &mut Vec<SourceFile>) -> Result<(), Failure> {
    let entries = std::fs::read_dir(dir).map_err(io(format!("cannot list {}", dir.display()), dir))?;
    for entry in entries.filter_map(Result::ok) {
        let name = entry.file_name().to_string_lossy().into_owned();
        if name.starts_with('.') || name == "node_modules" {
            continue;
        }
        let path = entry.path();
        let kind = entry.file_type().map_err(io(format!("cannot read {}", path.display()), &path))?;
        if kind.is_dir() {
            collect(root, &path, out)?;
        } else if kind.is_file() {
            let bytes = std::fs::read(&path).map_err(io(format!("cannot read {}", path.display()), &path))?;
            let relative = path.strip_prefix(root).unwrap_or(&path).to_string_lossy().into_owned();
            let content = String::from_utf8(bytes).map_err(|_| {
                Failure::new(
                    format!("{} is not UTF-8 text", path.display()),
                    "edge function sources are text files",
                    "leave binary files out of the function's directory",
                )
            })?;
            out.push(SourceFile { name: relative, content });
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn versions_are_kept_newest_last_and_bounded() {
        let data = tempfile::tempdir().unwrap();
        let history = History::new(data.path());
        assert!(history.latest("cloud-x", "hello").unwrap().is_none());
        for version in 1..=(KEEP as u64 + 2) {
            let meta = SavedMeta {
                slug: "hello".into(),
                version,
                entrypoint_path: "index.ts".into(),
                import_map_path: None,
                verify_jwt: true,
                reason: "replaced by a deploy".into(),
                saved_at: String::new(),
            };
            let files = vec![SourceFile { name: "lib/a.ts".into(), content: format!("v{version}") }];
            history.save("cloud-x", &meta, &files).unwrap();
            std::thread::sleep(std::time::Duration::from_millis(2));
        }
        let latest = history.latest("cloud-x", "hello").unwrap().unwrap();
        assert_eq!(latest.meta.version, KEEP as u64 + 2);
        assert_eq!(latest.files[0].content, format!("v{}", KEEP + 2));
        assert_eq!(history.versions("cloud-x", "hello").unwrap().len(), KEEP);
        history.forget(&latest);
        assert_eq!(history.latest("cloud-x", "hello").unwrap().unwrap().meta.version, KEEP as u64 + 1);
    }
}
