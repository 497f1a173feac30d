use super::*;
use std::os::unix::fs::PermissionsExt;

fn mode(path: &Path) -> u32 {
    std::fs::symlink_metadata(path).unwrap_or_else(|e| panic!("{e}")).permissions().mode() & 0o7777
}

fn tempdir() -> tempfile::TempDir {
    tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"))
}

#[test]
fn directories_are_created_0700_and_existing_ones_tightened() {
    let root = tempdir();
    let nested = root.path().join("a/b/c");
    ensure_dir(&nested, "--data-dir").unwrap_or_else(|f| panic!("{f}"));
    assert_eq!(mode(&nested), 0o700);
    assert_eq!(mode(&root.path().join("a")), 0o700, "missing parents are private too");

    let loose = root.path().join("loose");
    std::fs::create_dir(&loose).unwrap_or_else(|e| panic!("{e}"));
    std::fs::set_permissions(&loose, std::fs::Permissions::from_mode(0o755)).unwrap_or_else(|e| panic!("{e}"));
    ensure_dir(&loose, "--data-dir").unwrap_or_else(|f| panic!("{f}"));
    assert_eq!(mode(&loose), 0o700);

    let absent = root.path().join("absent");
    tighten_existing_dir(&absent, "--data-dir").unwrap_or_else(|f| panic!("{f}"));
    assert!(!absent.exists(), "tightening creates nothing");
}

#[test]
fn a_symlinked_directory_is_refused_with_the_fix() {
    let root = tempdir();
    let elsewhere = root.path().join("elsewhere");
    std::fs::create_dir(&elsewhere).unwrap_or_else(|e| panic!("{e}"));
    std::fs::set_permissions(&elsewhere, std::fs::Permissions::from_mode(0o755)).unwrap_or_else(|e| panic!("{e}"));
    let link = root.path().join("results");
    std::os::unix::fs::symlink(&elsewhere, &link).unwrap_or_else(|e| panic!("{e}"));
    let failure = ensure_dir(&link, "--data-dir").err().unwrap_or_else(|| panic!("a symlink was accepted"));
    assert!(failure.what.contains(&link.display().to_string()), "{failure}");
    assert!(failure.why.contains("symbolic link"), "{failure}");
    assert!(failure.fix.contains("--data-dir"), "{failure}");
    assert_eq!(mode(&elsewhere), 0o755, "the link's target is not touched");
}

#[test]
fn another_users_directory_is_refused() {
    let root = tempdir();
    let foreign = root.path().join("foreign");
    std::fs::create_dir(&foreign).unwrap_or_else(|e| panic!("{e}"));
    if euid() == 0 {
        // Only root can give a directory away; as another user this part cannot be arranged.
        std::os::unix::fs::chown(&foreign, Some(65534), None).unwrap_or_else(|e| panic!("{e}"));
        let failure = ensure_dir(&foreign, "--data-dir").err().unwrap_or_else(|| panic!("accepted"));
        assert!(failure.why.contains("uid 65534"), "{failure}");
    }
    let file = root.path().join("file");
    std::fs::write(&file, "x").unwrap_or_else(|e| panic!("{e}"));
    assert!(ensure_dir(&file, "--data-dir").err().is_some_and(|f| f.why.contains("not a directory")));
}

#[test]
fn new_files_are_0600_exclusive_and_never_follow_links() {
    let root = tempdir();
    let path = root.path().join("x.partial");
    let mut file = create_new(&path, "--data-dir").unwrap_or_else(|f| panic!("{f}"));
    file.write_all(b"data").unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(mode(&path), 0o600);
    assert!(create_new(&path, "--data-dir").is_err(), "an existing file is not reused");

    let victim = root.path().join("victim");
    std::fs::write(&victim, "keep").unwrap_or_else(|e| panic!("{e}"));
    let planted = root.path().join("planted.partial");
    std::os::unix::fs::symlink(&victim, &planted).unwrap_or_else(|e| panic!("{e}"));
    assert!(create_new(&planted, "--data-dir").is_err());
    let mut replaced = create_replacing(&planted, "--data-dir").unwrap_or_else(|f| panic!("{f}"));
    replaced.write_all(b"new").unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(std::fs::read_to_string(&victim).unwrap_or_default(), "keep", "the link's target is untouched");
    assert!(!std::fs::symlink_metadata(&planted).unwrap_or_else(|e| panic!("{e}")).file_type().is_symlink());
    assert_eq!(mode(&planted), 0o600);
}

#[test]
fn appends_refuse_links_and_tighten_old_files() {
    let root = tempdir();
    let log = root.path().join("audit.jsonl");
    std::fs::write(&log, "old\n").unwrap_or_else(|e| panic!("{e}"));
    std::fs::set_permissions(&log, std::fs::Permissions::from_mode(0o644)).unwrap_or_else(|e| panic!("{e}"));
    open_append(&log, "--data-dir").unwrap_or_else(|f| panic!("{f}")).write_all(b"new\n").unwrap_or_default();
    assert_eq!(mode(&log), 0o600);
    assert_eq!(std::fs::read_to_string(&log).unwrap_or_default(), "old\nnew\n");

    let victim = root.path().join("bashrc");
    std::fs::write(&victim, "keep").unwrap_or_else(|e| panic!("{e}"));
    let planted = root.path().join("planted.jsonl");
    std::os::unix::fs::symlink(&victim, &planted).unwrap_or_else(|e| panic!("{e}"));
    let failure = open_append(&planted, "--data-dir").err().unwrap_or_else(|| panic!("followed the link"));
    assert!(failure.fix.contains("symbolic link"), "{failure}");
    assert!(open_read(&planted).is_err());
    assert_eq!(std::fs::read_to_string(&victim).unwrap_or_default(), "keep");
}

#[test]
fn atomic_writes_keep_0600_and_leave_no_temporary_file() {
    let root = tempdir();
    let path = root.path().join("journal.json");
    write_atomic(&path, b"one", "--data-dir").unwrap_or_else(|f| panic!("{f}"));
    write_atomic(&path, b"two", "--data-dir").unwrap_or_else(|f| panic!("{f}"));
    assert_eq!(std::fs::read_to_string(&path).unwrap_or_default(), "two");
    assert_eq!(mode(&path), 0o600);
    write_atomic_with_mode(&path, b"three", 0o640, "--data-dir").unwrap_or_else(|f| panic!("{f}"));
    assert_eq!(mode(&path), 0o640);
    let into_missing = root.path().join("missing/dir/file");
    assert!(write_atomic(&into_missing, b"x", "--data-dir").is_err());
    let names: Vec<_> = std::fs::read_dir(root.path())
        .unwrap_or_else(|e| panic!("{e}"))
        .filter_map(Result::ok)
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .collect();
    assert_eq!(names, ["journal.json"]);

    let stale = root.path().join(".journal.json.0123abcd.tmp");
    std::fs::write(&stale, "killed mid-write").unwrap_or_else(|e| panic!("{e}"));
    let other = root.path().join(".other.json.0123abcd.tmp");
    std::fs::write(&other, "").unwrap_or_else(|e| panic!("{e}"));
    remove_temporaries_of(&path);
    assert!(!stale.exists() && other.exists() && path.exists());
}
