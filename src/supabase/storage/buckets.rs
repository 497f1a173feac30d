//! Buckets: list, get, create, update (public flag, file_size_limit, allowed_mime_types), empty (queued by the
//! service: polled until the bucket lists nothing or the wait runs out) and delete (refused by the service
//! while objects remain).

use super::{Storage, check_bucket_id, encode_segment};
use crate::failure::Failure;
use reqwest::Method;
use serde::{Deserialize, Deserializer, Serialize};
use serde_json::{Value, json};
use std::time::{Duration, Instant};

/// A bucket as the Storage API describes it (the deprecated `owner` left out).
#[derive(Clone, Debug, Deserialize, Serialize, schemars::JsonSchema)]
pub struct Bucket {
    pub id: String,
    pub name: String,
    #[serde(default)]
    pub public: bool,
    /// Largest object in bytes; null: the global limit.
    #[serde(default, deserialize_with = "lenient_u64")]
    pub file_size_limit: Option<u64>,
    /// Allowed content types (`image/*` wildcards); null: any.
    #[serde(default)]
    pub allowed_mime_types: Option<Vec<String>>,
    #[serde(default, rename = "type", skip_serializing_if = "Option::is_none")]
    pub kind: Option<String>,
    #[serde(default)]
    pub created_at: Option<String>,
    #[serde(default)]
    pub updated_at: Option<String>,
}

/// int8 columns come back as numbers or as strings depending on the driver.
fn lenient_u64<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Option<u64>, D::Error> {
    Ok(match Option::<Value>::deserialize(deserializer)? {
        Some(Value::Number(n)) => n.as_u64(),
        Some(Value::String(s)) => s.parse().ok(),
        _ => None,
    })
}

/// The listing options of `GET /bucket`.
#[derive(Clone, Debug, Default)]
pub struct ListBuckets {
    pub limit: Option<u32>,
    pub offset: Option<u32>,
    pub search: Option<String>,
    /// id, name, created_at or updated_at.
    pub sort_column: Option<String>,
    /// asc or desc.
    pub sort_order: Option<String>,
}

/// A new bucket.
#[derive(Clone, Debug)]
pub struct BucketSpec {
    pub id: String,
    pub public: bool,
    pub file_size_limit: Option<u64>,
    pub allowed_mime_types: Option<Vec<String>>,
}

/// What `update` changes; `Some(None)` clears a limit.
#[derive(Clone, Debug, Default)]
pub struct BucketChange {
    pub public: Option<bool>,
    pub file_size_limit: Option<Option<u64>>,
    pub allowed_mime_types: Option<Option<Vec<String>>>,
}

/// The outcome of emptying a bucket.
#[derive(Clone, Debug, Serialize, schemars::JsonSchema)]
pub struct EmptyReport {
    /// The service's answer (emptying is queued).
    pub message: String,
    /// True when the bucket listed nothing within the wait.
    pub emptied: bool,
    /// How long supamcp waited, in seconds.
    pub waited_seconds: u64,
}

impl Storage {
    pub async fn list_buckets(&self, options: &ListBuckets) -> Result<Vec<Bucket>, Failure> {
        let mut query: Vec<(&str, String)> = Vec::new();
        if let Some(limit) = options.limit {
            query.push(("limit", limit.to_string()));
        }
        if let Some(offset) = options.offset {
            query.push(("offset", offset.to_string()));
        }
        if let Some(search) = options.search.as_deref().filter(|s| !s.is_empty()) {
            query.push(("search", search.to_owned()));
        }
        if let Some(column) = &options.sort_column {
            query.push(("sortColumn", column.clone()));
        }
        if let Some(order) = &options.sort_order {
            query.push(("sortOrder", order.clone()));
        }
        self.read_json(|| Ok(self.request(Method::GET, "bucket")?.query(&query)), "list buckets").await
    }

    pub async fn get_bucket(&self, id: &str) -> Result<Bucket, Failure> {
        let path = format!("bucket/{}", encode_segment(check_bucket_id(id)?));
        self.read_json(|| self.request(Method::GET, &path), &format!("get bucket '{id}'")).await
    }

    pub async fn create_bucket(&self, spec: &BucketSpec) -> Result<String, Failure> {
        let id = check_bucket_id(&spec.id)?;
        let body = json!({
            "id": id,
            "name": id,
            "public": spec.public,
            "file_size_limit": spec.file_size_limit,
            "allowed_mime_types": spec.allowed_mime_types,
        });
        let request = self.request(Method::POST, "bucket")?.json(&body);
        let reply: Value = self.write_json(request, &format!("create bucket '{id}'")).await?;
        Ok(reply.get("name").and_then(Value::as_str).unwrap_or(id).to_owned())
    }

    pub async fn update_bucket(&self, id: &str, change: &BucketChange) -> Result<String, Failure> {
        let id = check_bucket_id(id)?;
        let mut body = serde_json::Map::new();
        if let Some(public) = change.public {
            body.insert("public".into(), json!(public));
        }
        if let Some(limit) = &change.file_size_limit {
            body.insert("file_size_limit".into(), json!(limit));
        }
        if let Some(types) = &change.allowed_mime_types {
            body.insert("allowed_mime_types".into(), json!(types));
        }
        if body.is_empty() {
            return Err(Failure::new(
                format!("nothing to update on bucket '{id}'"),
                "no change was given",
                "pass public, file_size_limit or allowed_mime_types",
            ));
        }
        let path = format!("bucket/{}", encode_segment(id));
        let request = self.request(Method::PUT, &path)?.json(&Value::Object(body));
        let reply: Value = self.write_json(request, &format!("update bucket '{id}'")).await?;
        Ok(message_of(&reply, "Successfully updated"))
    }

    /// Asks the service to empty the bucket, then polls its listing for up to `wait`.
    pub async fn empty_bucket(&self, id: &str, wait: Duration) -> Result<EmptyReport, Failure> {
        let id = check_bucket_id(id)?;
        let path = format!("bucket/{}/empty", encode_segment(id));
        let request = self.request(Method::POST, &path)?.json(&json!({}));
        let reply: Value = self.write_json(request, &format!("empty bucket '{id}'")).await?;
        let message = message_of(&reply, "Empty bucket has been queued");
        let started = Instant::now();
        let mut pause = Duration::from_millis(100);
        let emptied = loop {
            let page = self.list_objects(id, &super::ListObjects { limit: 1, ..Default::default() }).await?;
            if page.is_empty() {
                break true;
            }
            if started.elapsed() + pause > wait {
                break false;
            }
            tokio::time::sleep(pause).await;
            pause = (pause * 2).min(Duration::from_secs(5));
        };
        Ok(EmptyReport { message, emptied, waited_seconds: started.elapsed().as_secs() })
    }

    pub async fn delete_bucket(&self, id: &str) -> Result<String, Failure> {
        let id = check_bucket_id(id)?;
        let path = format!("bucket/{}", encode_segment(id));
        let request = self.request(Method::DELETE, &path)?.json(&json!({}));
        let reply: Value = self.write_json(request, &format!("delete bucket '{id}'")).await?;
        Ok(message_of(&reply, "Successfully deleted"))
    }
}

pub(super) fn message_of(reply: &Value, fallback: &str) -> String {
    reply.get("message").and_then(Value::as_str).unwrap_or(fallback).to_owned()
}
