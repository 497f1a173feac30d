//! A fake of the Supabase Content API (`/docs/api/graphql`) on 127.0.0.1:0, following
//! `reference/supabase-services.md` §5: `GET ?query=...&variables=...` (and POST with a JSON body) answered as
//! GraphQL does (`{"data": ...}` shaped by the selection set, `{"errors": [...]}` for unknown fields and syntax
//! errors). Root fields: `searchDocs(query, limit)` over a small corpus of our own pages (Guide with
//! subsections, TroubleshootingGuide, CLICommandReference, ClientLibraryFunctionReference), `error(code,
//! service)` and `errors(service, first)` over a few documented codes, and `schema`. Faults: hang, a status
//! code, a body that is not JSON, GraphQL errors. Include it with
//! `#[path = "../support/content_api_fake/mod.rs"] mod content_api_fake;`.
#![allow(dead_code, clippy::expect_used, clippy::unwrap_used, clippy::panic)]

mod query;

use axum::extract::{Query, State as AxumState};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use query::{Arg, Selection};
use serde_json::{Map, Value, json};
use std::collections::BTreeMap;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

/// What the next requests get instead of an answer (kept until changed).
#[derive(Clone, Debug, Default, PartialEq)]
pub enum Fault {
    #[default]
    None,
    /// Wait this long before answering.
    Hang(Duration),
    /// Answer with this HTTP status and a short HTML body.
    Status(u16),
    /// Answer 200 with a body that is not JSON.
    Malformed,
    /// Answer 200 with a GraphQL error and no data.
    GraphqlError,
}

#[derive(Debug, Default)]
pub struct State {
    pub fault: Fault,
    /// Every query received, in order.
    pub queries: Vec<String>,
}

#[derive(Clone)]
pub struct Fake {
    pub url: String,
    state: Arc<Mutex<State>>,
    task: Arc<tokio::task::JoinHandle<()>>,
}

const SCHEMA: &str = "type RootQueryType { schema: String! searchDocs(query: String!, limit: Int): SearchResultCollection \
error(code: String!, service: Service!): Error errors(first: Int, after: String, last: Int, before: String, service: Service, \
code: String): ErrorCollection } enum Service { AUTH REALTIME STORAGE } interface SearchResult { title: String href: String \
content: String }";

/// The corpus: (type, title, href, content, extra fields).
fn pages() -> Vec<Value> {
    vec![
        json!({"__typename": "Guide", "title": "Row Level Security", "href": "/docs/guides/database/postgres/row-level-security",
            "content": "Row level security lets policies decide which rows each role can read and write. Enable it on every table in an exposed schema.",
            "subsections": {"nodes": [{"title": "Policies", "href": "/docs/guides/database/postgres/row-level-security#policies", "content": "A policy is a SQL expression evaluated per row."}]}}),
        json!({"__typename": "Guide", "title": "Self-Hosting with Docker", "href": "/docs/guides/self-hosting/docker",
            "content": "Run the Supabase stack with docker compose. Change the JWT secret, keys and passwords before going to production.",
            "subsections": {"nodes": []}}),
        json!({"__typename": "TroubleshootingGuide", "title": "Database error saving new user", "href": "/docs/guides/troubleshooting/database-error-saving-new-user",
            "content": "A trigger on auth.users failed while the user was being created. Check the function the trigger calls."}),
        json!({"__typename": "CLICommandReference", "title": "supabase migration repair", "href": "/docs/reference/cli/supabase-migration-repair",
            "content": "Repairs the remote migration history table so it matches the local migration files."}),
        json!({"__typename": "ClientLibraryFunctionReference", "title": "Upload a file", "href": "/docs/reference/javascript/storage-from-upload",
            "content": "Uploads a file to an existing bucket; row level security policies on storage.objects decide who may upload.",
            "language": "JAVASCRIPT", "methodName": "upload"}),
    ]
}

fn documented_errors() -> Vec<Value> {
    vec![
        json!({"code": "bad_jwt", "service": "AUTH", "httpStatusCode": 403, "message": "The JWT in the Authorization header is not valid."}),
        json!({"code": "invalid_credentials", "service": "AUTH", "httpStatusCode": 400, "message": "Login credentials or grant type not recognized."}),
        json!({"code": "email_not_confirmed", "service": "AUTH", "httpStatusCode": 400, "message": "Signing in is not allowed for this user as the email address is not confirmed."}),
        json!({"code": "NoSuchBucket", "service": "STORAGE", "httpStatusCode": 404, "message": "The specified bucket does not exist."}),
        json!({"code": "EntityTooLarge", "service": "STORAGE", "httpStatusCode": 413, "message": "The object exceeds the maximum allowed size."}),
    ]
}

