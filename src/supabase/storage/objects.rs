//! Objects: listings (folders as entries, sorting, search, offset paging, compact rows bounded in bytes),
//! move, copy (across buckets), delete many, signed download URLs (one or many) and signed upload URLs.

use super::{Storage, check_bucket_id, clean_key, encode_segment, object_path};
use crate::failure::Failure;
use reqwest::Method;
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use std::collections::{BTreeMap, BTreeSet};

/// The most entries one listing call asks for.
pub const MAX_PAGE: u32 = 1000;
/// The most bytes of rows one page carries; a page is cut there and `next_offset` continues it.
const PAGE_BYTES: usize = 200 * 1024;

/// The options of `POST /object/list/{bucket}`.
#[derive(Clone, Debug, Default)]
pub struct ListObjects {
    /// Folder to list ("" or "photos/2024"); entries directly inside it.
    pub prefix: String,
    pub limit: u32,
    pub offset: u32,
    /// Only names containing this text.
    pub search: Option<String>,
    /// name, updated_at, created_at or last_accessed_at.
    pub sort_column: Option<String>,
    /// asc or desc.
    pub sort_order: Option<String>,
}

/// One listing row, compact: folders have only a name.
#[derive(Clone, Debug, Serialize, schemars::JsonSchema)]
pub struct ObjectEntry {
    /// Name inside the listed folder; a folder's name without a trailing slash.
    pub name: String,
    /// True for a folder (a common prefix, no object of its own).
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub folder: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub size: Option<u64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub mimetype: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub updated_at: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub owner: Option<String>,
}

/// A page of a listing.
#[derive(Clone, Debug, Serialize, schemars::JsonSchema)]
pub struct ObjectPage {
    pub entries: Vec<ObjectEntry>,
    /// The offset of the next page; null when this was the last.
    pub next_offset: Option<u32>,
}

impl ObjectPage {
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }
}

#[derive(Deserialize)]
struct RawEntry {
    name: String,
    #[serde(default)]
    id: Option<String>,
    #[serde(default)]
    updated_at: Option<String>,
    #[serde(default)]
    metadata: Option<Value>,
    #[serde(default)]
    owner: Option<String>,
    #[serde(default)]
    owner_id: Option<String>,
}

/// A signed download URL (absolute), or why the path could not be signed.
#[derive(Clone, Debug, Serialize, schemars::JsonSchema)]
pub struct SignedUrl {
    pub path: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub signed_url: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
}

/// A signed upload URL: an app PUTs the bytes there without any key.
#[derive(Clone, Debug, Serialize, schemars::JsonSchema)]
pub struct SignedUpload {
    pub path: String,
    /// Absolute URL to PUT the file to (valid 2 hours; storage-js: uploadToSignedUrl(path, token, file)).
    pub signed_url: String,
    pub token: String,
}

/// An object's details (`GET /object/info/{bucket}/{path}`).
#[derive(Clone, Debug, Serialize, schemars::JsonSchema)]
pub struct ObjectInfo {
    pub name: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub size: Option<u64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub content_type: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cache_control: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub etag: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub last_modified: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub created_at: Option<String>,
    /// User metadata given at upload (values as JSON text when not strings).
    pub metadata: BTreeMap<String, String>,
}

/// What a delete removed.
#[derive(Clone, Debug, Serialize, schemars::JsonSchema)]
pub struct DeleteReport {
    pub deleted: Vec<String>,
    /// Paths that matched no object.
    pub not_found: Vec<String>,
}

