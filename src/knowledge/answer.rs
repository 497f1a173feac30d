//! The work of `explain_error` and `search_docs`: the local base ranked for a text, the Content API asked
//! when it is configured and reachable, and an offline answer with a note saying why whenever it is not.
//! Replies are bounded: at most [`MAX_LIMIT`] results, excerpts of [`EXCERPT_CHARS`], raw GraphQL data clipped.

use super::content_api::{self, Unavailable};
use super::index::{Hit, Signal};
use super::{Base, Confirm, graphql};
use crate::failure::Failure;
use serde::Serialize;
use serde_json::Value;
use std::time::Duration;

pub const MAX_LIMIT: usize = 20;
pub const EXCERPT_CHARS: usize = 400;
/// The longest error text read; the rest of a long log excerpt is ignored.
pub const MAX_TEXT_BYTES: usize = 8 * 1024;
/// Raw GraphQL data: long strings cut to this, the whole reply to [`GRAPHQL_BYTES`].
const GRAPHQL_STRING_BYTES: usize = 2000;
const GRAPHQL_BYTES: usize = 48 * 1024;

/// Where online answers come from.
#[derive(Clone, Debug)]
pub struct ContentApi {
    /// `None`: switched off (`--content-api-url off`).
    pub url: Option<String>,
    pub timeout: Duration,
}

/// One known problem that matches.
#[derive(Debug, Serialize, schemars::JsonSchema)]
pub struct Match {
    pub id: String,
    pub title: String,
    pub service: String,
    /// Relevance (higher is better).
    pub score: f64,
    pub matched_by: Vec<Signal>,
    /// The entry's codes the text named (exactly or with a typo).
    pub codes: Vec<String>,
    pub cause: String,
    pub confirm: Confirm,
    pub fix: String,
    pub docs: String,
}

/// What the Content API's `error(code, service)` says about a code.
#[derive(Debug, Serialize, schemars::JsonSchema)]
pub struct DocumentedError {
    pub code: String,
    pub service: String,
    pub http_status: Option<u16>,
    pub message: String,
}

#[derive(Debug, Serialize, schemars::JsonSchema)]
pub struct ExplainReply {
    /// Known problems, best first; empty when nothing matches.
    pub matches: Vec<Match>,
    /// The Content API's entry for the error code, when online and documented.
    pub documented: Option<DocumentedError>,
    /// "local" or "local+content_api".
    pub source: String,
    /// Why the Content API was not used, or what it said.
    pub note: Option<String>,
}

/// One search result.
#[derive(Debug, Serialize, schemars::JsonSchema)]
pub struct DocResult {
    pub title: String,
    pub url: String,
    pub excerpt: String,
    /// The Content API's result type (Guide, TroubleshootingGuide...) or "knowledge_base".
    pub kind: String,
    /// The local entry id (explain_error has the whole entry).
    pub entry: Option<String>,
}

#[derive(Debug, Serialize, schemars::JsonSchema)]
pub struct SearchReply {
    /// "content_api" or "local".
    pub source: String,
    /// Set when the answer is local: why the Content API was not used.
    pub note: Option<String>,
    pub results: Vec<DocResult>,
    /// The Content API's `data` for a graphql_query (long strings clipped).
    #[schemars(schema_with = "object_schema")]
    pub graphql: Option<Value>,
}

fn object_schema(_: &mut schemars::SchemaGenerator) -> schemars::Schema {
    schemars::json_schema!({"type": ["object", "null"]})
}

/// What search_docs was asked.
pub enum SearchInput {
    Text(String),
    Graphql(String),
}

fn excerpt(text: &str) -> String {
    let flat: String = text.split_whitespace().collect::<Vec<_>>().join(" ");
    if flat.chars().count() <= EXCERPT_CHARS {
        return flat;
    }
    let head: String = flat.chars().take(EXCERPT_CHARS).collect();
    format!("{head}…")
}

fn capped(text: &str) -> &str {
    let mut end = text.len().min(MAX_TEXT_BYTES);
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    &text[..end]
}

fn offline_note(base: &Base, why: &str) -> String {
    format!(
        "offline: answered from supamcp's local knowledge base ({} entries), not from the Supabase docs, because {why}",
        base.entries.len()
    )
}

