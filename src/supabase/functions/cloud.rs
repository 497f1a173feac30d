//! Edge functions on Supabase Cloud through the Management API: list (`GET /v1/projects/{ref}/functions`),
//! one function and its source (`.../functions/{slug}` and `.../body` with `Accept: multipart/form-data`),
//! deploy (`POST .../functions/deploy?slug=`, multipart `metadata` + `file` parts, 201), delete, and the
//! project's function secrets (`/secrets`: names and SHA-256 digests). The API reports paths inside its
//! bundle (`file:///tmp/user_fn_<ref>_<id>_<version>/source/index.ts`); they are given back relative.

use super::multipart::{self, Part};
use super::secrets::SecretDigest;
use super::{Deploy, FunctionInfo, SourceFile, iso_from_millis};
use crate::failure::Failure;
use crate::supabase::management::{ManagementApi, Payload, segment};
use reqwest::Method;
use serde::Deserialize;
use serde_json::{Value, json};

/// A function as the API describes it (the fields supamcp reads).
#[derive(Debug, Deserialize)]
struct ApiFunction {
    slug: String,
    #[serde(default)]
    name: Option<String>,
    #[serde(default)]
    version: u64,
    #[serde(default)]
    status: Option<String>,
    #[serde(default)]
    verify_jwt: Option<bool>,
    #[serde(default)]
    entrypoint_path: Option<String>,
    #[serde(default)]
    import_map_path: Option<String>,
    /// Milliseconds (an integer from the API, a float from self-hosted Studio's file times).
    #[serde(default)]
    updated_at: Option<f64>,
}

/// A path self-hosted Studio reports (`file:///app/edge-functions/<slug>/index.ts`: the file in its functions
/// folder) made relative to the function's folder; the API's bundle paths as [`relative_path`] reads them.
fn function_relative(raw: &str, slug: &str) -> String {
    let path = relative_path(raw);
    if raw.contains("/tmp/user_fn_") {
        return path;
    }
    let marker = format!("/{slug}/");
    match format!("/{path}").find(&marker) {
        Some(at) => format!("/{path}")[at + marker.len()..].to_owned(),
        None => path,
    }
}

impl From<ApiFunction> for FunctionInfo {
    fn from(f: ApiFunction) -> FunctionInfo {
        FunctionInfo {
            name: f.name.unwrap_or_else(|| f.slug.clone()),
            version: f.version,
            status: f.status.unwrap_or_else(|| "ACTIVE".to_owned()),
            verify_jwt: f.verify_jwt,
            entrypoint_path: f.entrypoint_path.as_deref().map(|p| function_relative(p, &f.slug)),
            import_map_path: f.import_map_path.as_deref().map(|p| function_relative(p, &f.slug)),
            updated_at: f.updated_at.and_then(|ms| iso_from_millis(ms as i64)),
            slug: f.slug,
        }
    }
}

/// A path inside the API's bundle made relative to the function's root: `file://` dropped, the
/// `/tmp/user_fn_<deployment>/` prefix and a leading `source/` removed (Deno 1 absolute, Deno 2 relative).
pub fn relative_path(raw: &str) -> String {
    let mut path = raw.strip_prefix("file://").unwrap_or(raw);
    if let Some(rest) = path.strip_prefix("/tmp/user_fn_") {
        path = rest.split_once('/').map_or(rest, |(_, after)| after);
    }
    path = path.trim_start_matches("./").trim_start_matches('/');
    path.strip_prefix("source/").unwrap_or(path).to_owned()
}

fn functions_path(reference: &str) -> String {
    format!("/v1/projects/{}/functions", segment(reference))
}

/// A 404 from the API turned into "no such function".
fn not_found(failure: Failure, reference: &str, slug: &str) -> Failure {
    if failure.why.ends_with("(HTTP 404)") {
        return Failure::new(
            format!("project {reference} has no function '{slug}'"),
            failure.why,
            "list_edge_functions gives the slugs; check project_id",
        );
    }
    failure
}

impl ManagementApi {
    /// The project's functions.
    pub async fn list_functions(&self, reference: &str) -> Result<Vec<FunctionInfo>, Failure> {
        let what = format!("list the edge functions of project {reference}");
        let found: Vec<ApiFunction> = self.get_json(&functions_path(reference), &[], &what).await?;
        Ok(found.into_iter().map(FunctionInfo::from).collect())
    }

    /// One function's metadata.
    pub async fn get_function(&self, reference: &str, slug: &str) -> Result<FunctionInfo, Failure> {
        let path = format!("{}/{}", functions_path(reference), segment(slug));
        let what = format!("read edge function {slug} of project {reference}");
        let found: ApiFunction = self.get_json(&path, &[], &what).await.map_err(|f| not_found(f, reference, slug))?;
        Ok(found.into())
    }

