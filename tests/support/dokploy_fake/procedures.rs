//! The fake's procedures: what each one does to the state, following the facts in
//! `reference/dokploy.md` (status machine, appName suffixes, env replaced whole, newest-first deployments).

use super::routes::{Reply, Shared};
use super::{State, supabase};
use serde_json::{Value, json};
use supamcp::dokploy::Version;

/// An error reply: status, tRPC code, message.
pub struct Fail(pub u16, pub &'static str, pub String);

fn text<'a>(input: &'a Value, field: &str) -> &'a str {
    input[field].as_str().unwrap_or("")
}

pub fn not_found(what: &str) -> Fail {
    Fail(404, "NOT_FOUND", format!("{what} not found"))
}

pub fn insert_project(state: &mut State, name: &str) -> (String, Option<String>) {
    let project_id = state.id("P");
    let now = chrono::Utc::now().to_rfc3339();
    state.projects.push(json!({"projectId": project_id, "name": name, "description": null, "createdAt": now,
        "organizationId": "org1", "env": ""}));
    if !state.parsed_version().has_environments() {
        return (project_id, None);
    }
    let environment_id = state.id("E");
    state.environments.push(json!({"environmentId": environment_id, "name": "production",
        "description": "Production environment", "createdAt": now, "env": "", "projectId": project_id, "isDefault": true}));
    (project_id, Some(environment_id))
}

fn compose_ref(compose: &Value) -> Value {
    json!({"composeId": compose["composeId"], "name": compose["name"], "appName": compose["appName"],
        "composeStatus": compose["composeStatus"], "serverId": compose["serverId"], "createdAt": compose["createdAt"]})
}

fn project_view(state: &State, project: &Value) -> Value {
    let mut view = project.clone();
    let id = &project["projectId"];
    if state.parsed_version().has_environments() {
        let environments: Vec<Value> = state
            .environments
            .iter()
            .filter(|e| &e["projectId"] == id)
            .map(|e| {
                let mut env = e.clone();
                let composes = state.composes.iter().filter(|c| c["environmentId"] == e["environmentId"]);
                env["compose"] = Value::Array(composes.map(compose_ref).collect());
                env
            })
            .collect();
        view["environments"] = Value::Array(environments);
    } else {
        let composes = state.composes.iter().filter(|c| &c["projectId"] == id);
        view["compose"] = Value::Array(composes.map(compose_ref).collect());
    }
    view
}

/// What the worker does when it picks a job up: the compose turns `running` and the deployment row is
/// inserted (`running`, createdAt now as an ISO string with milliseconds).
pub fn start_deployment(state: &mut State, compose_id: &str, title: &str) -> String {
    let deployment_id = state.id("D");
    let app_name = state.compose(compose_id).and_then(|c| c["appName"].as_str()).unwrap_or_default().to_owned();
    let mut now = chrono::Utc::now();
    if let Some(last) = state.last_created.filter(|last| now <= *last) {
        now = last + chrono::Duration::milliseconds(1);
    }
    state.last_created = Some(now);
    let log_path = format!("/etc/dokploy/logs/{app_name}/{app_name}-{}.log", now.format("%Y-%m-%d:%H:%M:%S"));
    let created = now.format("%Y-%m-%dT%H:%M:%S%.3fZ").to_string();
    state.deployments.insert(
        0,
        json!({"deploymentId": deployment_id, "title": title, "description": null, "status": "running", "logPath": log_path,
            "composeId": compose_id, "createdAt": created, "startedAt": created, "finishedAt": null, "errorMessage": null}),
    );
    let ids: Vec<Value> =
        state.deployments.iter().filter(|d| d["composeId"] == compose_id).map(|d| d["deploymentId"].clone()).collect();
    for old in ids.iter().skip(10) {
        state.deployments.retain(|d| &d["deploymentId"] != old);
    }
    if let Some(compose) = state.compose_mut(compose_id) {
        compose["composeStatus"] = json!("running");
    }
    state.deployment_logs.insert(deployment_id.clone(), supabase::deploy_log_start(&app_name));
    deployment_id
}

