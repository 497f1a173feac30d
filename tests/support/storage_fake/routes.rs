//! One catch-all route under `/storage/v1` dispatched by method and path as the service's router does; the
//! key check, fault injection, the error rendering and the bucket routes.

use super::{Shared, objects};

use axum::Router;
use axum::body::Body;
use axum::http::{HeaderMap, Method, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use axum::routing::any;
use serde_json::{Value, json};
use std::sync::Arc;

pub fn router(shared: Arc<Shared>) -> Router {
    Router::new().route("/storage/v1/{*rest}", any(dispatch)).with_state(shared)
}

/// A Storage error: HTTP 400 for everything below 500 (unless `http` says otherwise), the real status as a
/// string in the body.
pub fn error(http: u16, status: &str, code: &str, error: &str, message: &str) -> Response {
    let body = json!({ "statusCode": status, "code": code, "error": error, "message": message });
    (StatusCode::from_u16(http).unwrap_or(StatusCode::BAD_REQUEST), axum::Json(body)).into_response()
}

pub fn no_bucket() -> Response {
    error(400, "404", "NoSuchBucket", "Bucket not found", "Bucket not found")
}

pub fn no_object() -> Response {
    error(400, "404", "NoSuchKey", "not_found", "Object not found")
}

pub fn duplicate() -> Response {
    error(400, "409", "ResourceAlreadyExists", "Duplicate", "The resource already exists")
}

pub fn invalid(message: &str) -> Response {
    error(400, "400", "InvalidRequest", "Bad Request", message)
}

pub fn ok(value: Value) -> Response {
    (StatusCode::OK, axum::Json(value)).into_response()
}

/// Percent-decodes one path segment (through the query decoder, with `+` kept as itself).
pub fn decode(segment: &str) -> String {
    let uri: Uri = format!("/?s={}", segment.replace('+', "%2B")).parse().unwrap_or_default();
    query_value(&uri, "s").unwrap_or_else(|| segment.to_owned())
}

/// The error of an object over the bucket's or the global limit.
pub fn too_large() -> Response {
    error(400, "413", "EntityTooLarge", "Payload too large", "The object exceeded the maximum allowed size")
}

/// The query pairs of a URI, decoded.
pub fn query(uri: &Uri) -> Vec<(String, String)> {
    let raw = uri.query().unwrap_or_default();
    reqwest::Url::parse(&format!("http://q/?{raw}"))
        .map(|url| url.query_pairs().map(|(k, v)| (k.into_owned(), v.into_owned())).collect())
        .unwrap_or_default()
}

pub fn query_value(uri: &Uri, name: &str) -> Option<String> {
    query(uri).into_iter().find(|(k, _)| k == name).map(|(_, v)| v)
}

/// The service-role check: a Bearer JWT, or the opaque key in `apikey` (the gateway swaps it). A wrong key is
/// a real 403, a missing one a 400.
fn authorised(headers: &HeaderMap) -> Result<(), Response> {
    let bearer = headers.get("authorization").and_then(|v| v.to_str().ok()).and_then(|v| v.strip_prefix("Bearer "));
    let apikey = headers.get("apikey").and_then(|v| v.to_str().ok());
    match bearer.or(apikey) {
        Some(key) if key == super::SERVICE_KEY => Ok(()),
        Some(_) => Err(error(403, "403", "InvalidJWT", "Unauthorized", "invalid signature")),
        None => {
            Err(error(400, "400", "InvalidRequest", "Error", "headers must have required property 'authorization'"))
        }
    }
}

async fn dispatch(
    axum::extract::State(shared): axum::extract::State<Arc<Shared>>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    body: Body,
) -> Response {
    let changes = !matches!(method, Method::GET | Method::HEAD);
    let response = route(&shared, method, uri, headers, body).await;
    if changes && response.status().is_success() {
        shared.mirror();
    }
    response
}

async fn route(shared: &Arc<Shared>, method: Method, uri: Uri, headers: HeaderMap, body: Body) -> Response {
    let rest = uri.path().trim_start_matches("/storage/v1/").to_owned();
    let (fail, hang) = {
        let mut state = shared.state();
        state.requests.push(format!("{method} /{rest}"));
        let fail = state.faults.fail_next.pop_front();
        let hang = (state.faults.hang_next > 0).then(|| {
            state.faults.hang_next -= 1;
            state.faults.hang_for
        });
        (fail, hang)
    };
    if let Some(pause) = hang {
        tokio::time::sleep(pause).await;
    }
    if let Some(status) = fail {
        return error(status, &status.to_string(), "InternalError", "Internal Server Error", "Internal Server Error");
    }
    let segments: Vec<String> = rest.split('/').map(decode).collect();
    let parts: Vec<&str> = segments.iter().map(String::as_str).collect();
    // Routes that carry their own authorisation (a token) or none (public buckets).
    match (&method, parts.as_slice()) {
        (&Method::GET, ["object", "sign", bucket, key @ ..]) if !key.is_empty() => {
            return objects::download_signed(shared, &uri, bucket, &key.join("/"), &headers).await;
        }
        (&Method::PUT, ["object", "upload", "sign", bucket, key @ ..]) if !key.is_empty() => {
            return objects::upload_signed(shared, &uri, bucket, &key.join("/"), &headers, body).await;
        }
        (&Method::GET, ["object", "public", bucket, key @ ..]) if !key.is_empty() => {
            return objects::download_public(shared, bucket, &key.join("/"), &headers).await;
        }
        _ => {}
    }
    if let Err(refused) = authorised(&headers) {
        return refused;
    }
    // Object uploads keep their raw body; every other route reads a JSON body.
    let upload_route = method == Method::PATCH
        || (matches!(method, Method::POST | Method::PUT)
            && parts.len() >= 3
            && parts[0] == "object"
            && !["list", "move", "copy", "sign", "upload", "info"].contains(&parts[1]));
    let (body, payload) = if upload_route {
        (Some(body), Value::Null)
    } else {
        let bytes = axum::body::to_bytes(body, 1 << 20).await.unwrap_or_default();
        (None, serde_json::from_slice::<Value>(&bytes).unwrap_or(Value::Null))
    };
    let json = || async { Some(payload.clone()) };
    let body = || body.unwrap_or_default();
    match (&method, parts.as_slice()) {
        (&Method::POST, ["upload", "resumable"]) => super::tus::create(shared, &headers),
        (&Method::HEAD, ["upload", "resumable", id]) => super::tus::head(shared, id),
        (&Method::PATCH, ["upload", "resumable", id]) => super::tus::patch(shared, id, &headers, body()).await,
        (&Method::GET, ["bucket"]) | (&Method::GET, ["bucket", ""]) => list_buckets(shared, &uri),
        (&Method::POST, ["bucket"]) => create_bucket(shared, json().await.unwrap_or(Value::Null)),
        (&Method::GET, ["bucket", id]) => match shared.state().buckets.get(*id) {
            Some(bucket) => ok(bucket.clone()),
            None => no_bucket(),
        },
        (&Method::PUT, ["bucket", id]) => update_bucket(shared, id, json().await.unwrap_or(Value::Null)),
        (&Method::DELETE, ["bucket", id]) => delete_bucket(shared, id),
        (&Method::POST, ["bucket", id, "empty"]) => empty_bucket(shared, id),
        (&Method::POST, ["object", "list", bucket]) => {
            objects::list(shared, bucket, json().await.unwrap_or(Value::Null))
        }
        (&Method::POST, ["object", "move"]) => {
            objects::relocate(shared, json().await.unwrap_or(Value::Null), true).await
        }
        (&Method::POST, ["object", "copy"]) => {
            objects::relocate(shared, json().await.unwrap_or(Value::Null), false).await
        }
        (&Method::POST, ["object", "sign", bucket]) => {
            objects::sign_many(shared, bucket, json().await.unwrap_or(Value::Null))
        }
        (&Method::POST, ["object", "sign", bucket, key @ ..]) => {
            objects::sign_one(shared, bucket, &key.join("/"), json().await.unwrap_or(Value::Null))
        }
        (&Method::POST, ["object", "upload", "sign", bucket, key @ ..]) => {
            objects::sign_upload(shared, bucket, &key.join("/"), &headers)
        }
        (&Method::GET, ["object", "info", bucket, key @ ..]) => objects::info(shared, bucket, &key.join("/")),
        (&Method::DELETE, ["object", bucket]) => {
            objects::delete_many(shared, bucket, json().await.unwrap_or(Value::Null))
        }
        (&Method::GET, ["object", "authenticated", bucket, key @ ..])
        | (&Method::GET, ["object", bucket, key @ ..])
            if !key.is_empty() =>
        {
            objects::download(shared, bucket, &key.join("/")).await
        }
        (&Method::POST, ["object", bucket, key @ ..]) if !key.is_empty() => {
            let upsert = headers.get("x-upsert").and_then(|v| v.to_str().ok()) == Some("true");
            objects::upload(shared, bucket, &key.join("/"), &headers, body(), upsert).await
        }
        (&Method::PUT, ["object", bucket, key @ ..]) if !key.is_empty() => {
            objects::upload(shared, bucket, &key.join("/"), &headers, body(), true).await
        }
        (&Method::DELETE, ["object", bucket, key @ ..]) if !key.is_empty() => {
            let names = json!({ "prefixes": [key.join("/")] });
            match objects::delete_many(shared, bucket, names) {
                response if response.status().is_success() => ok(json!({ "message": "Successfully deleted" })),
                response => response,
            }
        }
        _ => error(404, "404", "NotFound", "Not Found", &format!("Route {method}:/storage/v1/{rest} not found")),
    }
}

fn list_buckets(shared: &Shared, uri: &Uri) -> Response {
    let search = query_value(uri, "search").unwrap_or_default().to_lowercase();
    let column = query_value(uri, "sortColumn").unwrap_or_else(|| "name".into());
    let descending = query_value(uri, "sortOrder").is_some_and(|o| o.eq_ignore_ascii_case("desc"));
    let offset: usize = query_value(uri, "offset").and_then(|v| v.parse().ok()).unwrap_or(0);
    let limit: usize = query_value(uri, "limit").and_then(|v| v.parse().ok()).unwrap_or(usize::MAX);
    let mut buckets: Vec<Value> = shared
        .state()
        .buckets
        .values()
        .filter(|b| b["name"].as_str().unwrap_or_default().to_lowercase().contains(&search))
        .cloned()
        .collect();
    buckets.sort_by(|a, b| a[column.as_str()].to_string().cmp(&b[column.as_str()].to_string()));
    if descending {
        buckets.reverse();
    }
    ok(Value::Array(buckets.into_iter().skip(offset).take(limit).collect()))
}

/// A file size as the service reads it: an integer, or "50MB" with decimal units.
pub fn parse_size(value: &Value) -> Result<Option<u64>, Response> {
    let bad = || error(400, "400", "InvalidRequest", "invalid_file_size", "Invalid file size format");
    match value {
        Value::Null => Ok(None),
        Value::Number(n) => n.as_u64().map(Some).ok_or_else(bad),
        Value::String(s) => {
            let upper = s.to_ascii_uppercase();
            let split = upper.find(|c: char| !(c.is_ascii_digit() || c == '.')).ok_or_else(bad)?;
            let (number, unit) = upper.split_at(split);
            let factor = match unit {
                "B" => 1.0,
                "KB" => 1e3,
                "MB" => 1e6,
                "GB" => 1e9,
                _ => return Err(bad()),
            };
            let value: f64 = number.parse().map_err(|_| bad())?;
            Ok(Some((value * factor) as u64))
        }
        _ => Err(bad()),
    }
}

fn create_bucket(shared: &Shared, body: Value) -> Response {
    let Some(name) = body["name"].as_str().filter(|n| !n.is_empty()) else {
        return invalid("body must have required property 'name'");
    };
    let id = body["id"].as_str().unwrap_or(name).to_owned();
    let limit = match parse_size(&body["file_size_limit"]) {
        Ok(limit) => limit,
        Err(refused) => return refused,
    };
    let mut state = shared.state();
    if limit.is_some_and(|l| l > state.global_limit) {
        return too_large();
    }
    if state.buckets.contains_key(&id) {
        return duplicate();
    }
    let now = chrono::Utc::now().to_rfc3339();
    let bucket = json!({
        "id": id, "name": name, "owner": "", "public": body["public"].as_bool().unwrap_or(false),
        "type": "STANDARD", "file_size_limit": limit, "allowed_mime_types": body["allowed_mime_types"].clone(),
        "created_at": now, "updated_at": now,
    });
    state.buckets.insert(id.clone(), bucket);
    ok(json!({ "name": id }))
}

fn update_bucket(shared: &Shared, id: &str, body: Value) -> Response {
    let limit = match parse_size(&body["file_size_limit"]) {
        Ok(limit) => limit,
        Err(refused) => return refused,
    };
    let mut state = shared.state();
    let Some(bucket) = state.buckets.get_mut(id) else { return no_bucket() };
    if let Some(public) = body["public"].as_bool() {
        bucket["public"] = json!(public);
    }
    if body.get("file_size_limit").is_some() {
        bucket["file_size_limit"] = json!(limit);
    }
    if let Some(types) = body.get("allowed_mime_types") {
        bucket["allowed_mime_types"] = types.clone();
    }
    bucket["updated_at"] = json!(chrono::Utc::now().to_rfc3339());
    ok(json!({ "message": "Successfully updated" }))
}

fn delete_bucket(shared: &Shared, id: &str) -> Response {
    let mut state = shared.state();
    if !state.buckets.contains_key(id) {
        return no_bucket();
    }
    if state.objects.keys().any(|(bucket, _)| bucket == id) {
        return error(400, "409", "ResourceNotEmpty", "InvalidRequest", "The bucket you tried to delete is not empty");
    }
    state.buckets.remove(id);
    ok(json!({ "message": "Successfully deleted" }))
}

/// Emptying is queued: the objects go `empty_delay` later.
fn empty_bucket(shared: &Arc<Shared>, id: &str) -> Response {
    let delay = {
        let state = shared.state();
        if !state.buckets.contains_key(id) {
            return no_bucket();
        }
        state.empty_delay
    };
    let shared = shared.clone();
    let id = id.to_owned();
    tokio::spawn(async move {
        tokio::time::sleep(delay).await;
        let mut state = shared.state();
        let doomed: Vec<_> = state.objects.keys().filter(|(bucket, _)| *bucket == id).cloned().collect();
        for key in doomed {
            if let Some(object) = state.objects.remove(&key) {
                let _ = std::fs::remove_file(object.file);
            }
        }
        drop(state);
        shared.mirror();
    });
    ok(json!({ "message": "Empty bucket has been queued. Completion may take up to an hour." }))
}
