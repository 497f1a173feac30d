//! Backup faults with real parts: pg_dump terminated mid-stream, a file-size limit hit while writing (the disk
//! full case, through RLIMIT_FSIZE on the real binary), cancellation, a wrong key, a tampered and a truncated
//! archive. Each gives a clear error, leaves no backup listed as complete and no temporary file behind.

use crate::mcp_client;

/// The databases a restore of this test's database would create (`<name>_restored_<time>`): other tests share
/// the cluster and create databases of their own meanwhile.
const DERIVED_DATABASES: &str =
    "select count(*) from pg_database where left(datname, length($1)) = $1 and datname <> $1";
use crate::support;

use serde_json::{Value, json};
use std::path::{Path, PathBuf};
use std::time::Duration;

const KEY: &str = "00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff";
const OTHER_KEY: &str = "ffeeddccbbaa99887766554433221100ffeeddccbbaa99887766554433221100";

/// A database with a table big enough (~120 MB as COPY text) that its dump takes a while.
async fn big_database(hint: &str) -> support::TestDb {
    let db = support::fresh_database(hint).await;
    db.admin()
        .await
        .batch_execute(
            "CREATE TABLE public.big AS SELECT g AS id, md5(g::text) || md5((g * 7)::text) AS t \
             FROM generate_series(1, 1500000) g",
        )
        .await
        .unwrap();
    db
}

fn files(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .map(|entries| entries.map(|e| e.unwrap().file_name().into_string().unwrap()).collect())
        .unwrap_or_default();
    names.sort();
    names
}

