//! The local-directory store: an object is written to `<key>.partial`, synced, then renamed to `<key>` (and the
//! directory synced), so a crash leaves at most a `.partial` file that listings never show; a failed write
//! (EFBIG, a full disk) removes it. The directory is kept 0700 and the files 0600 (`fsutil`); a stale
//! `.partial`, even a planted symlink, is removed, never followed.

use super::ObjectEntry;
use crate::failure::Failure;
use std::path::{Path, PathBuf};
use std::pin::Pin;
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWriteExt};

const PARTIAL: &str = ".partial";
/// The options that place local backups, for the fixes.
const SETTING: &str = "the backup directory (--backup-dir, SUPAMCP_BACKUP_DIR)";

pub struct LocalStore {
    root: PathBuf,
}

pub struct LocalWriter {
    file: tokio::fs::File,
    partial: PathBuf,
    target: PathBuf,
    root: PathBuf,
    size: u64,
}

fn io_failure(what: String, error: &std::io::Error) -> Failure {
    let fix = match error.raw_os_error() {
        Some(libc::ENOSPC) | Some(libc::EDQUOT) => {
            "free space on the backup disk or point SUPAMCP_BACKUP_DIR elsewhere"
        }
        Some(libc::EFBIG) => {
            "the file-size limit (ulimit -f / RLIMIT_FSIZE) of this process is too low for the archive: raise or \
             remove it where supamcp is started; the partial file was removed"
        }
        Some(libc::EACCES) | Some(libc::EPERM) | Some(libc::EROFS) => {
            "make the backup directory writable by this user, or choose another with SUPAMCP_BACKUP_DIR"
        }
        _ => "check the backup directory (SUPAMCP_BACKUP_DIR) and the disk",
    };
    Failure::new(what, error.to_string(), fix)
}

/// Refuses keys that could leave the directory or collide with partial files.
pub(super) fn check_key(key: &str) -> Result<(), Failure> {
    let fine = !key.is_empty()
        && !key.starts_with('.')
        && !key.ends_with(PARTIAL)
        && key.chars().all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-'));
    if fine {
        Ok(())
    } else {
        Err(Failure::new(
            format!("invalid backup object name '{key}'"),
            "names are letters, digits, '.', '_' and '-', not starting with '.'",
            "pass a backup id as list_backups shows it",
        ))
    }
}

impl LocalStore {
    pub fn new(root: impl Into<PathBuf>) -> LocalStore {
        LocalStore { root: root.into() }
    }

    pub fn root(&self) -> &Path {
        &self.root
    }

    fn path(&self, key: &str) -> Result<PathBuf, Failure> {
        check_key(key)?;
        Ok(self.root.join(key))
    }

    pub async fn writer(&self, key: &str) -> Result<LocalWriter, Failure> {
        let target = self.path(key)?;
        let (root, partial) = (self.root.clone(), self.root.join(format!("{key}{PARTIAL}")));
        let file = tokio::task::spawn_blocking(move || {
            crate::fsutil::ensure_dir(&root, SETTING)?;
            crate::fsutil::create_replacing(&partial, SETTING).map(|file| (file, partial))
        })
        .await
        .map_err(|e| Failure::new("cannot create the backup file", e.to_string(), "retry"))?;
        let (file, partial) = file?;
        Ok(LocalWriter { file: tokio::fs::File::from_std(file), partial, target, root: self.root.clone(), size: 0 })
    }

    pub async fn put(&self, key: &str, bytes: Vec<u8>) -> Result<(), Failure> {
        let mut writer = self.writer(key).await?;
        match writer.write(&bytes).await {
            Ok(()) => writer.finish().await.map(|_| ()),
            Err(failure) => {
                let _ = writer.abort().await;
                Err(failure)
            }
        }
    }

    pub async fn get(&self, key: &str) -> Result<Vec<u8>, Failure> {
        let mut file = self.open(key).await?;
        let mut bytes = Vec::new();
        file.read_to_end(&mut bytes).await.map_err(|e| io_failure(format!("cannot read backup object {key}"), &e))?;
        Ok(bytes)
    }

    pub async fn reader(&self, key: &str) -> Result<Pin<Box<dyn AsyncRead + Send>>, Failure> {
        Ok(Box::pin(self.open(key).await?))
    }

    /// Opens an object for reading; a symlink in its place is not followed.
    async fn open(&self, key: &str) -> Result<tokio::fs::File, Failure> {
        let path = self.path(key)?;
        tokio::fs::OpenOptions::new()
            .read(true)
            .custom_flags(libc::O_NOFOLLOW)
            .open(&path)
            .await
            .map_err(|e| not_found_or(&path, &e))
    }

    /// Objects whose key starts with `prefix`, partial files left out, sorted by key.
    pub async fn list(&self, prefix: &str) -> Result<Vec<ObjectEntry>, Failure> {
        let mut entries = match tokio::fs::read_dir(&self.root).await {
            Ok(entries) => entries,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
            Err(e) => return Err(io_failure(format!("cannot list {}", self.root.display()), &e)),
        };
        let mut found = Vec::new();
        while let Some(entry) = entries.next_entry().await.map_err(|e| io_failure("cannot list".into(), &e))? {
            let Some(name) = entry.file_name().to_str().map(str::to_owned) else { continue };
            if !name.starts_with(prefix) || check_key(&name).is_err() {
                continue;
            }
            let Ok(meta) = entry.metadata().await else { continue };
            if meta.is_file() {
                found.push(ObjectEntry { key: name, size: meta.len() });
            }
        }
        found.sort_by(|a, b| a.key.cmp(&b.key));
        Ok(found)
    }

