//! The resumable upload routes (tus 1.0.0, as `/storage/v1/upload/resumable`): create (201 + Location), HEAD
//! (Upload-Offset, Upload-Length), PATCH at the current offset (409 otherwise); the object appears when the last
//! byte arrives. A part cut by the fault is discarded (the offset stays where it was).

use super::routes::{duplicate, error, no_bucket, parse_size};
use super::{Object, Shared, TusUpload};
use axum::body::Body;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use base64::Engine;
use futures_util::StreamExt;
use serde_json::Value;
use sha2::{Digest, Sha256};
use std::io::{Read, Write};

fn tus_headers(mut response: Response, offset: Option<u64>, length: Option<u64>) -> Response {
    let headers = response.headers_mut();
    headers.insert("tus-resumable", "1.0.0".parse().unwrap());
    if let Some(offset) = offset {
        headers.insert("upload-offset", offset.into());
    }
    if let Some(length) = length {
        headers.insert("upload-length", length.into());
    }
    headers.insert("cache-control", "no-store".parse().unwrap());
    response
}

fn metadata(headers: &HeaderMap) -> std::collections::BTreeMap<String, String> {
    let raw = headers.get("upload-metadata").and_then(|v| v.to_str().ok()).unwrap_or_default();
    raw.split(',')
        .filter_map(|pair| {
            let (key, value) = pair.trim().split_once(' ')?;
            let decoded = base64::engine::general_purpose::STANDARD.decode(value).ok()?;
            Some((key.to_owned(), String::from_utf8(decoded).ok()?))
        })
        .collect()
}

pub fn create(shared: &Shared, headers: &HeaderMap) -> Response {
    let Some(length) = headers.get("upload-length").and_then(|v| v.to_str().ok()).and_then(|v| v.parse::<u64>().ok())
    else {
        return error(400, "400", "InvalidRequest", "Error", "Upload-Length is required");
    };
    let meta = metadata(headers);
    let (Some(bucket), Some(name)) = (meta.get("bucketName"), meta.get("objectName")) else {
        return error(
            400,
            "400",
            "InvalidRequest",
            "Error",
            "bucketName and objectName are required in Upload-Metadata",
        );
    };
    let content_type = meta.get("contentType").cloned().unwrap_or_else(|| "application/octet-stream".into());
    let upsert = headers.get("x-upsert").and_then(|v| v.to_str().ok()) == Some("true");
    let mut state = shared.state();
    let Some(spec) = state.buckets.get(bucket) else { return no_bucket() };
    let limit =
        parse_size(&spec["file_size_limit"]).ok().flatten().unwrap_or(state.global_limit).min(state.global_limit);
    if length > limit {
        return error(
            413,
            "413",
            "EntityTooLarge",
            "Payload too large",
            "The object exceeded the maximum allowed size",
        );
    }
    if !upsert && state.objects.contains_key(&(bucket.clone(), name.clone())) {
        return duplicate();
    }
    state.next_file += 1;
    let id = format!("upload-{}", state.next_file);
    let file = shared.dir.join(&id);
    std::fs::File::create(&file).expect("fake upload file");
    let upload = TusUpload {
        bucket: bucket.clone(),
        name: name.clone(),
        length,
        offset: 0,
        content_type,
        cache_control: format!("max-age={}", meta.get("cacheControl").cloned().unwrap_or_else(|| "3600".into())),
        upsert,
        user_metadata: meta.get("metadata").and_then(|m| serde_json::from_str::<Value>(m).ok()),
        file,
    };
    state.uploads.insert(id.clone(), upload);
    let mut response = StatusCode::CREATED.into_response();
    let location = format!("{}/storage/v1/upload/resumable/{id}", shared.base_url);
    response.headers_mut().insert("location", location.parse().unwrap());
    tus_headers(response, None, None)
}

pub fn head(shared: &Shared, id: &str) -> Response {
    match shared.state().uploads.get(id) {
        Some(upload) => tus_headers(StatusCode::OK.into_response(), Some(upload.offset), Some(upload.length)),
        None => tus_headers(StatusCode::NOT_FOUND.into_response(), None, None),
    }
}

pub async fn patch(shared: &Shared, id: &str, headers: &HeaderMap, body: Body) -> Response {
    let offset: Option<u64> = headers.get("upload-offset").and_then(|v| v.to_str().ok()).and_then(|v| v.parse().ok());
    let (upload, cut) = {
        let mut state = shared.state();
        let Some(upload) = state.uploads.get(id).cloned() else {
            return tus_headers(StatusCode::NOT_FOUND.into_response(), None, None);
        };
        let faulty = offset.is_some_and(|o| o >= state.faults.patch_faults_from);
        if faulty && state.faults.fail_patches > 0 {
            state.faults.fail_patches -= 1;
            return error(500, "500", "InternalError", "Internal Server Error", "Internal Server Error");
        }
        (upload, if faulty { state.faults.cut_patch_after.take() } else { None })
    };
    if offset != Some(upload.offset) {
        return tus_headers(StatusCode::CONFLICT.into_response(), Some(upload.offset), None);
    }
    let mut file = std::fs::OpenOptions::new().append(true).open(&upload.file).expect("fake upload file");
    let mut stream = body.into_data_stream();
    let mut received = 0u64;
    while let Some(chunk) = stream.next().await {
        let Ok(chunk) = chunk else { break };
        received += chunk.len() as u64;
        shared.state().upload_bytes += chunk.len() as u64;
        if cut.is_some_and(|after| received >= after) || upload.offset + received > upload.length {
            // The part is discarded: the offset stays where it was.
            file.set_len(upload.offset).expect("truncate fake upload");
            return error(500, "500", "InternalError", "Internal Server Error", "connection reset");
        }
        file.write_all(&chunk).expect("write fake upload");
    }
    let offset = upload.offset + received;
    let mut state = shared.state();
    if offset < upload.length {
        if let Some(stored) = state.uploads.get_mut(id) {
            stored.offset = offset;
        }
        return tus_headers(StatusCode::NO_CONTENT.into_response(), Some(offset), None);
    }
    state.uploads.remove(id);
    let key = (upload.bucket.clone(), upload.name.clone());
    if !upload.upsert && state.objects.contains_key(&key) {
        return duplicate();
    }
    let mut hasher = Sha256::new();
    let mut reader = std::fs::File::open(&upload.file).expect("fake upload file");
    let mut buffer = vec![0u8; 1 << 20];
    loop {
        let read = reader.read(&mut buffer).expect("read fake upload");
        if read == 0 {
            break;
        }
        hasher.update(&buffer[..read]);
    }
    let now = chrono::Utc::now().to_rfc3339();
    let object = Object {
        id: uuid::Uuid::new_v4().to_string(),
        size: upload.length,
        mimetype: upload.content_type,
        cache_control: upload.cache_control,
        etag: hex::encode(hasher.finalize()),
        created_at: now.clone(),
        updated_at: now,
        user_metadata: upload.user_metadata,
        file: upload.file,
    };
    if let Some(previous) = state.objects.insert(key, object) {
        let _ = std::fs::remove_file(previous.file);
    }
    tus_headers(StatusCode::NO_CONTENT.into_response(), Some(offset), None)
}
