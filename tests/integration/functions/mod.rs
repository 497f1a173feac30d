//! The functions group end to end: the real binary over stdio against the fake Management API's functions
//! surface (cloud), a temporary directory laid out like a stack's `volumes/functions` (self-hosted), and the
//! fake Dokploy (a stack whose functions are compose file mounts), the fake functions endpoint (invocation); the fakes proven with official clients where one exists.

#![allow(clippy::expect_used, clippy::unwrap_used, clippy::panic)]

mod cloud;
mod dokploy;
mod functions_js;
mod invoke;
mod local;
mod logs;
mod official_client;
mod studio;

use serde_json::{Value, json};

/// A small function: an entrypoint, a helper and a deno.json.
pub fn hello_files(greeting: &str) -> Value {
    json!([
        { "name": "index.ts", "content": format!("import {{ greet }} from './lib/greet.ts';\nDeno.serve(() => new Response(greet('{greeting}')));\n") },
        { "name": "lib/greet.ts", "content": "export const greet = (s: string) => `${s}!`;\n" },
        { "name": "deno.json", "content": "{ \"imports\": {} }\n" }
    ])
}

/// The files of a get_edge_function reply as a sorted JSON array of {name, content}.
pub fn files_of(reply: &Value) -> Value {
    let mut files: Vec<Value> = reply["files"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| json!({ "name": f["name"], "content": f["content"] }))
        .collect();
    files.sort_by(|a, b| a["name"].as_str().cmp(&b["name"].as_str()));
    Value::Array(files)
}

/// `files` sorted by name.
pub fn sorted(files: &Value) -> Value {
    let mut list = files.as_array().unwrap().clone();
    list.sort_by(|a, b| a["name"].as_str().cmp(&b["name"].as_str()));
    Value::Array(list)
}

/// A config file naming the Dokploy fake's server and an instance `shop` on its compose (the default instance).
pub fn dokploy_config(url: &str, compose_id: &str) -> (tempfile::TempDir, String) {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("supamcp.toml");
    let text = format!(
        "default_instance = \"shop\"\n[dokploy.main]\nurl = \"{url}\"\napi_key = \"{}\"\n[instances.shop]\ndokploy = \"main\"\ndokploy_compose_id = \"{compose_id}\"\n",
        crate::dokploy_fake::API_KEY
    );
    std::fs::write(&path, text).unwrap();
    let path = path.to_str().unwrap().to_owned();
    (dir, path)
}
