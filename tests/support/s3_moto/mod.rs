//! S3 test support: one real moto_server per test binary on a loopback port (`moto()`), a raw SDK client
//! for what `S3Store` does not offer (buckets, multipart listings, ETags), and a fault-injecting proxy in
//! front of moto (`proxy.rs`). Each test uses a bucket of its own.
#![allow(dead_code, clippy::expect_used, clippy::unwrap_used, clippy::panic)]

pub mod proxy;

use aws_sdk_s3::config::{BehaviorVersion, Credentials, Region};
use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::process::{Child, Command, Stdio};
use std::sync::OnceLock;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};
use supamcp::s3::S3Config;
use supamcp::secret::Secret;

/// Credentials moto accepts (it accepts any); unusual enough to be found if they leaked into a message.
pub const ACCESS_KEY: &str = "AKIDMOTOTESTKEY0001";
pub const SECRET_KEY: &str = "moto-secret-key-that-must-not-leak";

/// A moto_server child. It gets SIGQUIT when the test process ends (the statics' Drop never runs).
pub struct Moto {
    pub endpoint: String,
    child: Child,
}

/// A moto_server that enforces authentication (after two free IAM calls that made `user`'s key): it really
/// checks access keys, signatures and (absent policies) permissions.
pub struct AuthMoto {
    pub endpoint: String,
    pub key_id: String,
    pub secret: String,
    _moto: Moto,
}

static MOTO: OnceLock<Moto> = OnceLock::new();
static AUTH_MOTO: OnceLock<AuthMoto> = OnceLock::new();
static BUCKETS: AtomicUsize = AtomicUsize::new(0);

/// The moto_server of this test binary, started on first use.
pub fn moto() -> &'static Moto {
    MOTO.get_or_init(|| start(None))
}

/// The authenticating moto_server of this test binary, with one IAM user and its access key.
pub fn auth_moto() -> &'static AuthMoto {
    AUTH_MOTO.get_or_init(|| {
        let moto = start(Some(2));
        let port: u16 = moto.endpoint.rsplit(':').next().unwrap().parse().unwrap();
        iam_call(port, "Action=CreateUser&UserName=backup&Version=2010-05-08");
        let reply = iam_call(port, "Action=CreateAccessKey&UserName=backup&Version=2010-05-08");
        let field = |name: &str| {
            let start =
                reply.find(&format!("<{name}>")).unwrap_or_else(|| panic!("no {name} in {reply}")) + name.len() + 2;
            reply[start..].split('<').next().unwrap().to_owned()
        };
        AuthMoto {
            endpoint: moto.endpoint.clone(),
            key_id: field("AccessKeyId"),
            secret: field("SecretAccessKey"),
            _moto: moto,
        }
    })
}

/// An IAM query call during moto's free (unauthenticated) actions; the credential scope routes it to IAM.
fn iam_call(port: u16, body: &str) -> String {
    let mut stream = TcpStream::connect(("127.0.0.1", port)).unwrap();
    let request = format!(
        "POST / HTTP/1.0\r\nHost: 127.0.0.1\r\nContent-Type: application/x-www-form-urlencoded\r\n\
         Authorization: AWS4-HMAC-SHA256 Credential=AKIDSETUP/20260101/us-east-1/iam/aws4_request, \
         SignedHeaders=host, Signature=00\r\nContent-Length: {}\r\n\r\n{body}",
        body.len()
    );
    stream.write_all(request.as_bytes()).unwrap();
    let mut reply = String::new();
    stream.read_to_string(&mut reply).unwrap();
    reply
}

/// Starts moto_server; with `free_actions`, authentication is enforced after that many calls (so the
/// readiness probe only connects, it sends no request).
fn start(free_actions: Option<u32>) -> Moto {
    check_version();
    let port = TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let log_path = std::env::temp_dir().join(format!("supamcp-moto-{}-{port}.log", std::process::id()));
    let log = std::fs::File::create(&log_path).unwrap();
    let mut command = Command::new("python3");
    command.args(["-m", "moto.server", "-H", "127.0.0.1", "-p", &port.to_string()]);
    command.stdin(Stdio::null()).stdout(Stdio::null()).stderr(log);
    if let Some(count) = free_actions {
        command.env("INITIAL_NO_AUTH_ACTION_COUNT", count.to_string());
    }
    let mut child = supamcp::pg::server_programs::spawn_tied_to_process(command)
        .unwrap_or_else(|e| panic!("cannot start moto_server (pip install 'moto[server]'): {e}"));
    let deadline = Instant::now() + Duration::from_secs(90);
    loop {
        let ready = match free_actions {
            Some(_) => TcpStream::connect(("127.0.0.1", port)).is_ok(),
            None => answers(port),
        };
        if ready {
            // Needed only to explain a failed start; moto keeps writing to the unlinked file.
            let _ = std::fs::remove_file(&log_path);
            return Moto { endpoint: format!("http://127.0.0.1:{port}"), child };
        }
        if let Ok(Some(status)) = child.try_wait() {
            let log = std::fs::read_to_string(&log_path).unwrap_or_default();
            panic!("moto_server exited ({status}); is moto[server] installed? Its log:\n{log}");
        }
        if Instant::now() > deadline {
            let _ = child.kill();
            panic!("moto_server did not answer on port {port}; log in {}", log_path.display());
        }
        std::thread::sleep(Duration::from_millis(100));
    }
}

