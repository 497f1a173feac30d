//! Figures of the knowledge base: the embedded size (compressed and inflated), the first load (inflate, parse,
//! index) and the ranking latency of explain_error's local step over the fixture error texts
//! (`fixtures/knowledge/errors.toml`), median and p95 in microseconds, printed as JSON.
//! Usage: cargo run --release --example bench_knowledge [rounds]

use std::time::Instant;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let rounds: usize = std::env::args().nth(1).unwrap_or_else(|| "200".into()).parse()?;
    let started = Instant::now();
    let base = supamcp::knowledge::base()?;
    let load_ms = started.elapsed().as_secs_f64() * 1e3;
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut inflated = 0;
    for entry in std::fs::read_dir(root.join("knowledge"))? {
        inflated += std::fs::metadata(entry?.path())?.len();
    }
    let fixtures: toml::Value = toml::from_str(&std::fs::read_to_string(root.join("fixtures/knowledge/errors.toml"))?)?;
    let texts: Vec<String> = fixtures["case"]
        .as_array()
        .ok_or("no cases")?
        .iter()
        .filter_map(|case| case["text"].as_str().map(str::to_owned))
        .collect();
    let mut samples = Vec::with_capacity(rounds * texts.len());
    for _ in 0..rounds {
        for text in &texts {
            let started = Instant::now();
            let found = supamcp::knowledge::answer::local_matches(base, text, 3);
            samples.push(started.elapsed().as_secs_f64() * 1e6);
            std::hint::black_box(found);
        }
    }
    samples.sort_by(f64::total_cmp);
    let median = samples[samples.len() / 2];
    let p95 = samples[samples.len() * 95 / 100];
    let max = samples[samples.len() - 1];
    println!(
        "{{\"entries\": {}, \"compressed_bytes\": {}, \"source_bytes\": {inflated}, \"first_load_ms\": {load_ms:.2}, \
         \"texts\": {}, \"median_us\": {median:.1}, \"p95_us\": {p95:.1}, \"max_us\": {max:.1}}}",
        base.entries.len(),
        base.compressed_bytes,
        texts.len()
    );
    Ok(())
}
