//! A fake of self-hosted Studio's Management-API-shaped edge-function routes behind Kong, on 127.0.0.1:0, as
//! Studio serves them (`apps/studio/pages/api/v1/projects/[ref]/functions/{index,deploy,[slug]/index,[slug]/body}.ts`,
//! `secrets/index.ts`, `lib/api/self-hosted/functions/{fileSystemStore,secretsStore}.ts`): Kong's basic auth on
//! the dashboard route (401 `{"message":"Unauthorized"}`), then the folder Studio manages
//! (EDGE_FUNCTIONS_MANAGEMENT_FOLDER, the stack's volumes/functions) read and written as Studio does: a deploy
//! (multipart `metadata` + `file` parts, `?slug=`) removes the function's folder and writes the files, 201
//! with version 1 and `file://` paths; list and get find `index*` entrypoints in folders other than main; the
//! body is multipart with relative filenames; DELETE removes the folder; secrets live in `<folder>/.env`,
//! listed as SHA-256 digests. Errors are `{error: {message}}`; other methods get 405.
#![allow(dead_code, clippy::expect_used, clippy::unwrap_used, clippy::panic)]

use axum::Router;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, Method, StatusCode, Uri, header};
use axum::response::{IntoResponse, Response};
use base64::Engine;
use serde_json::{Value, json};
use sha2::{Digest, Sha256};
use std::path::{Path, PathBuf};
use std::sync::Arc;

pub const USER: &str = "supabase";
pub const PASSWORD: &str = "dashboard-password-for-tests";

#[derive(Clone)]
struct App {
    folder: Arc<PathBuf>,
}

pub struct Fake {
    pub url: String,
    task: tokio::task::JoinHandle<()>,
}

impl Drop for Fake {
    fn drop(&mut self) {
        self.task.abort();
    }
}

impl Fake {
    /// Serves `folder` (laid out like volumes/functions) as Studio behind Kong does.
    pub async fn start(folder: &Path) -> Fake {
        let app = App { folder: Arc::new(folder.to_path_buf()) };
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}", listener.local_addr().unwrap());
        let router = Router::new().fallback(handle).with_state(app);
        let task = tokio::spawn(async move { axum::serve(listener, router).await.unwrap() });
        Fake { url, task }
    }
}

fn error(status: StatusCode, message: &str) -> Response {
    (status, axum::Json(json!({ "error": { "message": message } }))).into_response()
}

fn not_allowed(method: &Method) -> Response {
    let body = json!({ "data": null, "error": { "message": format!("Method {method} Not Allowed") } });
    (StatusCode::METHOD_NOT_ALLOWED, axum::Json(body)).into_response()
}

fn stable_id(slug: &str) -> String {
    let hex = hex::encode(Sha256::digest(slug.as_bytes()));
    format!("{}-{}-{}-{}-{}", &hex[0..8], &hex[8..12], &hex[12..16], &hex[16..20], &hex[20..32])
}

fn millis(path: &Path) -> f64 {
    let modified = std::fs::metadata(path).unwrap().modified().unwrap();
    modified.duration_since(std::time::UNIX_EPOCH).unwrap().as_secs_f64() * 1000.0
}

/// The entrypoint Studio picks: index.(ts|tsx|js|jsx|mjs), then index*, then any code file.
fn entrypoint(dir: &Path) -> Option<PathBuf> {
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .ok()?
        .filter_map(Result::ok)
        .filter(|e| e.file_type().is_ok_and(|t| t.is_file()))
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    let code = |n: &String| [".ts", ".tsx", ".js", ".jsx", ".mjs"].iter().any(|x| n.ends_with(x));
    let pick = names
        .iter()
        .find(|n| n.starts_with("index.") && code(n))
        .or_else(|| names.iter().find(|n| n.starts_with("index")))
        .or_else(|| names.iter().find(|n| code(n)))?;
    Some(dir.join(pick))
}

fn describe(folder: &Path, slug: &str, name: Option<&str>) -> Option<Value> {
    if slug == "main" {
        return None;
    }
    let dir = folder.join(slug);
    let entry = entrypoint(&dir)?;
    let time = millis(&entry);
    Some(json!({ "id": stable_id(slug), "slug": slug, "version": 1, "name": name.unwrap_or(slug), "status": "ACTIVE",
        "entrypoint_path": format!("file://{}", entry.display()), "created_at": time, "updated_at": time }))
}

