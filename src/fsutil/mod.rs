//! Every file supamcp writes goes through here. `private` holds the files that are ours (spilled results, the
//! audit log, backups, snapshots, journals, .env backups): directories 0700, files 0600, new files created
//! exclusively without following symlinks, writes that replace a file go through a temporary file and a
//! rename. `outpath` decides where a tool may write a path a caller named (inside the working directory
//! unless absolute paths are allowed, no overwrite without `confirm`). Also the process-wide SIGXFSZ setting
//! that turns a file-size limit into an EFBIG error instead of death, and the fixes for the write errors.

mod outpath;
mod private;

pub use outpath::{output_dir, output_file, output_file_in};
pub use private::{
    create_new, create_replacing, ensure_dir, open_append, open_read, remove_temporaries_of, tighten_existing_dir,
    write_atomic, write_atomic_with_mode, write_new,
};

use crate::failure::Failure;
use std::path::Path;

/// Ignores SIGXFSZ for the whole process. Without this a write past the file-size limit (`ulimit -f`,
/// RLIMIT_FSIZE) kills the process mid-write and leaves a half-written file; ignored, the write fails with
/// EFBIG, which every writer reports and cleans up after. Called once, first thing in `main`.
pub fn ignore_file_size_signal() {
    // SAFETY: setting a signal's disposition to SIG_IGN installs no handler code and touches no memory.
    unsafe {
        libc::signal(libc::SIGXFSZ, libc::SIG_IGN);
    }
}

/// The fix for the write errors whose cause is known whatever was written: file-size limit, full disk,
/// quota, permissions, read-only file system, a symlink where a file of ours should be.
pub fn known_fix(error: &std::io::Error, path: &Path, setting: &str) -> Option<String> {
    let place = path.parent().filter(|p| !p.as_os_str().is_empty()).unwrap_or(path).display();
    Some(match error.raw_os_error()? {
        libc::EFBIG => "the file reached this process's file-size limit (ulimit -f / RLIMIT_FSIZE): raise or \
                        remove the limit in the shell or service that starts supamcp, or produce less data"
            .to_owned(),
        libc::ENOSPC => format!("the disk holding {place} is full: free space there, or point {setting} elsewhere"),
        libc::EDQUOT => format!("the disk quota for {place} is used up: free space, or point {setting} elsewhere"),
        libc::EACCES | libc::EPERM => format!("make {place} writable by this user, or point {setting} elsewhere"),
        libc::EROFS => format!("{place} is on a read-only file system: point {setting} at a writable directory"),
        libc::ELOOP => format!(
            "{} is a symbolic link and supamcp does not follow links where its own files go: remove the link",
            path.display()
        ),
        _ => return None,
    })
}

/// A [`Failure`] for an I/O error on `path`: the known fix when there is one, else `fallback`.
pub fn io_failure(
    what: impl Into<String>,
    path: &Path,
    error: &std::io::Error,
    setting: &str,
    fallback: &str,
) -> Failure {
    let why = match error.raw_os_error() {
        Some(libc::EFBIG) => format!("{}: {error} (EFBIG)", path.display()),
        _ => format!("{}: {error}", path.display()),
    };
    Failure::new(what, why, known_fix(error, path, setting).unwrap_or_else(|| fallback.to_owned()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn write_errors_name_their_cause() {
        let efbig = std::io::Error::from_raw_os_error(libc::EFBIG);
        let failure = io_failure("cannot write x", Path::new("/d/x"), &efbig, "--data-dir", "check it");
        assert!(failure.why.contains("EFBIG"), "{failure}");
        assert!(failure.fix.contains("ulimit -f"), "{failure}");
        let full = std::io::Error::from_raw_os_error(libc::ENOSPC);
        assert!(io_failure("w", Path::new("/d/x"), &full, "--data-dir", "-").fix.contains("/d is full"));
        let other = std::io::Error::from_raw_os_error(libc::EIO);
        assert_eq!(io_failure("w", Path::new("/d/x"), &other, "--data-dir", "check it").fix, "check it");
    }
}
