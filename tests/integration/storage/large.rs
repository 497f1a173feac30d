//! A 160 MB file uploaded and downloaded through the binary: both streamed, identical SHA-256 end to end, and
//! the transfers add under 40 MB to the binary's peak resident memory (VmHWM) and the peak stays under half the
//! file's size, so nothing buffers it.
//! The source is removed once uploaded: the test never holds more than two copies on disk (the fake's and one
//! local), since CI machines can be short of space.

#![allow(clippy::expect_used, clippy::unwrap_used, clippy::panic)]

use super::setup;
use serde_json::json;
use sha2::Digest;
use std::io::Write;

const SIZE: u64 = 160 * 1024 * 1024;

/// Peak resident memory (kB) of the supamcp process whose command line names `marker` (its data directory).
fn peak_rss_kb(marker: &str) -> u64 {
    for entry in std::fs::read_dir("/proc").unwrap().flatten() {
        let cmdline = std::fs::read(entry.path().join("cmdline")).unwrap_or_default();
        let cmdline = String::from_utf8_lossy(&cmdline);
        if cmdline.contains("supamcp") && cmdline.contains(marker) {
            let status = std::fs::read_to_string(entry.path().join("status")).unwrap_or_default();
            let line = status.lines().find(|l| l.starts_with("VmHWM:")).unwrap_or_default();
            return line.split_whitespace().nth(1).and_then(|v| v.parse().ok()).unwrap_or(0);
        }
    }
    panic!("no supamcp process with {marker}");
}

#[tokio::test]
async fn a_160_mb_file_streams_both_ways_with_flat_memory() {
    let s = setup().await;
    s.fake.state().global_limit = 1 << 40;
    s.bucket("large", json!({})).await;
    // Pseudo-random bytes (an xorshift stream), written in 1 MiB blocks.
    let path = s.dir.path().join("big.bin");
    let mut file = std::io::BufWriter::new(std::fs::File::create(&path).unwrap());
    let mut hasher = sha2::Sha256::new();
    let mut state = 0x9E37_79B9_7F4A_7C15u64;
    let mut block = vec![0u8; 1 << 20];
    for _ in 0..SIZE >> 20 {
        for chunk in block.chunks_mut(8) {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            chunk.copy_from_slice(&state.to_le_bytes());
        }
        hasher.update(&block);
        file.write_all(&block).unwrap();
    }
    file.flush().unwrap();
    drop(file);
    let expected = hex::encode(hasher.finalize());

    // Memory before the transfers: the debug binary's own pages and the runtime (this grows with the code, not
    // with the file), so the bound below is on what the transfers add.
    let marker = s.server.data_dir.as_ref().unwrap().path().display().to_string();
    let before = peak_rss_kb(&marker);
    let up = s.server.ok("upload_object", json!({ "bucket": "large", "path": "big.bin", "file": "big.bin" })).await;
    assert_eq!(up["size"], SIZE);
    assert_eq!(up["sha256"], expected);
    assert_eq!(s.fake.object("large", "big.bin").unwrap().etag, expected, "the fake received the same bytes");
    std::fs::remove_file(&path).unwrap();
    let down = s.server.ok("download_object", json!({ "bucket": "large", "path": "big.bin", "to": "back.bin" })).await;
    assert_eq!(down["bytes"], SIZE);
    assert_eq!(down["sha256"], expected);
    assert_eq!(std::fs::metadata(s.dir.path().join("back.bin")).unwrap().len(), SIZE);

    let peak = peak_rss_kb(&marker);
    eprintln!("supamcp peak RSS over a 160 MB upload and download: {peak} kB (before: {before} kB)");
    assert!(before > 0 && peak >= before);
    assert!(peak - before < 40 * 1024, "the transfers added {} kB, over 40 MB", peak - before);
    assert!(peak < 80 * 1024, "peak RSS {peak} kB, over half the file's size");
    s.server.stop().await;
}
