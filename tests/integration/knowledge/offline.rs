//! No network: with the Content API switched off, and with it pointing at a loopback port where nothing
//! listens, tools/list still lists both tools and both answer from the local base, saying so. The official
//! server's `graphql_query` form is read for its search terms.

#![allow(clippy::expect_used, clippy::unwrap_used, clippy::panic)]

use super::start;
use serde_json::json;

/// A loopback address nothing listens on.
async fn dead_url() -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let address = listener.local_addr().unwrap();
    drop(listener);
    format!("http://{address}/docs/api/graphql")
}

#[tokio::test]
async fn tools_are_listed_and_answer_offline() {
    for url in ["off".to_owned(), dead_url().await] {
        let server = start(&url).await;
        let tools = server.client.list_all_tools().await.expect("tools/list");
        let names: Vec<String> = tools.iter().map(|t| t.name.to_string()).collect();
        assert!(names.contains(&"search_docs".to_owned()) && names.contains(&"explain_error".to_owned()), "{names:?}");

        let reply = server.ok("search_docs", json!({"query": "row level security policy", "limit": 3})).await;
        assert_eq!(reply["source"], "local", "{reply}");
        assert!(reply["note"].as_str().unwrap().starts_with("offline: answered from supamcp's local knowledge base"));
        let results = reply["results"].as_array().unwrap();
        assert!(!results.is_empty() && results.len() <= 3, "{reply}");
        assert!(results.iter().all(|r| r["url"].as_str().unwrap().starts_with("https://")), "{reply}");
        assert!(results.iter().all(|r| r["excerpt"].as_str().unwrap().chars().count() <= 401), "{reply}");

        let explained = server.ok("explain_error", json!({"text": "FATAL: Tenant or user not found"})).await;
        assert_eq!(explained["matches"][0]["id"], "pooler-tenant-not-found", "{explained}");
        assert_eq!(explained["matches"][0]["confirm"]["tool"], "test_connection");
        assert_eq!(explained["source"], "local");
        server.stop().await;
    }
}

#[tokio::test]
async fn graphql_query_is_answered_from_its_terms() {
    let server = start("off").await;
    let query =
        r#"query { searchDocs(query: "Database error saving new user", limit: 2) { nodes { title href content } } }"#;
    let reply = server.ok("search_docs", json!({"graphql_query": query})).await;
    assert_eq!(reply["source"], "local");
    assert_eq!(reply["results"].as_array().unwrap().len(), 2, "{reply}");
    assert_eq!(reply["results"][0]["entry"], "auth-trigger-fails", "{reply}");

    let error = r#"{ error(code: "NoSuchBucket", service: STORAGE) { code message } }"#;
    let reply = server.ok("search_docs", json!({"graphql_query": error})).await;
    assert_eq!(reply["results"][0]["entry"], "storage-bucket-not-found", "{reply}");

    let nothing = server.err("search_docs", json!({"graphql_query": "{ schema }"})).await;
    assert!(nothing.contains("names no search text"), "{nothing}");
    let both = server.err("search_docs", json!({"query": "a", "graphql_query": "{ schema }"})).await;
    assert!(both.contains("both were given"), "{both}");
    let empty = server.err("explain_error", json!({"text": "   "})).await;
    assert!(empty.contains("explain_error needs a text"), "{empty}");
    server.stop().await;
}

#[tokio::test]
async fn read_only_mode_lists_both_tools() {
    let server =
        crate::mcp_client::start(&["--features", "knowledge", "--read-only", "--content-api-url", "off"]).await;
    let tools = server.client.list_all_tools().await.expect("tools/list");
    let mut names: Vec<String> = tools.iter().map(|t| t.name.to_string()).collect();
    names.sort();
    assert_eq!(names, ["explain_error", "search_docs"]);
    let reply =
        server.ok("explain_error", json!({"text": "42501 permission denied for table todos", "offline": true})).await;
    assert_eq!(reply["matches"][0]["id"], "permission-denied-table", "{reply}");
    server.stop().await;
}
