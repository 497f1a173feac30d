//! The object routes: upload (raw body streamed to a file, limits enforced), download (streamed, optionally cut),
//! list with folders, info, move, copy, delete many, and signed download/upload URLs.

use super::routes::{duplicate, error, invalid, no_bucket, no_object, ok, query_value, too_large};
use super::{Object, Shared, token};
use axum::body::Body;
use axum::http::{HeaderMap, StatusCode, Uri, header};
use axum::response::{IntoResponse, Response};
use futures_util::StreamExt;
use serde_json::{Value, json};
use sha2::{Digest, Sha256};
use tokio::io::AsyncWriteExt;

fn mime_allowed(allowed: &Value, content_type: &str) -> bool {
    let Some(list) = allowed.as_array().filter(|l| !l.is_empty()) else { return true };
    let essence = content_type.split(';').next().unwrap_or_default().trim().to_ascii_lowercase();
    list.iter().filter_map(Value::as_str).any(|pattern| match pattern.strip_suffix("/*") {
        Some(family) => essence.split('/').next() == Some(family),
        None => pattern.eq_ignore_ascii_case(&essence),
    })
}

fn row(bucket: &str, name: &str, object: &Object) -> Value {
    json!({
        "name": name, "bucket_id": bucket, "id": object.id, "owner": null,
        "updated_at": object.updated_at, "created_at": object.created_at, "last_accessed_at": object.updated_at,
        "metadata": {
            "eTag": format!("\"{}\"", object.etag), "size": object.size, "mimetype": object.mimetype,
            "cacheControl": object.cache_control, "lastModified": object.updated_at,
            "contentLength": object.size, "httpStatusCode": 200,
        },
        "user_metadata": object.user_metadata,
    })
}

/// Streams `body` into a new file of the fake, enforcing `limit`; the object's file, size and SHA-256.
async fn receive(shared: &Shared, body: Body, limit: u64) -> Result<(std::path::PathBuf, u64, String), Response> {
    let (file, cut) = {
        let mut state = shared.state();
        state.next_file += 1;
        (shared.dir.join(format!("object-{}", state.next_file)), state.faults.cut_upload_after.take())
    };
    let mut out = tokio::fs::File::create(&file).await.expect("fake object file");
    let mut stream = body.into_data_stream();
    let mut size = 0u64;
    let mut hasher = Sha256::new();
    while let Some(chunk) = stream.next().await {
        let Ok(chunk) = chunk else {
            let _ = tokio::fs::remove_file(&file).await;
            return Err(invalid("the request body was cut"));
        };
        size += chunk.len() as u64;
        shared.state().upload_bytes += chunk.len() as u64;
        if cut.is_some_and(|after| size >= after) {
            let _ = tokio::fs::remove_file(&file).await;
            return Err(error(500, "500", "InternalError", "Internal Server Error", "connection reset"));
        }
        if size > limit {
            let _ = tokio::fs::remove_file(&file).await;
            return Err(too_large());
        }
        hasher.update(&chunk);
        out.write_all(&chunk).await.expect("write fake object");
    }
    out.flush().await.expect("flush fake object");
    Ok((file, size, hex::encode(hasher.finalize())))
}