impl Storage {
    pub async fn list_objects(&self, bucket: &str, options: &ListObjects) -> Result<ObjectPage, Failure> {
        let bucket = check_bucket_id(bucket)?;
        let limit = options.limit.clamp(1, MAX_PAGE);
        let mut body = json!({
            "prefix": options.prefix.trim_matches('/'),
            "limit": limit,
            "offset": options.offset,
            "sortBy": {
                "column": options.sort_column.as_deref().unwrap_or("name"),
                "order": options.sort_order.as_deref().unwrap_or("asc"),
            },
        });
        if let Some(search) = options.search.as_deref().filter(|s| !s.is_empty()) {
            body["search"] = json!(search);
        }
        let path = format!("object/list/{}", encode_segment(bucket));
        let what = format!("list objects in '{bucket}'");
        let raw: Vec<RawEntry> = self.read_json(|| Ok(self.request(Method::POST, &path)?.json(&body)), &what).await?;
        let returned = raw.len();
        let mut entries = Vec::with_capacity(returned);
        let mut bytes = 0usize;
        for row in raw {
            let entry = compact(row);
            bytes += serde_json::to_string(&entry).map(|s| s.len()).unwrap_or(0);
            if bytes > PAGE_BYTES && !entries.is_empty() {
                break;
            }
            entries.push(entry);
        }
        let cut = entries.len() < returned;
        let full = returned as u32 >= limit;
        let next_offset = (cut || full).then(|| options.offset + entries.len() as u32);
        Ok(ObjectPage { entries, next_offset })
    }

    /// An object's size, content type, ETag, dates and user metadata.
    pub async fn object_info(&self, bucket: &str, path: &str) -> Result<ObjectInfo, Failure> {
        let bucket = check_bucket_id(bucket)?;
        let key = clean_key(path, "path")?;
        let route = format!("object/info/{}", object_path(bucket, &key));
        let raw: Value =
            self.read_json(|| self.request(Method::GET, &route), &format!("read '{bucket}/{key}'")).await?;
        let text = |name: &str| raw.get(name).and_then(Value::as_str).map(str::to_owned);
        let metadata = raw
            .get("metadata")
            .and_then(Value::as_object)
            .map(|map| {
                map.iter().map(|(k, v)| (k.clone(), v.as_str().map_or_else(|| v.to_string(), str::to_owned))).collect()
            })
            .unwrap_or_default();
        Ok(ObjectInfo {
            name: text("name").unwrap_or(key),
            size: raw.get("size").and_then(Value::as_u64),
            content_type: text("content_type"),
            cache_control: text("cache_control"),
            etag: text("etag"),
            last_modified: text("last_modified"),
            created_at: text("created_at"),
            metadata,
        })
    }

    /// Moves (renames) an object, within a bucket or to `to_bucket`.
    pub async fn move_object(
        &self,
        bucket: &str,
        from: &str,
        to: &str,
        to_bucket: Option<&str>,
    ) -> Result<(), Failure> {
        let body = transfer_body(bucket, from, to, to_bucket)?;
        let request = self.request(Method::POST, "object/move")?.json(&body);
        let _: Value = self.write_json(request, &format!("move '{bucket}/{from}'")).await?;
        Ok(())
    }

    /// Copies an object, within a bucket or to `to_bucket`; returns the new key (`bucket/path`).
    pub async fn copy_object(
        &self,
        bucket: &str,
        from: &str,
        to: &str,
        to_bucket: Option<&str>,
    ) -> Result<String, Failure> {
        let body = transfer_body(bucket, from, to, to_bucket)?;
        let request = self.request(Method::POST, "object/copy")?.json(&body);
        let reply: Value = self.write_json(request, &format!("copy '{bucket}/{from}'")).await?;
        Ok(reply
            .get("Key")
            .and_then(Value::as_str)
            .map_or_else(|| format!("{}/{to}", to_bucket.unwrap_or(bucket)), str::to_owned))
    }

    /// Deletes the objects at `paths` (exact paths, not folders).
    pub async fn delete_objects(&self, bucket: &str, paths: &[String]) -> Result<DeleteReport, Failure> {
        let bucket = check_bucket_id(bucket)?;
        let keys = paths.iter().map(|p| clean_key(p, "paths")).collect::<Result<Vec<_>, _>>()?;
        let path = format!("object/{}", encode_segment(bucket));
        let request = self.request(Method::DELETE, &path)?.json(&json!({ "prefixes": keys }));
        let rows: Vec<Value> = self.write_json(request, &format!("delete objects in '{bucket}'")).await?;
        let deleted: BTreeSet<String> =
            rows.iter().filter_map(|row| row.get("name").and_then(Value::as_str)).map(str::to_owned).collect();
        let not_found = keys.iter().filter(|k| !deleted.contains(*k)).cloned().collect();
        Ok(DeleteReport { deleted: deleted.into_iter().collect(), not_found })
    }

