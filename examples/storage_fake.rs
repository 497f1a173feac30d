//! The test suite's fake Storage API (`tests/support/storage_fake`) as a process, for benchmarks: no global file
//! size limit, prints `{"url": ..., "service_key": ...}` on one line, and serves until stdin closes (its files
//! go with it).
//! Usage: storage_fake

#![allow(clippy::expect_used, clippy::unwrap_used, clippy::panic, clippy::result_large_err)]

#[path = "../tests/support/storage_fake/mod.rs"]
mod storage_fake;

use tokio::io::AsyncReadExt;

#[tokio::main]
async fn main() {
    let fake = storage_fake::Fake::start().await;
    fake.state().global_limit = u64::MAX;
    println!("{}", serde_json::json!({"url": fake.url, "service_key": storage_fake::SERVICE_KEY}));
    let mut sink = Vec::new();
    let _ = tokio::io::stdin().read_to_end(&mut sink).await;
}
