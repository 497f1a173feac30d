//! Runs every rule over a `.env` file (the key rules from `keys` and the rules of this module) and
//! returns one report: findings sorted worst first, counts per severity, and the diff to the template.

use super::template::{TemplateDiff, diff_template};
use super::{EnvFile, rules_secrets, rules_stack};
use crate::failure::Failure;
use crate::supabase::finding::{Finding, Severity, worst};
use crate::supabase::keys::validate_keys;
use serde::Serialize;
use std::path::Path;

/// PostgreSQL's default, which the Supabase postgres image keeps.
pub const DEFAULT_MAX_CONNECTIONS: i64 = 100;

/// Knobs of a check.
#[derive(Clone, Copy, Debug)]
pub struct CheckOptions {
    /// Unix time to judge expiry against.
    pub now: i64,
    /// The database's max_connections, for the pool-size rules.
    pub max_connections: i64,
}

impl Default for CheckOptions {
    fn default() -> Self {
        CheckOptions { now: chrono::Utc::now().timestamp(), max_connections: DEFAULT_MAX_CONNECTIONS }
    }
}

/// The result of checking one file.
#[derive(Clone, Debug, Serialize, schemars::JsonSchema)]
pub struct Report {
    /// "clean", "info", "warning" or "critical": the worst finding.
    pub status: &'static str,
    pub critical: usize,
    pub warnings: usize,
    pub info: usize,
    pub findings: Vec<Finding>,
    pub template_diff: TemplateDiff,
}

impl Report {
    /// The doctor's exit code: 0 clean (or info only), 1 warnings, 2 critical.
    pub fn exit_code(&self) -> u8 {
        match worst(&self.findings) {
            Some(Severity::Critical) => 2,
            Some(Severity::Warning) => 1,
            _ => 0,
        }
    }
}

/// Every finding for `file`, worst first, then by variable and rule.
pub fn findings(file: &EnvFile, options: &CheckOptions) -> Vec<Finding> {
    let mut out = validate_keys(|name| file.get(name), options.now);
    rules_secrets::check(file, &mut out);
    rules_stack::check(file, options.max_connections, &mut out);
    out.sort_by(|a, b| {
        b.severity.cmp(&a.severity).then_with(|| a.variable.cmp(&b.variable)).then_with(|| a.rule.cmp(&b.rule))
    });
    out
}

/// Checks `file`.
pub fn check(file: &EnvFile, options: &CheckOptions) -> Report {
    let findings = findings(file, options);
    let count = |severity| findings.iter().filter(|f| f.severity == severity).count();
    Report {
        status: worst(&findings).map(Severity::name).unwrap_or("clean"),
        critical: count(Severity::Critical),
        warnings: count(Severity::Warning),
        info: count(Severity::Info),
        template_diff: diff_template(file),
        findings,
    }
}

/// Parses `.env` text, turning a parse error into a [`Failure`].
pub fn parse_text(text: &str, origin: &str) -> Result<EnvFile, Failure> {
    EnvFile::parse(text).map_err(|e| {
        Failure::new(format!("cannot read {origin}"), e.to_string(), "close the quote on that line, then check again")
    })
}

/// Largest `.env` read from a path; real ones are a few kB.
const MAX_ENV_BYTES: u64 = 1024 * 1024;

/// The text of the file at `path`: a regular file of at most 1 MiB holding UTF-8 text without NUL bytes.
/// No error quotes the content.
fn read_text(path: &Path) -> Result<String, Failure> {
    let shown = path.display();
    let not_env = |why: String| {
        Failure::new(format!("refusing to read {shown}"), why, "pass the path of a .env file (KEY=value lines)")
    };
    let metadata = std::fs::metadata(path).map_err(|e| {
        Failure::new(format!("cannot read {shown}"), e.to_string(), "check the path and its permissions")
    })?;
    if !metadata.is_file() {
        return Err(not_env("it is not a regular file".to_owned()));
    }
    if metadata.len() > MAX_ENV_BYTES {
        return Err(not_env(format!("it has {} bytes; a .env has at most {MAX_ENV_BYTES}", metadata.len())));
    }
    let bytes = std::fs::read(path).map_err(|e| {
        Failure::new(format!("cannot read {shown}"), e.to_string(), "check the path and its permissions")
    })?;
    if bytes.contains(&0) {
        return Err(not_env("it is a binary file, not a .env".to_owned()));
    }
    String::from_utf8(bytes).map_err(|_| not_env("it is not UTF-8 text, so not a .env".to_owned()))
}

/// Reads and parses the `.env` file at `path`. Lines that are not assignments are kept and reported by the
/// rules (`line_unparsed`).
pub fn read_file(path: &Path) -> Result<EnvFile, Failure> {
    parse_text(&read_text(path)?, &path.display().to_string())
}