fn files_of(root: &Path, dir: &Path, out: &mut Vec<(String, Vec<u8>)>) {
    for entry in std::fs::read_dir(dir).unwrap().filter_map(Result::ok) {
        let path = entry.path();
        if path.is_dir() {
            files_of(root, &path, out);
        } else {
            out.push((path.strip_prefix(root).unwrap().to_string_lossy().into_owned(), std::fs::read(&path).unwrap()));
        }
    }
}

fn valid_slug(slug: &str) -> bool {
    !slug.is_empty() && slug.chars().all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
}

async fn handle(State(app): State<App>, method: Method, uri: Uri, headers: HeaderMap, raw: Bytes) -> Response {
    let expected = base64::engine::general_purpose::STANDARD.encode(format!("{USER}:{PASSWORD}"));
    let given = headers.get(header::AUTHORIZATION).and_then(|v| v.to_str().ok()).unwrap_or_default();
    if given != format!("Basic {expected}") {
        let mut reply = (StatusCode::UNAUTHORIZED, axum::Json(json!({ "message": "Unauthorized" }))).into_response();
        reply.headers_mut().insert(header::WWW_AUTHENTICATE, "Basic realm=\"kong\"".parse().unwrap());
        return reply;
    }
    let folder = app.folder.as_path();
    let query: Vec<(String, String)> = uri
        .query()
        .unwrap_or_default()
        .split('&')
        .filter_map(|p| p.split_once('=').map(|(k, v)| (k.to_owned(), v.to_owned())))
        .collect();
    let segments: Vec<&str> = uri.path().trim_matches('/').split('/').collect();
    let Some(rest) =
        segments.strip_prefix(&["api", "v1", "projects"][..]).and_then(|r| r.split_first().map(|(_, r)| r))
    else {
        return error(StatusCode::NOT_FOUND, "not found");
    };
    match rest {
        ["functions"] => match method {
            Method::GET => {
                let mut slugs: Vec<String> = std::fs::read_dir(folder)
                    .unwrap()
                    .filter_map(Result::ok)
                    .filter(|e| e.file_type().is_ok_and(|t| t.is_dir()))
                    .map(|e| e.file_name().to_string_lossy().into_owned())
                    .collect();
                slugs.sort();
                let list: Vec<Value> = slugs.iter().filter_map(|s| describe(folder, s, None)).collect();
                (StatusCode::OK, axum::Json(Value::Array(list))).into_response()
            }
            _ => not_allowed(&method),
        },
        ["functions", "deploy"] => match method {
            Method::POST => deploy(folder, &query, &headers, raw).await,
            _ => not_allowed(&method),
        },
        ["functions", slug] => match (method.clone(), describe(folder, slug, None)) {
            (Method::GET, Some(found)) => (StatusCode::OK, axum::Json(found)).into_response(),
            (Method::DELETE, Some(_)) => {
                std::fs::remove_dir_all(folder.join(slug)).unwrap();
                (StatusCode::OK, axum::Json(json!({}))).into_response()
            }
            (Method::GET | Method::DELETE, None) => error(StatusCode::NOT_FOUND, "Function not found"),
            _ => not_allowed(&method),
        },
        ["functions", slug, "body"] => match method {
            Method::GET => body(folder, slug),
            _ => not_allowed(&method),
        },
        ["secrets"] => secrets(folder, &method, &raw),
        _ => error(StatusCode::NOT_FOUND, "not found"),
    }
}

async fn deploy(folder: &Path, query: &[(String, String)], headers: &HeaderMap, raw: Bytes) -> Response {
    let Some(slug) = query.iter().find(|(k, _)| k == "slug").map(|(_, v)| v.clone()) else {
        return error(StatusCode::BAD_REQUEST, "Missing function 'slug' parameter");
    };
    let content_type = headers.get(header::CONTENT_TYPE).and_then(|v| v.to_str().ok()).unwrap_or_default();
    let Ok(boundary) = multer::parse_boundary(content_type) else {
        return error(StatusCode::BAD_REQUEST, "Expected a multipart/form-data request body");
    };
    let stream = futures_util::stream::once(async move { Ok::<Bytes, std::convert::Infallible>(raw) });
    let mut multipart = multer::Multipart::new(stream, boundary);
    let mut files = Vec::new();
    let mut name = None;
    while let Some(field) = multipart.next_field().await.unwrap() {
        let part = field.name().unwrap_or_default().to_owned();
        let filename = field.file_name().map(str::to_owned);
        let data = field.bytes().await.unwrap();
        match (filename, part.as_str()) {
            (Some(filename), _) => files.push((filename, data)),
            (None, "metadata") => {
                name = serde_json::from_slice::<Value>(&data).ok().and_then(|m| m["name"].as_str().map(str::to_owned));
            }
            _ => {}
        }
    }
    if files.is_empty() {
        return error(StatusCode::BAD_REQUEST, "No files provided for deployment");
    }
    if !valid_slug(&slug) {
        return error(StatusCode::INTERNAL_SERVER_ERROR, "Invalid function slug");
    }
    let dir = folder.join(&slug);
    let _ = std::fs::remove_dir_all(&dir);
    for (filename, data) in &files {
        let path = dir.join(filename);
        assert!(path.starts_with(&dir), "path traversal");
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(&path, data).unwrap();
    }
    let described = describe(folder, &slug, name.as_deref()).unwrap();
    (StatusCode::CREATED, axum::Json(described)).into_response()
}

