//! The MCP Inspector CLI, an independent MCP client (installed by scripts/test.sh into .tools/), drives the
//! built binary: it lists the tools (validating them) and calls execute_sql, whose structured content it
//! checks against the declared output schema.

use crate::support;

use serde_json::Value;
use std::path::PathBuf;
use std::process::Command;

fn inspector() -> PathBuf {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join(".tools/node_modules/.bin/mcp-inspector");
    assert!(
        path.exists(),
        "the MCP Inspector CLI is missing: run `bash scripts/test.sh` (it installs it into .tools/)"
    );
    path
}

fn run(url: &str, data_dir: &std::path::Path, method_args: &[&str]) -> Value {
    let home = tempfile::tempdir().expect("home");
    let output = Command::new(inspector())
        .arg("--cli")
        .arg("-e")
        .arg("SUPAMCP_LOG=warn")
        .arg(env!("CARGO_BIN_EXE_supamcp"))
        .args(["--database-url", url, "--data-dir"])
        .arg(data_dir)
        .args(method_args)
        .args(["--format", "json", "-q"])
        .env("HOME", home.path())
        .output()
        .expect("run the inspector");
    assert!(
        output.status.success(),
        "inspector failed: {}\n{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    serde_json::from_slice(&output.stdout)
        .unwrap_or_else(|e| panic!("inspector output is not JSON ({e}): {}", String::from_utf8_lossy(&output.stdout)))
}

#[tokio::test]
async fn the_inspector_lists_and_calls_tools() {
    let db = support::fresh_sample_database("inspector").await;
    let data_dir = tempfile::tempdir().expect("data dir");
    let listing = run(&db.url(), data_dir.path(), &["--method", "tools/list"]);
    let tools = listing["tools"].as_array().or_else(|| listing["result"]["tools"].as_array()).expect("a tool list");
    assert!(tools.iter().any(|t| t["name"] == "execute_sql"), "{listing}");

    let called = run(
        &db.url(),
        data_dir.path(),
        &[
            "--method",
            "tools/call",
            "--tool-name",
            "execute_sql",
            "--tool-args-json",
            r#"{"sql":"select count(*) as n from public.todos"}"#,
        ],
    );
    let result = if called["result"].is_object() { &called["result"] } else { &called };
    assert_eq!(result["isError"], Value::Bool(false), "{called}");
    assert!(result["structuredContent"]["rows"][0]["n"].as_i64().unwrap_or(0) > 0, "{called}");
}

/// `--strict` checks every tool schema's portability: no error-severity finding (exit 6) for any tool of any
/// group, and no finding at all on input schemas (what clients map onto their models' function dialects).
/// Output schemas keep nullable fields as `["T", "null"]` type arrays, which it reports as warnings.
#[test]
fn the_inspector_strict_mode_finds_no_portability_error() {
    let home = tempfile::tempdir().expect("home");
    let data_dir = tempfile::tempdir().expect("data dir");
    let output = Command::new(inspector())
        .arg("--cli")
        .args(["-e", "SUPAMCP_LOG=warn", "-e", "DOKPLOY_URL=http://127.0.0.1:1", "-e", "DOKPLOY_API_KEY=dummy"])
        .arg(env!("CARGO_BIN_EXE_supamcp"))
        .args(["--database-url", "postgres://nobody@127.0.0.1:1/none", "--features", "all", "--data-dir"])
        .arg(data_dir.path())
        .args(["--method", "tools/list", "--strict", "--format", "json", "-q"])
        .env("HOME", home.path())
        .output()
        .expect("run the inspector");
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(output.status.success(), "inspector --strict failed ({:?}): {stderr}", output.status.code());
    let listing: Value = serde_json::from_slice(&output.stdout).expect("a JSON tool list");
    let tools = listing["tools"].as_array().or_else(|| listing["result"]["tools"].as_array()).expect("tools");
    assert!(tools.len() > 40, "every group's tools are checked: {}", tools.len());
    assert!(!stderr.lines().any(|line| line.starts_with("Error")), "{stderr}");
    let input_findings: Vec<&str> = stderr.lines().filter(|line| line.contains("Path: inputSchema")).collect();
    assert!(input_findings.is_empty(), "input schema findings: {input_findings:#?}");
}
