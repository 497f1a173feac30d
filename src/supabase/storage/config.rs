//! The storage settings of a Supabase Cloud project through the Management API
//! (`GET`/`PATCH /v1/projects/{ref}/config/storage`, through the shared `supabase::management` client): the global file size limit and the
//! image transformation and S3 protocol switches, as the official server's get/update_storage_config read and
//! write them. The project ref comes from the call or from the instance's `https://<ref>.supabase.co` URL.

use crate::failure::Failure;
use crate::supabase::management::{ManagementApi, segment};
use reqwest::Method;
use serde::{Deserialize, Serialize};

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

impl ManagementApi {
    /// The project's storage config.
    pub async fn storage_config(&self, reference: &str) -> Result<StorageConfig, Failure> {
        let path = format!("/v1/projects/{}/config/storage", segment(reference));
        self.get_json(&path, &[], &format!("read the storage config of project {reference}")).await
    }

    /// Changes the fields `change` sets.
    pub async fn update_storage_config(&self, reference: &str, change: &StorageConfig) -> Result<(), Failure> {
        let path = format!("/v1/projects/{}/config/storage", segment(reference));
        let body = serde_json::to_value(change)
            .map_err(|e| Failure::new("cannot encode the storage config", e.to_string(), "report this as a bug"))?;
        let what = format!("update the storage config of project {reference}");
        self.send(Method::PATCH, &path, &[], Some(&body), &what).await.map(|_| ())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_change_is_sent_in_the_api_s_field_names() {
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