impl Fake {
    pub async fn start() -> Fake {
        let state = Arc::new(Mutex::new(State::default()));
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind the fake");
        let address = listener.local_addr().expect("fake address");
        let app = axum::Router::new().route("/docs/api/graphql", get(on_get).post(on_post)).with_state(state.clone());
        let task = tokio::spawn(async move {
            axum::serve(listener, app).await.expect("fake server");
        });
        Fake { url: format!("http://{address}/docs/api/graphql"), state, task: Arc::new(task) }
    }

    pub fn state(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    pub fn set_fault(&self, fault: Fault) {
        self.state().fault = fault;
    }
}

impl Drop for Fake {
    fn drop(&mut self) {
        if Arc::strong_count(&self.task) == 1 {
            self.task.abort();
        }
    }
}

type Shared = Arc<Mutex<State>>;

async fn on_get(AxumState(state): AxumState<Shared>, Query(params): Query<BTreeMap<String, String>>) -> Response {
    let variables = params.get("variables").and_then(|v| serde_json::from_str(v).ok()).unwrap_or(Value::Null);
    answer(&state, params.get("query").cloned(), variables).await
}

async fn on_post(AxumState(state): AxumState<Shared>, body: axum::body::Bytes) -> Response {
    let Ok(body) = serde_json::from_slice::<Value>(&body) else {
        return (StatusCode::BAD_REQUEST, axum::Json(json!({"errors": [{"message": "Body is not JSON."}]})))
            .into_response();
    };
    let query = body.get("query").and_then(Value::as_str).map(str::to_owned);
    answer(&state, query, body.get("variables").cloned().unwrap_or(Value::Null)).await
}

async fn answer(state: &Shared, query: Option<String>, variables: Value) -> Response {
    let fault = {
        let mut guard = state.lock().unwrap_or_else(|p| p.into_inner());
        guard.queries.push(query.clone().unwrap_or_default());
        guard.fault.clone()
    };
    match fault {
        Fault::None => {}
        Fault::Hang(wait) => tokio::time::sleep(wait).await,
        Fault::Status(code) => {
            let status = StatusCode::from_u16(code).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
            return (status, "<html><body>Internal Server Error</body></html>").into_response();
        }
        Fault::Malformed => return (StatusCode::OK, "{\"data\": {\"searchDocs\": [truncated").into_response(),
        Fault::GraphqlError => {
            return axum::Json(json!({"errors": [{"message": "Unexpected error value: service unavailable"}]}))
                .into_response();
        }
    }
    let Some(query) = query else {
        return (StatusCode::BAD_REQUEST, axum::Json(json!({"errors": [{"message": "Must provide query string."}]})))
            .into_response();
    };
    match query::parse(&query, &variables).and_then(|root| resolve_root(&root)) {
        Ok(data) => axum::Json(json!({ "data": data })).into_response(),
        Err(message) => axum::Json(json!({ "errors": [{ "message": message }] })).into_response(),
    }
}

fn resolve_root(selections: &[Selection]) -> Result<Value, String> {
    let mut data = Map::new();
    for selection in selections {
        let Selection::Field { alias, name, args, children } = selection else {
            return Err("Fragments on the root type are not supported by this fake.".into());
        };
        let text = |key: &str| match args.get(key) {
            Some(Arg::Str(s) | Arg::Enum(s)) => Some(s.clone()),
            _ => None,
        };
        let value = match name.as_str() {
            "schema" => Value::String(SCHEMA.to_owned()),
            "searchDocs" => {
                let query =
                    text("query").ok_or("Field \"searchDocs\" argument \"query\" of type \"String!\" is required.")?;
                let limit = match args.get("limit") {
                    Some(Arg::Int(n)) => usize::try_from(*n).unwrap_or(0),
                    _ => 10,
                };
                let collection = search(&query, limit);
                project(&collection, "SearchResultCollection", children)?
            }
            "error" => {
                let (code, service) = (text("code"), text("service"));
                let (Some(code), Some(service)) = (code, service) else {
                    return Err("Field \"error\" arguments \"code\" and \"service\" are required.".into());
                };
                check_service(&service)?;
                match documented_errors()
                    .into_iter()
                    .find(|e| e["code"] == code.as_str() && e["service"] == service.as_str())
                {
                    Some(found) => project(&found, "Error", children)?,
                    None => Value::Null,
                }
            }
            "errors" => {
                let service = text("service");
                if let Some(service) = &service {
                    check_service(service)?;
                }
                let first = match args.get("first") {
                    Some(Arg::Int(n)) => usize::try_from(*n).unwrap_or(0),
                    _ => 20,
                };
                let all: Vec<Value> = documented_errors()
                    .into_iter()
                    .filter(|e| service.as_deref().is_none_or(|s| e["service"] == s))
                    .filter(|e| text("code").is_none_or(|c| e["code"] == c.as_str()))
                    .collect();
                let nodes: Vec<Value> = all.iter().take(first).cloned().collect();
                let collection = json!({"__typename": "ErrorCollection", "totalCount": all.len(), "nodes": nodes,
                    "edges": nodes.iter().map(|n| json!({"node": n, "cursor": n["code"]})).collect::<Vec<_>>(),
                    "pageInfo": {"hasNextPage": all.len() > first, "hasPreviousPage": false,
                        "startCursor": nodes.first().map(|n| n["code"].clone()), "endCursor": nodes.last().map(|n| n["code"].clone())}});
                project(&collection, "ErrorCollection", children)?
            }
            other => return Err(format!("Cannot query field \"{other}\" on type \"RootQueryType\".")),
        };
        data.insert(alias.clone().unwrap_or_else(|| name.clone()), value);
    }
    Ok(Value::Object(data))
}

fn check_service(service: &str) -> Result<(), String> {
    if ["AUTH", "REALTIME", "STORAGE"].contains(&service) {
        Ok(())
    } else {
        Err(format!("Value \"{service}\" does not exist in \"Service\" enum."))
    }
}

fn search(query: &str, limit: usize) -> Value {
    let words: Vec<String> = query.to_lowercase().split_whitespace().map(str::to_owned).collect();
    let mut scored: Vec<(usize, Value)> = pages()
        .into_iter()
        .map(|page| {
            let text = format!("{} {}", page["title"], page["content"]).to_lowercase();
            (words.iter().filter(|w| text.contains(w.as_str())).count(), page)
        })
        .filter(|(score, _)| *score > 0)
        .collect();
    scored.sort_by_key(|b| std::cmp::Reverse(b.0));
    let total = scored.len();
    let nodes: Vec<Value> = scored.into_iter().take(limit).map(|(_, page)| page).collect();
    json!({"__typename": "SearchResultCollection", "totalCount": total,
        "edges": nodes.iter().map(|n| json!({"node": n})).collect::<Vec<_>>(), "nodes": nodes})
}

/// `value` shaped by `selections` as GraphQL does: only the selected fields, `__typename` on request,
/// inline fragments applied when the type matches; an unknown field is an error.
fn project(value: &Value, type_name: &str, selections: &[Selection]) -> Result<Value, String> {
    if let Value::Array(items) = value {
        return items
            .iter()
            .map(|item| project(item, type_name, selections))
            .collect::<Result<Vec<_>, _>>()
            .map(Value::Array);
    }
    if selections.is_empty() || !value.is_object() {
        return Ok(value.clone());
    }
    let actual = value.get("__typename").and_then(Value::as_str).unwrap_or(type_name).to_owned();
    let mut out = Map::new();
    for selection in selections {
        match selection {
            Selection::Fragment { on, children } => {
                if (*on == actual || on == "SearchResult")
                    && let Value::Object(more) = project(value, &actual, children)?
                {
                    out.extend(more);
                }
            }
            Selection::Field { alias, name, children, .. } => {
                let key = alias.clone().unwrap_or_else(|| name.clone());
                let field = if name == "__typename" {
                    Value::String(actual.clone())
                } else {
                    let Some(inner) = value.get(name) else {
                        return Err(format!("Cannot query field \"{name}\" on type \"{actual}\"."));
                    };
                    project(inner, name, children)?
                };
                out.insert(key, field);
            }
        }
    }
    Ok(Value::Object(out))
}