/// moto 5.2.0-5.2.4 answer CompleteMultipartUpload with a `CompleteMultipartUploadResponse` root, which the
/// Rust SDK refuses (fixed in 5.2.5): say so instead of failing obscurely.
fn check_version() {
    let out = Command::new("python3")
        .args(["-c", "import moto; print(moto.__version__)"])
        .stdin(Stdio::null())
        .output()
        .expect("python3");
    let version = String::from_utf8_lossy(&out.stdout).trim().to_owned();
    let parts: Vec<u32> = version.split('.').take(3).map_while(|p| p.parse().ok()).collect();
    assert!(
        out.status.success() && parts.len() == 3 && parts >= vec![5, 2, 5],
        "the S3 tests need moto[server] >= 5.2.5 (found {version:?}): run scripts/test.sh or \
         `python3 -m pip install 'moto[server]>=5.2.5'`"
    );
}

fn answers(port: u16) -> bool {
    let Ok(mut stream) = TcpStream::connect(("127.0.0.1", port)) else { return false };
    let _ = stream.set_read_timeout(Some(Duration::from_secs(5)));
    if stream.write_all(b"GET / HTTP/1.0\r\nHost: 127.0.0.1\r\n\r\n").is_err() {
        return false;
    }
    let mut head = [0u8; 12];
    stream.read_exact(&mut head).is_ok() && head.starts_with(b"HTTP/1")
}

/// A bucket name no other test uses.
pub fn bucket_name(hint: &str) -> String {
    format!("t{}-{}-{hint}", std::process::id(), BUCKETS.fetch_add(1, Ordering::Relaxed)).replace('_', "-")
}

/// A configuration for `bucket` at `endpoint` with the test credentials.
pub fn config(endpoint: &str, bucket: &str, prefix: &str) -> S3Config {
    S3Config {
        prefix: prefix.to_owned(),
        endpoint_url: Some(endpoint.to_owned()),
        access_key_id: Some(Secret::new(ACCESS_KEY)),
        secret_access_key: Some(Secret::new(SECRET_KEY)),
        path_style: true,
        ..S3Config::new(bucket)
    }
}

/// A plain SDK client straight to moto, for checks behind `S3Store`'s back.
pub fn raw_client() -> aws_sdk_s3::Client {
    let config = aws_sdk_s3::config::Builder::new()
        .behavior_version(BehaviorVersion::latest())
        .region(Region::new("us-east-1"))
        .credentials_provider(Credentials::new(ACCESS_KEY, SECRET_KEY, None, None, "test"))
        .endpoint_url(&moto().endpoint)
        .force_path_style(true)
        .http_client(supamcp::s3::https_client())
        .build();
    aws_sdk_s3::Client::from_conf(config)
}

/// A fresh, empty bucket on moto.
pub async fn fresh_bucket(hint: &str) -> String {
    let name = bucket_name(hint);
    raw_client().create_bucket().bucket(&name).send().await.unwrap();
    name
}

/// The multipart uploads still open in `bucket` (should be none after abort or failure).
pub async fn open_uploads(bucket: &str) -> Vec<String> {
    let out = raw_client().list_multipart_uploads().bucket(bucket).send().await.unwrap();
    out.uploads().iter().filter_map(|u| u.key().map(str::to_owned)).collect()
}

/// Every key in `bucket`, in full.
pub async fn all_keys(bucket: &str) -> Vec<String> {
    let out = raw_client().list_objects_v2().bucket(bucket).send().await.unwrap();
    out.contents().iter().filter_map(|o| o.key().map(str::to_owned)).collect()
}

/// Deterministic bytes that do not compress (xorshift), so parts are real data.
pub fn pattern(len: usize, seed: u64) -> Vec<u8> {
    let mut state = seed | 1;
    let mut out = Vec::with_capacity(len + 8);
    while out.len() < len {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        out.extend_from_slice(&state.to_le_bytes());
    }
    out.truncate(len);
    out
}
