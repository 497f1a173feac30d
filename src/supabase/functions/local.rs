//! A self-hosted stack's functions directory (`volumes/functions`, mounted at /home/deno/functions in the
//! `functions` service): one sub-directory per function holding an `index.*` entrypoint, and `main/`, the
//! router every request goes through, which supamcp never touches. A deploy writes the files into a temporary
//! directory beside the others and swaps it in with one atomic rename (`renameat2(RENAME_EXCHANGE)`), so a
//! request sees the old or the new version, never half of one. supamcp's record of each function (version,
//! verify_jwt, entrypoint) is `.supamcp/<slug>.json` there; hidden entries are never served.

use super::history::{collect, write_files};
use super::{Deploy, FunctionInfo, SourceFile};
use crate::failure::Failure;
use serde::{Deserialize, Serialize};
use std::ffi::CString;
use std::os::unix::ffi::OsStrExt;
use std::path::{Path, PathBuf};

/// The router's directory.
pub const MAIN: &str = "main";
/// supamcp's own entries in the functions directory.
const STATE_DIR: &str = ".supamcp";

/// When a deploy to a functions directory is served.
pub const NEW_IS_LIVE: &str = "live now: the edge runtime serves a new function directory on its first request, \
                               without a restart";
pub const REPLACED_IS_LIVE: &str = "on disk now; a worker already running the old code keeps serving it until it \
                                    retires (at most 60 s with the stock main router's workerTimeoutMs), or restart \
                                    the functions service to switch at once";

/// supamcp's record of a function in the directory (and in a Dokploy compose's files).
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
pub(super) struct Record {
    pub(super) version: u64,
    pub(super) verify_jwt: Option<bool>,
    pub(super) entrypoint_path: Option<String>,
    pub(super) import_map_path: Option<String>,
    pub(super) updated_at: Option<String>,
}

impl Record {
    /// The record after `deploy`: the next version, its settings, now.
    pub(super) fn after(&self, deploy: &Deploy) -> Record {
        Record {
            version: self.version + 1,
            verify_jwt: Some(deploy.verify_jwt),
            entrypoint_path: Some(deploy.entrypoint_path.clone()),
            import_map_path: deploy.import_map_path.clone(),
            updated_at: Some(chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Millis, true)),
        }
    }
}

/// One functions directory.
#[derive(Clone, Debug)]
pub struct FunctionsDir {
    root: PathBuf,
}

fn io(what: String) -> impl FnOnce(std::io::Error) -> Failure {
    move |e| Failure::new(what, e.to_string(), "check the functions_dir setting and that supamcp may write there")
}

impl FunctionsDir {
    /// The directory at `root`, which must exist.
    pub fn open(root: &Path) -> Result<FunctionsDir, Failure> {
        if !root.is_dir() {
            return Err(Failure::new(
                format!("the functions directory {} does not exist", root.display()),
                "functions_dir must name the stack's volumes/functions directory",
                "fix functions_dir (SUPAMCP_FUNCTIONS_DIR) or create the directory",
            ));
        }
        Ok(FunctionsDir { root: root.to_path_buf() })
    }

    pub fn root(&self) -> &Path {
        &self.root
    }

    fn record_path(&self, slug: &str) -> PathBuf {
        self.root.join(STATE_DIR).join(format!("{slug}.json"))
    }

    fn record(&self, slug: &str) -> Record {
        std::fs::read_to_string(self.record_path(slug))
            .ok()
            .and_then(|text| serde_json::from_str(&text).ok())
            .unwrap_or_default()
    }

    /// The entrypoint file of a function directory: `index.*`.
    fn entrypoint_of(dir: &Path) -> Option<String> {
        let mut names: Vec<String> = std::fs::read_dir(dir)
            .ok()?
            .filter_map(Result::ok)
            .filter(|e| e.file_type().is_ok_and(|t| t.is_file()))
            .map(|e| e.file_name().to_string_lossy().into_owned())
            .filter(|name| name.starts_with("index."))
            .collect();
        names.sort();
        names.into_iter().next()
    }

