//! Against the fake Content API on loopback: search through `searchDocs`, the caller's GraphQL query sent as
//! is with the data returned, `error(code, service)` added to explain_error; and each fault (time-out, HTTP
//! 500, a body that is not JSON, GraphQL errors) answered from the local base with a note saying why.

#![allow(clippy::expect_used, clippy::unwrap_used, clippy::panic)]

use super::start;
use crate::content_api_fake::{Fake, Fault};
use serde_json::json;
use std::time::Duration;

#[tokio::test]
async fn search_and_graphql_go_to_the_content_api() {
    let fake = Fake::start().await;
    let server = start(&fake.url).await;
    let reply = server.ok("search_docs", json!({"query": "row level security", "limit": 2})).await;
    assert_eq!(reply["source"], "content_api", "{reply}");
    assert!(reply["note"].is_null());
    let results = reply["results"].as_array().unwrap();
    assert_eq!(results.len(), 2, "{reply}");
    assert_eq!(results[0]["title"], "Row Level Security");
    assert_eq!(results[0]["url"], "https://supabase.com/docs/guides/database/postgres/row-level-security");
    assert_eq!(results[0]["kind"], "Guide");

    let query =
        r#"{ searchDocs(query: "migration", limit: 1) { nodes { title ... on CLICommandReference { href } } } }"#;
    let reply = server.ok("search_docs", json!({"graphql_query": query})).await;
    assert_eq!(fake.state().queries.last().unwrap(), query, "the caller's query is sent as is");
    assert_eq!(reply["source"], "content_api");
    assert_eq!(
        reply["graphql"],
        json!({"searchDocs": {"nodes": [{"title": "supabase migration repair", "href": "/docs/reference/cli/supabase-migration-repair"}]}})
    );

    let errors = r#"{ errors(service: STORAGE) { totalCount nodes { code httpStatusCode } } }"#;
    let reply = server.ok("search_docs", json!({"graphql_query": errors})).await;
    assert_eq!(reply["graphql"]["errors"]["totalCount"], 2, "{reply}");
    assert!(reply["results"].as_array().unwrap().is_empty());
    server.stop().await;
}

#[tokio::test]
async fn explain_error_adds_the_documented_code() {
    let fake = Fake::start().await;
    let server = start(&fake.url).await;
    let reply = server
        .ok("explain_error", json!({"text": "{\"code\":400,\"error_code\":\"invalid_credentials\",\"msg\":\"Invalid login credentials\"}"}))
        .await;
    assert_eq!(reply["source"], "local+content_api", "{reply}");
    assert_eq!(reply["matches"][0]["id"], "auth-invalid-credentials");
    assert_eq!(reply["documented"]["code"], "invalid_credentials");
    assert_eq!(reply["documented"]["service"], "AUTH");
    assert_eq!(reply["documented"]["http_status"], 400);
    assert!(fake.state().queries.last().unwrap().contains(r#"error(code: "invalid_credentials", service: AUTH)"#));

    let reply = server.ok("explain_error", json!({"text": "NoSuchBucket"})).await;
    assert_eq!(reply["documented"]["http_status"], 404, "{reply}");
    let unknown = server.ok("explain_error", json!({"text": "weak_password"})).await;
    assert!(unknown["note"].as_str().unwrap().contains("documents no AUTH error code"), "{unknown}");
    let asked = fake.state().queries.len();
    let offline = server.ok("explain_error", json!({"text": "bad_jwt", "offline": true})).await;
    assert_eq!(fake.state().queries.len(), asked, "offline: true sends nothing");
    assert!(offline["note"].as_str().unwrap().contains("offline: true was asked"));
    server.stop().await;
}

#[tokio::test]
async fn every_fault_falls_back_to_the_local_base_with_a_note() {
    let fake = Fake::start().await;
    let server = start(&fake.url).await;
    let faults = [
        (Fault::Hang(Duration::from_secs(5)), "within 400 ms"),
        (Fault::Status(500), "answered HTTP 500"),
        (Fault::Malformed, "not JSON"),
        (Fault::GraphqlError, "refused the query: Unexpected error value"),
    ];
    for (fault, why) in faults {
        fake.set_fault(fault.clone());
        let reply = server.ok("search_docs", json!({"query": "too many connections", "limit": 2})).await;
        assert_eq!(reply["source"], "local", "{fault:?}: {reply}");
        let note = reply["note"].as_str().unwrap();
        assert!(
            note.starts_with("offline: answered from supamcp's local knowledge base") && note.contains(why),
            "{fault:?}: {note}"
        );
        assert_eq!(reply["results"][0]["entry"], "too-many-connections", "{fault:?}: {reply}");
        let explained = server.ok("explain_error", json!({"text": "bad_jwt"})).await;
        assert!(explained["note"].as_str().unwrap().contains(why), "{fault:?}: {explained}");
        assert_eq!(explained["source"], "local");
    }
    server.stop().await;
}

#[tokio::test]
async fn the_fake_answers_as_graphql_does() {
    let fake = Fake::start().await;
    let client = reqwest::Client::new();
    let get = |query: &str| client.get(&fake.url).query(&[("query", query)]).send();
    let unknown: serde_json::Value = get("{ nope }").await.unwrap().json().await.unwrap();
    assert_eq!(unknown["errors"][0]["message"], "Cannot query field \"nope\" on type \"RootQueryType\".");
    let bad_enum: serde_json::Value =
        get(r#"{ error(code: "x", service: DATABASE) { code } }"#).await.unwrap().json().await.unwrap();
    assert!(bad_enum["errors"][0]["message"].as_str().unwrap().contains("Service"));
    let posted: serde_json::Value = client
        .post(&fake.url)
        .json(&json!({"query": "query Q($q: String!) { searchDocs(query: $q) { totalCount } }", "variables": {"q": "docker"}}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(posted, json!({"data": {"searchDocs": {"totalCount": 1}}}));
}
