//! Backups to and from S3 through the real binary, against a real moto_server: a full encrypted backup big
//! enough for a multipart upload, listed next to the local directory, verified and restored (piped and with
//! parallel jobs) with identical row counts and checksums; retention on S3 with per-call settings; a persistent
//! 5xx during the upload leaving no object, manifest or multipart upload; a wrong bucket refused before pg_dump.
//! The secret access key never appears in a reply or in the audit log.

use crate::mcp_client;
use crate::s3_moto;
use crate::support;

use s3_moto::proxy::{FaultProxy, Rule};
use s3_moto::{ACCESS_KEY, SECRET_KEY, all_keys, fresh_bucket, moto, open_uploads};
use serde_json::json;

const KEY: &str = "00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff";
const MIB: u64 = 1024 * 1024;
const TABLES: [&str; 5] = ["public.blobs", "public.profiles", "public.projects", "public.todos", "auth.users"];

/// The sample database plus 6 MiB of incompressible bytes (12 MiB as pg_dump writes bytea in hex), so the
/// archive goes up in more than one 8 MiB part.
async fn big_source(hint: &str) -> support::TestDb {
    let db = support::fresh_sample_database(hint).await;
    db.admin()
        .await
        .batch_execute(
            "CREATE TABLE public.blobs (id int PRIMARY KEY, data bytea NOT NULL);
             INSERT INTO public.blobs SELECT g, decode(string_agg(md5(g || '-' || i), '' ORDER BY i), 'hex')
             FROM generate_series(1, 1536) g, generate_series(1, 256) i GROUP BY g;",
        )
        .await
        .unwrap();
    db
}

/// Row count and an md5 over the sorted text of the rows, per table.
async fn fingerprint(client: &tokio_postgres::Client) -> Vec<String> {
    let mut out = Vec::new();
    for table in TABLES {
        let sql = format!(
            "select count(*)::text || ':' || coalesce(md5(string_agg(t::text, ',' order by t::text)), '') from {table} t"
        );
        let value: String = client.query_one(&sql, &[]).await.unwrap().get(0);
        out.push(format!("{table}: {value}"));
    }
    out
}

/// The AWS variables for moto at `endpoint`, without a bucket.
fn aws_env(endpoint: &str) -> Vec<(&'static str, String)> {
    vec![
        ("SUPAMCP_BACKUP_KEY", KEY.to_owned()),
        ("AWS_ACCESS_KEY_ID", ACCESS_KEY.to_owned()),
        ("AWS_SECRET_ACCESS_KEY", SECRET_KEY.to_owned()),
        ("AWS_ENDPOINT_URL", endpoint.to_owned()),
        ("AWS_REGION", "us-east-1".to_owned()),
    ]
}

