//! The test suite's fake GoTrue (`tests/support/gotrue_fake`) as a process, for benchmarks: seeds N confirmed
//! users, prints `{"url": ..., "service_key": ...}` on one line, and serves until stdin closes.
//! Usage: gotrue_fake [users]

#![allow(clippy::expect_used, clippy::unwrap_used, clippy::panic)]

#[path = "../tests/support/gotrue_fake/mod.rs"]
mod gotrue_fake;

use tokio::io::AsyncReadExt;

#[tokio::main]
async fn main() {
    let users: usize = std::env::args().nth(1).map_or(10_000, |n| n.parse().expect("users: a number"));
    let fake = gotrue_fake::Fake::start().await;
    fake.seed_users(users);
    println!("{}", serde_json::json!({"url": fake.url, "service_key": gotrue_fake::SERVICE_KEY}));
    let mut sink = Vec::new();
    let _ = tokio::io::stdin().read_to_end(&mut sink).await;
}
