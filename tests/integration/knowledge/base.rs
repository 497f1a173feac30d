//! Every entry of the embedded base is complete and its confirm step is a real call: the tool exists in some
//! group and the arguments are a JSON object the tool's input schema accepts (known properties, required ones
//! present). Every finding rule of the doctor (.env, keys, Dokploy checks), every health check and every
//! advisor lint links to an entry; the doctor and health rule ids are read from the source, so a new rule
//! without an entry fails here.

#![allow(clippy::expect_used, clippy::unwrap_used, clippy::panic)]

use serde_json::Value;
use std::collections::{BTreeMap, BTreeSet};
use supamcp::groups::Group;
use supamcp::knowledge;

fn tool_schemas() -> BTreeMap<String, Value> {
    let mut out = BTreeMap::new();
    for group in Group::ALL {
        let Some(router) = group.router() else { continue };
        for tool in router.list_all() {
            out.insert(tool.name.to_string(), Value::Object((*tool.input_schema).clone()));
        }
    }
    out
}

#[test]
fn every_entry_is_complete_and_its_confirm_call_is_valid() {
    let base = knowledge::base().expect("the embedded base");
    assert!(base.entries.len() >= 80, "{} entries", base.entries.len());
    let tools = tool_schemas();
    let services = [
        "postgres",
        "postgrest",
        "auth",
        "storage",
        "realtime",
        "kong",
        "pooler",
        "functions",
        "studio",
        "env",
        "dokploy",
        "supamcp",
    ];
    let mut ids = BTreeSet::new();
    for entry in &base.entries {
        let id = &entry.id;
        assert!(ids.insert(id.clone()), "duplicate id {id}");
        assert!(
            id.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-'),
            "{id}: id not kebab-case"
        );
        for (field, text) in [("title", &entry.title), ("cause", &entry.cause), ("fix", &entry.fix)] {
            assert!(text.trim().len() >= 10, "{id}: {field} is missing or too short");
        }
        assert!(services.contains(&entry.service.as_str()), "{id}: unknown service {}", entry.service);
        assert!(entry.docs.starts_with("https://"), "{id}: docs must be an https link");
        assert!(!entry.keywords.is_empty() || !entry.patterns.is_empty(), "{id}: nothing to match on");
        for pattern in &entry.patterns {
            assert_eq!(pattern, &pattern.to_lowercase(), "{id}: patterns are matched lowercase");
        }
        for rule in &entry.rules {
            let (kind, _) = rule.split_once(':').unwrap_or_else(|| panic!("{id}: rule {rule} has no kind"));
            assert!(["doctor", "health", "advisor"].contains(&kind), "{id}: rule kind {kind}");
        }
        let confirm = &entry.confirm;
        let schema =
            tools.get(&confirm.tool).unwrap_or_else(|| panic!("{id}: confirm names no tool: {}", confirm.tool));
        let args: Value = serde_json::from_str(&confirm.args).unwrap_or_else(|e| panic!("{id}: args not JSON: {e}"));
        let args = args.as_object().unwrap_or_else(|| panic!("{id}: args not an object"));
        let properties = schema["properties"].as_object().cloned().unwrap_or_default();
        for key in args.keys() {
            assert!(properties.contains_key(key), "{id}: {} has no parameter {key}", confirm.tool);
        }
        for required in schema["required"].as_array().into_iter().flatten() {
            let name = required.as_str().unwrap();
            assert!(args.contains_key(name), "{id}: {} needs {name}", confirm.tool);
        }
        assert!(!confirm.look_for.trim().is_empty(), "{id}: confirm says nothing to look for");
    }
}

/// String literals of Rust source with their byte spans (escapes skipped; raw strings are not used there).
fn literals(source: &str) -> Vec<(usize, usize, String)> {
    let bytes = source.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'/' if bytes.get(i + 1) == Some(&b'/') => {
                while i < bytes.len() && bytes[i] != b'\n' {
                    i += 1;
                }
            }
            b'\'' if bytes.get(i + 2) == Some(&b'\'') || (bytes.get(i + 1) == Some(&b'\\')) => {
                // a char literal such as '"' or '\\'
                i += if bytes.get(i + 1) == Some(&b'\\') { 4 } else { 3 };
            }
            b'"' => {
                let start = i + 1;
                i += 1;
                while i < bytes.len() && bytes[i] != b'"' {
                    i += if bytes[i] == b'\\' { 2 } else { 1 };
                }
                out.push((start - 1, i + 1, source[start..i.min(source.len())].to_owned()));
                i += 1;
            }
            _ => i += 1,
        }
    }
    out
}

