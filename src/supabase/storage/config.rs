//! The storage settings of a Supabase Cloud project through the Management API
//! (`GET`/`PATCH /v1/projects/{ref}/config/storage`, bearer access token): the global file size limit and the
//! image transformation and S3 protocol switches, as the official server's get/update_storage_config read and
//! write them. The project ref comes from the call or from the instance's `https://<ref>.supabase.co` URL.

use crate::failure::Failure;
use crate::secret::Secret;
use reqwest::Method;
use serde::{Deserialize, Serialize};
use std::time::Duration;

// A feature switch.
#[derive(Clone, Debug, Deserialize, Serialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Toggle {
    // On or off.
    pub enabled: bool,
}

// The storage features the tools read and change.
#[derive(Clone, Debug, Default, Deserialize, Serialize, schemars::JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct StorageFeatures {
    // Image transformation (resizing on /render/image).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub image_transformation: Option<Toggle>,
    // The S3-compatible endpoint.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub s3_protocol: Option<Toggle>,
}

// A project's storage configuration (the part the tools handle).
#[derive(Clone, Debug, Default, Deserialize, Serialize, schemars::JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct StorageConfig {
    // Largest object in bytes, for every bucket.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub file_size_limit: Option<u64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub features: Option<StorageFeatures>,
}

/// The Management API of one account.
pub struct ManagementApi {
    base: String,
    token: Secret,
    http: reqwest::Client,
}

/// The project ref of a `https://<ref>.supabase.co` URL.
pub fn project_ref(url: &str) -> Option<String> {
    let host = reqwest::Url::parse(url).ok()?.host_str()?.to_owned();
    let reference = host.strip_suffix(".supabase.co")?;
    (!reference.is_empty() && !reference.contains('.')).then(|| reference.to_owned())
}

impl ManagementApi {
    pub fn new(base: &str, token: Option<&Secret>) -> Result<ManagementApi, Failure> {
        let token = token.cloned().ok_or_else(|| {
            Failure::new(
                "the storage config needs the Management API",
                "no Supabase access token is configured; only Supabase Cloud keeps its storage settings there (a \
                 self-hosted stack sets FILE_SIZE_LIMIT and ENABLE_IMAGE_TRANSFORMATION on the storage service in \
                 its docker-compose.yml)",
                "set SUPABASE_ACCESS_TOKEN (a personal access token from supabase.com/dashboard/account/tokens)",
            )
        })?;
        let http = reqwest::Client::builder()
            .use_rustls_tls()
            .timeout(Duration::from_secs(30))
            .user_agent(concat!("supamcp/", env!("CARGO_PKG_VERSION")))
            .build()
            .map_err(|e| Failure::new("cannot build the HTTP client", e.to_string(), "report this as a bug"))?;
        Ok(ManagementApi { base: base.trim_end_matches('/').to_owned(), token, http })
    }

    fn request(&self, method: Method, reference: &str) -> reqwest::RequestBuilder {
        let url = format!("{}/v1/projects/{}/config/storage", self.base, super::encode_segment(reference));
        self.http.request(method, url).bearer_auth(self.token.expose())
    }

    async fn send(
        &self,
        request: reqwest::RequestBuilder,
        what: &str,
        reference: &str,
    ) -> Result<bytes::Bytes, Failure> {
        let response = request.send().await.map_err(|e| {
            Failure::new(format!("{what} failed"), format!("{}: {e}", self.base), "check the network and retry")
        })?;
        let status = response.status();
        let body = response.bytes().await.unwrap_or_default();
        if status.is_success() {
            return Ok(body);
        }
        let message = serde_json::from_slice::<serde_json::Value>(&body)
            .ok()
            .and_then(|v| v.get("message").and_then(|m| m.as_str()).map(str::to_owned))
            .unwrap_or_else(|| String::from_utf8_lossy(&body).chars().take(200).collect());
        let fix = match status.as_u16() {
            401 => "the access token is invalid or expired: create a new one and set SUPABASE_ACCESS_TOKEN".to_owned(),
            403 => format!(
                "the token may not manage project {reference}: use a token of its organisation with storage scopes"
            ),
            404 => format!("no project '{reference}': check project_id (the ref in https://<ref>.supabase.co)"),
            _ => "retry; if it repeats, check status.supabase.com".to_owned(),
        };
        Err(Failure::new(format!("{what} failed"), format!("{message} (HTTP {})", status.as_u16()), fix))
    }

    pub async fn get(&self, reference: &str) -> Result<StorageConfig, Failure> {
        let what = format!("read the storage config of project {reference}");
        let body = self.send(self.request(Method::GET, reference), &what, reference).await?;
        serde_json::from_slice(&body).map_err(|e| {
            Failure::new(format!("{what}: unreadable reply"), e.to_string(), "check SUPAMCP_MANAGEMENT_API_URL")
        })
    }

    pub async fn update(&self, reference: &str, change: &StorageConfig) -> Result<(), Failure> {
        let what = format!("update the storage config of project {reference}");
        self.send(self.request(Method::PATCH, reference).json(change), &what, reference).await.map(|_| ())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn refs_come_from_cloud_urls_only() {
        assert_eq!(project_ref("https://abcdefgh.supabase.co").as_deref(), Some("abcdefgh"));
        assert_eq!(project_ref("http://localhost:8000"), None);
        assert_eq!(project_ref("https://a.b.supabase.co"), None);
        let change = StorageConfig {
            file_size_limit: Some(5),
            features: Some(StorageFeatures { image_transformation: Some(Toggle { enabled: true }), s3_protocol: None }),
        };
        assert_eq!(
            serde_json::to_value(&change).unwrap(),
            serde_json::json!({ "fileSizeLimit": 5, "features": { "imageTransformation": { "enabled": true } } })
        );
    }
}