    /// Signed download URLs for `paths`, valid `expires_in` seconds.
    pub async fn sign_urls(&self, bucket: &str, paths: &[String], expires_in: u64) -> Result<Vec<SignedUrl>, Failure> {
        let bucket = check_bucket_id(bucket)?;
        let keys = paths.iter().map(|p| clean_key(p, "paths")).collect::<Result<Vec<_>, _>>()?;
        if let [key] = keys.as_slice() {
            let path = format!("object/sign/{}", object_path(bucket, key));
            let request = self.request(Method::POST, &path)?.json(&json!({ "expiresIn": expires_in }));
            let reply: Value = self.write_json(request, &format!("sign '{bucket}/{key}'")).await?;
            let relative = reply.get("signedURL").and_then(Value::as_str).unwrap_or_default();
            return Ok(vec![SignedUrl { path: key.clone(), signed_url: Some(self.absolute(relative)), error: None }]);
        }
        let path = format!("object/sign/{}", encode_segment(bucket));
        let request = self.request(Method::POST, &path)?.json(&json!({ "expiresIn": expires_in, "paths": keys }));
        let rows: Vec<Value> = self.write_json(request, &format!("sign {} paths in '{bucket}'", keys.len())).await?;
        Ok(rows
            .iter()
            .map(|row| SignedUrl {
                path: row.get("path").and_then(Value::as_str).unwrap_or_default().to_owned(),
                signed_url: row.get("signedURL").and_then(Value::as_str).map(|relative| self.absolute(relative)),
                error: row.get("error").and_then(Value::as_str).map(str::to_owned),
            })
            .collect())
    }

    /// A URL an app may upload `path` to without a key.
    pub async fn sign_upload(&self, bucket: &str, path: &str, upsert: bool) -> Result<SignedUpload, Failure> {
        let bucket = check_bucket_id(bucket)?;
        let key = clean_key(path, "path")?;
        let route = format!("object/upload/sign/{}", object_path(bucket, &key));
        let mut request = self.request(Method::POST, &route)?.json(&json!({}));
        if upsert {
            request = request.header("x-upsert", "true");
        }
        let reply: Value = self.write_json(request, &format!("sign an upload to '{bucket}/{key}'")).await?;
        let relative = reply.get("url").and_then(Value::as_str).unwrap_or_default();
        let token = reply
            .get("token")
            .and_then(Value::as_str)
            .map(str::to_owned)
            .unwrap_or_else(|| relative.split_once("token=").map(|(_, t)| t.to_owned()).unwrap_or_default());
        Ok(SignedUpload { path: key, signed_url: self.absolute(relative), token })
    }
}

fn compact(row: RawEntry) -> ObjectEntry {
    let metadata = row.metadata.unwrap_or(Value::Null);
    let folder = row.id.is_none() && metadata.is_null();
    ObjectEntry {
        name: row.name,
        folder,
        size: metadata.get("size").and_then(Value::as_u64),
        mimetype: metadata.get("mimetype").and_then(Value::as_str).map(str::to_owned),
        updated_at: row.updated_at,
        owner: row.owner_id.or(row.owner).filter(|o| !o.is_empty()),
    }
}

fn transfer_body(bucket: &str, from: &str, to: &str, to_bucket: Option<&str>) -> Result<Value, Failure> {
    let bucket = check_bucket_id(bucket)?;
    let mut body = json!({
        "bucketId": bucket,
        "sourceKey": clean_key(from, "from")?,
        "destinationKey": clean_key(to, "to")?,
    });
    if let Some(target) = to_bucket {
        body["destinationBucket"] = json!(check_bucket_id(target)?);
    }
    Ok(body)
}
