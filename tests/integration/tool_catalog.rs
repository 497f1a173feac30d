//! The tool catalogue as a client sees it, from the built binary (`supamcp tools`): every tool carries all
//! four annotations, a title and an output schema; read-only mode lists only read-only tools; the input and
//! output schemas match the snapshots in tests/snapshots/tools.json; the README's tool table is current.
//! `UPDATE_SNAPSHOTS=1 cargo test --test tool_catalog` rewrites the snapshot and the README table.

use serde_json::{Value, json};
use std::process::Command;

const UNREACHABLE_DB: &str = "postgres://nobody@127.0.0.1:1/none";
/// A Dokploy URL and key so the dokploy tools are listed; tools/list never contacts the server.
const DUMMY_DOKPLOY: [(&str, &str); 2] = [("DOKPLOY_URL", "http://127.0.0.1:1"), ("DOKPLOY_API_KEY", "dummy")];
/// A Supabase API URL and service key so the storage (and other API) tools are listed; nothing is contacted.
const DUMMY_SUPABASE_API: [(&str, &str); 2] =
    [("SUPABASE_URL", "http://127.0.0.1:1"), ("SUPABASE_SERVICE_ROLE_KEY", "dummy-service-key")];

fn tools(extra: &[&str]) -> Vec<Value> {
    tools_with_env(extra, &[])
}

fn tools_with_env(extra: &[&str], env: &[(&str, &str)]) -> Vec<Value> {
    let mut command = Command::new(env!("CARGO_BIN_EXE_supamcp"));
    command.args(["tools", "--database-url", UNREACHABLE_DB]).args(extra);
    command.env_remove("SUPAMCP_FEATURES").env_remove("SUPAMCP_READ_ONLY").env("SUPAMCP_LOG", "error");
    command.envs(DUMMY_DOKPLOY).envs(DUMMY_SUPABASE_API);
    command.envs(env.iter().copied());
    let output = command.output().expect("run supamcp tools");
    assert!(output.status.success(), "supamcp tools failed: {}", String::from_utf8_lossy(&output.stderr));
    let listing: Value = serde_json::from_slice(&output.stdout).expect("tools prints JSON");
    listing["tools"].as_array().cloned().expect("a tools array")
}

fn updating() -> bool {
    std::env::var("UPDATE_SNAPSHOTS").is_ok_and(|v| v == "1")
}

#[test]
fn every_tool_has_all_annotations_a_title_and_an_output_schema() {
    let tools = tools(&[]);
    assert!(tools.len() >= 10, "expected the core tools, got {}", tools.len());
    for tool in &tools {
        let name = tool["name"].as_str().unwrap_or("?");
        let annotations = &tool["annotations"];
        for hint in ["readOnlyHint", "destructiveHint", "idempotentHint", "openWorldHint"] {
            assert!(annotations[hint].is_boolean(), "{name} lacks {hint}");
        }
        assert!(annotations["title"].is_string(), "{name} lacks a title");
        assert!(tool["outputSchema"].is_object(), "{name} lacks an output schema");
        assert_eq!(tool["inputSchema"]["additionalProperties"], json!(false), "{name} accepts unknown fields");
        assert!(tool["description"].as_str().is_some_and(|d| d.len() > 40), "{name} needs a real description");
        let properties = tool["inputSchema"]["properties"].as_object().cloned().unwrap_or_default();
        for (field, schema) in properties {
            assert!(schema["description"].is_string(), "{name}.{field} has no description");
        }
    }
}

#[test]
fn read_only_mode_lists_only_read_only_tools_and_keeps_execute_sql() {
    let all = tools(&[]);
    let read_only = tools(&["--read-only"]);
    let expected: Vec<&Value> =
        all.iter().filter(|t| t["annotations"]["readOnlyHint"] == json!(true) || t["name"] == "execute_sql").collect();
    let listed: Vec<&Value> = read_only.iter().map(|t| &t["name"]).collect();
    assert_eq!(
        listed,
        expected.iter().map(|t| &t["name"]).collect::<Vec<_>>(),
        "read-only mode hides exactly the write tools"
    );
    for tool in &read_only {
        assert_eq!(tool["annotations"]["readOnlyHint"], json!(true), "{} is listed in read-only mode", tool["name"]);
    }
    for (value, expect_read_only) in
        [("1", true), ("true", true), ("yes", true), ("0", false), ("false", false), ("off", false)]
    {
        let listed = tools_with_env(&[], &[("SUPAMCP_READ_ONLY", value)]);
        assert_eq!(listed.len() == read_only.len(), expect_read_only, "SUPAMCP_READ_ONLY={value}");
    }
    let execute = read_only.iter().find(|t| t["name"] == "execute_sql").expect("execute_sql stays listed");
    assert_eq!(execute["annotations"]["destructiveHint"], json!(false));
    assert!(execute["description"].as_str().unwrap_or("").contains("Read-only mode"));
}