/// Reads the file at `path` only when it is a `.env`: every line an assignment, a comment or blank. For tools
/// that return the file's text: anything else (a private key, /etc/passwd, a binary) is refused with the line
/// numbers that are not assignments, never with their content.
pub fn read_file_strict(path: &Path) -> Result<EnvFile, Failure> {
    let file = read_file(path).map_err(|failure| {
        // A parse error names the line and the quote only; say also why the file is refused.
        Failure::new(failure.what, failure.why, "pass the path of a .env file with every quote closed")
    })?;
    let stray = file.unparsed_lines();
    if stray.is_empty() {
        return Ok(file);
    }
    let numbers: Vec<String> = stray.iter().take(10).map(usize::to_string).collect();
    let more = if stray.len() > 10 { format!(" and {} more", stray.len() - 10) } else { String::new() };
    Err(Failure::new(
        format!("refusing to read {}: it is not a .env file", path.display()),
        format!(
            "line {}{more} {} not KEY=value, a comment or blank (the content is not shown)",
            numbers.join(", "),
            if stray.len() == 1 { "is" } else { "are" }
        ),
        "pass the path of a .env file; to check a file with such lines use validate_config, which reports them \
         by number",
    ))
}

/// The `.env` text from exactly one of `text` or `path`.
pub fn load(text: Option<&str>, path: Option<&Path>) -> Result<EnvFile, Failure> {
    load_with(text, path, read_file)
}

/// [`load`] for tools that return the file: a path must name a `.env` ([`read_file_strict`]).
pub fn load_strict(text: Option<&str>, path: Option<&Path>) -> Result<EnvFile, Failure> {
    load_with(text, path, read_file_strict)
}

fn load_with(
    text: Option<&str>,
    path: Option<&Path>,
    read: fn(&Path) -> Result<EnvFile, Failure>,
) -> Result<EnvFile, Failure> {
    match (text, path) {
        (Some(text), None) => parse_text(text, "the given .env text"),
        (None, Some(path)) => read(path),
        _ => Err(Failure::new(
            "no .env to check",
            "exactly one of env_text or path must be given",
            "pass the file's content as env_text, or its location as path",
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn write(dir: &Path, name: &str, bytes: &[u8]) -> std::path::PathBuf {
        let path = dir.join(name);
        std::fs::write(&path, bytes).unwrap_or_else(|e| panic!("{e}"));
        path
    }

    #[test]
    fn only_env_files_are_read_for_output_and_no_content_is_echoed() {
        let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
        let env = write(dir.path(), ".env", b"# comment\n\nexport SITE_URL=http://a\nJWT_SECRET='x y'\n");
        assert_eq!(read_file_strict(&env).map(|f| f.entries().count()).ok(), Some(2));

        let key = "-----BEGIN OPENSSH PRIVATE KEY-----\nb3BlbnNzaC1rZXktdjEAAAAABG5vbmU=\nAAAAC3NzaC1lZDI1NTE5AAAA\n\
                   -----END OPENSSH PRIVATE KEY-----\n";
        let passwd = "root:x:0:0:root:/root:/bin/bash\ndaemon:x:1:1:daemon:/usr/sbin:/usr/sbin/nologin\n";
        let cases: [(&str, &[u8], &str); 4] = [
            ("id_ed25519", key.as_bytes(), "line 1, 3, 4 are not KEY=value"),
            ("passwd", passwd.as_bytes(), "line 1, 2 are not KEY=value"),
            ("binary", b"A=1\n\x00\x01\x02secret", "binary"),
            ("latin1", b"A=\xe9t\xe9\n", "not UTF-8"),
        ];
        for (name, bytes, why) in cases {
            let path = write(dir.path(), name, bytes);
            let failure = read_file_strict(&path).err().unwrap_or_else(|| panic!("{name} was read"));
            let text = failure.text();
            assert!(text.contains(why), "{name}: {text}");
            for secret in ["b3BlbnNz", "AAAAC3", "root:x", "/bin/bash", "secret", "BEGIN"] {
                assert!(!text.contains(secret), "{name} echoed {secret}: {text}");
            }
        }
        assert!(read_file(&dir.path().join("passwd")).is_ok(), "validate_config still reports such lines");
        assert!(read_file_strict(dir.path()).err().is_some_and(|f| f.why.contains("not a regular file")));
        let big = write(dir.path(), "big", &vec![b'#'; (MAX_ENV_BYTES + 1) as usize]);
        assert!(read_file(&big).err().is_some_and(|f| f.why.contains("at most")));
    }
}
