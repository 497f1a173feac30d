//! `supamcp::s3` against a real moto_server on loopback: small and multipart round trips (bytes and
//! sha256 equal through the streamed reader), pagination past 1000 keys, prefixes, delete, abort and drop
//! leaving no multipart upload, clear errors (missing bucket, unreachable endpoint, missing key, unknown key,
//! wrong secret, missing permission, on a moto that enforces authentication), configuration from the
//! variables, and 5xx faults from a proxy in front of moto: transient ones retried, persistent ones
//! aborting the upload.
use crate::s3_moto;

use futures_util::StreamExt;
use s3_moto::proxy::{FaultProxy, Rule};
use s3_moto::{
    ACCESS_KEY, SECRET_KEY, all_keys, auth_moto, config, fresh_bucket, moto, open_uploads, pattern, raw_client,
};
use sha2::{Digest, Sha256};
use std::time::Duration;
use supamcp::failure::Failure;
use supamcp::s3::{S3Options, S3Store};
use tokio::io::AsyncReadExt;

const MIB: usize = 1024 * 1024;

/// Fast retries so fault tests do not sleep for seconds.
fn quick() -> S3Options {
    S3Options { max_attempts: 3, initial_backoff: Duration::from_millis(20), ..S3Options::default() }
}

async fn store(bucket: &str, prefix: &str) -> S3Store {
    S3Store::connect_with(&config(&moto().endpoint, bucket, prefix), quick()).await.unwrap()
}

async fn streamed_sha256(store: &S3Store, key: &str) -> (usize, Vec<u8>) {
    let mut reader = store.reader(key).await.unwrap();
    let (mut hasher, mut total, mut chunk) = (Sha256::new(), 0, vec![0u8; 64 * 1024]);
    loop {
        let n = reader.read(&mut chunk).await.unwrap();
        if n == 0 {
            return (total, hasher.finalize().to_vec());
        }
        hasher.update(&chunk[..n]);
        total += n;
    }
}

fn assert_no_secret(failure: &Failure) {
    let text = format!("{failure} {failure:?}");
    assert!(!text.contains(ACCESS_KEY) && !text.contains(SECRET_KEY), "secret in {text}");
}

#[tokio::test]
async fn small_objects_round_trip_list_and_delete() {
    let bucket = fresh_bucket("small").await;
    let store = store(&bucket, "").await;
    store.check().await.unwrap();
    store.put("manifests/one.json", b"{\"ok\":true}".to_vec()).await.unwrap();
    assert_eq!(store.get("manifests/one.json").await.unwrap(), b"{\"ok\":true}");

    // A writer that never fills a part ends as one PutObject.
    let mut writer = store.writer("archives/small.bin").await.unwrap();
    writer.write(b"hello ").await.unwrap();
    writer.write(b"world").await.unwrap();
    assert_eq!(writer.finish().await.unwrap(), 11);
    let mut text = String::new();
    store.reader("archives/small.bin").await.unwrap().read_to_string(&mut text).await.unwrap();
    assert_eq!(text, "hello world");

    // An empty writer still makes an (empty) object.
    store.writer("archives/empty.bin").await.unwrap().finish().await.unwrap();
    assert_eq!(store.get("archives/empty.bin").await.unwrap(), b"");

    let listed: Vec<(String, u64)> = store.list("").await.unwrap().into_iter().map(|e| (e.key, e.size)).collect();
    assert_eq!(
        listed,
        [("archives/empty.bin".into(), 0), ("archives/small.bin".into(), 11), ("manifests/one.json".into(), 11)]
    );
    assert_eq!(store.list("manifests/").await.unwrap().len(), 1);

    store.delete("manifests/one.json").await.unwrap();
    store.delete("manifests/one.json").await.unwrap();
    let missing = store.get("manifests/one.json").await.unwrap_err();
    assert!(missing.why.contains("no such object"), "{missing}");
    assert!(missing.what.contains(&format!("s3://{bucket}/manifests/one.json")), "{missing}");
    assert_eq!(store.list("manifests/").await.unwrap(), []);
    assert!(open_uploads(&bucket).await.is_empty());
}

