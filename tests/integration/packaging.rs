//! How people install and configure supamcp: the npm packages built by `npm/build.mjs` from this binary, run
//! through `npx` from the tarballs and installed into a project (an MCP session through the npm launcher), the
//! commit in `--version`, and `config print` for each client.

use crate::mcp_client;
use serde_json::{Value, json};
use std::path::Path;
use std::process::Command;

fn run(command: &mut Command) -> String {
    let output = command.output().expect("run");
    assert!(
        output.status.success(),
        "{command:?} failed: {}\n{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8_lossy(&output.stdout).into_owned()
}

/// The packages for this machine's platform, packed into `out`; returns (launcher tarball, platform tarball).
fn build_packages(out: &Path) -> (String, String) {
    let binary = out.join("supamcp");
    std::fs::copy(env!("CARGO_BIN_EXE_supamcp"), &binary).unwrap();
    // The debug build's symbols are most of its size; the package test needs the code only.
    run(Command::new("strip").arg("--strip-debug").arg(&binary));
    let root = env!("CARGO_MANIFEST_DIR");
    let target = format!("linux-{}", if cfg!(target_arch = "aarch64") { "arm64" } else { "x64" });
    run(Command::new("node")
        .arg(format!("{root}/npm/build.mjs"))
        .args(["--out", out.to_str().unwrap(), "--binary"])
        .arg(format!("{target}={}", binary.display()))
        .arg("--pack"));
    let version = env!("CARGO_PKG_VERSION");
    let launcher = out.join(format!("supamcp-{version}.tgz"));
    let platform = out.join(format!("supamcp-{target}-{version}.tgz"));
    assert!(launcher.is_file() && platform.is_file(), "npm pack left {:?}", std::fs::read_dir(out).unwrap().count());
    (launcher.display().to_string(), platform.display().to_string())
}

fn npm(command: &str, work: &Path) -> Command {
    let mut npm = Command::new(command);
    npm.env("npm_config_cache", work.join("npm-cache"))
        .env("npm_config_update_notifier", "false")
        .env("npm_config_fund", "false")
        .env("npm_config_audit", "false")
        .current_dir(work);
    npm
}

#[tokio::test]
async fn the_npm_package_runs_through_npx_and_serves_mcp() {
    let work = tempfile::tempdir().unwrap();
    let (launcher, platform) = build_packages(work.path());
    let version = run(npm("npx", work.path())
        .arg("--yes")
        .arg(format!("--package={platform}"))
        .arg(format!("--package={launcher}"))
        .args(["--", "supamcp", "--version"]));
    assert!(version.starts_with(&format!("supamcp {} (", env!("CARGO_PKG_VERSION"))), "{version}");
    assert!(!version.contains("(unknown)"), "the build names its commit: {version}");

    let project = work.path().join("project");
    std::fs::create_dir(&project).unwrap();
    run(npm("npm", &project).args(["install", "--no-save", &platform, &launcher]));
    let installed = project.join("node_modules/.bin/supamcp");
    let data_dir = tempfile::tempdir().unwrap();
    let mut command = tokio::process::Command::new(&installed);
    command.args(["--features", "development", "--data-dir"]).arg(data_dir.path()).env("SUPAMCP_LOG", "warn");
    let server = mcp_client::handshake(command).await;
    let name = server.ok("validate_project_name", json!({"name": "shop-prod"})).await;
    assert!(name.is_object(), "{name}");
    server.stop().await;

    let missing = npm("node", &project)
        .arg(project.join("node_modules/supamcp/bin/supamcp.js"))
        .env("SUPAMCP_BINARY", work.path().join("no-such-binary"))
        .output()
        .unwrap();
    assert_eq!(missing.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&missing.stderr).contains("cannot start the binary"));
}

#[test]
fn config_print_gives_each_client_its_snippet_without_secrets() {
    let print = |client: &str, extra: &[&str]| {
        let mut command = Command::new(env!("CARGO_BIN_EXE_supamcp"));
        command.env_remove("SUPAMCP_FEATURES").env_remove("SUPAMCP_READ_ONLY").env_remove("SUPAMCP_DATABASE_URL");
        run(command.args(extra).args(["config", "print", "--client", client]))
    };
    let secret = "postgres://postgres:Very-Secret-Pw@db.example.com/postgres";
    let cursor: Value =
        serde_json::from_str(&print("cursor", &["--read-only", "--features", "database", "--database-url", secret]))
            .unwrap();
    let server = &cursor["mcpServers"]["supabase"];
    assert_eq!(server["command"], "npx");
    assert_eq!(server["args"], json!(["-y", "supamcp", "--features", "database", "--read-only"]));
    assert_eq!(server["env"]["SUPAMCP_DATABASE_URL"], "<your database URL>");
    let vscode: Value = serde_json::from_str(&print("vscode", &[])).unwrap();
    assert_eq!(vscode["servers"]["supabase"]["type"], "stdio");
    for client in ["claude-desktop", "windsurf"] {
        let parsed: Value = serde_json::from_str(&print(client, &[])).unwrap();
        assert!(parsed["mcpServers"]["supabase"].is_object(), "{client}: {parsed}");
    }
    let code = print("claude-code", &["--database-url", secret]);
    assert!(code.starts_with("claude mcp add supabase -e "), "{code}");
    assert!(!code.contains("Very-Secret-Pw"), "{code}");
}

#[test]
fn the_dockerfile_and_the_workflows_pass_their_linters() {
    let root = env!("CARGO_MANIFEST_DIR");
    run(Command::new("hadolint").arg(format!("{root}/Dockerfile")));
    let mut check = Command::new("check-jsonschema");
    check.args(["--builtin-schema", "vendor.github-workflows"]);
    for entry in std::fs::read_dir(format!("{root}/.github/workflows")).unwrap() {
        check.arg(entry.unwrap().path());
    }
    run(&mut check);
    let workflow = std::fs::read_to_string(format!("{root}/.github/workflows/release.yml")).unwrap();
    for target in [
        "x86_64-unknown-linux-musl",
        "aarch64-unknown-linux-musl",
        "x86_64-apple-darwin",
        "aarch64-apple-darwin",
        "x86_64-pc-windows-msvc",
    ] {
        assert!(workflow.contains(target), "the release builds {target}");
    }
}
