//! Build script: records the git commit the binary is built from (SUPAMCP_COMMIT, "unknown" outside a git
//! checkout, e.g. a crates.io install), so `supamcp --version` names it.

use std::process::Command;

fn main() {
    let commit = std::env::var("SUPAMCP_COMMIT").ok().filter(|c| !c.is_empty()).or_else(|| {
        let output = Command::new("git").args(["rev-parse", "--short=12", "HEAD"]).output().ok()?;
        output.status.success().then(|| String::from_utf8_lossy(&output.stdout).trim().to_owned())
    });
    println!("cargo:rustc-env=SUPAMCP_COMMIT={}", commit.unwrap_or_else(|| "unknown".to_owned()));
    println!("cargo:rerun-if-env-changed=SUPAMCP_COMMIT");
    for path in [".git/HEAD", ".git/refs/heads", ".git/packed-refs"] {
        if std::path::Path::new(path).exists() {
            println!("cargo:rerun-if-changed={path}");
        }
    }
}
