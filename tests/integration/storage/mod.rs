//! The storage group end to end: the fake Storage API (`tests/support/storage_fake`) proven with the official
//! `@supabase/storage-js`, then the real binary over stdio pointed at it: buckets, objects, signed URLs,
//! streamed transfers (a 160 MB file with flat memory), limits refused before sending, faults, read-only mode.

mod buckets;
mod config;
mod faults;
mod js_client;
mod large;
mod leaks;
mod objects;
mod policies;
mod resumable;
mod selfhosted;
mod transfers;

use crate::mcp_client::{self, Server};
use crate::storage_fake::Fake;
use serde_json::{Value, json};

/// A fake and the binary pointed at it, working in its own directory.
pub struct Setup {
    pub fake: Fake,
    pub server: Server,
    pub dir: tempfile::TempDir,
}

pub async fn setup_with(extra: &[&str]) -> Setup {
    let fake = Fake::start().await;
    let dir = tempfile::tempdir().expect("working dir");
    let env = fake.env();
    let env: Vec<(&str, &str)> = env.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let mut args = vec!["--features", "storage"];
    args.extend_from_slice(extra);
    let server = mcp_client::start_in_dir(&args, &env, dir.path()).await;
    Setup { fake, server, dir }
}

pub async fn setup() -> Setup {
    setup_with(&[]).await
}

impl Setup {
    /// Creates a bucket through the tool.
    pub async fn bucket(&self, id: &str, extra: Value) -> Value {
        let mut args = json!({ "bucket": id });
        if let (Some(args), Some(extra)) = (args.as_object_mut(), extra.as_object()) {
            args.extend(extra.clone());
        }
        self.server.ok("create_bucket", args).await
    }

    /// Writes a local file in the working directory.
    pub fn file(&self, name: &str, bytes: &[u8]) -> String {
        let path = self.dir.path().join(name);
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent).unwrap();
        }
        std::fs::write(&path, bytes).unwrap();
        name.to_owned()
    }

    pub async fn upload(&self, bucket: &str, path: &str, bytes: &[u8]) -> Value {
        let local = self.file(&format!("src-{}", path.replace('/', "_")), bytes);
        self.server.ok("upload_object", json!({ "bucket": bucket, "path": path, "file": local })).await
    }
}

/// SHA-256 of bytes, hex.
pub fn sha256(bytes: &[u8]) -> String {
    use sha2::Digest;
    hex::encode(sha2::Sha256::digest(bytes))
}
