//! The troubleshooting knowledge base and the docs search behind the `knowledge` group (no rmcp): entries
//! written by us (`knowledge/*.toml`, compressed into the binary by build.rs), a BM25 index with typo-tolerant
//! code matching (`index`), the explain/search work (`answer`), the Content API client (`content_api`) and
//! the search terms read out of a GraphQL query (`graphql`).

pub mod answer;
pub mod content_api;
pub mod graphql;
pub mod index;

use serde::{Deserialize, Serialize};
use std::io::Read;
use std::sync::OnceLock;

/// The compressed base, made by build.rs from `knowledge/*.toml`.
static COMPRESSED: &[u8] = include_bytes!(concat!(env!("OUT_DIR"), "/knowledge.toml.gz"));

/// How to confirm that an entry is the problem at hand: a tool call supamcp can make, and what to look for.
#[derive(Clone, Debug, Deserialize, Serialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Confirm {
    /// The supamcp tool to call.
    pub tool: String,
    /// Its arguments, as JSON object text.
    pub args: String,
    /// What in the reply confirms the problem.
    pub look_for: String,
}

/// One known problem.
#[derive(Clone, Debug, Deserialize, Serialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Entry {
    /// Stable id (kebab-case).
    pub id: String,
    pub title: String,
    /// The part of the stack that reports it: postgres, postgrest, auth, storage, realtime, kong, pooler,
    /// functions, studio, env, dokploy, supamcp.
    pub service: String,
    /// Error codes that name it (SQLSTATE, GoTrue error_code, Storage code, PGRST code).
    #[serde(default)]
    pub codes: Vec<String>,
    /// Lowercase fragments of the messages users see.
    #[serde(default)]
    pub patterns: Vec<String>,
    /// Finding rules that link here: `doctor:<rule>`, `advisor:<lint>`, `health:<check>`.
    #[serde(default)]
    pub rules: Vec<String>,
    #[serde(default)]
    pub keywords: Vec<String>,
    pub cause: String,
    pub confirm: Confirm,
    pub fix: String,
    /// The official page for more.
    pub docs: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct BaseFile {
    entry: Vec<Entry>,
}

/// The base: its entries and their index, built once.
pub struct Base {
    pub entries: Vec<Entry>,
    pub index: index::Index,
    /// Size of the embedded, compressed base.
    pub compressed_bytes: usize,
}

/// Reads the embedded base. An error here is a build defect (the tests parse every entry).
fn load() -> Result<Base, String> {
    let mut text = String::new();
    flate2::read::GzDecoder::new(COMPRESSED)
        .read_to_string(&mut text)
        .map_err(|e| format!("the embedded knowledge base cannot be inflated: {e}"))?;
    parse(&text, COMPRESSED.len())
}

/// Parses base text (the concatenated `knowledge/*.toml`) and indexes it.
pub fn parse(text: &str, compressed_bytes: usize) -> Result<Base, String> {
    let file: BaseFile = toml::from_str(text).map_err(|e| format!("the knowledge base does not parse: {e}"))?;
    let index = index::Index::build(&file.entry);
    Ok(Base { entries: file.entry, index, compressed_bytes })
}

/// The embedded base, loaded and indexed on first use.
pub fn base() -> Result<&'static Base, String> {
    static BASE: OnceLock<Result<Base, String>> = OnceLock::new();
    BASE.get_or_init(load).as_ref().map_err(Clone::clone)
}

/// The id of the entry a finding rule links to (`doctor:<rule>`, `advisor:<lint>`, `health:<check>`), for the
/// `knowledge` field of findings and alerts: explain_error or search_docs give the whole entry.
pub fn entry_for(rule: &str) -> Option<&'static str> {
    base().ok()?.for_rule(rule).map(|entry| entry.id.as_str())
}

impl Base {
    pub fn get(&self, id: &str) -> Option<&Entry> {
        self.entries.iter().find(|e| e.id == id)
    }

    /// The entry a finding rule links to (`doctor:jwt_role_missing`, `advisor:rls_disabled_in_public`).
    pub fn for_rule(&self, rule: &str) -> Option<&Entry> {
        self.entries.iter().find(|e| e.rules.iter().any(|r| r == rule))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn findings_link_to_entries_that_explain_error_finds_by_id() {
        let id = entry_for("doctor:jwt_role_missing").expect("the doctor rule has an entry");
        assert_eq!(entry_for("advisor:nonexistent_lint"), None);
        let base = base().expect("base");
        let matches = answer::local_matches(base, id, 3);
        assert_eq!(matches[0].id, id);
        assert_eq!(matches[0].matched_by, vec![index::Signal::Id]);
        assert!(matches.iter().skip(1).all(|m| m.id != id), "the entry is not listed twice");
    }

    #[test]
    fn the_embedded_base_loads() {
        let base = base();
        assert!(base.is_ok(), "{:?}", base.err());
        let base = base.ok();
        assert!(base.is_some_and(|b| b.entries.len() >= 80 && b.compressed_bytes > 0));
    }
}
