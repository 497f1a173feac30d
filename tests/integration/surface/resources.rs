//! MCP resources: a spilled result read page by page through `supamcp://results/<handle>` (each page names
//! the next), the schemas of the instance listed and read with their tables, columns and policies, both fenced
//! as untrusted data; unknown URIs answered with an error that names them.

use super::raw::fenced_json;
use crate::mcp_client;
use crate::support;
use rmcp::model::{ReadResourceRequestParams, ResourceContents};
use serde_json::{Value, json};

async fn read(server: &mcp_client::Server, uri: &str) -> Value {
    let result = server.client.read_resource(ReadResourceRequestParams::new(uri)).await.unwrap();
    let ResourceContents::TextResourceContents { text, uri: read_uri, .. } = &result.contents[0] else {
        panic!("text contents expected: {result:?}");
    };
    assert_eq!(read_uri, uri);
    assert!(text.contains("untrusted data"), "fenced: {text}");
    fenced_json(text)
}

#[tokio::test]
async fn spilled_results_are_served_page_by_page() {
    let db = support::fresh_database("result_resource").await;
    let server = mcp_client::start(&["--database-url", &db.url()]).await;
    let capabilities = server.client.peer_info().unwrap().capabilities.clone();
    assert!(capabilities.resources.is_some(), "resources are advertised");
    let templates = server.client.list_resource_templates(None).await.unwrap();
    let uris: Vec<&str> = templates.resource_templates.iter().map(|t| t.uri_template.as_str()).collect();
    assert_eq!(uris, ["supamcp://results/{handle}", "supamcp://{instance}/schema/{schema}"]);

    let sql = "select g as n, md5(g::text) as h from generate_series(1, 30000) g";
    let reply = server.ok("execute_sql", json!({"sql": sql})).await;
    let mut uri = reply["spilled"]["uri"].as_str().unwrap().to_owned();
    let (mut seen, mut pages) = (0, 0);
    loop {
        let page = read(&server, &uri).await;
        let rows = page["rows"].as_array().unwrap();
        assert_eq!(rows[0]["n"], json!(seen + 1), "pages follow each other");
        seen += rows.len() as u64;
        pages += 1;
        match page["next_uri"].as_str() {
            Some(next) => uri = next.to_owned(),
            None => break,
        }
    }
    assert_eq!(seen, 30000);
    assert!(pages > 1, "paged by the byte budget");

    let missing = server
        .client
        .read_resource(ReadResourceRequestParams::new("supamcp://results/00000000-0000-0000-0000-000000000000"))
        .await
        .unwrap_err()
        .to_string();
    assert!(missing.contains("no spilled result"), "{missing}");
    let foreign = server.client.read_resource(ReadResourceRequestParams::new("file:///etc/passwd")).await;
    assert!(foreign.unwrap_err().to_string().contains("not a supamcp resource URI"));
    server.stop().await;
}

#[tokio::test]
async fn schemas_are_resources_with_tables_columns_and_policies() {
    let db = support::fresh_sample_database("schema_resource").await;
    let server = mcp_client::start(&["--database-url", &db.url()]).await;
    let listed = server.client.list_resources(None).await.unwrap();
    let uris: Vec<&str> = listed.resources.iter().map(|r| r.uri.as_str()).collect();
    let public = uris.iter().find(|u| u.ends_with("/schema/public")).unwrap_or_else(|| panic!("{uris:?}"));
    assert!(!uris.iter().any(|u| u.ends_with("/schema/auth")), "internal schemas are left out: {uris:?}");

    let document = read(&server, public).await;
    assert_eq!(document["schema"], json!("public"));
    let relations = document["relations"].as_array().unwrap();
    let todos = relations.iter().find(|r| r["name"] == "todos").unwrap_or_else(|| panic!("{document}"));
    assert!(todos["columns"].as_array().unwrap().iter().any(|c| c["name"] == "id"), "{todos}");
    assert!(relations.iter().any(|r| !r["policies"].as_array().is_none_or(Vec::is_empty)), "some policy: {document}");

    let instance = public.trim_start_matches("supamcp://").split('/').next().unwrap();
    let auth = read(&server, &format!("supamcp://{instance}/schema/auth")).await;
    assert!(auth["relations"].as_array().unwrap().iter().any(|r| r["name"] == "users"), "internal ones are readable");
    let absent = server
        .client
        .read_resource(ReadResourceRequestParams::new(format!("supamcp://{instance}/schema/nope")))
        .await
        .unwrap_err()
        .to_string();
    assert!(absent.contains("no schema 'nope'"), "{absent}");
    server.stop().await;
}
