//! Baseline for the round-trip benchmark: `select 1` in a loop over one tokio-postgres connection, the
//! floor any server built on it can reach. Prints the median and p95 in microseconds as JSON.
//! Usage: bench_select1 <connection string> <iterations>

use std::time::Instant;

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut args = std::env::args().skip(1);
    let url = args.next().ok_or("usage: bench_select1 <connection string> <iterations>")?;
    let iterations: usize = args.next().unwrap_or_else(|| "2000".into()).parse()?;
    let spec = supamcp::pg::conninfo::ConnSpec::parse(&url)?;
    let (client, connection) = spec.to_pg_config().connect(tokio_postgres::NoTls).await?;
    tokio::spawn(connection);
    let mut samples = Vec::with_capacity(iterations);
    for _ in 0..iterations {
        let started = Instant::now();
        client.query_one("select 1", &[]).await?;
        samples.push(started.elapsed().as_secs_f64() * 1e6);
    }
    samples.sort_by(f64::total_cmp);
    let median = samples[samples.len() / 2];
    let p95 = samples[samples.len() * 95 / 100];
    println!("{{\"median_us\": {median:.1}, \"p95_us\": {p95:.1}}}");
    Ok(())
}