#[tokio::test]
async fn twenty_mib_in_odd_chunks_goes_up_in_parts_and_streams_back_equal() {
    let bucket = fresh_bucket("multipart").await;
    let store = store(&bucket, "").await;
    let data = pattern(20 * MIB, 7);
    let mut writer = store.writer("db.tar").await.unwrap();
    let sizes = [1, 4093, 999_983, 3 * MIB + 17, 65_536, 7 * MIB + 1];
    let (mut at, mut i) = (0, 0);
    while at < data.len() {
        let end = (at + sizes[i % sizes.len()]).min(data.len());
        writer.write(&data[at..end]).await.unwrap();
        (at, i) = (end, i + 1);
    }
    assert_eq!(writer.finish().await.unwrap(), data.len() as u64);

    // 8 MiB parts: 8 + 8 + 4, so a three-part ETag.
    let head = raw_client().head_object().bucket(&bucket).key("db.tar").send().await.unwrap();
    assert!(head.e_tag().unwrap().trim_matches('"').ends_with("-3"), "{:?}", head.e_tag());
    let (len, digest) = streamed_sha256(&store, "db.tar").await;
    assert_eq!(len, data.len());
    assert_eq!(digest, Sha256::digest(&data).to_vec());
    assert!(open_uploads(&bucket).await.is_empty());
}

#[tokio::test]
async fn listing_follows_pages_past_a_thousand_keys() {
    let bucket = fresh_bucket("pages").await;
    let store = store(&bucket, "").await;
    let keys: Vec<String> = (0..1005).map(|i| format!("many/{i:05}")).collect();
    futures_util::stream::iter(keys.clone())
        .map(|key| {
            let store = store.clone();
            async move { store.put(&key, vec![1, 2, 3]).await }
        })
        .buffer_unordered(16)
        .collect::<Vec<_>>()
        .await
        .into_iter()
        .collect::<Result<Vec<()>, _>>()
        .unwrap();
    store.put("other/x", vec![]).await.unwrap();
    let listed = store.list("many/").await.unwrap();
    assert_eq!(listed.iter().map(|e| e.key.clone()).collect::<Vec<_>>(), keys);
    assert!(listed.iter().all(|e| e.size == 3));
    assert_eq!(store.list("").await.unwrap().len(), 1006);
}

#[tokio::test]
async fn keys_live_under_the_store_prefix() {
    let bucket = fresh_bucket("prefix").await;
    let nested = store(&bucket, "team/prod").await;
    let other = store(&bucket, "team/staging").await;
    nested.put("/b1/manifest.json", b"m".to_vec()).await.unwrap();
    other.put("b2/manifest.json", b"n".to_vec()).await.unwrap();
    assert_eq!(all_keys(&bucket).await, ["team/prod/b1/manifest.json", "team/staging/b2/manifest.json"]);
    let listed = nested.list("").await.unwrap();
    assert_eq!(listed.iter().map(|e| e.key.as_str()).collect::<Vec<_>>(), ["b1/manifest.json"]);
    let root = store(&bucket, "").await;
    assert_eq!(root.list("team/").await.unwrap().len(), 2);
    assert!(nested.put("", vec![]).await.unwrap_err().what.contains("empty S3 object key"));
}