    pub async fn delete(&self, key: &str) -> Result<(), Failure> {
        let path = self.path(key)?;
        match tokio::fs::remove_file(&path).await {
            Ok(()) => Ok(()),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(()),
            Err(e) => Err(io_failure(format!("cannot delete {}", path.display()), &e)),
        }
    }
}

fn not_found_or(path: &Path, error: &std::io::Error) -> Failure {
    if error.kind() == std::io::ErrorKind::NotFound {
        Failure::new(
            format!("no backup object {}", path.display()),
            "the file does not exist",
            "run list_backups to see the backups in this directory",
        )
    } else {
        io_failure(format!("cannot read {}", path.display()), error)
    }
}

impl LocalWriter {
    pub async fn write(&mut self, data: &[u8]) -> Result<(), Failure> {
        self.file
            .write_all(data)
            .await
            .map_err(|e| io_failure(format!("cannot write {}", self.partial.display()), &e))?;
        self.size += data.len() as u64;
        Ok(())
    }

    pub async fn finish(mut self) -> Result<u64, Failure> {
        let outcome = async {
            self.file.flush().await?;
            self.file.sync_all().await?;
            tokio::fs::rename(&self.partial, &self.target).await?;
            tokio::fs::File::open(&self.root).await?.sync_all().await
        }
        .await;
        match outcome {
            Ok(()) => Ok(self.size),
            Err(e) => {
                let _ = tokio::fs::remove_file(&self.partial).await;
                Err(io_failure(format!("cannot finish {}", self.target.display()), &e))
            }
        }
    }

    pub async fn abort(self) -> Result<(), Failure> {
        drop(self.file);
        match tokio::fs::remove_file(&self.partial).await {
            Ok(()) => Ok(()),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(()),
            Err(e) => Err(io_failure(format!("cannot remove {}", self.partial.display()), &e)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use tokio::io::AsyncReadExt;

    #[tokio::test]
    async fn objects_appear_only_when_finished_and_abort_leaves_nothing() {
        let dir = tempfile::tempdir().unwrap();
        let store = LocalStore::new(dir.path().join("backups"));
        let mut writer = store.writer("x.archive").await.unwrap();
        writer.write(b"hello ").await.unwrap();
        assert!(store.list("").await.unwrap().is_empty(), "a partial object is not listed");
        writer.write(b"world").await.unwrap();
        assert_eq!(writer.finish().await.unwrap(), 11);
        assert_eq!(store.list("x").await.unwrap(), vec![ObjectEntry { key: "x.archive".into(), size: 11 }]);
        let mut text = String::new();
        store.reader("x.archive").await.unwrap().read_to_string(&mut text).await.unwrap();
        assert_eq!(text, "hello world");

        let mut aborted = store.writer("y.archive").await.unwrap();
        aborted.write(b"half").await.unwrap();
        aborted.abort().await.unwrap();
        let names: Vec<String> =
            std::fs::read_dir(store.root()).unwrap().map(|e| e.unwrap().file_name().into_string().unwrap()).collect();
        assert_eq!(names, ["x.archive"]);

        store.put("x.manifest.json", b"{}".to_vec()).await.unwrap();
        assert_eq!(store.get("x.manifest.json").await.unwrap(), b"{}");
        store.delete("x.manifest.json").await.unwrap();
        store.delete("x.manifest.json").await.unwrap();
        assert!(store.get("x.manifest.json").await.unwrap_err().what.contains("no backup object"));
        for bad in ["../etc/passwd", ".hidden", "a/b", "x.archive.partial", ""] {
            assert!(store.writer(bad).await.is_err(), "{bad}");
        }
    }

    #[tokio::test]
    async fn archives_are_private_and_a_planted_partial_link_is_not_followed() {
        use std::os::unix::fs::PermissionsExt;
        let mode = |p: &Path| std::fs::symlink_metadata(p).unwrap().permissions().mode() & 0o777;
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path().join("backups");
        std::fs::create_dir(&root).unwrap();
        std::fs::set_permissions(&root, std::fs::Permissions::from_mode(0o755)).unwrap();
        let victim = dir.path().join("victim");
        std::fs::write(&victim, "keep").unwrap();
        std::os::unix::fs::symlink(&victim, root.join("x.archive.partial")).unwrap();
        let store = LocalStore::new(root.clone());
        store.put("x.archive", b"data".to_vec()).await.unwrap();
        assert_eq!(std::fs::read_to_string(&victim).unwrap(), "keep", "the planted link's target is untouched");
        assert_eq!(mode(&root), 0o700);
        assert_eq!(mode(&root.join("x.archive")), 0o600);
        std::os::unix::fs::symlink(&victim, root.join("z.manifest.json")).unwrap();
        assert!(store.get("z.manifest.json").await.is_err(), "a planted link is not read through");

        let linked = dir.path().join("linked");
        std::os::unix::fs::symlink(dir.path().join("elsewhere"), &linked).unwrap();
        let failure = LocalStore::new(linked).put("y.archive", Vec::new()).await.unwrap_err();
        assert!(failure.why.contains("symbolic link"), "{failure}");
    }
}