pub fn finish_deployment(state: &mut State, compose_id: &str, deployment_id: &str) {
    let failed = state.faults.deploy_fails;
    let status = if failed { "error" } else { "done" };
    let app_name = state.compose(compose_id).and_then(|c| c["appName"].as_str()).unwrap_or_default().to_owned();
    if let Some(d) = state.deployments.iter_mut().find(|d| d["deploymentId"] == deployment_id) {
        d["status"] = json!(status);
        d["finishedAt"] = json!(chrono::Utc::now().to_rfc3339());
        if failed {
            d["errorMessage"] = json!("dependency failed to start: container for service \"kong\" is unhealthy");
        }
    }
    if let Some(compose) = state.compose_mut(compose_id) {
        compose["composeStatus"] = json!(status);
    }
    let tail = supabase::deploy_log_end(&app_name, failed);
    if let Some(log) = state.deployment_logs.get_mut(deployment_id) {
        log.push_str(&tail);
    }
    let unhealthy = state.faults.unhealthy_service.clone();
    let containers = supabase::containers(&app_name, failed, unhealthy.as_deref());
    state.containers.insert(app_name, containers);
}

fn lock(shared: &Shared) -> std::sync::MutexGuard<'_, State> {
    shared.lock().unwrap_or_else(|p| p.into_inner())
}

/// Queues the deploy and answers at once; a task plays Dokploy's worker (see the module doc of the fake).
fn deploy(shared: &Shared, state: &mut State, input: &Value, title: &str, queued: &str) -> Result<Reply, Fail> {
    let compose_id = text(input, "composeId").to_owned();
    if state.compose(&compose_id).is_none() {
        return Err(not_found("Compose"));
    }
    let title = input["title"].as_str().unwrap_or(title).to_owned();
    let (queue_delay, ticket) = (state.queue_delay, state.queued);
    state.queued += 1;
    let shared = shared.clone();
    tokio::spawn(async move {
        tokio::time::sleep(queue_delay).await;
        while !{
            let state = lock(&shared);
            state.served == ticket && !state.queue_paused
        } {
            tokio::time::sleep(std::time::Duration::from_millis(20)).await;
        }
        let started = {
            let mut state = lock(&shared);
            let exists = state.compose(&compose_id).is_some();
            exists.then(|| (start_deployment(&mut state, &compose_id, &title), state.deploy_time))
        };
        if let Some((deployment_id, deploy_time)) = started {
            tokio::time::sleep(deploy_time).await;
            finish_deployment(&mut lock(&shared), &compose_id, &deployment_id);
        }
        lock(&shared).served += 1;
    });
    if state.parsed_version() <= Version::new(0, 25, 6) {
        return Ok(Reply::Json(json!(true)));
    }
    Ok(Reply::Json(json!({"success": true, "message": queued, "composeId": input["composeId"]})))
}

