//! Throughput and memory of a streamed S3 upload: N MiB (default 256) of generated, incompressible data go
//! through `S3Writer` in 1 MiB writes, then come back through `S3Store::reader` and are checked by sha256.
//! Prints one JSON line: seconds and MiB/s each way, and the process's peak RSS (VmHWM), which stays near
//! two parts (2 x 8 MiB) above the baseline however large N is.
//! Usage: s3_upload [MiB] [endpoint]. Without an endpoint it starts `python3 -m moto.server` on loopback
//! (moto[server] >= 5.2.5) and stops it at the end.

use aws_sdk_s3::config::{BehaviorVersion, Credentials, Region};
use sha2::{Digest, Sha256};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};
use supamcp::s3::{S3Config, S3Store};
use supamcp::secret::Secret;
use tokio::io::AsyncReadExt;

const MIB: usize = 1024 * 1024;

struct Moto(Child);

impl Drop for Moto {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut args = std::env::args().skip(1);
    let mib: usize = args.next().unwrap_or_else(|| "256".into()).parse()?;
    let (endpoint, _moto) = match args.next() {
        Some(endpoint) => (endpoint, None),
        None => {
            let (endpoint, moto) = start_moto().await?;
            (endpoint, Some(moto))
        }
    };
    let bucket = format!("bench-{}", std::process::id());
    raw_client(&endpoint).create_bucket().bucket(&bucket).send().await?;
    let config = S3Config {
        endpoint_url: Some(endpoint),
        access_key_id: Some(Secret::new("bench")),
        secret_access_key: Some(Secret::new("bench")),
        path_style: true,
        ..S3Config::new(bucket)
    };
    let store = S3Store::connect(&config).await?;
    let baseline = peak_rss_mib()?;

    let mut state = 0x9e37_79b9_7f4a_7c15_u64;
    let mut chunk = vec![0u8; MIB];
    let mut sent = Sha256::new();
    let started = Instant::now();
    let mut writer = store.writer("bench.bin").await?;
    for _ in 0..mib {
        fill(&mut chunk, &mut state);
        sent.update(&chunk);
        writer.write(&chunk).await?;
    }
    let total = writer.finish().await?;
    let upload = started.elapsed().as_secs_f64();
    let upload_peak = peak_rss_mib()?;

    let started = Instant::now();
    let mut reader = store.reader("bench.bin").await?;
    let (mut received, mut count) = (Sha256::new(), 0usize);
    loop {
        let n = reader.read(&mut chunk).await?;
        if n == 0 {
            break;
        }
        received.update(&chunk[..n]);
        count += n;
    }
    let download = started.elapsed().as_secs_f64();
    if count as u64 != total || sent.finalize() != received.finalize() {
        return Err("the downloaded bytes differ from the uploaded ones".into());
    }
    store.delete("bench.bin").await?;
    println!(
        "{{\"mib\": {mib}, \"upload_s\": {upload:.2}, \"upload_mib_s\": {:.1}, \"download_s\": {download:.2}, \
         \"download_mib_s\": {:.1}, \"baseline_rss_mib\": {baseline:.1}, \"peak_rss_after_upload_mib\": \
         {upload_peak:.1}, \"peak_rss_mib\": {:.1}}}",
        mib as f64 / upload,
        mib as f64 / download,
        peak_rss_mib()?
    );
    Ok(())
}

/// xorshift64: incompressible bytes without holding the whole object.
fn fill(chunk: &mut [u8], state: &mut u64) {
    for word in chunk.chunks_mut(8) {
        *state ^= *state << 13;
        *state ^= *state >> 7;
        *state ^= *state << 17;
        word.copy_from_slice(&state.to_le_bytes()[..word.len()]);
    }
}

/// VmHWM from /proc/self/status, in MiB.
fn peak_rss_mib() -> Result<f64, Box<dyn std::error::Error>> {
    let status = std::fs::read_to_string("/proc/self/status")?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:")).ok_or("no VmHWM in /proc/self/status")?;
    let kib: f64 = line.split_whitespace().nth(1).ok_or("bad VmHWM line")?.parse()?;
    Ok(kib / 1024.0)
}

async fn start_moto() -> Result<(String, Moto), Box<dyn std::error::Error>> {
    let port = std::net::TcpListener::bind("127.0.0.1:0")?.local_addr()?.port();
    let child = Command::new("python3")
        .args(["-m", "moto.server", "-H", "127.0.0.1", "-p", &port.to_string()])
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()?;
    let moto = Moto(child);
    for _ in 0..600 {
        if tokio::net::TcpStream::connect(("127.0.0.1", port)).await.is_ok() {
            return Ok((format!("http://127.0.0.1:{port}"), moto));
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    Err("moto_server did not start".into())
}

fn raw_client(endpoint: &str) -> aws_sdk_s3::Client {
    let config = aws_sdk_s3::config::Builder::new()
        .behavior_version(BehaviorVersion::latest())
        .region(Region::new("us-east-1"))
        .credentials_provider(Credentials::new("bench", "bench", None, None, "bench"))
        .endpoint_url(endpoint)
        .force_path_style(true)
        .http_client(supamcp::s3::https_client())
        .build();
    aws_sdk_s3::Client::from_conf(config)
}
