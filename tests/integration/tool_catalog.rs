//! The tool catalogue as a client sees it, from the built binary (`supamcp tools`): every tool carries all
//! four annotations, a title and an output schema; read-only mode lists only read-only tools; every schema is
//! portable (standard formats only, no bare `true`); the byte budgets hold (each tool's description and input
//! schema, the default list); the schemas match tests/snapshots/tools.json; the README's tool table is
//! current. `UPDATE_SNAPSHOTS=1 cargo test --test integration tool_catalog` rewrites the snapshot and table.

use serde_json::{Value, json};
use std::process::Command;

const UNREACHABLE_DB: &str = "postgres://nobody@127.0.0.1:1/none";
/// A Dokploy URL and key so the dokploy tools are listed; tools/list never contacts the server.
const DUMMY_DOKPLOY: [(&str, &str); 2] = [("DOKPLOY_URL", "http://127.0.0.1:1"), ("DOKPLOY_API_KEY", "dummy")];
/// An API URL and service-role key so the auth and storage tools are listed, and an access token for the cloud
/// tools; nothing is contacted.
const DUMMY_SUPABASE_API: [(&str, &str); 3] = [
    ("SUPABASE_URL", "http://127.0.0.1:1"),
    ("SUPABASE_SERVICE_ROLE_KEY", "dummy-service-role-key"),
    ("SUPABASE_ACCESS_TOKEN", "sbp_dummy_access_token"),
];

/// Every tool of every offered group (`--features all`).
fn tools(extra: &[&str]) -> Vec<Value> {
    let mut args = vec!["--features", "all"];
    args.extend_from_slice(extra);
    tools_with_env(&args, &[])
}

/// The tool list a client gets without `--features`: the default tools and the toolset tools.
fn default_tools() -> Vec<Value> {
    tools_with_env(&[], &[])
}

pub(crate) fn tools_with_env(extra: &[&str], env: &[(&str, &str)]) -> Vec<Value> {
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
        let listed = tools_with_env(&["--features", "all"], &[("SUPAMCP_READ_ONLY", value)]);
        assert_eq!(listed.len() == read_only.len(), expect_read_only, "SUPAMCP_READ_ONLY={value}");
    }
    let execute = read_only.iter().find(|t| t["name"] == "execute_sql").expect("execute_sql stays listed");
    assert_eq!(execute["annotations"]["destructiveHint"], json!(false));
    assert!(execute["description"].as_str().unwrap_or("").contains("Read-only mode"));
}

#[test]
fn feature_selection_limits_the_tools_and_rejects_unknown_groups() {
    let development_only = tools_with_env(&["--features", "development"], &[]);
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
        "tool schemas changed: review, then run UPDATE_SNAPSHOTS=1 cargo test --test integration tool_catalog"
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
    let mut table =
        String::from("| tool | group | listed by default | read-only | what it does |\n|---|---|---|---|---|\n");
    let listed: Vec<Value> = default_tools().iter().map(|t| t["name"].clone()).collect();
    let groups = {
        let output = Command::new(env!("CARGO_BIN_EXE_supamcp"))
            .args(["tools", "--features", "all", "--database-url", UNREACHABLE_DB])
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
        let by_default = if listed.contains(&tool["name"]) { "yes" } else { "no" };
        table.push_str(&format!(
            "| `{name}` | {group} | {by_default} | {read_only} | {} |\n",
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
    assert!(
        updated == readme,
        "the README tool table is stale: run UPDATE_SNAPSHOTS=1 cargo test --test integration tool_catalog"
    );
}

/// The bytes a model reads of a tool: its description and input schema, serialized compactly.
fn model_bytes(tool: &Value) -> usize {
    tool["description"].as_str().unwrap_or("").len() + tool["inputSchema"].to_string().len()
}

/// Tools allowed over the 1.5 kB budget, with the reason and their own ceiling.
const OVER_BUDGET: &[(&str, usize, &str)] = &[
    ("health_check", 2800, "fourteen alert thresholds, each settable per call"),
    ("create_backup", 3600, "the backup destination (a directory, or an S3 bucket with nine overridable settings)"),
    ("restore_backup", 3500, "the destination as create_backup, and three restore targets"),
    ("list_backups", 1700, "the backup destination, as create_backup"),
    ("verify_backup", 1850, "the backup destination, as create_backup"),
    ("cleanup_backups", 2200, "the destination, as create_backup, and the retention rules"),
    ("copy_database", 1950, "source and target, the schema/table selection and four conflict strategies"),
    ("create_migration", 1800, "a migration from SQL or from a schema diff, with the diff's options"),
    ("dokploy_deploy_supabase", 2250, "the whole deployment in one call: an SMTP block and the deploy's options"),
];

/// The budget of each tool's description + input schema.
const TOOL_BUDGET: usize = 1536;
/// The budget of the whole default tool list (the `tools` array of tools/list, compact JSON).
const DEFAULT_LIST_BUDGET: usize = 40 * 1024;

#[test]
fn every_tool_fits_its_byte_budget() {
    let mut over = Vec::new();
    for tool in tools(&[]) {
        let name = tool["name"].as_str().unwrap_or("?");
        let bytes = model_bytes(&tool);
        let ceiling = OVER_BUDGET.iter().find(|(n, ..)| *n == name).map_or(TOOL_BUDGET, |(_, ceiling, _)| *ceiling);
        if bytes > ceiling {
            over.push(format!("{name}: {bytes} bytes > {ceiling}"));
        }
    }
    assert!(over.is_empty(), "tools over their byte budget (shorten the description and field docs): {over:#?}");
}

#[test]
fn the_default_list_is_small_and_lists_the_toolset_tools() {
    let listed = default_tools();
    let names: Vec<&str> = listed.iter().filter_map(|t| t["name"].as_str()).collect();
    assert!(names.len() <= 25, "{} tools listed by default: {names:?}", names.len());
    for wanted in ["execute_sql", "list_tables", "health_check", "list_tool_groups", "enable_tool_group"] {
        assert!(names.contains(&wanted), "{wanted} is not listed by default: {names:?}");
    }
    let bytes = json!({ "tools": listed }).to_string().len();
    let all = tools(&[]);
    let all_bytes = json!({ "tools": all }).to_string().len();
    eprintln!("default list: {} tools, {bytes} bytes; all groups: {} tools, {all_bytes} bytes", names.len(), all.len());
    assert!(bytes <= DEFAULT_LIST_BUDGET, "the default list is {bytes} bytes, over {DEFAULT_LIST_BUDGET}");
    assert!(all.len() > names.len(), "enabling groups adds tools");
}

#[test]
fn every_schema_is_portable() {
    let mut problems = Vec::new();
    for tool in tools(&[]) {
        let name = tool["name"].as_str().unwrap_or("?");
        for (side, schema) in [("input", &tool["inputSchema"]), ("output", &tool["outputSchema"])] {
            for problem in supamcp::server::schema_portable::portability_problems(schema) {
                problems.push(format!("{name} {side}{problem}"));
            }
            assert!(schema.get("$schema").is_none(), "{name} {side} names $schema");
        }
    }
    assert!(problems.is_empty(), "non-portable schemas: {problems:#?}");
}
