//! Where a stack's service settings live and how a change reaches them, shared by `update_auth_config` and
//! `get/update_storage_config`: a self-hosted `.env` file (plus its compose file), the env and compose file of a
//! Dokploy compose, or a Supabase Cloud project. File changes keep a timestamped copy of every file they
//! replace; Dokploy changes take a snapshot first, then redeploy (or name what applies them).

use crate::dokploy::history::SnapshotInfo;
use crate::dokploy::{Client, Compose};
use crate::failure::Failure;
use crate::groups::dokploy::Redeploy;
use crate::server::SupamcpServer;
use crate::supabase::env::backup_and_write;
use serde::Serialize;

/// What a call names (all optional).
pub(crate) struct TargetChoice<'a> {
    pub path: Option<&'a str>,
    pub compose_id: Option<&'a str>,
    pub server: Option<&'a str>,
    pub project_id: Option<&'a str>,
    pub instance: Option<&'a str>,
}

/// Where the settings live.
pub(crate) enum ConfigTarget {
    /// A self-hosted stack's `.env` (as given).
    File(String),
    Compose {
        server: Option<String>,
        compose_id: String,
    },
    Cloud(String),
}

/// A file written with a copy of what it replaced.
#[derive(Debug, Serialize, schemars::JsonSchema)]
pub(crate) struct WrittenFile {
    pub path: String,
    /// The previous file, saved before writing.
    pub backup: Option<String>,
}

/// How a change reached a Dokploy compose.
#[derive(Debug, Default)]
pub(crate) struct ComposeApplied {
    pub snapshot: Option<SnapshotInfo>,
    pub redeploy: Option<Redeploy>,
    pub apply_with: Option<String>,
}

impl SupamcpServer {
    /// The one place a call names, else the instance's Dokploy compose, else its cloud project (with an access
    /// token); `none` says what to pass when there is none.
    pub(crate) fn config_target(&self, choice: &TargetChoice<'_>) -> Result<ConfigTarget, Failure> {
        let named = [choice.path.is_some(), choice.compose_id.is_some(), choice.project_id.is_some()];
        if named.iter().filter(|given| **given).count() > 1 {
            return Err(Failure::new(
                "more than one of path, compose_id and project_id was given",
                "the settings live in one place: a .env file, a Dokploy compose's env or a cloud project",
                "pass only one of them",
            ));
        }
        if let Some(path) = choice.path {
            return Ok(ConfigTarget::File(path.to_owned()));
        }
        if let Some(id) = choice.compose_id {
            return Ok(ConfigTarget::Compose { server: choice.server.map(str::to_owned), compose_id: id.to_owned() });
        }
        if let Some(reference) = choice.project_id {
            return Ok(ConfigTarget::Cloud(reference.to_owned()));
        }
        let instance = self.state.settings.instance(choice.instance).ok();
        if let Some((server, compose_id)) =
            instance.and_then(|i| i.dokploy_compose_id.clone().map(|id| (i.dokploy.clone(), id)))
        {
            return Ok(ConfigTarget::Compose { server: choice.server.map(str::to_owned).or(server), compose_id });
        }
        match instance.and_then(|i| i.project_ref()).filter(|_| self.state.settings.access_token.is_some()) {
            Some(reference) => Ok(ConfigTarget::Cloud(reference)),
            None => Err(Failure::new(
                "no place to read or change the settings",
                "no path, compose_id or project_id was given, and the instance names no Dokploy compose or cloud project",
                "pass path (the stack's .env), compose_id (its Dokploy compose) or project_id (a cloud project)",
            )),
        }
    }

    /// Writes `text` to the file a caller named as `param` (confined like every written path), keeping a copy
    /// of the previous file.
    pub(crate) fn write_stack_file(&self, raw: &str, param: &str, text: &str) -> Result<WrittenFile, Failure> {
        let target = crate::fsutil::output_file(raw, param, true, self.state.settings.allow_absolute_paths)?;
        let backup = backup_and_write(&target, text)?.map(|p| p.display().to_string());
        Ok(WrittenFile { path: target.display().to_string(), backup })
    }

    /// Sets a Dokploy compose's env and/or compose file (a snapshot of both first), then redeploys it and waits
    /// when `redeploy`, else says how to apply it. Nothing happens when both are `None`.
    #[allow(clippy::too_many_arguments)]
    pub(crate) async fn apply_to_compose(
        &self,
        client: &Client,
        compose: &Compose,
        env: Option<&str>,
        compose_file: Option<&str>,
        redeploy: bool,
        wait_seconds: u64,
        title: &str,
    ) -> Result<ComposeApplied, Failure> {
        if env.is_none() && compose_file.is_none() {
            return Ok(ComposeApplied::default());
        }
        if compose_file.is_some() && compose.source_type.as_deref().is_some_and(|s| s != "raw") {
            return Err(Failure::new(
                format!("cannot change the compose file of compose {}", compose.compose_id),
                format!(
                    "Dokploy reads it from its {} source, not from the file it stores",
                    compose.source_type.as_deref().unwrap_or_default()
                ),
                "change the service's environment in the repository, or switch the compose to a raw source",
            ));
        }
        let mut applied = ComposeApplied {
            snapshot: Some(self.snapshot(client, compose, &format!("before {title}"))?),
            ..ComposeApplied::default()
        };
        if let Some(env) = env {
            client.compose_set_env(&compose.compose_id, env).await.map_err(|e| e.failure(client.name()))?;
        }
        if let Some(file) = compose_file {
            client
                .compose_update(&compose.compose_id, serde_json::json!({ "composeFile": file }))
                .await
                .map_err(|e| e.failure(client.name()))?;
        }
        if redeploy {
            let title = format!("supamcp: {title}");
            applied.redeploy = Some(self.redeploy_and_wait(client, &compose.compose_id, &title, wait_seconds).await?);
        } else {
            applied.apply_with =
                Some("redeploy the compose (dokploy_update_env with redeploy: true, or Dokploy's UI)".into());
        }
        Ok(applied)
    }
}