    fn info(&self, slug: &str, dir: &Path, entrypoint: String) -> FunctionInfo {
        let record = self.record(slug);
        let modified = std::fs::metadata(dir.join(&entrypoint)).and_then(|m| m.modified()).ok();
        FunctionInfo {
            slug: slug.to_owned(),
            name: slug.to_owned(),
            version: record.version.max(1),
            status: "ACTIVE".to_owned(),
            verify_jwt: record.verify_jwt,
            entrypoint_path: Some(entrypoint),
            import_map_path: record.import_map_path,
            updated_at: record.updated_at.or_else(|| {
                modified.map(|t| {
                    chrono::DateTime::<chrono::Utc>::from(t).to_rfc3339_opts(chrono::SecondsFormat::Millis, true)
                })
            }),
        }
    }

    /// The functions: sub-directories other than `main` and hidden ones that hold an `index.*` file.
    pub fn list(&self) -> Result<Vec<FunctionInfo>, Failure> {
        let entries = std::fs::read_dir(&self.root).map_err(io(format!("cannot list {}", self.root.display())))?;
        let mut found = Vec::new();
        for entry in entries.filter_map(Result::ok) {
            let slug = entry.file_name().to_string_lossy().into_owned();
            if slug == MAIN || slug.starts_with('.') || !entry.file_type().is_ok_and(|t| t.is_dir()) {
                continue;
            }
            if let Some(entrypoint) = FunctionsDir::entrypoint_of(&entry.path()) {
                found.push(self.info(&slug, &entry.path(), entrypoint));
            }
        }
        found.sort_by(|a, b| a.slug.cmp(&b.slug));
        Ok(found)
    }

    /// One function and its files.
    pub fn get(&self, slug: &str) -> Result<(FunctionInfo, Vec<SourceFile>), Failure> {
        super::validate::check_slug(slug)?;
        let dir = self.root.join(slug);
        let entrypoint = (slug != MAIN).then(|| FunctionsDir::entrypoint_of(&dir)).flatten().ok_or_else(|| {
            Failure::new(
                format!("no function '{slug}' in {}", self.root.display()),
                "there is no such directory with an index.* file",
                "list_edge_functions gives the slugs",
            )
        })?;
        let mut files = Vec::new();
        collect(&dir, &dir, &mut files)?;
        files.sort_by(|a, b| a.name.cmp(&b.name));
        Ok((self.info(slug, &dir, entrypoint), files))
    }

    /// Writes `deploy` as the function's directory, swapping it in atomically; returns the new description.
    pub fn deploy(&self, deploy: &Deploy) -> Result<FunctionInfo, Failure> {
        check_servable(deploy)?;
        let state = self.root.join(STATE_DIR);
        std::fs::create_dir_all(&state).map_err(io(format!("cannot create {}", state.display())))?;
        let staging = state.join(format!("staging-{}-{}", deploy.slug, uuid::Uuid::new_v4().simple()));
        if let Err(failure) = write_files(&staging, &deploy.files, false) {
            let _ = std::fs::remove_dir_all(&staging);
            return Err(failure);
        }
        let target = self.root.join(&deploy.slug);
        let swapped = if target.exists() { exchange(&staging, &target) } else { std::fs::rename(&staging, &target) };
        if let Err(e) = swapped {
            let _ = std::fs::remove_dir_all(&staging);
            return Err(io(format!("cannot put {} in place", target.display()))(e));
        }
        let _ = std::fs::remove_dir_all(&staging);
        let previous = self.record(&deploy.slug);
        let record = previous.after(deploy);
        self.write_record(&deploy.slug, &record)?;
        Ok(self.info(&deploy.slug, &target, deploy.entrypoint_path.clone()))
    }

    fn write_record(&self, slug: &str, record: &Record) -> Result<(), Failure> {
        let text = serde_json::to_vec_pretty(record)
            .map_err(|e| Failure::new("cannot encode the function record", e.to_string(), "report this as a bug"))?;
        let path = self.record_path(slug);
        crate::fsutil::write_atomic_with_mode(&path, &text, 0o644, "the functions directory (functions_dir)")
    }

