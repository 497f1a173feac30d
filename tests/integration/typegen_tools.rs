//! The type generation tools through the real binary (`supamcp call`, the MCP server in process):
//! `generate_typescript_types` inline, spilled and written to a file (the same text `supamcp gen types`
//! prints), and `get_project_url` / `get_publishable_keys`, which never return a service or secret key.
use crate::support;

use serde_json::{Value, json};
use std::process::Command;
use supamcp::supabase::keys::jwt::encode_hs256;
use supamcp::supabase::keys::legacy_claims;

fn call(extra: &[&str], tool: &str, arguments: Value) -> (bool, Value) {
    call_in(std::path::Path::new(env!("CARGO_MANIFEST_DIR")), extra, tool, arguments)
}

/// `supamcp [extra] call tool arguments` in the working directory `dir`.
fn call_in(dir: &std::path::Path, extra: &[&str], tool: &str, arguments: Value) -> (bool, Value) {
    let output = Command::new(env!("CARGO_BIN_EXE_supamcp"))
        .current_dir(dir)
        .env_remove("SUPAMCP_ALLOW_ABSOLUTE_PATHS")
        .args(extra)
        .args(["--features", "core,development", "call", tool, &arguments.to_string()])
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&output.stdout);
    let value = serde_json::from_str(&stdout)
        .unwrap_or_else(|_| Value::String(format!("{stdout}{}", String::from_utf8_lossy(&output.stderr))));
    (output.status.success(), value)
}

fn gen_types(url: &str) -> String {
    let output =
        Command::new(env!("CARGO_BIN_EXE_supamcp")).args(["--database-url", url, "gen", "types"]).output().unwrap();
    assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
    String::from_utf8(output.stdout).unwrap()
}

#[tokio::test]
async fn types_inline_spilled_and_written_match_the_command_line() {
    let db = support::fresh_sample_database("typegen_tools").await;
    let url = db.url();
    let expected = gen_types(&url);
    assert!(expected.contains("todo_status: \"backlog\" | \"todo\" | \"in_progress\" | \"done\""), "{expected}");

    let dir = tempfile::tempdir().unwrap();
    let target = dir.path().join("database.types.ts");
    std::fs::write(&target, "old").unwrap();
    let data_dir = dir.path().join("data").display().to_string();
    let base = ["--database-url", url.as_str(), "--data-dir", data_dir.as_str()];
    let (ok, refused) =
        call_in(dir.path(), &base, "generate_typescript_types", json!({"write_to": "database.types.ts"}));
    assert!(!ok && refused.to_string().contains("refusing to overwrite"), "{refused}");
    assert_eq!(std::fs::read_to_string(&target).unwrap(), "old", "an existing file needs confirm");
    let arguments = json!({"write_to": "database.types.ts", "confirm": true});
    let (ok, reply) = call_in(dir.path(), &base, "generate_typescript_types", arguments);
    assert!(ok, "{reply}");
    assert_eq!(reply["types"].as_str(), Some(expected.as_str()));
    assert_eq!(reply["schemas"], json!(["graphql_public", "public"]));
    assert_eq!(std::fs::read_to_string(&target).unwrap(), expected);
    let backup = reply["backup"].as_str().unwrap();
    assert_eq!(std::fs::read_to_string(backup).unwrap(), "old");

    // The command line is the user at the terminal: `gen types -o` writes where it is told, replacing the file.
    let elsewhere = tempfile::tempdir().unwrap();
    let cli_target = elsewhere.path().join("types.ts");
    std::fs::write(&cli_target, "old").unwrap();
    let output = Command::new(env!("CARGO_BIN_EXE_supamcp"))
        .args(["--database-url", url.as_str(), "gen", "types", "-o"])
        .arg(&cli_target)
        .output()
        .unwrap();
    assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
    assert_eq!(std::fs::read_to_string(&cli_target).unwrap(), expected);

    let small = [base.as_slice(), &["--spill-threshold-bytes", "4096"]].concat();
    let (ok, spilled) = call(&small, "generate_typescript_types", json!({"schemas": ["public"]}));
    assert!(ok, "{spilled}");
    assert!(spilled["types"].is_null(), "{spilled}");
    assert_eq!(spilled["spilled"]["preview"][0], "export type Json =");
    let handle = spilled["spilled"]["handle"].as_str().unwrap();
    let lines = spilled["lines"].as_u64().unwrap();
    let (ok, page) = call(&small, "read_result", json!({"handle": handle, "offset": 0, "limit": 5}));
    assert!(ok, "{page}");
    assert_eq!(page["total_rows"].as_u64(), Some(lines));
}

#[test]
fn project_url_and_public_keys_never_include_secret_ones() {
    let secret = "s".repeat(40);
    let anon = encode_hs256(&legacy_claims("anon", 1_700_000_000, 2_000_000_000), &secret);
    let service = encode_hs256(&legacy_claims("service_role", 1_700_000_000, 2_000_000_000), &secret);
    let publishable = "sb_publishable_abcdefghijklmnopqrstuv_12345678";
    let secret_key = "sb_secret_abcdefghijklmnopqrstuv_1234567";
    let env_text = format!(
        "SUPABASE_PUBLIC_URL=https://supa.example.com\nAPI_EXTERNAL_URL=https://api.example.com\nANON_KEY={anon}\n\
         SERVICE_ROLE_KEY={service}\nSUPABASE_PUBLISHABLE_KEY={publishable}\nSUPABASE_SECRET_KEY={secret_key}\n"
    );
    let (ok, url) = call(&[], "get_project_url", json!({"env_text": env_text}));
    assert!(ok, "{url}");
    assert_eq!(url, json!({"url": "https://supa.example.com", "source": "SUPABASE_PUBLIC_URL"}));

    let (ok, keys) = call(&[], "get_publishable_keys", json!({"env_text": env_text}));
    assert!(ok, "{keys}");
    let kinds: Vec<&str> = keys["keys"].as_array().unwrap().iter().filter_map(|k| k["kind"].as_str()).collect();
    assert_eq!(kinds, ["publishable", "anon"]);
    let text = keys.to_string();
    assert!(text.contains(&anon) && text.contains(publishable));
    assert!(!text.contains(&service) && !text.contains(secret_key));

    let only_service = format!("ANON_KEY={service}\n");
    let (ok, refused) = call(&[], "get_publishable_keys", json!({"env_text": only_service}));
    assert!(!ok);
    let refused = refused.to_string();
    assert!(refused.contains("service_role") && !refused.contains(&service), "{refused}");
}
