//! supamcp's own files: directories 0700 (existing ones we own are tightened), files 0600, new files opened
//! with O_CREAT|O_EXCL|O_NOFOLLOW|O_CLOEXEC, a symlink or a directory of another user where one of ours should
//! be is refused with the path and the fix. Whole-file writes go to a temporary file beside the target and are
//! renamed over it, so a failed write (full disk, EFBIG) leaves the old file and no temporary one.

use super::{io_failure, known_fix};
use crate::failure::Failure;
use std::fs::{File, OpenOptions};
use std::io::Write;
use std::os::unix::fs::{DirBuilderExt, MetadataExt, OpenOptionsExt, PermissionsExt};
use std::path::{Path, PathBuf};

const DIR_MODE: u32 = 0o700;
const FILE_MODE: u32 = 0o600;

fn euid() -> u32 {
    // SAFETY: geteuid has no preconditions and cannot fail.
    unsafe { libc::geteuid() }
}

fn symlink_refused(path: &Path, setting: &str) -> Failure {
    let target = std::fs::read_link(path).map(|t| format!(" (to {})", t.display())).unwrap_or_default();
    Failure::new(
        format!("refusing to use {}", path.display()),
        format!(
            "it is a symbolic link{target}; supamcp does not follow links where its own files go, since whoever \
             planted it could redirect them"
        ),
        format!("remove the link, or point {setting} at the real directory"),
    )
}

/// Checks the directory `dir` (creating it and any missing parent 0700 when `create`): not a symlink, a
/// directory, owned by this user; group and other permissions are removed. Returns false when `dir` does not
/// exist and `create` is false.
fn check_dir(dir: &Path, setting: &str, create: bool) -> Result<bool, Failure> {
    let io = |what: &str, e: &std::io::Error| {
        io_failure(format!("{what} {}", dir.display()), dir, e, setting, &format!("check {setting}"))
    };
    let metadata = match std::fs::symlink_metadata(dir) {
        Ok(metadata) => metadata,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound && !create => return Ok(false),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            std::fs::DirBuilder::new()
                .recursive(true)
                .mode(DIR_MODE)
                .create(dir)
                .map_err(|e| io("cannot create the directory", &e))?;
            std::fs::symlink_metadata(dir).map_err(|e| io("cannot read", &e))?
        }
        Err(e) => return Err(io("cannot read", &e)),
    };
    if metadata.file_type().is_symlink() {
        return Err(symlink_refused(dir, setting));
    }
    if !metadata.is_dir() {
        return Err(Failure::new(
            format!("refusing to use {}", dir.display()),
            "it is not a directory",
            format!("remove or rename it, or point {setting} elsewhere"),
        ));
    }
    if metadata.uid() != euid() {
        return Err(Failure::new(
            format!("refusing to use {}", dir.display()),
            format!(
                "it belongs to uid {}, not to this user (uid {}); its owner could read or replace the files \
                 supamcp keeps there",
                metadata.uid(),
                euid()
            ),
            format!("point {setting} at a directory of your own, or chown the directory to this user"),
        ));
    }
    if metadata.mode() & 0o077 != 0 {
        std::fs::set_permissions(dir, std::fs::Permissions::from_mode(DIR_MODE))
            .map_err(|e| io("cannot make private (0700)", &e))?;
    }
    Ok(true)
}

/// Makes sure `dir` exists as a private directory of this user: created 0700 (missing parents too), an
/// existing one tightened to 0700; a symlink, a non-directory or another user's directory is refused.
/// `setting` names the option that chose the directory (for the fix).
pub fn ensure_dir(dir: &Path, setting: &str) -> Result<(), Failure> {
    check_dir(dir, setting, true).map(|_| ())
}

/// Like [`ensure_dir`] for a directory that may not exist yet: nothing is created.
pub fn tighten_existing_dir(dir: &Path, setting: &str) -> Result<(), Failure> {
    check_dir(dir, setting, false).map(|_| ())
}

fn new_file_options() -> OpenOptions {
    let mut options = OpenOptions::new();
    options.write(true).create_new(true).mode(FILE_MODE).custom_flags(libc::O_NOFOLLOW | libc::O_CLOEXEC);
    options
}

fn create_failure(path: &Path, e: &std::io::Error, setting: &str) -> Failure {
    let fix = match e.kind() {
        std::io::ErrorKind::AlreadyExists => {
            format!("{} exists already (a file or a link): remove it if it is not supamcp's", path.display())
        }
        _ => known_fix(e, path, setting).unwrap_or_else(|| format!("check {setting}")),
    };
    Failure::new(format!("cannot create {}", path.display()), e.to_string(), fix)
}

/// Creates the new file `path`, mode 0600. Fails when anything (a file, a symlink) is there already.
pub fn create_new(path: &Path, setting: &str) -> Result<File, Failure> {
    new_file_options().open(path).map_err(|e| create_failure(path, &e, setting))
}