pub async fn upload(
    shared: &Shared,
    bucket: &str,
    name: &str,
    headers: &HeaderMap,
    body: Body,
    upsert: bool,
) -> Response {
    let header_text = |name: &str| headers.get(name).and_then(|v| v.to_str().ok()).map(str::to_owned);
    let content_type = header_text("content-type").unwrap_or_else(|| "text/plain;charset=UTF-8".into());
    let limit = {
        let state = shared.state();
        let Some(spec) = state.buckets.get(bucket) else { return no_bucket() };
        if !upsert && state.objects.contains_key(&(bucket.to_owned(), name.to_owned())) {
            return duplicate();
        }
        if !mime_allowed(&spec["allowed_mime_types"], &content_type) {
            return error(
                400,
                "415",
                "InvalidMimeType",
                "invalid_mime_type",
                &format!("mime type {content_type} is not supported"),
            );
        }
        spec["file_size_limit"].as_u64().unwrap_or(state.global_limit).min(state.global_limit)
    };
    let declared: Option<u64> = header_text("content-length").and_then(|v| v.parse().ok());
    if declared.is_some_and(|d| d > limit) {
        // Read the body before refusing: a reply sent while the client still writes resets the connection,
        // and fetch() then reports "fetch failed" instead of the error body.
        let _ = axum::body::to_bytes(body, usize::MAX).await;
        return too_large();
    }
    let (file, size, etag) = match receive(shared, body, limit).await {
        Ok(received) => received,
        Err(refused) => return refused,
    };
    let user_metadata = header_text("x-metadata").and_then(|encoded| {
        use base64::Engine;
        let bytes = base64::engine::general_purpose::STANDARD.decode(encoded).ok()?;
        serde_json::from_slice::<Value>(&bytes).ok()
    });
    let now = chrono::Utc::now().to_rfc3339();
    let mut state = shared.state();
    let key = (bucket.to_owned(), name.to_owned());
    if !upsert && state.objects.contains_key(&key) {
        let _ = std::fs::remove_file(&file);
        return duplicate();
    }
    let previous = state.objects.get(&key).cloned();
    let object = Object {
        id: previous.as_ref().map_or_else(|| uuid::Uuid::new_v4().to_string(), |p| p.id.clone()),
        size,
        mimetype: content_type,
        cache_control: header_text("cache-control").unwrap_or_else(|| "no-cache".into()),
        etag,
        created_at: previous.as_ref().map_or_else(|| now.clone(), |p| p.created_at.clone()),
        updated_at: now,
        user_metadata,
        file,
    };
    if let Some(previous) = previous {
        let _ = std::fs::remove_file(previous.file);
    }
    let id = object.id.clone();
    state.objects.insert(key, object);
    ok(json!({ "Id": id, "Key": format!("{bucket}/{name}") }))
}

/// The object's bytes as a streamed reply (cut short when the fault says so).
async fn send_object(shared: &Shared, object: &Object) -> Response {
    let cut = shared.state().faults.cut_download_after.take();
    let file = tokio::fs::File::open(&object.file).await.expect("fake object file");
    let stream = tokio_util::io::ReaderStream::with_capacity(file, 64 * 1024);
    let body = match cut {
        None => Body::from_stream(stream),
        Some(after) => {
            let mut sent = 0u64;
            Body::from_stream(stream.map(move |chunk| {
                let chunk = chunk?;
                if sent >= after {
                    return Err(std::io::Error::other("cut by the fake"));
                }
                sent += chunk.len() as u64;
                Ok(chunk)
            }))
        }
    };
    let mut response = (StatusCode::OK, body).into_response();
    let headers = response.headers_mut();
    headers.insert(header::CONTENT_LENGTH, object.size.into());
    if let Ok(value) = object.mimetype.parse() {
        headers.insert(header::CONTENT_TYPE, value);
    }
    if let Ok(value) = format!("\"{}\"", object.etag).parse() {
        headers.insert(header::ETAG, value);
    }
    if let Ok(value) = object.cache_control.parse() {
        headers.insert(header::CACHE_CONTROL, value);
    }
    response
}

fn find(shared: &Shared, bucket: &str, name: &str) -> Result<Object, Response> {
    let state = shared.state();
    if !state.buckets.contains_key(bucket) {
        return Err(no_bucket());
    }
    state.objects.get(&(bucket.to_owned(), name.to_owned())).cloned().ok_or_else(no_object)
}

pub async fn download(shared: &Shared, bucket: &str, name: &str) -> Response {
    match find(shared, bucket, name) {
        Ok(object) => send_object(shared, &object).await,
        Err(refused) => refused,
    }
}

pub async fn download_public(shared: &Shared, bucket: &str, name: &str, _headers: &HeaderMap) -> Response {
    let public = shared.state().buckets.get(bucket).is_some_and(|b| b["public"] == json!(true));
    if !public {
        return no_bucket();
    }
    download(shared, bucket, name).await
}