#[tokio::test]
async fn abort_and_drop_leave_no_multipart_upload() {
    let bucket = fresh_bucket("abort").await;
    let store = store(&bucket, "p").await;
    let data = pattern(12 * MIB, 3);

    let mut writer = store.writer("aborted.tar").await.unwrap();
    writer.write(&data).await.unwrap();
    assert_eq!(open_uploads(&bucket).await, ["p/aborted.tar"], "one part is out, so the upload exists");
    writer.abort().await.unwrap();
    assert!(open_uploads(&bucket).await.is_empty());

    let mut writer = store.writer("dropped.tar").await.unwrap();
    writer.write(&data).await.unwrap();
    drop(writer);
    // The abort runs in the background: wait for it (bounded), then check.
    for _ in 0..200 {
        if open_uploads(&bucket).await.is_empty() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
    assert!(open_uploads(&bucket).await.is_empty());
    assert!(all_keys(&bucket).await.is_empty());
}

#[tokio::test]
async fn a_missing_bucket_says_which_and_how_to_create_it() {
    let store = store("no-such-bucket-here", "x").await;
    let failure = store.put("k", b"v".to_vec()).await.unwrap_err();
    assert!(failure.why.contains("\"no-such-bucket-here\" does not exist"), "{failure}");
    assert!(failure.why.contains(&moto().endpoint), "{failure}");
    assert!(failure.fix.contains("aws s3 mb s3://no-such-bucket-here"), "{failure}");
    assert_no_secret(&failure);
    let failure = store.check().await.unwrap_err();
    assert!(failure.why.contains("does not exist"), "{failure}");

    let mut writer = store.writer("big").await.unwrap();
    let failure = writer.write(&pattern(9 * MIB, 1)).await.unwrap_err();
    assert!(failure.what.contains("CreateMultipartUpload"), "{failure}");
    assert!(failure.why.contains("does not exist"), "{failure}");
    assert!(writer.write(b"more").await.is_err(), "a failed writer refuses further writes");
}

#[tokio::test]
async fn an_unreachable_endpoint_and_missing_credentials_are_explained() {
    let closed = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let endpoint = format!("http://127.0.0.1:{closed}");
    let store = S3Store::connect_with(&config(&endpoint, "bk", ""), quick()).await.unwrap();
    let failure = store.get("k").await.unwrap_err();
    assert!(failure.why.contains(&format!("{endpoint} is unreachable")), "{failure}");
    assert!(failure.fix.contains("AWS_ENDPOINT_URL"), "{failure}");
    assert_no_secret(&failure);

    let mut anonymous = config(&moto().endpoint, "bk", "");
    anonymous.secret_access_key = None;
    let failure = S3Store::connect(&anonymous).await.unwrap_err();
    assert!(failure.fix.contains("AWS_SECRET_ACCESS_KEY") || failure.why.contains("AWS_SECRET_ACCESS_KEY"));
    let debug = format!("{:?}", S3Store::connect(&config(&endpoint, "bk", "")).await.unwrap());
    assert!(!debug.contains(SECRET_KEY) && !debug.contains(ACCESS_KEY), "{debug}");
}

#[tokio::test]
async fn transient_5xx_on_a_part_is_retried_and_the_upload_completes() {
    let bucket = fresh_bucket("transient").await;
    let proxy = FaultProxy::start(&moto().endpoint, vec![Rule::upload_part(2, 503, 2)]).await;
    let store = S3Store::connect_with(&config(&proxy.endpoint, &bucket, ""), quick()).await.unwrap();
    let data = pattern(17 * MIB + 5, 11);
    let mut writer = store.writer("retried.tar").await.unwrap();
    for chunk in data.chunks(MIB + 3) {
        writer.write(chunk).await.unwrap();
    }
    assert_eq!(writer.finish().await.unwrap(), data.len() as u64);
    assert_eq!(proxy.injected(), 2, "part 2 failed twice and went through on the third attempt");
    let (len, digest) = streamed_sha256(&store, "retried.tar").await;
    assert_eq!((len, digest), (data.len(), Sha256::digest(&data).to_vec()));
}

#[tokio::test]
async fn persistent_5xx_fails_clearly_and_leaves_nothing_behind() {
    let bucket = fresh_bucket("persistent").await;
    let proxy = FaultProxy::start(&moto().endpoint, vec![Rule::upload_part(2, 500, usize::MAX)]).await;
    let store = S3Store::connect_with(&config(&proxy.endpoint, &bucket, "b"), quick()).await.unwrap();
    let data = pattern(17 * MIB, 5);
    let mut writer = store.writer("broken.tar").await.unwrap();
    let mut failure = None;
    for chunk in data.chunks(2 * MIB + 1) {
        if let Err(f) = writer.write(chunk).await {
            failure = Some(f);
            break;
        }
    }
    // Part 2 fails in the background; the error shows on the next write that waits for it, or on finish.
    let failure = match failure {
        Some(f) => f,
        None => writer.finish().await.unwrap_err(),
    };
    assert!(failure.what.contains("UploadPart (part 2)"), "{failure}");
    assert!(failure.what.contains(&format!("s3://{bucket}/b/broken.tar")), "{failure}");
    assert!(failure.why.contains("HTTP 500 InternalError") && failure.why.contains("after 3 attempts"), "{failure}");
    assert_no_secret(&failure);
    assert_eq!(proxy.injected(), 3);
    assert!(open_uploads(&bucket).await.is_empty(), "the failed upload was aborted");
    assert!(store.list("").await.unwrap().is_empty());
}

#[tokio::test]
async fn credentials_and_permissions_are_told_apart() {
    let moto = auth_moto();
    let with = |key_id: &str, secret: &str| {
        let mut config = config(&moto.endpoint, "guarded", "p");
        config.access_key_id = Some(supamcp::secret::Secret::new(key_id));
        config.secret_access_key = Some(supamcp::secret::Secret::new(secret));
        config
    };
    let cases = [
        (with("AKIDNOSUCHKEY0000001", "no-such-secret-value"), "InvalidAccessKeyId", "rejected the credentials"),
        (with(&moto.key_id, "wrong-secret-value-123"), "SignatureDoesNotMatch", "rejected the credentials"),
        (with(&moto.key_id, &moto.secret), "AccessDenied", "access denied on bucket \"guarded\""),
    ];
    for (config, code, why) in cases {
        let store = S3Store::connect_with(&config, quick()).await.unwrap();
        let failure = store.put("manifest.json", b"{}".to_vec()).await.unwrap_err();
        assert!(failure.why.contains(code) && failure.why.contains(why), "{code}: {failure}");
        let text = format!("{failure} {failure:?}");
        for secret in [config.access_key_id.as_ref().unwrap(), config.secret_access_key.as_ref().unwrap()] {
            assert!(!text.contains(secret.expose()), "a credential leaked into {text}");
        }
    }
    let denied = S3Store::connect_with(&with(&moto.key_id, &moto.secret), quick()).await.unwrap();
    let failure = denied.list("").await.unwrap_err();
    assert!(failure.fix.contains("s3:ListBucket"), "{failure}");
}

#[tokio::test]
async fn configuration_from_the_variables_and_per_call_overrides_reaches_the_store() {
    let bucket = fresh_bucket("vars").await;
    let vars = [
        ("SUPAMCP_BACKUP_S3_BUCKET", bucket.as_str()),
        ("SUPAMCP_BACKUP_S3_PREFIX", "/nightly/prod/"),
        ("AWS_ENDPOINT_URL", moto().endpoint.as_str()),
        ("AWS_ACCESS_KEY_ID", ACCESS_KEY),
        ("AWS_SECRET_ACCESS_KEY", SECRET_KEY),
    ];
    let lookup = |name: &str| vars.iter().find(|(k, _)| *k == name).map(|(_, v)| v.to_string());
    let config = supamcp::s3::S3Config::from_lookup(&lookup).unwrap().unwrap();
    assert!(config.path_style, "a custom endpoint means path-style addressing");
    S3Store::connect(&config).await.unwrap().put("a.json", b"1".to_vec()).await.unwrap();

    let overrides: supamcp::s3::S3Overrides = serde_json::from_value(serde_json::json!({"prefix": "adhoc"})).unwrap();
    let config = supamcp::s3::S3Config::resolve(&lookup, &overrides).unwrap().unwrap();
    S3Store::connect(&config).await.unwrap().put("b.json", b"2".to_vec()).await.unwrap();
    assert_eq!(all_keys(&bucket).await, ["adhoc/b.json", "nightly/prod/a.json"]);
}