/// Writes the new file `path` (mode 0600) whole; on a failed write (EFBIG, a full disk) it is removed again.
pub fn write_new(path: &Path, bytes: &[u8], setting: &str) -> Result<(), Failure> {
    let mut file = create_new(path, setting)?;
    file.write_all(bytes).and_then(|()| file.sync_all()).map_err(|e| {
        let _ = std::fs::remove_file(path);
        io_failure(format!("cannot write {}", path.display()), path, &e, setting, &format!("check {setting}"))
    })
}

/// Creates `path` (mode 0600) for a fixed name such as `<key>.partial`: whatever a crash left there is
/// removed first (a symlink is removed, never followed), then the file is created exclusively.
pub fn create_replacing(path: &Path, setting: &str) -> Result<File, Failure> {
    match std::fs::symlink_metadata(path) {
        Ok(metadata) if metadata.is_dir() => {
            return Err(Failure::new(
                format!("cannot create {}", path.display()),
                "a directory has its name",
                format!("remove the directory {}", path.display()),
            ));
        }
        Ok(_) => std::fs::remove_file(path).map_err(|e| create_failure(path, &e, setting))?,
        Err(_) => {}
    }
    create_new(path, setting)
}

/// Opens `path` for appending, creating it 0600; refuses a symlink (O_NOFOLLOW) and anything but a regular file
/// of this user, and tightens an existing file to 0600.
pub fn open_append(path: &Path, setting: &str) -> Result<File, Failure> {
    let file = OpenOptions::new()
        .append(true)
        .create(true)
        .mode(FILE_MODE)
        .custom_flags(libc::O_NOFOLLOW | libc::O_CLOEXEC | libc::O_NONBLOCK)
        .open(path)
        .map_err(|e| io_failure(format!("cannot open {}", path.display()), path, &e, setting, "check it"))?;
    let metadata =
        file.metadata().map_err(|e| io_failure(format!("cannot read {}", path.display()), path, &e, setting, "-"))?;
    if !metadata.is_file() || metadata.uid() != euid() {
        return Err(Failure::new(
            format!("refusing to write {}", path.display()),
            "it is not a regular file of this user",
            format!("remove {} (supamcp creates it again)", path.display()),
        ));
    }
    if metadata.mode() & 0o077 != 0 {
        file.set_permissions(std::fs::Permissions::from_mode(FILE_MODE)).map_err(|e| {
            io_failure(format!("cannot make {} private", path.display()), path, &e, setting, "check it")
        })?;
    }
    Ok(file)
}

/// Opens one of supamcp's files for reading without following a symlink.
pub fn open_read(path: &Path) -> std::io::Result<File> {
    OpenOptions::new().read(true).custom_flags(libc::O_NOFOLLOW | libc::O_CLOEXEC).open(path)
}

/// Replaces (or creates) `path` with `bytes`, mode 0600, through a temporary file in the same directory.
pub fn write_atomic(path: &Path, bytes: &[u8], setting: &str) -> Result<(), Failure> {
    write_atomic_with_mode(path, bytes, FILE_MODE, setting)
}

/// [`write_atomic`] with the final file's mode (the temporary file is 0600 until the rename). On any failure
/// the temporary file is removed and `path` is left as it was.
pub fn write_atomic_with_mode(path: &Path, bytes: &[u8], mode: u32, setting: &str) -> Result<(), Failure> {
    let temporary = temporary_beside(path);
    let mut file = create_new(&temporary, setting)?;
    let written = file
        .write_all(bytes)
        .and_then(|()| file.set_permissions(std::fs::Permissions::from_mode(mode)))
        .and_then(|()| file.sync_all())
        .and_then(|()| std::fs::rename(&temporary, path));
    drop(file);
    written.map_err(|e| {
        let _ = std::fs::remove_file(&temporary);
        io_failure(format!("cannot write {}", path.display()), path, &e, setting, &format!("check {setting}"))
    })
}

/// Removes the temporary files [`write_atomic`] left beside `path` when its process was killed mid-write. Only
/// for a file with one writer: another writer's temporary file would go too.
pub fn remove_temporaries_of(path: &Path) {
    let (Some(name), Some(dir)) = (path.file_name(), path.parent()) else { return };
    let prefix = format!(".{}.", name.to_string_lossy());
    let Ok(entries) = std::fs::read_dir(dir) else { return };
    for entry in entries.flatten() {
        let file = entry.file_name().to_string_lossy().into_owned();
        if file.starts_with(&prefix) && file.ends_with(".tmp") {
            let _ = std::fs::remove_file(entry.path());
        }
    }
}

/// `.<name>.<random>.tmp` in the directory of `path`.
fn temporary_beside(path: &Path) -> PathBuf {
    let name = path.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
    let dir = path.parent().filter(|p| !p.as_os_str().is_empty()).unwrap_or(Path::new("."));
    dir.join(format!(".{name}.{}.tmp", uuid::Uuid::new_v4().simple()))
}

#[cfg(test)]
#[path = "private_tests.rs"]
mod tests;