pub async fn download_signed(shared: &Shared, uri: &Uri, bucket: &str, name: &str, _headers: &HeaderMap) -> Response {
    let Some(token) = query_value(uri, "token") else {
        return error(400, "400", "InvalidRequest", "Error", "querystring must have required property 'token'");
    };
    if let Err(message) = token::verify(&token, &format!("{bucket}/{name}")) {
        return error(400, "400", "InvalidJWT", "InvalidJWT", message);
    }
    download(shared, bucket, name).await
}

pub fn list(shared: &Shared, bucket: &str, body: Value) -> Response {
    let Some(prefix) = body["prefix"].as_str() else {
        return invalid("body must have required property 'prefix'");
    };
    let state = shared.state();
    if !state.buckets.contains_key(bucket) {
        return no_bucket();
    }
    let folder = prefix.trim_matches('/');
    let lead = if folder.is_empty() { String::new() } else { format!("{folder}/") };
    let search = body["search"].as_str().unwrap_or_default().to_lowercase();
    let mut folders = std::collections::BTreeSet::new();
    let mut rows = Vec::new();
    for ((b, name), object) in &state.objects {
        let Some(rest) = name.strip_prefix(&lead).filter(|_| b == bucket) else { continue };
        if !rest.to_lowercase().starts_with(&search) {
            continue;
        }
        match rest.split_once('/') {
            Some((first, _)) => {
                folders.insert(first.to_owned());
            }
            None => {
                let mut entry = row(bucket, rest, object);
                entry.as_object_mut().map(|e| e.remove("bucket_id"));
                rows.push(entry);
            }
        }
    }
    for name in folders {
        rows.push(json!({ "name": name, "id": null, "updated_at": null, "created_at": null, "last_accessed_at": null, "metadata": null }));
    }
    let column = body["sortBy"]["column"].as_str().unwrap_or("name").to_owned();
    rows.sort_by(|a, b| {
        let key = |v: &Value| {
            (
                v[column.as_str()].as_str().unwrap_or_default().to_owned(),
                v["name"].as_str().unwrap_or_default().to_owned(),
            )
        };
        key(a).cmp(&key(b))
    });
    if body["sortBy"]["order"].as_str().is_some_and(|o| o.eq_ignore_ascii_case("desc")) {
        rows.reverse();
    }
    let offset = body["offset"].as_u64().unwrap_or(0) as usize;
    let limit = body["limit"].as_u64().unwrap_or(100) as usize;
    ok(Value::Array(rows.into_iter().skip(offset).take(limit).collect()))
}

pub fn info(shared: &Shared, bucket: &str, name: &str) -> Response {
    match find(shared, bucket, name) {
        Ok(object) => ok(json!({
            "id": object.id, "name": name, "version": object.id, "bucket_id": bucket, "size": object.size,
            "content_type": object.mimetype, "cache_control": object.cache_control, "etag": format!("\"{}\"", object.etag),
            "metadata": object.user_metadata, "last_modified": object.updated_at, "created_at": object.created_at,
        })),
        Err(refused) => refused,
    }
}

/// `/object/move` (when `remove`) and `/object/copy`.
pub async fn relocate(shared: &Shared, body: Value, remove: bool) -> Response {
    let (Some(bucket), Some(from), Some(to)) =
        (body["bucketId"].as_str(), body["sourceKey"].as_str(), body["destinationKey"].as_str())
    else {
        return invalid("body must have required properties 'bucketId', 'sourceKey', 'destinationKey'");
    };
    let target = body["destinationBucket"].as_str().unwrap_or(bucket).to_owned();
    let source = match find(shared, bucket, from) {
        Ok(object) => object,
        Err(refused) => return refused,
    };
    let copy_file = {
        let mut state = shared.state();
        if !state.buckets.contains_key(&target) {
            return no_bucket();
        }
        if state.objects.contains_key(&(target.clone(), to.to_owned())) {
            return duplicate();
        }
        state.next_file += 1;
        shared.dir.join(format!("object-{}", state.next_file))
    };
    let mut moved = source.clone();
    if remove {
        shared.state().objects.remove(&(bucket.to_owned(), from.to_owned()));
    } else {
        tokio::fs::copy(&source.file, &copy_file).await.expect("copy fake object");
        moved.file = copy_file;
        moved.id = uuid::Uuid::new_v4().to_string();
    }
    moved.updated_at = chrono::Utc::now().to_rfc3339();
    let id = moved.id.clone();
    shared.state().objects.insert((target.clone(), to.to_owned()), moved);
    if remove {
        ok(json!({ "message": "Successfully moved" }))
    } else {
        ok(json!({ "Id": id, "Key": format!("{target}/{to}") }))
    }
}