fn why_offline(api: &ContentApi, asked_offline: bool) -> Option<String> {
    if asked_offline {
        Some("offline: true was asked".to_owned())
    } else if api.url.is_none() {
        Some("the Content API is switched off (--content-api-url off)".to_owned())
    } else {
        None
    }
}

fn empty_text(tool: &str) -> Failure {
    Failure::new(
        format!("{tool} needs a text"),
        "the text is empty",
        "pass an error message, a code (28P01, PGRST301, bad_jwt, NoSuchBucket...) or a log line",
    )
}

/// The known problems matching an error text, a code or a log line; online, also `error(code, service)`.
pub async fn explain(
    base: &Base,
    text: &str,
    limit: usize,
    api: &ContentApi,
    offline: bool,
) -> Result<ExplainReply, Failure> {
    let text = capped(text.trim());
    if text.is_empty() {
        return Err(empty_text("explain_error"));
    }
    let matches = local_matches(base, text, limit.clamp(1, MAX_LIMIT));
    let mut reply = ExplainReply { matches, documented: None, source: "local".to_owned(), note: None };
    if let Some(why) = why_offline(api, offline) {
        reply.note = Some(offline_note(base, &why));
        return Ok(reply);
    }
    let (Some(url), Some((code, service))) = (api.url.as_deref(), documented_code(base, text, &reply.matches)) else {
        return Ok(reply);
    };
    match content_api::run(url, &content_api::error_query(&code, service), api.timeout).await {
        Ok(data) => {
            reply.source = "local+content_api".to_owned();
            match content_api::read_error(&data) {
                Some(found) => {
                    reply.documented = Some(DocumentedError {
                        code: found.code,
                        service: found.service,
                        http_status: found.http_status,
                        message: excerpt(&found.message),
                    })
                }
                None => reply.note = Some(format!("the Content API documents no {service} error code {code:?}")),
            }
        }
        Err(Unavailable(why)) => reply.note = Some(offline_note(base, &why)),
    }
    Ok(reply)
}

/// The entries for a text, as full matches.
pub fn local_matches(base: &Base, text: &str, limit: usize) -> Vec<Match> {
    // An entry id (a finding's `knowledge`) names its entry outright.
    let named = base.entries.iter().position(|e| e.id == text.trim());
    let by_id = named.map(|entry| Hit { entry, score: 100.0, signals: vec![Signal::Id], codes: Vec::new() });
    by_id
        .into_iter()
        .chain(base.index.rank(text, limit).into_iter().filter(|hit| Some(hit.entry) != named))
        .take(limit)
        .filter_map(|hit| {
            let entry = base.entries.get(hit.entry)?;
            Some(Match {
                id: entry.id.clone(),
                title: entry.title.clone(),
                service: entry.service.clone(),
                score: (hit.score * 100.0).round() / 100.0,
                matched_by: hit.signals,
                codes: hit.codes,
                cause: entry.cause.clone(),
                confirm: entry.confirm.clone(),
                fix: entry.fix.clone(),
                docs: entry.docs.clone(),
            })
        })
        .collect()
}

/// The code to ask `error(code, service)` about: one the matches named, of a service the API documents
/// (auth, storage, realtime); else a lone snake_case word (a GoTrue error_code) or CamelCase word (Storage).
fn documented_code(base: &Base, text: &str, matches: &[Match]) -> Option<(String, &'static str)> {
    let service_of = |name: &str| match name {
        "auth" => Some("AUTH"),
        "storage" => Some("STORAGE"),
        "realtime" => Some("REALTIME"),
        _ => None,
    };
    for found in matches {
        let service = base.get(&found.id).and_then(|e| service_of(&e.service));
        if let (Some(service), Some(code)) = (service, found.codes.first()) {
            return Some((code.clone(), service));
        }
    }
    let word = text.trim();
    let plain = !word.is_empty() && word.chars().all(|c| c.is_ascii_alphanumeric() || c == '_');
    if plain && word.contains('_') && word.chars().all(|c| !c.is_ascii_uppercase()) {
        return Some((word.to_owned(), "AUTH"));
    }
    let camel =
        word.chars().next().is_some_and(|c| c.is_ascii_uppercase()) && word.chars().any(|c| c.is_ascii_lowercase());
    (plain && camel && !word.contains('_')).then(|| (word.to_owned(), "STORAGE"))
}

