//! Build script: the troubleshooting knowledge base (`knowledge/*.toml`, written by hand) concatenated in file
//! name order and deflate-compressed into `$OUT_DIR/knowledge.toml.gz`, which `src/knowledge/base.rs` embeds
//! with `include_bytes!` and inflates once at first use; and the git commit the binary is built from
//! (SUPAMCP_COMMIT, "unknown" outside a git checkout), so `supamcp --version` names it.

use std::io::Write;
use std::path::PathBuf;
use std::process::Command;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    knowledge_base()?;
    commit();
    Ok(())
}

fn knowledge_base() -> Result<(), Box<dyn std::error::Error>> {
    let dir = PathBuf::from("knowledge");
    println!("cargo::rerun-if-changed=knowledge");
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)?
        .filter_map(|entry| entry.ok().map(|e| e.path()))
        .filter(|path| path.extension().is_some_and(|ext| ext == "toml"))
        .collect();
    files.sort();
    let mut text = String::new();
    for file in &files {
        println!("cargo::rerun-if-changed={}", file.display());
        text.push_str(&std::fs::read_to_string(file)?);
        text.push('\n');
    }
    let out = PathBuf::from(std::env::var("OUT_DIR")?).join("knowledge.toml.gz");
    let mut encoder = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::best());
    encoder.write_all(text.as_bytes())?;
    std::fs::write(out, encoder.finish()?)?;
    Ok(())
}

fn commit() {
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