pub fn delete_many(shared: &Shared, bucket: &str, body: Value) -> Response {
    let Some(prefixes) = body["prefixes"].as_array() else {
        return invalid("body must have required property 'prefixes'");
    };
    let mut state = shared.state();
    if !state.buckets.contains_key(bucket) {
        return no_bucket();
    }
    let mut deleted = Vec::new();
    for name in prefixes.iter().filter_map(Value::as_str) {
        if let Some(object) = state.objects.remove(&(bucket.to_owned(), name.to_owned())) {
            deleted.push(row(bucket, name, &object));
            let _ = std::fs::remove_file(object.file);
        }
    }
    ok(Value::Array(deleted))
}

fn expires_in(body: &Value) -> Result<i64, Response> {
    body["expiresIn"].as_i64().filter(|e| *e >= 1).ok_or_else(|| invalid("body/expiresIn must be >= 1"))
}

pub fn sign_one(shared: &Shared, bucket: &str, name: &str, body: Value) -> Response {
    let expires = match expires_in(&body) {
        Ok(expires) => expires,
        Err(refused) => return refused,
    };
    if let Err(refused) = find(shared, bucket, name) {
        return refused;
    }
    let url = format!("{bucket}/{name}");
    ok(json!({ "signedURL": format!("/object/sign/{url}?token={}", token::sign(&url, expires, json!({}))) }))
}

pub fn sign_many(shared: &Shared, bucket: &str, body: Value) -> Response {
    let expires = match expires_in(&body) {
        Ok(expires) => expires,
        Err(refused) => return refused,
    };
    let Some(paths) = body["paths"].as_array() else { return invalid("body must have required property 'paths'") };
    let state = shared.state();
    if !state.buckets.contains_key(bucket) {
        return no_bucket();
    }
    let rows = paths
        .iter()
        .filter_map(Value::as_str)
        .map(|name| {
            if state.objects.contains_key(&(bucket.to_owned(), name.to_owned())) {
                let url = format!("{bucket}/{name}");
                let signed = format!("/object/sign/{url}?token={}", token::sign(&url, expires, json!({})));
                json!({ "error": null, "path": name, "signedURL": signed })
            } else {
                json!({ "error": "Either the object does not exist or you do not have access to it", "path": name, "signedURL": null })
            }
        })
        .collect();
    ok(Value::Array(rows))
}

pub fn sign_upload(shared: &Shared, bucket: &str, name: &str, headers: &HeaderMap) -> Response {
    let upsert = headers.get("x-upsert").and_then(|v| v.to_str().ok()) == Some("true");
    let state = shared.state();
    if !state.buckets.contains_key(bucket) {
        return no_bucket();
    }
    if !upsert && state.objects.contains_key(&(bucket.to_owned(), name.to_owned())) {
        return duplicate();
    }
    let url = format!("{bucket}/{name}");
    let token = token::sign(&url, 2 * 3600, json!({ "upsert": upsert }));
    ok(json!({ "url": format!("/object/upload/sign/{url}?token={token}"), "token": token }))
}

pub async fn upload_signed(
    shared: &Shared,
    uri: &Uri,
    bucket: &str,
    name: &str,
    headers: &HeaderMap,
    body: Body,
) -> Response {
    let Some(token) = query_value(uri, "token") else {
        return error(400, "400", "InvalidRequest", "Error", "querystring must have required property 'token'");
    };
    let claims = match token::verify(&token, &format!("{bucket}/{name}")) {
        Ok(claims) => claims,
        Err(message) => return error(400, "400", "InvalidJWT", "InvalidJWT", message),
    };
    let upsert = claims["upsert"].as_bool().unwrap_or(false);
    let response = upload(shared, bucket, name, headers, body, upsert).await;
    if !response.status().is_success() {
        return response;
    }
    ok(json!({ "Key": format!("{bucket}/{name}") }))
}