async fn start(db: &support::TestDb, backups: &std::path::Path, env: &[(&'static str, String)]) -> mcp_client::Server {
    let url = db.url_as("supabase_admin");
    let env: Vec<(&str, &str)> = env.iter().map(|(k, v)| (*k, v.as_str())).collect();
    mcp_client::start_with_env(&["--database-url", &url, "--backup-dir", backups.to_str().unwrap()], &env).await
}

fn assert_no_secret(text: &str) {
    assert!(!text.contains(SECRET_KEY), "the secret access key leaked: {text}");
}

#[tokio::test]
async fn a_multipart_backup_on_s3_is_listed_verified_and_restored_identically() {
    let source = big_source("bks3_full").await;
    let bucket = fresh_bucket("full").await;
    let dir = tempfile::tempdir().unwrap();
    let backups = dir.path().join("backups");
    let mut env = aws_env(&moto().endpoint);
    env.push(("SUPAMCP_BACKUP_S3_BUCKET", bucket.clone()));
    env.push(("SUPAMCP_BACKUP_S3_PREFIX", "/nightly/".to_owned()));
    let server = start(&source, &backups, &env).await;
    let expected = fingerprint(&source.admin().await).await;

    // A configured bucket is the default destination.
    let created = server.ok("create_backup", json!({"compression": "none"})).await;
    assert_no_secret(&created.to_string());
    let id = created["id"].as_str().unwrap().to_owned();
    assert_eq!(created["destination"], "s3");
    assert_eq!(created["location"], format!("s3://{bucket}/nightly"));
    assert_eq!(created["manifest"]["archive"]["encryption"], "aes-256-gcm");
    let size = created["manifest"]["archive"]["size"].as_u64().unwrap();
    assert!(size > 8 * MIB, "the archive ({size} bytes) needs more than one part");
    let mut keys = all_keys(&bucket).await;
    keys.sort();
    assert_eq!(keys, [format!("nightly/{id}.archive"), format!("nightly/{id}.manifest.json")]);
    assert!(open_uploads(&bucket).await.is_empty());
    assert!(!backups.exists() || std::fs::read_dir(&backups).unwrap().next().is_none(), "nothing local");

    // A local backup next to it: the default listing shows both stores.
    let local = server.ok("create_backup", json!({"type": "schema_only", "destination": {"kind": "local"}})).await;
    assert_eq!(local["destination"], "local");
    let listed = server.ok("list_backups", json!({})).await;
    let rows = listed["backups"].as_array().unwrap();
    let where_of =
        |wanted: &str| rows.iter().find(|b| b["id"] == wanted).map(|b| b["destination"].as_str().unwrap().to_owned());
    assert_eq!(where_of(&id).as_deref(), Some("s3"), "{listed}");
    assert_eq!(where_of(local["id"].as_str().unwrap()).as_deref(), Some("local"), "{listed}");
    assert!(listed["incomplete"].as_array().unwrap().is_empty(), "{listed}");
    let only_s3 = server.ok("list_backups", json!({"destination": {"kind": "s3"}})).await;
    assert_eq!(only_s3["backups"].as_array().unwrap().len(), 1, "{only_s3}");
    assert_eq!(only_s3["backups"][0]["archive_bytes"].as_u64(), Some(size));

    let verified = server.ok("verify_backup", json!({"backup_id": id})).await;
    assert_eq!(verified["destination"], "s3", "{verified}");
    assert!(verified["tables_with_data"].as_u64().unwrap() >= 5, "{verified}");
    // The local backup is found in the directory without naming it.
    let verified_local = server.ok("verify_backup", json!({"backup_id": local["id"]})).await;
    assert_eq!(verified_local["destination"], "local");

    for jobs in [1, 2] {
        let name = format!("{}_s3r{jobs}", source.name);
        let restored = server
            .ok("restore_backup", json!({"backup_id": id, "jobs": jobs, "target": {"new_database": {"name": name}}}))
            .await;
        assert_eq!(restored["destination"], "s3", "{restored}");
        let client = source.cluster.connect(&name, "supabase_admin").await.unwrap_or_else(|f| panic!("{f}"));
        assert_eq!(fingerprint(&client).await, expected, "restore with {jobs} job(s)");
    }

    let audit = std::fs::read_to_string(server.data_dir.as_ref().unwrap().path().join("audit.jsonl")).unwrap();
    assert!(audit.contains("create_backup"), "the audit log records the calls");
    assert_no_secret(&audit);
    server.stop().await;
}

#[tokio::test]
async fn retention_on_s3_with_per_call_settings_deletes_manifest_and_archive() {
    let source = support::fresh_sample_database("bks3_keep").await;
    let bucket = fresh_bucket("keep").await;
    let dir = tempfile::tempdir().unwrap();
    // No bucket in the environment: the call names it; credentials and endpoint come from the variables.
    let server = start(&source, &dir.path().join("b"), &aws_env(&moto().endpoint)).await;
    let destination = json!({"kind": "s3", "bucket": bucket, "prefix": "keep"});
    let mut ids = Vec::new();
    for _ in 0..3 {
        let created = server
            .ok("create_backup", json!({"type": "schema_only", "encrypt": false, "destination": destination}))
            .await;
        ids.push(created["id"].as_str().unwrap().to_owned());
    }
    assert_eq!(all_keys(&bucket).await.len(), 6);

    let dry = server.ok("cleanup_backups", json!({"keep_last": 1, "destination": destination})).await;
    assert_eq!(dry["dry_run"], true);
    assert_eq!(dry["destination"], "s3");
    assert_eq!(dry["deleted"].as_array().unwrap().len(), 2, "{dry}");
    assert_eq!(all_keys(&bucket).await.len(), 6, "a dry run deletes nothing");

    let done =
        server.ok("cleanup_backups", json!({"keep_last": 1, "dry_run": false, "destination": destination})).await;
    let mut deleted: Vec<String> =
        done["deleted"].as_array().unwrap().iter().map(|v| v.as_str().unwrap().to_owned()).collect();
    deleted.sort();
    let listed = server.ok("list_backups", json!({"destination": destination})).await;
    let kept: Vec<&str> = listed["backups"].as_array().unwrap().iter().map(|b| b["id"].as_str().unwrap()).collect();
    assert_eq!(kept.len(), 1, "{listed}");
    let mut all = deleted.clone();
    all.push(kept[0].to_owned());
    all.sort();
    let mut created = ids.clone();
    created.sort();
    assert_eq!(all, created);
    let mut keys = all_keys(&bucket).await;
    keys.sort();
    assert_eq!(keys, [format!("keep/{}.archive", kept[0]), format!("keep/{}.manifest.json", kept[0])]);
    server.stop().await;
}

#[tokio::test]
async fn a_5xx_during_the_upload_fails_clearly_and_leaves_nothing() {
    let source = big_source("bks3_fault").await;
    let bucket = fresh_bucket("fault").await;
    let proxy = FaultProxy::start(&moto().endpoint, vec![Rule::upload_part(1, 500, usize::MAX)]).await;
    let dir = tempfile::tempdir().unwrap();
    let mut env = aws_env(&proxy.endpoint);
    env.push(("SUPAMCP_BACKUP_S3_BUCKET", bucket.clone()));
    let server = start(&source, &dir.path().join("b"), &env).await;

    let error = server.err("create_backup", json!({"compression": "none"})).await;
    assert!(error.contains("UploadPart") && error.contains("500"), "{error}");
    assert!(error.contains(&format!("s3://{bucket}")), "{error}");
    assert_no_secret(&error);
    assert!(proxy.injected() >= 2, "the part was retried before giving up");
    assert!(all_keys(&bucket).await.is_empty(), "no archive and no manifest");
    assert!(open_uploads(&bucket).await.is_empty(), "the multipart upload was aborted");
    let listed = server.ok("list_backups", json!({})).await;
    assert!(listed["backups"].as_array().unwrap().is_empty(), "{listed}");
    assert!(listed["incomplete"].as_array().unwrap().is_empty(), "{listed}");
    server.stop().await;
}

#[tokio::test]
async fn a_wrong_bucket_is_refused_before_pg_dump_runs() {
    let source = support::fresh_sample_database("bks3_nobucket").await;
    let dir = tempfile::tempdir().unwrap();
    let server = start(&source, &dir.path().join("b"), &aws_env(&moto().endpoint)).await;
    let error =
        server.err("create_backup", json!({"destination": {"kind": "s3", "bucket": "no-such-backup-bucket"}})).await;
    assert!(error.contains("HeadBucket") && error.contains("no-such-backup-bucket"), "{error}");
    assert!(error.contains("does not exist"), "{error}");
    assert_no_secret(&error);
    let without = server.err("list_backups", json!({"destination": {"kind": "s3"}})).await;
    assert!(without.contains("SUPAMCP_BACKUP_S3_BUCKET"), "{without}");
    server.stop().await;
}
