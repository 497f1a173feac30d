//! Where a tool may write a path its caller named (`write_to`, a migrations directory, a backup directory).
//! By default only inside the working directory of the process: the path is made absolute against it, `.`
//! and `..` are resolved by name (so `a/../../x` is outside), then the part that exists is resolved through
//! its symlinks and must still lie inside the (resolved) working directory. The resolved path is the one
//! written, so a symlink inside the directory that points inside it keeps working. With
//! `allow_absolute_paths` any path is taken as given. An existing file is replaced only with `confirm`.

use crate::failure::Failure;
use std::path::{Component, Path, PathBuf};

const ALLOW_HINT: &str = "--allow-absolute-paths (SUPAMCP_ALLOW_ABSOLUTE_PATHS=1, or allow_absolute_paths = true \
                          in the config file)";

/// The file a tool writes for its parameter `param` = `raw`: inside the working directory unless
/// `allow_outside`; an existing file only with `confirm`, and never a directory.
pub fn output_file(raw: &str, param: &str, confirm: bool, allow_outside: bool) -> Result<PathBuf, Failure> {
    let base = working_dir()?;
    output_file_in(&base, raw, param, confirm, allow_outside)
}

/// [`output_file`] against the directory `base` instead of the working directory.
pub fn output_file_in(
    base: &Path,
    raw: &str,
    param: &str,
    confirm: bool,
    allow_outside: bool,
) -> Result<PathBuf, Failure> {
    let path = confine(base, raw, param, allow_outside)?;
    match std::fs::metadata(&path) {
        Ok(metadata) if !metadata.is_file() => Err(Failure::new(
            format!("refusing to write {param} = {raw}"),
            format!("{} exists and is not a regular file", path.display()),
            format!("name a file for {param}"),
        )),
        Ok(_) if !confirm => Err(Failure::new(
            format!("refusing to overwrite {}", path.display()),
            format!("the file exists and confirm is not true ({param} = {raw})"),
            "pass confirm: true to replace it (the old file is first copied to <name>.bak.<UTC timestamp>), or \
             choose a new file name",
        )),
        _ => Ok(path),
    }
}

/// The directory a tool writes new files into for its parameter `param` = `raw`: inside the working directory
/// unless `allow_outside`.
pub fn output_dir(raw: &str, param: &str, allow_outside: bool) -> Result<PathBuf, Failure> {
    let base = working_dir()?;
    confine(&base, raw, param, allow_outside)
}

fn working_dir() -> Result<PathBuf, Failure> {
    std::env::current_dir().map_err(|e| {
        Failure::new(
            "cannot tell where files may be written",
            format!("the working directory is unreadable: {e}"),
            "start supamcp in an existing directory",
        )
    })
}

fn confine(base: &Path, raw: &str, param: &str, allow_outside: bool) -> Result<PathBuf, Failure> {
    if raw.trim().is_empty() {
        return Err(Failure::new(format!("{param} is empty"), "it names no file", format!("pass a path as {param}")));
    }
    let joined = base.join(raw);
    if allow_outside {
        return Ok(joined);
    }
    let outside = |why: String| {
        Failure::new(
            format!("refusing to write {param} = {raw}"),
            why,
            format!(
                "pass a path inside {} (a relative path such as {}), or start supamcp with {ALLOW_HINT}",
                base.display(),
                Path::new(raw).file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_else(|| "out".into())
            ),
        )
    };
    let lexical = normalise(&joined);
    if !lexical.starts_with(normalise(base)) {
        return Err(outside(format!(
            "{} is outside the working directory {}: supamcp writes only below the directory it was started in",
            lexical.display(),
            base.display()
        )));
    }
    let real_base = base.canonicalize().map_err(|e| outside(format!("{} cannot be resolved: {e}", base.display())))?;
    let resolved = resolve_existing(&lexical).map_err(|e| outside(format!("{}: {e}", lexical.display())))?;
    if !resolved.starts_with(&real_base) {
        return Err(outside(format!(
            "{} leads through a symbolic link to {}, outside the working directory {}",
            lexical.display(),
            resolved.display(),
            real_base.display()
        )));
    }
    Ok(resolved)
}

/// `.` dropped and `..` taken off by name; an absolute path stays absolute (`/..` is `/`).
fn normalise(path: &Path) -> PathBuf {
    let mut out = PathBuf::new();
    for component in path.components() {
        match component {
            Component::CurDir => {}
            Component::ParentDir => {
                out.pop();
            }
            other => out.push(other),
        }
    }
    out
}

