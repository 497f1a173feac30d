//! The typed procedures supamcp uses, one method each, and the version switch: since v0.25.0 composes
//! live in environments (`environmentId`), before in projects (`projectId`); `compose.saveEnvironment`
//! (v0.29.0+) falls back to `compose.update {env}`. Reads and value-setting writes are retried;
//! creates, deploys and deletes are sent once.

use super::client::{Call, Client, Idempotency::*};
use super::error::DokployError;
use super::types::{
    Compose, Container, CreatedProject, Deployment, Domain, DomainSpec, Environment, Parent, Project, Server, Template,
};
use super::version::VersionInfo;
use serde_json::{Value, json};

fn get(query: &[(&'static str, &str)]) -> Call {
    Call::Get(query.iter().map(|(k, v)| (*k, (*v).to_owned())).collect())
}

fn parent_field(parent: &Parent) -> (&'static str, &str) {
    match parent {
        Parent::Environment(id) => ("environmentId", id),
        Parent::Project(id) => ("projectId", id),
    }
}

impl Client {
    /// `settings.getDokployVersion`, asked once per client and kept.
    pub async fn version(&self) -> Result<&VersionInfo, DokployError> {
        self.version
            .get_or_try_init(|| async {
                let reported: Value = self.call("settings.getDokployVersion", get(&[]), Idempotent).await?;
                let text = reported.as_str().map_or_else(|| reported.to_string(), str::to_owned);
                let info = VersionInfo::from_reported(&text);
                if let Some(warning) = &info.warning {
                    tracing::warn!(server = %self.name(), "{warning}");
                }
                Ok(info)
            })
            .await
    }

    pub async fn project_all(&self) -> Result<Vec<Project>, DokployError> {
        self.call("project.all", get(&[]), Idempotent).await
    }

    pub async fn project_one(&self, project_id: &str) -> Result<Project, DokployError> {
        self.call("project.one", get(&[("projectId", project_id)]), Idempotent).await
    }

    /// `project.create`: since v0.25.0 the reply is `{project, environment}`, before it is the project row.
    pub async fn project_create(&self, name: &str, description: &str) -> Result<CreatedProject, DokployError> {
        let reply: Value =
            self.call("project.create", Call::Post(json!({"name": name, "description": description})), Once).await?;
        let project = reply.get("project").unwrap_or(&reply);
        let text = |value: Option<&Value>| value.and_then(Value::as_str).map(str::to_owned);
        let project_id = text(project.get("projectId")).ok_or_else(|| DokployError::Decode {
            procedure: "project.create".to_owned(),
            detail: "the reply has no projectId".to_owned(),
        })?;
        Ok(CreatedProject {
            project_id,
            name: text(project.get("name")).unwrap_or_else(|| name.to_owned()),
            environment_id: text(reply.get("environment").and_then(|env| env.get("environmentId"))),
        })
    }

    pub async fn project_remove(&self, project_id: &str) -> Result<(), DokployError> {
        self.call::<Value>("project.remove", Call::Post(json!({"projectId": project_id})), Once).await.map(drop)
    }

    pub async fn environment_create(&self, project_id: &str, name: &str) -> Result<Environment, DokployError> {
        let body = json!({"projectId": project_id, "name": name});
        self.call("environment.create", Call::Post(body), Once).await
    }

    pub async fn environment_one(&self, environment_id: &str) -> Result<Environment, DokployError> {
        self.call("environment.one", get(&[("environmentId", environment_id)]), Idempotent).await
    }

    pub async fn environment_by_project(&self, project_id: &str) -> Result<Vec<Environment>, DokployError> {
        self.call("environment.byProjectId", get(&[("projectId", project_id)]), Idempotent).await
    }

    /// Where new services of a project go on this server's version: its default environment, or the
    /// project itself before v0.25.0.
    pub async fn parent_for(&self, project_id: &str) -> Result<Parent, DokployError> {
        if !self.version().await?.environments {
            return Ok(Parent::Project(project_id.to_owned()));
        }
        let environments = self.environment_by_project(project_id).await?;
        let chosen = environments.iter().find(|env| env.is_default).or_else(|| environments.first());
        match chosen {
            Some(env) => Ok(Parent::Environment(env.environment_id.clone())),
            None => Ok(Parent::Environment(self.environment_create(project_id, "supabase").await?.environment_id)),
        }
    }

    /// `compose.create`; the appName Dokploy stores is `<app_name>-<6 random>`: read it from the reply.
    pub async fn compose_create(
        &self,
        parent: &Parent,
        name: &str,
        app_name: Option<&str>,
    ) -> Result<Compose, DokployError> {
        let (field, id) = parent_field(parent);
        let mut body = json!({"name": name, field: id});
        if let Some(app_name) = app_name {
            body["appName"] = json!(app_name);
        }
        self.call("compose.create", Call::Post(body), Once).await
    }

    pub async fn compose_one(&self, compose_id: &str) -> Result<Compose, DokployError> {
        self.call("compose.one", get(&[("composeId", compose_id)]), Idempotent).await
    }

    /// `compose.update` with the given fields (`env` replaces the whole env; `appName` is ignored by Dokploy).
    pub async fn compose_update(&self, compose_id: &str, fields: Value) -> Result<Compose, DokployError> {
        let mut body = fields;
        body["composeId"] = json!(compose_id);
        self.call("compose.update", Call::Post(body), Idempotent).await
    }

    /// Replaces the compose's env: `compose.saveEnvironment` from v0.29.0, `compose.update` before.
    pub async fn compose_set_env(&self, compose_id: &str, env: &str) -> Result<(), DokployError> {
        if self.version().await?.version.has_save_environment() {
            let body = json!({"composeId": compose_id, "env": env});
            self.call::<Value>("compose.saveEnvironment", Call::Post(body), Idempotent).await.map(drop)
        } else {
            self.compose_update(compose_id, json!({"env": env})).await.map(drop)
        }
    }

    /// `compose.deploy`: queues the deployment and returns at once (`true` before v0.25.7, an object after).
    pub async fn compose_deploy(&self, compose_id: &str, title: &str) -> Result<(), DokployError> {
        let body = json!({"composeId": compose_id, "title": title});
        self.call::<Value>("compose.deploy", Call::Post(body), Once).await.map(drop)
    }

    /// `compose.redeploy`: like deploy without fetching the source again.
    pub async fn compose_redeploy(&self, compose_id: &str, title: &str) -> Result<(), DokployError> {
        let body = json!({"composeId": compose_id, "title": title});
        self.call::<Value>("compose.redeploy", Call::Post(body), Once).await.map(drop)
    }

    pub async fn compose_stop(&self, compose_id: &str) -> Result<(), DokployError> {
        self.call::<Value>("compose.stop", Call::Post(json!({"composeId": compose_id})), Once).await.map(drop)
    }

    pub async fn compose_start(&self, compose_id: &str) -> Result<(), DokployError> {
        self.call::<Value>("compose.start", Call::Post(json!({"composeId": compose_id})), Once).await.map(drop)
    }

    pub async fn compose_delete(&self, compose_id: &str, delete_volumes: bool) -> Result<(), DokployError> {
        let body = json!({"composeId": compose_id, "deleteVolumes": delete_volumes});
        self.call::<Value>("compose.delete", Call::Post(body), Once).await.map(drop)
    }

    /// `compose.deployTemplate`: creates (does not deploy) the compose with the template's env, mounts
    /// and domain.
    pub async fn compose_deploy_template(
        &self,
        parent: &Parent,
        template: &str,
        server_id: Option<&str>,
    ) -> Result<Compose, DokployError> {
        let (field, id) = parent_field(parent);
        let mut body = json!({"id": template, field: id});
        if let Some(server_id) = server_id {
            body["serverId"] = json!(server_id);
        }
        self.call("compose.deployTemplate", Call::Post(body), Once).await
    }

    pub async fn compose_templates(&self) -> Result<Vec<Template>, DokployError> {
        self.call("compose.templates", get(&[]), Idempotent).await
    }

    /// `compose.loadServices` from the stored file (`type=cache`).
    pub async fn compose_load_services(&self, compose_id: &str) -> Result<Vec<String>, DokployError> {
        self.call("compose.loadServices", get(&[("composeId", compose_id), ("type", "cache")]), Idempotent).await
    }

    /// `compose.readLogs` (v0.29.0+): `docker container logs --timestamps` of one container.
    pub async fn compose_read_logs(
        &self,
        compose_id: &str,
        container_id: &str,
        tail: u32,
        since: &str,
        search: Option<&str>,
    ) -> Result<String, DokployError> {
        let tail = tail.clamp(1, 10_000).to_string();
        let mut query =
            vec![("composeId", compose_id), ("containerId", container_id), ("tail", &tail), ("since", since)];
        if let Some(search) = search.filter(|s| !s.is_empty()) {
            query.push(("search", search));
        }
        self.call("compose.readLogs", get(&query), Idempotent).await
    }

    /// Deployments of a compose, newest first.
    pub async fn deployment_all_by_compose(&self, compose_id: &str) -> Result<Vec<Deployment>, DokployError> {
        self.call("deployment.allByCompose", get(&[("composeId", compose_id)]), Idempotent).await
    }

    /// The last `tail` lines of a deployment's log (v0.29.6+).
    pub async fn deployment_read_logs(&self, deployment_id: &str, tail: u32) -> Result<String, DokployError> {
        let tail = tail.clamp(1, 10_000).to_string();
        self.call("deployment.readLogs", get(&[("deploymentId", deployment_id), ("tail", &tail)]), Idempotent).await
    }

    pub async fn domain_create(&self, compose_id: &str, spec: &DomainSpec) -> Result<Domain, DokployError> {
        let mut body = serde_json::to_value(spec)
            .map_err(|e| DokployError::Decode { procedure: "domain.create".to_owned(), detail: e.to_string() })?;
        body["composeId"] = json!(compose_id);
        self.call("domain.create", Call::Post(body), Once).await
    }

    pub async fn domain_update(&self, domain_id: &str, spec: &DomainSpec) -> Result<Domain, DokployError> {
        let mut body = serde_json::to_value(spec)
            .map_err(|e| DokployError::Decode { procedure: "domain.update".to_owned(), detail: e.to_string() })?;
        body["domainId"] = json!(domain_id);
        self.call("domain.update", Call::Post(body), Idempotent).await
    }

    pub async fn domain_by_compose(&self, compose_id: &str) -> Result<Vec<Domain>, DokployError> {
        self.call("domain.byComposeId", get(&[("composeId", compose_id)]), Idempotent).await
    }

    pub async fn domain_delete(&self, domain_id: &str) -> Result<(), DokployError> {
        self.call::<Value>("domain.delete", Call::Post(json!({"domainId": domain_id})), Once).await.map(drop)
    }

    /// The containers of a compose project (label `com.docker.compose.project=<appName>`).
    pub async fn docker_containers(
        &self,
        app_name: &str,
        server_id: Option<&str>,
    ) -> Result<Vec<Container>, DokployError> {
        let mut query = vec![("appName", app_name), ("appType", "docker-compose")];
        if let Some(server_id) = server_id {
            query.push(("serverId", server_id));
        }
        self.call("docker.getContainersByAppNameMatch", get(&query), Idempotent).await
    }

    /// `docker.restartContainer`.
    pub async fn docker_restart_container(
        &self,
        container_id: &str,
        server_id: Option<&str>,
    ) -> Result<(), DokployError> {
        let mut body = json!({"containerId": container_id});
        if let Some(server_id) = server_id {
            body["serverId"] = json!(server_id);
        }
        self.call::<Value>("docker.restartContainer", Call::Post(body), Once).await.map(drop)
    }

    /// `mounts.create` of a file mount on a compose (Dokploy writes the file at once). The reply is the mount
    /// since v0.28.7 and `true` before, so callers read the mount back from `compose.one`.
    pub async fn mount_create_file(
        &self,
        compose_id: &str,
        file_path: &str,
        content: &str,
    ) -> Result<(), DokployError> {
        let body = json!({"type": "file", "filePath": file_path, "content": content, "mountPath": "/",
            "serviceType": "compose", "serviceId": compose_id});
        self.call::<Value>("mounts.create", Call::Post(body), Once).await.map(drop)
    }

    /// `mounts.update` of a file mount's content (Dokploy rewrites the file).
    pub async fn mount_update_content(&self, mount_id: &str, content: &str) -> Result<(), DokployError> {
        let body = json!({"mountId": mount_id, "content": content});
        self.call::<Value>("mounts.update", Call::Post(body), Idempotent).await.map(drop)
    }

    /// `mounts.remove` (a file mount's file is deleted with it).
    pub async fn mount_remove(&self, mount_id: &str) -> Result<(), DokployError> {
        self.call::<Value>("mounts.remove", Call::Post(json!({"mountId": mount_id})), Once).await.map(drop)
    }

    pub async fn server_all(&self) -> Result<Vec<Server>, DokployError> {
        self.call("server.all", get(&[]), Idempotent).await
    }
}