/// Waits until a `.partial` archive in `dir` holds at least 1 MiB: the dump is streaming.
async fn until_streaming(dir: &Path) {
    for _ in 0..6000 {
        let streaming = std::fs::read_dir(dir).into_iter().flatten().flatten().any(|e| {
            e.file_name().to_string_lossy().ends_with(".partial")
                && e.metadata().map(|m| m.len()).unwrap_or(0) > 1 << 20
        });
        if streaming {
            return;
        }
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    panic!("the dump never streamed into {}", dir.display());
}

/// No pg_dump session is left on `db` (a killed client's backend may take a moment to notice).
async fn assert_no_pg_dump(db: &support::TestDb) {
    let admin = db.admin().await;
    let mut running: i64 = -1;
    for _ in 0..100 {
        running = admin
            .query_one(
                "select count(*) from pg_stat_activity where application_name = 'pg_dump' and datname = $1",
                &[&db.name],
            )
            .await
            .unwrap()
            .get(0);
        if running == 0 {
            return;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("{running} pg_dump sessions still run on {}", db.name);
}

fn assert_nothing_left(dir: &Path) {
    assert!(files(dir).is_empty(), "left behind: {:?}", files(dir));
}

#[tokio::test]
async fn pg_dump_terminated_mid_stream_leaves_nothing() {
    let db = big_database("bkf_kill").await;
    let dir = tempfile::tempdir().unwrap();
    let backups = dir.path().join("b");
    let url = db.url_as("supabase_admin");
    let server = mcp_client::start(&["--database-url", &url, "--backup-dir", backups.to_str().unwrap()]).await;
    let call = server.call("create_backup", json!({"encrypt": false, "compression": "none"}));
    let killer = async {
        until_streaming(&backups).await;
        let admin = db.admin().await;
        let killed: i64 = admin
            .query_one(
                "select count(pg_terminate_backend(pid)) from pg_stat_activity where application_name = 'pg_dump' and datname = $1",
                &[&db.name],
            )
            .await
            .unwrap()
            .get(0);
        assert_eq!(killed, 1, "one pg_dump session was terminated");
    };
    let (result, ()) = tokio::join!(call, killer);
    assert_eq!(result.is_error, Some(true), "{}", mcp_client::text(&result));
    let text = mcp_client::text(&result);
    assert!(text.contains("pg_dump failed"), "{text}");
    assert_nothing_left(&backups);
    let listed = server.ok("list_backups", json!({})).await;
    assert!(listed["backups"].as_array().unwrap().is_empty() && listed["incomplete"].as_array().unwrap().is_empty());
    server.stop().await;
}

#[tokio::test]
async fn a_full_disk_fails_the_backup_cleanly() {
    let db = big_database("bkf_full").await;
    let dir = tempfile::tempdir().unwrap();
    let backups = dir.path().join("b");
    let url = db.url_as("supabase_admin");
    // The binary ignores SIGXFSZ itself, so a write past the limit fails with EFBIG as a full disk fails with ENOSPC.
    let args = ["--database-url", url.as_str(), "--backup-dir", backups.to_str().unwrap()];
    let server = mcp_client::start_limited_in(&args, dir.path(), 4 << 20).await;
    let text = server.err("create_backup", json!({"encrypt": false, "compression": "none"})).await;
    assert!(text.contains("File too large") && text.contains("ulimit"), "{text}");
    assert_nothing_left(&backups);
    let listed = server.ok("list_backups", json!({})).await;
    assert_eq!(listed["backups"], json!([]));
    assert_no_pg_dump(&db).await;
    server.stop().await;
}

#[tokio::test]
async fn cancelling_a_backup_kills_pg_dump_and_removes_the_partial_archive() {
    let db = big_database("bkf_cancel").await;
    let dir = tempfile::tempdir().unwrap();
    let backups = dir.path().join("b");
    let overrides = supamcp::config::Overrides {
        database_url: Some(supamcp::secret::Secret::new(db.url_as("supabase_admin"))),
        data_dir: Some(dir.path().to_path_buf()),
        ..Default::default()
    };
    let settings = supamcp::config::Settings::load(&overrides, &|_| None).unwrap();
    let databases = supamcp::pg::pool::Databases::new(&settings);
    let database = databases.get(None).unwrap();
    let store = supamcp::backup::store::Store::Local(supamcp::backup::store::LocalStore::new(backups.clone()));
    let options = supamcp::backup::dump::BackupOptions {
        compression: supamcp::backup::compress::Compression::None,
        ..Default::default()
    };
    let token = tokio_util::sync::CancellationToken::new();
    let events: std::sync::Arc<std::sync::Mutex<Vec<supamcp::backup::process::Event>>> = Default::default();
    let seen = events.clone();
    let sink: supamcp::backup::process::EventSink = std::sync::Arc::new(move |e| seen.lock().unwrap().push(e));
    let backup = supamcp::backup::dump::create(&database, &store, &options, sink, &token);
    let canceller = async {
        until_streaming(&backups).await;
        token.cancel();
    };
    let (outcome, ()) = tokio::join!(backup, canceller);
    let failure = outcome.unwrap_err();
    assert!(failure.what.contains("cancelled"), "{failure}");
    assert_nothing_left(&backups);
    assert_no_pg_dump(&db).await;

    // The same backup, not cancelled, reports its bytes and its table as it goes.
    events.lock().unwrap().clear();
    let seen = events.clone();
    let sink: supamcp::backup::process::EventSink = std::sync::Arc::new(move |e| seen.lock().unwrap().push(e));
    let manifest = supamcp::backup::dump::create(&database, &store, &options, sink, &token.child_token()).await;
    let failure = manifest.unwrap_err();
    assert!(failure.what.contains("cancelled"), "a cancelled parent token cancels its children: {failure}");
    let fresh = tokio_util::sync::CancellationToken::new();
    let seen = events.clone();
    let sink: supamcp::backup::process::EventSink = std::sync::Arc::new(move |e| seen.lock().unwrap().push(e));
    let manifest = supamcp::backup::dump::create(&database, &store, &options, sink, &fresh).await.unwrap();
    assert_eq!(manifest.tables.iter().find(|t| t.name == "big").unwrap().rows, 1_500_000);
    let events = events.lock().unwrap();
    assert!(events.iter().any(|e| matches!(e, supamcp::backup::process::Event::Bytes(b) if *b > 1 << 20)));
    assert!(
        events.iter().any(|e| matches!(e, supamcp::backup::process::Event::Table { name, .. } if name == "public.big"))
    );
}

/// Rewrites the manifest's size and SHA-256 to match the archive, so only the archive's own frames can tell.
fn rehash_manifest(backups: &Path, id: &str) {
    use sha2::Digest;
    let archive = std::fs::read(backups.join(format!("{id}.archive"))).unwrap();
    let path = backups.join(format!("{id}.manifest.json"));
    let mut manifest: Value = serde_json::from_slice(&std::fs::read(&path).unwrap()).unwrap();
    manifest["archive"]["size"] = json!(archive.len());
    manifest["archive"]["sha256"] = json!(hex::encode(sha2::Sha256::digest(&archive)));
    std::fs::write(&path, serde_json::to_vec(&manifest).unwrap()).unwrap();
}

#[tokio::test]
async fn wrong_key_tampered_and_truncated_archives_are_refused() {
    let db = support::fresh_sample_database("bkf_damage").await;
    let dir = tempfile::tempdir().unwrap();
    let backups: PathBuf = dir.path().join("b");
    let url = db.url_as("supabase_admin");
    let args = ["--database-url", url.as_str(), "--backup-dir", backups.to_str().unwrap()];
    let server = mcp_client::start_with_env(&args, &[("SUPAMCP_BACKUP_KEY", KEY)]).await;
    let refused = mcp_client::start(&args).await;
    let no_key = refused.err("create_backup", json!({})).await;
    assert!(no_key.contains("SUPAMCP_BACKUP_KEY"), "{no_key}");
    refused.stop().await;

    let mut ids = Vec::new();
    for _ in 0..3 {
        ids.push(server.ok("create_backup", json!({})).await["id"].as_str().unwrap().to_owned());
    }
    let databases_before: i64 = db.admin().await.query_one(DERIVED_DATABASES, &[&db.name]).await.unwrap().get(0);

    let wrong = server.err("verify_backup", json!({"backup_id": ids[0], "key": OTHER_KEY})).await;
    assert!(wrong.contains("wrong backup key"), "{wrong}");
    let wrong = server.err("restore_backup", json!({"backup_id": ids[0], "key": OTHER_KEY})).await;
    assert!(wrong.contains("wrong backup key"), "{wrong}");

    // A flipped byte: the manifest's hash catches it; with the hash forged, the frame authentication does.
    let archive = backups.join(format!("{}.archive", ids[1]));
    let mut bytes = std::fs::read(&archive).unwrap();
    let middle = bytes.len() / 2;
    bytes[middle] ^= 0x40;
    std::fs::write(&archive, &bytes).unwrap();
    let tampered = server.err("verify_backup", json!({"backup_id": ids[1]})).await;
    assert!(tampered.contains("does not match its manifest"), "{tampered}");
    rehash_manifest(&backups, &ids[1]);
    let tampered = server.err("verify_backup", json!({"backup_id": ids[1]})).await;
    assert!(tampered.contains("does not authenticate"), "{tampered}");
    let tampered = server.err("restore_backup", json!({"backup_id": ids[1]})).await;
    assert!(tampered.contains("does not authenticate"), "{tampered}");

    // The last 100 bytes cut off: the hash tells, and with the hash forged the missing end of the final frame.
    let archive = backups.join(format!("{}.archive", ids[2]));
    let bytes = std::fs::read(&archive).unwrap();
    std::fs::write(&archive, &bytes[..bytes.len() - 100]).unwrap();
    let truncated = server.err("verify_backup", json!({"backup_id": ids[2]})).await;
    assert!(truncated.contains("does not match its manifest"), "{truncated}");
    rehash_manifest(&backups, &ids[2]);
    let truncated = server.err("restore_backup", json!({"backup_id": ids[2]})).await;
    assert!(truncated.contains("truncated"), "{truncated}");

    let databases_after: i64 = db.admin().await.query_one(DERIVED_DATABASES, &[&db.name]).await.unwrap().get(0);
    assert_eq!(databases_before, databases_after, "failed restores leave no database behind");
    assert!(files(&backups).iter().all(|f| !f.ends_with(".partial")), "{:?}", files(&backups));
    let missing = server.err("restore_backup", json!({"backup_id": "nope"})).await;
    assert!(missing.contains("not a complete backup"), "{missing}");
    server.stop().await;
}
