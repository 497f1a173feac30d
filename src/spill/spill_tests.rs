use super::*;
use serde_json::json;

fn store(dir: &std::path::Path, threshold: usize) -> SpillStore {
    SpillStore::new(dir.join("results"), threshold, Duration::from_secs(3600))
}

fn columns() -> Vec<ColumnInfo> {
    vec![
        ColumnInfo { name: "id".into(), type_name: "int4".into() },
        ColumnInfo { name: "id".into(), type_name: "text".into() },
    ]
}

#[test]
fn small_results_stay_inline() {
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let store = store(dir.path(), 1024);
    let mut writer = store.writer(5);
    writer.start(columns());
    writer.push(vec![json!(1), json!("a")]).unwrap_or_else(|e| panic!("{e}"));
    match writer.finish() {
        Ok(WrittenResult::Inline { rows, .. }) => assert_eq!(rows, vec![vec![json!(1), json!("a")]]),
        other => panic!("expected inline, got {other:?}"),
    }
    assert!(!dir.path().join("results").exists(), "nothing written to disk");
}

#[test]
fn large_results_spill_and_page() {
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let store = store(dir.path(), 200);
    let mut writer = store.writer(3);
    writer.start(columns());
    for i in 0..1000 {
        writer.push(vec![json!(i), json!(format!("row {i}"))]).unwrap_or_else(|e| panic!("{e}"));
    }
    let spilled = match writer.finish() {
        Ok(WrittenResult::Spilled(s)) => s,
        other => panic!("expected spill, got {other:?}"),
    };
    assert_eq!((spilled.rows, spilled.preview.len()), (1000, 3));
    assert!(spilled.path.exists());
    let page = store.read(&spilled.handle, 998, 10).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(page.total_rows, 1000);
    assert_eq!(page.rows.len(), 2);
    assert_eq!(page.rows[0]["id"], json!(998));
    assert_eq!(page.rows[0]["id_2"], json!("row 998"));
    assert_eq!(page.next_offset, None);
    let first = store.read(&spilled.handle, 0, 1000).unwrap_or_else(|e| panic!("{e}"));
    assert!(first.rows.len() < 1000, "a page is bounded by the threshold too");
    assert_eq!(first.next_offset, Some(first.rows.len() as u64));
}

#[test]
fn discarded_and_unknown_results_leave_nothing() {
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let store = store(dir.path(), 10);
    {
        let mut writer = store.writer(1);
        writer.start(columns());
        for i in 0..50 {
            writer.push(vec![json!(i), json!("x")]).unwrap_or_else(|e| panic!("{e}"));
        }
    }
    let leftovers = std::fs::read_dir(dir.path().join("results")).map(|d| d.count()).unwrap_or(0);
    assert_eq!(leftovers, 0, "a dropped writer removes its partial file");
    for handle in ["../../etc/passwd", "00000000-0000-0000-0000-000000000000"] {
        assert!(store.read(handle, 0, 1).is_err());
    }
}

#[test]
fn cleanup_removes_only_old_spill_files() {
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let store = SpillStore::new(dir.path().to_owned(), 10, Duration::from_secs(3600));
    let old = dir.path().join("00000000-0000-0000-0000-000000000001.ndjson");
    let fresh = dir.path().join("00000000-0000-0000-0000-000000000002.ndjson");
    let unrelated = dir.path().join("notes.txt");
    for path in [&old, &fresh, &unrelated] {
        std::fs::write(path, "{}\n").unwrap_or_else(|e| panic!("{e}"));
    }
    let two_hours_ago = SystemTime::now() - Duration::from_secs(7200);
    for path in [&old, &unrelated] {
        let file = std::fs::File::options().write(true).open(path).unwrap_or_else(|e| panic!("{e}"));
        file.set_modified(two_hours_ago).unwrap_or_else(|e| panic!("{e}"));
    }
    assert_eq!(store.cleanup().ok(), Some(1));
    assert!(!old.exists() && fresh.exists() && unrelated.exists());
}

#[test]
fn spill_files_are_private_and_planted_links_are_not_followed() {
    use std::os::unix::fs::PermissionsExt;
    let mode = |p: &std::path::Path| {
        std::fs::symlink_metadata(p).map(|m| m.permissions().mode() & 0o777).unwrap_or_else(|e| panic!("{e}"))
    };
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let results = dir.path().join("results");
    std::fs::create_dir(&results).unwrap_or_else(|e| panic!("{e}"));
    std::fs::set_permissions(&results, std::fs::Permissions::from_mode(0o755)).unwrap_or_else(|e| panic!("{e}"));
    let store = store(dir.path(), 10);
    let mut writer = store.writer(1);
    writer.start(columns());
    for i in 0..20 {
        writer.push(vec![json!(i), json!("x")]).unwrap_or_else(|e| panic!("{e}"));
    }
    let Ok(WrittenResult::Spilled(spilled)) = writer.finish() else { panic!("expected a spill") };
    assert_eq!(mode(&results), 0o700, "an existing spill directory is tightened");
    assert_eq!(mode(&spilled.path), 0o600);

    // A result file replaced by a link to another file is not read through the link.
    let secret = dir.path().join("secret");
    std::fs::write(&secret, "{\"columns\":[],\"rows\":1}\n[\"private\"]\n").unwrap_or_else(|e| panic!("{e}"));
    std::fs::remove_file(&spilled.path).unwrap_or_else(|e| panic!("{e}"));
    std::os::unix::fs::symlink(&secret, &spilled.path).unwrap_or_else(|e| panic!("{e}"));
    assert!(store.read(&spilled.handle, 0, 10).is_err());

    // A spill directory that is a link is refused, naming it.
    let other = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let linked_root = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    std::os::unix::fs::symlink(other.path(), linked_root.path().join("results")).unwrap_or_else(|e| panic!("{e}"));
    let linked = super::SpillStore::new(linked_root.path().join("results"), 10, Duration::from_secs(3600));
    let mut writer = linked.writer(1);
    writer.start(columns());
    let failure = (0..20)
        .find_map(|i| writer.push(vec![json!(i), json!("x")]).err())
        .unwrap_or_else(|| panic!("spilled through a link"));
    assert!(failure.why.contains("symbolic link"), "{failure}");
    assert_eq!(std::fs::read_dir(other.path()).map(Iterator::count).unwrap_or_default(), 0);
}

#[test]
fn huge_rows_do_not_pin_a_whole_preview_in_memory() {
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let store = store(dir.path(), 1024);
    let mut writer = store.writer(20);
    writer.start(columns());
    for i in 0..5 {
        writer.push(vec![json!(i), json!("x".repeat(600))]).unwrap_or_else(|e| panic!("{e}"));
    }
    let spilled = match writer.finish() {
        Ok(WrittenResult::Spilled(s)) => s,
        other => panic!("expected spill, got {other:?}"),
    };
    assert_eq!(spilled.rows, 5);
    assert_eq!(spilled.preview.len(), 2, "preview rows stop once over the page budget (here the 1 KiB threshold)");
    let page = store.read(&spilled.handle, 0, 100).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!((page.rows.len(), page.next_offset, page.truncated_values), (2, Some(2), 2), "cut by bytes");
}