    /// Removes the function's directory (moved aside first, so it disappears at once). The record keeps its
    /// version count, so a later deploy continues it.
    pub fn remove(&self, slug: &str) -> Result<(), Failure> {
        if slug == MAIN {
            return Err(refuse_main());
        }
        let target = self.root.join(slug);
        let aside = self.root.join(STATE_DIR).join(format!("removed-{slug}-{}", uuid::Uuid::new_v4().simple()));
        std::fs::rename(&target, &aside).map_err(io(format!("cannot remove {}", target.display())))?;
        std::fs::remove_dir_all(&aside).map_err(io(format!("cannot remove {}", aside.display())))
    }
}

fn refuse_main() -> Failure {
    Failure::new(
        "'main' is the functions router",
        "every request to /functions/v1 goes through main/index.ts; supamcp never changes it",
        "pick another name",
    )
}

/// What the stock router can serve: not `main`, an `index.*` entrypoint at the function's root.
pub(super) fn check_servable(deploy: &Deploy) -> Result<(), Failure> {
    if deploy.slug == MAIN {
        return Err(refuse_main());
    }
    if deploy.entrypoint_path.contains('/') || !deploy.entrypoint_path.starts_with("index.") {
        return Err(Failure::new(
            format!("entrypoint {} cannot be served from a functions directory", deploy.entrypoint_path),
            "the self-hosted edge runtime starts the file named index.* at the function's root",
            "name the entrypoint index.ts (re-export your module from it)",
        ));
    }
    Ok(())
}

/// Swaps two directories atomically (`renameat2` with `RENAME_EXCHANGE`); where the file system cannot, moves
/// the old one aside and the new one in (a moment without the function).
fn exchange(new: &Path, old: &Path) -> std::io::Result<()> {
    let c = |p: &Path| CString::new(p.as_os_str().as_bytes()).map_err(std::io::Error::other);
    let (from, to) = (c(new)?, c(old)?);
    // SAFETY: both pointers are valid NUL-terminated strings that live across the call.
    let result =
        unsafe { libc::renameat2(libc::AT_FDCWD, from.as_ptr(), libc::AT_FDCWD, to.as_ptr(), libc::RENAME_EXCHANGE) };
    if result == 0 {
        return Ok(());
    }
    let error = std::io::Error::last_os_error();
    if !matches!(error.raw_os_error(), Some(libc::EINVAL | libc::ENOSYS | libc::EOPNOTSUPP)) {
        return Err(error);
    }
    let aside = new.with_extension("old");
    std::fs::rename(old, &aside)?;
    std::fs::rename(new, old)?;
    std::fs::rename(&aside, new)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn deploy(slug: &str, body: &str) -> Deploy {
        Deploy {
            slug: slug.into(),
            name: slug.into(),
            entrypoint_path: "index.ts".into(),
            import_map_path: None,
            verify_jwt: false,
            files: vec![
                SourceFile { name: "index.ts".into(), content: body.into() },
                SourceFile { name: "lib/util.ts".into(), content: "export const x = 1;".into() },
            ],
        }
    }

    #[test]
    fn deploys_swap_whole_directories_and_leave_main_alone() {
        let root = tempfile::tempdir().unwrap();
        std::fs::create_dir(root.path().join("main")).unwrap();
        std::fs::write(root.path().join("main/index.ts"), "router").unwrap();
        let dir = FunctionsDir::open(root.path()).unwrap();
        assert!(dir.list().unwrap().is_empty());
        assert_eq!(dir.deploy(&deploy("hello", "one")).unwrap().version, 1);
        std::fs::write(root.path().join("hello/stale.ts"), "left from v1").unwrap();
        let second = dir.deploy(&deploy("hello", "two")).unwrap();
        assert_eq!(second.version, 2);
        let (_, files) = dir.get("hello").unwrap();
        assert_eq!(files.iter().map(|f| f.name.as_str()).collect::<Vec<_>>(), ["index.ts", "lib/util.ts"]);
        assert_eq!(files[0].content, "two");
        assert_eq!(dir.list().unwrap().len(), 1);
        assert!(dir.deploy(&deploy("main", "x")).is_err());
        assert_eq!(std::fs::read_to_string(root.path().join("main/index.ts")).unwrap(), "router");
        dir.remove("hello").unwrap();
        assert!(dir.get("hello").is_err());
        let leftovers: Vec<_> = std::fs::read_dir(root.path().join(STATE_DIR)).unwrap().collect();
        assert_eq!(leftovers.len(), 1, "only the record stays");
    }
}