pub fn dispatch(shared: &Shared, procedure: &str, input: &Value) -> Result<Reply, Fail> {
    let mut guard = shared.lock().unwrap_or_else(|p| p.into_inner());
    let state = &mut *guard;
    let legacy = !state.parsed_version().has_environments();
    let json = |v: Value| Ok(Reply::Json(v));
    match procedure {
        "settings.getDokployVersion" => json(json!(state.version)),
        "project.all" => json(Value::Array(state.projects.iter().rev().map(|p| project_view(state, p)).collect())),
        "project.one" => {
            let project = state
                .projects
                .iter()
                .find(|p| p["projectId"] == input["projectId"])
                .ok_or_else(|| not_found("Project"))?;
            json(project_view(state, project))
        }
        "project.create" => {
            let (project_id, environment_id) = insert_project(state, text(input, "name"));
            let project = state.projects.iter().find(|p| p["projectId"] == project_id).cloned().unwrap_or_default();
            match environment_id {
                None => json(project),
                Some(id) => {
                    let environment = state.environments.iter().find(|e| e["environmentId"] == id).cloned();
                    json(json!({"project": project, "environment": environment}))
                }
            }
        }
        "project.remove" => {
            let index = state
                .projects
                .iter()
                .position(|p| p["projectId"] == input["projectId"])
                .ok_or_else(|| not_found("Project"))?;
            let project = state.projects.remove(index);
            let env_ids: Vec<Value> = state
                .environments
                .iter()
                .filter(|e| e["projectId"] == project["projectId"])
                .map(|e| e["environmentId"].clone())
                .collect();
            state.environments.retain(|e| e["projectId"] != project["projectId"]);
            state.composes.retain(|c| c["projectId"] != project["projectId"] && !env_ids.contains(&c["environmentId"]));
            json(project)
        }
        "environment.create" => {
            if text(input, "name") == "production" {
                return Err(Fail(400, "BAD_REQUEST", "You cannot create an environment named production".to_owned()));
            }
            if !state.projects.iter().any(|p| p["projectId"] == input["projectId"]) {
                return Err(not_found("Project"));
            }
            let id = state.id("E");
            let env = json!({"environmentId": id, "name": input["name"], "description": input["description"],
                "createdAt": chrono::Utc::now().to_rfc3339(), "env": "", "projectId": input["projectId"], "isDefault": false});
            state.environments.push(env.clone());
            json(env)
        }
        "environment.one" => {
            let env = state
                .environments
                .iter()
                .find(|e| e["environmentId"] == input["environmentId"])
                .ok_or_else(|| not_found("Environment"))?;
            let mut view = env.clone();
            let composes = state.composes.iter().filter(|c| c["environmentId"] == env["environmentId"]);
            view["compose"] = Value::Array(composes.map(compose_ref).collect());
            json(view)
        }
        "environment.byProjectId" => {
            let list = state.environments.iter().filter(|e| e["projectId"] == input["projectId"]).cloned().collect();
            json(Value::Array(list))
        }
        "compose.create" => {
            let (project_id, environment_id) = supabase::resolve_parent(state, input, legacy)?;
            let compose = supabase::insert_compose(
                state,
                &project_id,
                environment_id.as_deref(),
                text(input, "name"),
                input["appName"].as_str(),
                "",
            );
            json(compose)
        }
        "compose.deployTemplate" => {
            if text(input, "id") != "supabase" {
                return Err(Fail(404, "NOT_FOUND", "Template not found".to_owned()));
            }
            let (project_id, environment_id) = supabase::resolve_parent(state, input, legacy)?;
            let project_name = state
                .projects
                .iter()
                .find(|p| p["projectId"] == project_id)
                .and_then(|p| p["name"].as_str())
                .unwrap_or("app")
                .to_owned();
            json(supabase::deploy_template(state, &project_id, environment_id.as_deref(), &project_name))
        }
        "compose.one" => {
            let id = text(input, "composeId");
            let mut view = state.compose(id).cloned().ok_or_else(|| not_found("Compose"))?;
            view["deployments"] =
                Value::Array(state.deployments.iter().rev().filter(|d| d["composeId"] == id).cloned().collect());
            view["domains"] = Value::Array(state.domains.iter().filter(|d| d["composeId"] == id).cloned().collect());
            view["mounts"] = Value::Array(state.mounts.iter().filter(|m| m["composeId"] == id).cloned().collect());
            json(view)
        }
        "compose.update" => {
            let compose = state.compose_mut(text(input, "composeId")).ok_or_else(|| not_found("Compose"))?;
            for (key, value) in input.as_object().into_iter().flatten() {
                if key != "composeId" && key != "appName" && compose.get(key).is_some() {
                    compose[key] = value.clone();
                }
            }
            json(compose.clone())
        }
        "compose.saveEnvironment" => {
            let compose = state.compose_mut(text(input, "composeId")).ok_or_else(|| not_found("Compose"))?;
            compose["env"] = input["env"].clone();
            json(json!(true))
        }
        "compose.delete" => {
            let id = text(input, "composeId").to_owned();
            let index = state
                .composes
                .iter()
                .position(|c| c["composeId"] == id.as_str())
                .ok_or_else(|| not_found("Compose"))?;
            let compose = state.composes.remove(index);
            state.domains.retain(|d| d["composeId"] != id.as_str());
            state.mounts.retain(|m| m["composeId"] != id.as_str());
            state.deployments.retain(|d| d["composeId"] != id.as_str());
            if let Some(app) = compose["appName"].as_str() {
                state.containers.remove(app);
            }
            json(compose)
        }
        "compose.deploy" => deploy(shared, state, input, "Manual deployment", "Deployment queued"),
        "compose.redeploy" => deploy(shared, state, input, "Rebuild deployment", "Redeployment queued"),
        "compose.stop" | "compose.start" => {
            let stop = procedure == "compose.stop";
            let compose = state.compose_mut(text(input, "composeId")).ok_or_else(|| not_found("Compose"))?;
            compose["composeStatus"] = json!(if stop { "idle" } else { "done" });
            let app = compose["appName"].as_str().unwrap_or_default().to_owned();
            for container in state.containers.get_mut(&app).into_iter().flatten() {
                container["state"] = json!(if stop { "exited" } else { "running" });
                container["status"] = json!(if stop { "Exited (0) 1 second ago" } else { "Up 1 second (healthy)" });
            }
            json(json!(true))
        }
        "compose.templates" => {
            json(json!([{"id": "supabase", "name": "SupaBase", "description": "The open source Firebase alternative.",
            "version": "2026.06.03 / dokploy >= 0.22.5", "logo": "supabase.svg", "links": {"github": "https://github.com/supabase/supabase"},
            "tags": ["database", "firebase", "postgres"]}]))
        }
        "compose.loadServices" => {
            state.compose(text(input, "composeId")).ok_or_else(|| not_found("Compose"))?;
            json(json!(supabase::SERVICES.iter().map(|(s, _)| s).collect::<Vec<_>>()))
        }
        "compose.readLogs" => {
            let compose = state.compose(text(input, "composeId")).ok_or_else(|| not_found("Compose"))?;
            let app = compose["appName"].as_str().unwrap_or_default();
            let container_id = text(input, "containerId");
            let container = state.containers.get(app).into_iter().flatten().find(|c| c["containerId"] == container_id);
            let Some(container) = container else { return json(json!("")) };
            let tail = input["tail"].as_str().and_then(|t| t.parse().ok()).unwrap_or(100usize);
            let custom = state.container_logs.get(container["name"].as_str().unwrap_or_default());
            let since = input["since"].as_str().unwrap_or("all");
            json(json!(supabase::container_log(container, custom, tail, since, input["search"].as_str().unwrap_or(""))))
        }
        "deployment.allByCompose" => {
            let list = state.deployments.iter().filter(|d| d["composeId"] == input["composeId"]).cloned().collect();
            json(Value::Array(list))
        }
        "deployment.readLogs" => {
            let log = state.deployment_logs.get(text(input, "deploymentId")).ok_or_else(|| not_found("Deployment"))?;
            let tail = input["tail"].as_str().and_then(|t| t.parse().ok()).unwrap_or(100usize);
            let lines: Vec<&str> = log.lines().collect();
            json(json!(lines[lines.len().saturating_sub(tail)..].join("\n")))
        }
        "domain.create" => {
            if input["https"] == json!(true) && input["certificateType"].is_null() {
                return Err(Fail(400, "BAD_REQUEST", "Input validation failed".to_owned()));
            }
            let domain = supabase::insert_domain(state, input);
            json(domain)
        }
        "domain.update" => {
            let domain = state
                .domains
                .iter_mut()
                .find(|d| d["domainId"] == input["domainId"])
                .ok_or_else(|| not_found("Domain"))?;
            for (key, value) in input.as_object().into_iter().flatten() {
                if key != "domainId" {
                    domain[key] = value.clone();
                }
            }
            json(domain.clone())
        }
        "domain.byComposeId" => {
            let list = state.domains.iter().filter(|d| d["composeId"] == input["composeId"]).cloned().collect();
            json(Value::Array(list))
        }
        "domain.delete" => {
            let index = state
                .domains
                .iter()
                .position(|d| d["domainId"] == input["domainId"])
                .ok_or_else(|| not_found("Domain"))?;
            json(state.domains.remove(index))
        }
        "docker.getContainersByAppNameMatch" => {
            json(Value::Array(state.containers.get(text(input, "appName")).cloned().unwrap_or_default()))
        }
        "docker.restartContainer" => {
            let id = text(input, "containerId").to_owned();
            state.restarts.push(id.clone());
            for container in state.containers.values_mut().flatten().filter(|c| c["containerId"] == id.as_str()) {
                container["state"] = json!("running");
                container["status"] = json!("Up 1 second (health: starting)");
            }
            Ok(Reply::Empty)
        }
        "server.all" => json(json!([])),
        _ if procedure.starts_with("mounts.") => super::mounts::dispatch(state, procedure, input).map(Reply::Json),
        _ => Err(Fail(404, "NOT_FOUND", "Not found".to_owned())),
    }
}