fn is_rule_id(text: &str) -> bool {
    text.len() >= 3 && text.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_')
}

/// True inside a `for (variable, rule) in [("VARIABLE", "rule_id"), ...]` table.
fn in_rule_table(before: &str) -> bool {
    before.rfind("for (").is_some_and(|at| {
        let table = &before[at..];
        table.contains("rule) in [") && !table.contains(';')
    })
}

/// Rule ids the source gives findings and alerts: `Finding::new("id"`, `finding("id"`, `("id", Severity::`,
/// `for (variable, rule) in [("VARIABLE", "id")]` tables, `alert("id"` and `check: "id"`.
fn rule_ids(files: &[std::path::PathBuf]) -> BTreeSet<String> {
    let mut ids = BTreeSet::new();
    for file in files {
        let text = std::fs::read_to_string(file).unwrap();
        let text = text.split("#[cfg(test)]").next().unwrap_or_default();
        for (start, end, literal) in literals(text) {
            if !is_rule_id(&literal) {
                continue;
            }
            let before = text[..start].trim_end();
            let after = text[end..].trim_start();
            let after_comma = after.strip_prefix(',').map(str::trim_start).unwrap_or("");
            let named = before.ends_with("Finding::new(")
                || before.ends_with("finding(")
                || before.ends_with("alert(")
                || before.ends_with("check:")
                || after_comma.starts_with("Severity::")
                || (after.starts_with(')') && in_rule_table(&text[..start]));
            if named {
                ids.insert(literal);
            }
        }
    }
    ids
}

fn sources(dirs: &[&str]) -> Vec<std::path::PathBuf> {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut files = Vec::new();
    for dir in dirs {
        let path = root.join(dir);
        if path.is_file() {
            files.push(path);
            continue;
        }
        for entry in std::fs::read_dir(&path).unwrap() {
            let path = entry.unwrap().path();
            let name = path.file_name().unwrap().to_string_lossy().to_string();
            if name.ends_with(".rs") && !name.ends_with("tests.rs") {
                files.push(path);
            }
        }
    }
    files
}

#[test]
fn every_finding_rule_links_to_an_entry() {
    let base = knowledge::base().expect("the embedded base");
    let doctor = rule_ids(&sources(&["src/supabase/env", "src/supabase/keys", "src/dokploy/inspect.rs"]));
    let health = rule_ids(&sources(&["src/health"]));
    // the reader must see the rules it is known to find, or it has gone blind
    for known in
        ["jwt_role_missing", "smtp_fake", "pooler_pool_too_large", "project_name_invalid", "dokploy_https_mismatch"]
    {
        assert!(doctor.contains(known), "the source scan missed {known}: {doctor:?}");
    }
    for known in ["xid_wraparound", "tls_expiry", "connections"] {
        assert!(health.contains(known), "the source scan missed {known}: {health:?}");
    }
    let advisors = supamcp::pg::advisors::lint_names();
    let mut missing = Vec::new();
    let wanted = doctor
        .iter()
        .map(|r| format!("doctor:{r}"))
        .chain(health.iter().map(|r| format!("health:{r}")))
        .chain(advisors.iter().map(|r| format!("advisor:{r}")));
    for rule in wanted {
        if base.for_rule(&rule).is_none() {
            missing.push(rule);
        }
    }
    assert!(missing.is_empty(), "finding rules without a knowledge base entry: {missing:?}");
    // and no entry links a rule that does not exist
    for entry in &base.entries {
        for rule in &entry.rules {
            let (kind, id) = rule.split_once(':').unwrap();
            let exists = match kind {
                "doctor" => doctor.contains(id),
                "health" => health.contains(id),
                _ => advisors.contains(&id),
            };
            assert!(exists, "{}: links {rule}, which no code reports", entry.id);
        }
    }
}

#[test]
fn a_rule_id_given_to_explain_error_finds_its_entry() {
    let base = knowledge::base().expect("the embedded base");
    let mut seen = BTreeMap::new();
    for entry in &base.entries {
        for rule in &entry.rules {
            assert!(seen.insert(rule.clone(), entry.id.clone()).is_none(), "{rule} is linked by two entries");
            let (_, id) = rule.split_once(':').unwrap();
            let found = knowledge::answer::local_matches(base, id, 1);
            assert_eq!(found.first().map(|m| m.id.as_str()), Some(entry.id.as_str()), "rule {rule}");
        }
    }
}