fn body(folder: &Path, slug: &str) -> Response {
    let dir = folder.join(slug);
    let mut files = Vec::new();
    if slug != "main" && dir.is_dir() {
        files_of(&dir, &dir, &mut files);
    }
    let boundary = "----FormBoundaryfakestudio0123456789";
    let mut out = Vec::new();
    let size: usize = files.iter().map(|(_, d)| d.len()).sum();
    let metadata =
        json!({ "deployment_id": "mock", "original_size": size, "compressed_size": size, "module_count": files.len() });
    out.extend_from_slice(format!("--{boundary}\r\nContent-Disposition: form-data; name=\"metadata\"\r\nContent-Type: application/json\r\n\r\n{metadata}\r\n").as_bytes());
    for (name, data) in files {
        out.extend_from_slice(format!("--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"{name}\"\r\nContent-Type: text/plain\r\n\r\n").as_bytes());
        out.extend_from_slice(&data);
        out.extend_from_slice(b"\r\n");
    }
    out.extend_from_slice(format!("--{boundary}--\r\n").as_bytes());
    (StatusCode::OK, [(header::CONTENT_TYPE, format!("multipart/form-data; boundary={boundary}"))], out).into_response()
}

fn read_env(path: &Path) -> Vec<(String, String)> {
    let text = std::fs::read_to_string(path).unwrap_or_default();
    text.lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
        .filter_map(|l| l.split_once('=').map(|(k, v)| (k.trim().to_owned(), v.trim().trim_matches('"').to_owned())))
        .collect()
}

fn write_env(path: &Path, entries: &[(String, String)]) {
    let body: Vec<String> = entries.iter().map(|(k, v)| format!("{k}={v}")).collect();
    std::fs::write(path, format!("# Managed by Supabase Studio — edge function secrets\n{}\n", body.join("\n")))
        .unwrap();
}

fn secrets(folder: &Path, method: &Method, raw: &Bytes) -> Response {
    let path = folder.join(".env");
    let digest = |v: &str| hex::encode(Sha256::digest(v.as_bytes()));
    match *method {
        Method::GET => {
            let list: Vec<Value> =
                read_env(&path).iter().map(|(k, v)| json!({ "name": k, "value": digest(v) })).collect();
            (StatusCode::OK, axum::Json(Value::Array(list))).into_response()
        }
        Method::POST => {
            let Ok(Value::Array(items)) = serde_json::from_slice::<Value>(raw) else {
                return error(StatusCode::BAD_REQUEST, "Expected an array of { name, value } secrets");
            };
            let mut entries = read_env(&path);
            let mut created = Vec::new();
            for item in items {
                let (name, value) =
                    (item["name"].as_str().unwrap().to_owned(), item["value"].as_str().unwrap_or("").to_owned());
                created.push(json!({ "name": name, "value": digest(&value) }));
                match entries.iter_mut().find(|(k, _)| *k == name) {
                    Some(entry) => entry.1 = value,
                    None => entries.push((name, value)),
                }
            }
            write_env(&path, &entries);
            (StatusCode::CREATED, axum::Json(Value::Array(created))).into_response()
        }
        Method::DELETE => {
            let Ok(Value::Array(names)) = serde_json::from_slice::<Value>(raw) else {
                return error(StatusCode::BAD_REQUEST, "Expected an array of secret names");
            };
            let entries = read_env(&path);
            let kept: Vec<(String, String)> =
                entries.iter().filter(|(k, _)| !names.iter().any(|n| n == k.as_str())).cloned().collect();
            if kept.len() != entries.len() {
                write_env(&path, &kept);
            }
            (StatusCode::OK, axum::Json(json!({}))).into_response()
        }
        _ => not_allowed(method),
    }
}
