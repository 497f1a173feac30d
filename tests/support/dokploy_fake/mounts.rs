//! The fake's `mounts.*` procedures as Dokploy v0.30 answers them (`apps/dokploy/server/api/routers/mount.ts`,
//! `packages/server/src/services/mount.ts`): create (type bind|volume|file, mountPath min 1, serviceType,
//! serviceId; the row since v0.28.7, `true` before), one, update (a partial row; the file rewritten), remove
//! (the deleted row; a file mount's file removed), `Mount not found` for unknown ids, and a foreign-key
//! BAD_REQUEST for a serviceId that is no compose. A file mount is written where Dokploy writes it,
//! `<files_root>/<appName>/files/<filePath>`, when the test gave the fake a `files_root`.

use super::State;
use super::procedures::{Fail, not_found};
use serde_json::{Value, json};
use supamcp::dokploy::Version;

const TYPES: [&str; 3] = ["bind", "volume", "file"];
const SERVICE_TYPES: [&str; 8] = ["application", "postgres", "mysql", "mariadb", "mongo", "redis", "compose", "libsql"];

fn invalid(field: &str, message: &str) -> Fail {
    Fail(400, "BAD_REQUEST", format!("Input validation failed: {field}: {message}"))
}

/// Writes (or with `None` removes) a file mount's file under the fake's files root, as Dokploy does on its host.
fn mirror(state: &State, mount: &Value, content: Option<&str>) {
    let (Some(root), Some(path)) = (&state.files_root, mount["filePath"].as_str()) else { return };
    let Some(app) = state.compose(mount["composeId"].as_str().unwrap_or_default()).and_then(|c| c["appName"].as_str())
    else {
        return;
    };
    let full = root.join(app).join("files").join(path.trim_start_matches('/'));
    match content {
        Some(text) => {
            std::fs::create_dir_all(full.parent().unwrap()).unwrap();
            std::fs::write(&full, text).unwrap();
        }
        None => {
            let _ = std::fs::remove_file(&full);
        }
    }
}

pub fn dispatch(state: &mut State, procedure: &str, input: &Value) -> Result<Value, Fail> {
    match procedure {
        "mounts.create" => {
            let kind = input["type"].as_str().unwrap_or_default();
            if !TYPES.contains(&kind) {
                return Err(invalid("type", "Invalid option: expected one of \"bind\"|\"volume\"|\"file\""));
            }
            let service_type = input["serviceType"].as_str().unwrap_or_default();
            if !SERVICE_TYPES.contains(&service_type) {
                return Err(invalid("serviceType", "Invalid option"));
            }
            let service_id = input["serviceId"].as_str().unwrap_or_default();
            if service_type != "compose" || state.compose(service_id).is_none() {
                return Err(Fail(
                    400,
                    "BAD_REQUEST",
                    "Error insert or update on table \"mount\" violates foreign key constraint".to_owned(),
                ));
            }
            let mount_id = state.id("M");
            let mut row = json!({"mountId": mount_id, "type": kind, "hostPath": null, "volumeName": null,
                "filePath": null, "content": null, "serviceType": service_type, "mountPath": input["mountPath"],
                "applicationId": null, "composeId": service_id, "postgresId": null, "mysqlId": null});
            for field in ["hostPath", "volumeName", "filePath", "content"] {
                if let Some(value) = input.get(field).filter(|v| v.is_string()) {
                    row[field] = value.clone();
                }
            }
            if kind == "file" {
                mirror(state, &row, Some(row["content"].as_str().unwrap_or_default()));
            }
            state.mounts.push(row.clone());
            if state.parsed_version() < Version::new(0, 28, 7) {
                return Ok(json!(true));
            }
            Ok(row)
        }
        "mounts.one" => {
            state.mounts.iter().find(|m| m["mountId"] == input["mountId"]).cloned().ok_or_else(|| not_found("Mount"))
        }
        "mounts.update" => {
            let index =
                state.mounts.iter().position(|m| m["mountId"] == input["mountId"]).ok_or_else(|| not_found("Mount"))?;
            for (key, value) in input.as_object().into_iter().flatten() {
                if key != "mountId" && state.mounts[index].get(key).is_some() {
                    state.mounts[index][key] = value.clone();
                }
            }
            let row = state.mounts[index].clone();
            if row["type"] == "file" {
                mirror(state, &row, Some(row["content"].as_str().unwrap_or_default()));
            }
            Ok(row)
        }
        "mounts.remove" => {
            let index =
                state.mounts.iter().position(|m| m["mountId"] == input["mountId"]).ok_or_else(|| not_found("Mount"))?;
            let row = state.mounts.remove(index);
            if row["type"] == "file" {
                mirror(state, &row, None);
            }
            Ok(row)
        }
        _ => Err(Fail(404, "NOT_FOUND", "Not found".to_owned())),
    }
}