/// The longest existing prefix of `path` resolved through its symlinks, the rest appended by name.
fn resolve_existing(path: &Path) -> std::io::Result<PathBuf> {
    let mut existing = path.to_path_buf();
    let mut rest = Vec::new();
    loop {
        match existing.canonicalize() {
            Ok(real) => {
                let mut out = real;
                out.extend(rest.iter().rev());
                return Ok(out);
            }
            Err(e) => match (existing.file_name().map(ToOwned::to_owned), existing.parent()) {
                (Some(name), Some(parent)) => {
                    rest.push(name);
                    existing = parent.to_path_buf();
                }
                _ => return Err(e),
            },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tempdir() -> tempfile::TempDir {
        tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"))
    }

    #[test]
    fn paths_stay_inside_the_working_directory() {
        let dir = tempdir();
        let base = dir.path().canonicalize().unwrap_or_else(|e| panic!("{e}"));
        let inside = output_file_in(&base, "src/types.ts", "write_to", false, false).unwrap_or_else(|f| panic!("{f}"));
        assert_eq!(inside, base.join("src/types.ts"));
        let back_in = output_file_in(&base, "a/../b.ts", "write_to", false, false).unwrap_or_else(|f| panic!("{f}"));
        assert_eq!(back_in, base.join("b.ts"));
        let absolute_inside = base.join("c.ts").display().to_string();
        assert!(output_file_in(&base, &absolute_inside, "write_to", false, false).is_ok());

        for escaping in ["../x.ts", "a/../../x.ts", "/etc/cron.d/x", "/tmp/x.ts"] {
            let failure = output_file_in(&base, escaping, "write_to", false, false)
                .err()
                .unwrap_or_else(|| panic!("{escaping} was accepted"));
            assert!(failure.why.contains("outside the working directory"), "{failure}");
            assert!(failure.fix.contains("--allow-absolute-paths"), "{failure}");
            assert!(output_file_in(&base, escaping, "write_to", false, true).is_ok(), "{escaping} when allowed");
        }
        assert!(output_file_in(&base, " ", "write_to", false, true).is_err());
    }

    #[test]
    fn symlinks_out_of_the_directory_are_refused() {
        let outside = tempdir();
        let dir = tempdir();
        let base = dir.path().canonicalize().unwrap_or_else(|e| panic!("{e}"));
        std::os::unix::fs::symlink(outside.path(), base.join("out")).unwrap_or_else(|e| panic!("{e}"));
        let failure =
            output_file_in(&base, "out/x.ts", "write_to", false, false).err().unwrap_or_else(|| panic!("accepted"));
        assert!(failure.why.contains("symbolic link"), "{failure}");
        std::fs::write(outside.path().join("target.env"), "A=1").unwrap_or_else(|e| panic!("{e}"));
        std::os::unix::fs::symlink(outside.path().join("target.env"), base.join(".env"))
            .unwrap_or_else(|e| panic!("{e}"));
        assert!(output_file_in(&base, ".env", "write_to", true, false).is_err());

        std::fs::create_dir(base.join("real")).unwrap_or_else(|e| panic!("{e}"));
        std::os::unix::fs::symlink(base.join("real"), base.join("alias")).unwrap_or_else(|e| panic!("{e}"));
        let through = output_file_in(&base, "alias/x.ts", "write_to", false, false).unwrap_or_else(|f| panic!("{f}"));
        assert_eq!(through, base.join("real/x.ts"), "a link inside the directory is followed to its target");
    }

    #[test]
    fn existing_files_need_confirm() {
        let dir = tempdir();
        let base = dir.path().canonicalize().unwrap_or_else(|e| panic!("{e}"));
        std::fs::write(base.join("types.ts"), "old").unwrap_or_else(|e| panic!("{e}"));
        let failure =
            output_file_in(&base, "types.ts", "write_to", false, false).err().unwrap_or_else(|| panic!("accepted"));
        assert!(failure.what.contains("refusing to overwrite"), "{failure}");
        assert!(failure.fix.contains("confirm: true"), "{failure}");
        assert!(output_file_in(&base, "types.ts", "write_to", true, false).is_ok());
        std::fs::create_dir(base.join("dir")).unwrap_or_else(|e| panic!("{e}"));
        assert!(output_file_in(&base, "dir", "write_to", true, false).is_err(), "a directory is never a target");
    }
}