/// search_docs: the Content API when configured and reachable, else the local base with a note.
pub async fn search(
    base: &Base,
    input: SearchInput,
    limit: usize,
    api: &ContentApi,
    offline: bool,
) -> Result<SearchReply, Failure> {
    let limit = limit.clamp(1, MAX_LIMIT);
    let (query, local_text, local_limit) = match &input {
        SearchInput::Text(text) => {
            let text = capped(text.trim()).to_owned();
            if text.is_empty() {
                return Err(empty_text("search_docs"));
            }
            (content_api::search_query(&text, limit), Some(text), limit)
        }
        SearchInput::Graphql(query) => {
            let terms = graphql::terms(query);
            let local_limit = terms.limit.unwrap_or(limit).clamp(1, MAX_LIMIT);
            (query.clone(), terms.text(), local_limit)
        }
    };
    let why = match why_offline(api, offline) {
        Some(why) => why,
        None => match api.url.as_deref() {
            Some(url) => match content_api::run(url, &query, api.timeout).await {
                Ok(data) => return Ok(online_reply(data, &input, limit)),
                Err(Unavailable(why)) => why,
            },
            None => "the Content API is switched off".to_owned(),
        },
    };
    let Some(text) = local_text else {
        return Err(Failure::new(
            "search_docs could not answer the GraphQL query offline",
            format!(
                "{why}, and the query names no search text (no searchDocs(query: ...), error(code: ...) or string \
                 literal) to look up in the local base"
            ),
            "retry when the Content API is reachable, or pass query: \"<words>\" to search the local base",
        ));
    };
    let results = base
        .index
        .rank(&text, local_limit)
        .into_iter()
        .filter_map(|hit| base.entries.get(hit.entry))
        .map(|entry| DocResult {
            title: entry.title.clone(),
            url: entry.docs.clone(),
            excerpt: excerpt(&format!("{} Fix: {}", entry.cause, entry.fix)),
            kind: "knowledge_base".to_owned(),
            entry: Some(entry.id.clone()),
        })
        .collect();
    Ok(SearchReply { source: "local".to_owned(), note: Some(offline_note(base, &why)), results, graphql: None })
}

fn online_reply(data: Value, input: &SearchInput, limit: usize) -> SearchReply {
    let results: Vec<DocResult> = content_api::read_search(&data)
        .unwrap_or_default()
        .into_iter()
        .take(match input {
            SearchInput::Text(_) => limit,
            SearchInput::Graphql(_) => MAX_LIMIT,
        })
        .map(|found| DocResult {
            url: absolute(&found.href),
            title: found.title,
            excerpt: excerpt(&found.content),
            kind: found.kind,
            entry: None,
        })
        .collect();
    let graphql = match input {
        SearchInput::Graphql(_) => Some(clip(data)),
        SearchInput::Text(_) => None,
    };
    SearchReply { source: "content_api".to_owned(), note: None, results, graphql }
}

/// Docs links come back site-relative (`/docs/guides/...`) or absolute.
fn absolute(href: &str) -> String {
    if href.starts_with('/') { format!("https://supabase.com{href}") } else { href.to_owned() }
}

fn clip(data: Value) -> Value {
    let mut cut = 0;
    let clipped = clip_strings(data, &mut cut);
    let text = clipped.to_string();
    if text.len() <= GRAPHQL_BYTES {
        return clipped;
    }
    let mut keep = GRAPHQL_BYTES;
    while !text.is_char_boundary(keep) {
        keep -= 1;
    }
    serde_json::json!({ "clipped": format!("{}{}", &text[..keep], crate::spill::bound::marker(text.len())) })
}

fn clip_strings(value: Value, cut: &mut u64) -> Value {
    match value {
        Value::Array(items) => Value::Array(items.into_iter().map(|v| clip_strings(v, cut)).collect()),
        Value::Object(map) => Value::Object(map.into_iter().map(|(k, v)| (k, clip_strings(v, cut))).collect()),
        other => crate::spill::bound::clip_value(other, GRAPHQL_STRING_BYTES, cut),
    }
}