    /// One function's source files, read from the multipart `/body`.
    pub async fn function_source(&self, reference: &str, slug: &str) -> Result<Vec<SourceFile>, Failure> {
        let path = format!("{}/{}/body", functions_path(reference), segment(slug));
        let what = format!("read the source of edge function {slug} of project {reference}");
        let reply = self
            .send_payload(Method::GET, &path, &[], Payload::Empty, Some("multipart/form-data"), &what)
            .await
            .map_err(|f| not_found(f, reference, slug))?;
        let content_type = reply.content_type.unwrap_or_default();
        let parts = multipart::decode(&content_type, &reply.body)?;
        let mut files: Vec<SourceFile> = parts
            .into_iter()
            .filter_map(|part| {
                let name = relative_path(part.filename.as_deref()?);
                Some(SourceFile { name, content: String::from_utf8_lossy(&part.data).into_owned() })
            })
            .collect();
        files.sort_by(|a, b| a.name.cmp(&b.name));
        Ok(files)
    }

    /// Deploys `deploy` (created or replaced) and returns the function as the API now describes it.
    pub async fn deploy_function(&self, reference: &str, deploy: &Deploy) -> Result<FunctionInfo, Failure> {
        let mut metadata = json!({
            "name": deploy.name,
            "entrypoint_path": deploy.entrypoint_path,
            "verify_jwt": deploy.verify_jwt,
        });
        if let Some(map) = &deploy.import_map_path {
            metadata["import_map_path"] = json!(map);
        }
        let mut parts = vec![Part {
            name: "metadata".to_owned(),
            filename: None,
            content_type: Some("application/json".to_owned()),
            data: metadata.to_string().into_bytes(),
        }];
        parts.extend(deploy.files.iter().map(|file| Part {
            name: "file".to_owned(),
            filename: Some(file.name.clone()),
            content_type: Some("application/typescript".to_owned()),
            data: file.content.clone().into_bytes(),
        }));
        let (content_type, body) = multipart::encode(&parts);
        let path = format!("{}/deploy", functions_path(reference));
        let what = format!("deploy edge function {} to project {reference}", deploy.slug);
        let payload = Payload::Raw { content_type: &content_type, body: &body };
        let reply =
            self.send_payload(Method::POST, &path, &[("slug", deploy.slug.clone())], payload, None, &what).await?;
        let deployed: ApiFunction = self.decode(&reply, &what)?;
        Ok(deployed.into())
    }

    /// Deletes a function.
    pub async fn delete_function(&self, reference: &str, slug: &str) -> Result<(), Failure> {
        let path = format!("{}/{}", functions_path(reference), segment(slug));
        let what = format!("delete edge function {slug} of project {reference}");
        self.send(Method::DELETE, &path, &[], None, &what).await.map_err(|f| not_found(f, reference, slug))?;
        Ok(())
    }

    /// The project's secrets: names and the SHA-256 digests the API gives instead of values.
    pub async fn list_secrets(&self, reference: &str) -> Result<Vec<SecretDigest>, Failure> {
        let path = format!("/v1/projects/{}/secrets", segment(reference));
        let what = format!("list the function secrets of project {reference}");
        let found: Vec<Value> = self.get_json(&path, &[], &what).await?;
        let mut secrets: Vec<SecretDigest> = found
            .into_iter()
            .filter_map(|row| {
                Some(SecretDigest {
                    name: row.get("name")?.as_str()?.to_owned(),
                    sha256: row.get("value").and_then(Value::as_str).map(str::to_owned),
                    updated_at: row.get("updated_at").and_then(Value::as_str).map(str::to_owned),
                })
            })
            .collect();
        secrets.sort_by(|a, b| a.name.cmp(&b.name));
        Ok(secrets)
    }

    /// Creates or replaces secrets (`[{name, value}]`).
    pub async fn set_secrets(&self, reference: &str, pairs: &[(String, crate::secret::Secret)]) -> Result<(), Failure> {
        let path = format!("/v1/projects/{}/secrets", segment(reference));
        let body: Vec<Value> =
            pairs.iter().map(|(name, value)| json!({ "name": name, "value": value.expose() })).collect();
        let what = format!("set function secrets of project {reference}");
        self.send(Method::POST, &path, &[], Some(&Value::Array(body)), &what).await?;
        Ok(())
    }

    /// Deletes secrets by name.
    pub async fn delete_secrets(&self, reference: &str, names: &[String]) -> Result<(), Failure> {
        let path = format!("/v1/projects/{}/secrets", segment(reference));
        let what = format!("delete function secrets of project {reference}");
        self.send(Method::DELETE, &path, &[], Some(&json!(names)), &what).await?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::{function_relative, relative_path};

    #[test]
    fn bundle_paths_become_relative() {
        assert_eq!(relative_path("file:///tmp/user_fn_abc_123_4/source/index.ts"), "index.ts");
        assert_eq!(relative_path("/tmp/user_fn_abc_123_4/source/lib/a.ts"), "lib/a.ts");
        assert_eq!(relative_path("source/deno.json"), "deno.json");
        assert_eq!(relative_path("index.ts"), "index.ts");
        assert_eq!(function_relative("file:///app/edge-functions/hello/lib/a.ts", "hello"), "lib/a.ts");
        assert_eq!(function_relative("file:///tmp/user_fn_a_1_2/source/hello/index.ts", "hello"), "hello/index.ts");
    }
}