#[test]
fn feature_selection_limits_the_tools_and_rejects_unknown_groups() {
    let development_only = tools(&["--features", "development"]);
    assert!(development_only.iter().all(|t| t["name"] != "execute_sql"));
    let output = Command::new(env!("CARGO_BIN_EXE_supamcp"))
        .args(["tools", "--features", "core,databse", "--database-url", UNREACHABLE_DB])
        .output()
        .expect("run supamcp tools");
    assert_eq!(output.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("'databse'") && stderr.contains("core, migrations, backups"), "{stderr}");
}

#[test]
fn tool_schemas_match_the_snapshot() {
    let snapshot: Vec<Value> = tools(&[])
        .into_iter()
        .map(|t| json!({"name": t["name"], "annotations": t["annotations"], "inputSchema": t["inputSchema"], "outputSchema": t["outputSchema"]}))
        .collect();
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/snapshots/tools.json");
    let current = serde_json::to_string_pretty(&snapshot).expect("encode") + "\n";
    if updating() {
        std::fs::write(path, &current).expect("write snapshot");
        return;
    }
    let stored = std::fs::read_to_string(path).unwrap_or_default();
    assert!(
        stored == current,
        "tool schemas changed: review, then run UPDATE_SNAPSHOTS=1 cargo test --test tool_catalog"
    );
}

/// The description up to the first ". " followed by a capital letter.
fn first_sentence(description: &str) -> String {
    let flat = description.replace('\n', " ");
    let bytes = flat.as_bytes();
    let end = (0..bytes.len().saturating_sub(2))
        .find(|&i| bytes[i] == b'.' && bytes[i + 1] == b' ' && bytes[i + 2].is_ascii_uppercase())
        .map(|i| i + 1)
        .unwrap_or(flat.len());
    flat[..end].replace('|', "\\|")
}

#[test]
fn readme_tool_table_is_generated_from_the_code() {
    let mut table = String::from("| tool | group | read-only | what it does |\n|---|---|---|---|\n");
    let groups = {
        let output = Command::new(env!("CARGO_BIN_EXE_supamcp"))
            .args(["tools", "--database-url", UNREACHABLE_DB])
            .envs(DUMMY_DOKPLOY)
            .envs(DUMMY_SUPABASE_API)
            .env("SUPAMCP_LOG", "error")
            .output()
            .expect("run supamcp tools");
        let listing: Value = serde_json::from_slice(&output.stdout).expect("JSON");
        listing["groups"].as_array().cloned().unwrap_or_default()
    };
    for tool in tools(&[]) {
        let name = tool["name"].as_str().unwrap_or_default();
        let group = groups
            .iter()
            .find(|g| g["tools"].as_array().is_some_and(|t| t.iter().any(|n| n == name)))
            .and_then(|g| g["group"].as_str())
            .unwrap_or("?");
        let read_only = if tool["annotations"]["readOnlyHint"] == json!(true) { "yes" } else { "no" };
        table.push_str(&format!(
            "| `{name}` | {group} | {read_only} | {} |\n",
            first_sentence(tool["description"].as_str().unwrap_or(""))
        ));
    }
    let readme_path = concat!(env!("CARGO_MANIFEST_DIR"), "/README.md");
    let readme = std::fs::read_to_string(readme_path).expect("README.md exists");
    let (start, end) = ("<!-- tools:start -->\n", "<!-- tools:end -->");
    let (Some(a), Some(b)) = (readme.find(start), readme.find(end)) else {
        panic!("README.md lacks the {start} / {end} markers");
    };
    let updated = format!("{}{start}{table}{}", &readme[..a], &readme[b..]);
    if updating() {
        std::fs::write(readme_path, updated).expect("write README");
        return;
    }
    assert!(updated == readme, "the README tool table is stale: run UPDATE_SNAPSHOTS=1 cargo test --test tool_catalog");
}
