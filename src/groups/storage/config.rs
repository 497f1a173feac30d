//! `get_storage_config` and `update_storage_config`, with the official server's names and parameters: a
//! Supabase Cloud project's storage settings through the Management API (global file size limit, image
//! transformation, S3 protocol), or a self-hosted stack's (the storage service's environment in its compose
//! file, resolved against its `.env`: a file pair, or a Dokploy compose). Where the settings live and how a
//! change reaches them is `groups::stack_config`, shared with the auth settings; the work is in
//! `supabase::storage::{config, selfhosted}`.

use super::{reply_of, require_confirm};
use crate::failure::Failure;
use crate::groups::dokploy::Redeploy;
use crate::groups::stack_config::{ConfigTarget, TargetChoice, WrittenFile};
use crate::server::SupamcpServer;
use crate::server::output::schema_of;
use crate::supabase::env::{EnvFile, load_strict};
use crate::supabase::management::ManagementApi;
use crate::supabase::storage::config::StorageConfig;
use crate::supabase::storage::selfhosted::{self, RESTART_COMMAND, SelfHostedStorage, StorageChange, StorageSetting};
use rmcp::handler::server::wrapper::Parameters;
use rmcp::model::CallToolResult;
use rmcp::{ErrorData as McpError, schemars, tool, tool_router};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

#[derive(Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct GetConfigParams {
    /// Cloud project ref (default: from the instance's URL).
    #[serde(default)]
    pub project_id: Option<String>,
    /// Self-hosted: the stack's .env (docker-compose.yml beside it).
    #[serde(default)]
    pub path: Option<String>,
    /// Self-hosted on Dokploy: the compose (default: the instance's).
    #[serde(default)]
    pub compose_id: Option<String>,
    /// Configured instance (default: the default one).
    #[serde(default)]
    pub instance: Option<String>,
}

#[derive(Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct UpdateConfigParams {
    /// Cloud project ref (default: from the instance's URL).
    #[serde(default)]
    pub project_id: Option<String>,
    /// fileSizeLimit (bytes), features.imageTransformation/s3Protocol.enabled.
    #[serde(default)]
    pub config: Option<StorageConfig>,
    /// Self-hosted variables, e.g. {"STORAGE_BACKEND": "s3"}.
    #[serde(default)]
    pub set: BTreeMap<String, String>,
    /// Self-hosted: the stack's .env (docker-compose.yml beside it).
    #[serde(default)]
    pub path: Option<String>,
    /// Self-hosted on Dokploy: the compose (default: the instance's).
    #[serde(default)]
    pub compose_id: Option<String>,
    /// Configured instance (default: the default one).
    #[serde(default)]
    pub instance: Option<String>,
    /// Must be true (the limit applies to every bucket).
    #[serde(default)]
    pub confirm: bool,
}

/// How long a redeploy is waited for.
const WAIT: u64 = 900;

/// The Management API's shape on both; self-hosted adds each setting with its source.
#[derive(Debug, Serialize, schemars::JsonSchema)]
struct ConfigReply {
    #[serde(flatten)]
    config: StorageConfig,
    /// Self-hosted: the storage service's settings and where each comes from.
    #[serde(skip_serializing_if = "Option::is_none")]
    self_hosted: Option<Vec<StorageSetting>>,
}

#[derive(Debug, Default, Serialize, schemars::JsonSchema)]
struct UpdateReply {
    /// The settings after the change.
    #[serde(flatten)]
    config: StorageConfig,
    /// Self-hosted: what changed (the .env variable now holding each).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    changes: Vec<StorageChange>,
    /// Self-hosted: compose file lines changed to read the .env ("before -> after").
    #[serde(skip_serializing_if = "Vec::is_empty")]
    compose_lines: Vec<String>,
    /// Files written, each with a copy of the previous one.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    written: Vec<WrittenFile>,
    /// Dokploy: the snapshot id to roll back to with dokploy_rollback.
    #[serde(skip_serializing_if = "Option::is_none")]
    snapshot: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    redeploy: Option<Redeploy>,
    /// What applies the change, when this call did not.
    #[serde(skip_serializing_if = "Option::is_none")]
    apply_with: Option<String>,
}

/// A self-hosted stack's two files as given, and their text.
struct StackFiles {
    env_path: String,
    compose_path: String,
    env: EnvFile,
    compose: String,
}

fn where_it_lives(failure: Failure) -> Failure {
    let fix = format!(
        "{}; a self-hosted stack keeps FILE_SIZE_LIMIT in its docker-compose.yml: pass path (its .env)",
        failure.fix
    );
    Failure::new(failure.what, failure.why, fix)
}

impl SupamcpServer {
    /// [`SupamcpServer::config_target`], falling back to the instance's own `.env` (`--env-file` or `env_file`)
    /// when a docker-compose.yml stands beside it: a self-hosted stack's files.
    fn storage_target(&self, choice: &TargetChoice<'_>) -> Result<ConfigTarget, Failure> {
        let named = choice.path.is_some() || choice.compose_id.is_some() || choice.project_id.is_some();
        self.config_target(choice).or_else(|failure| {
            let env = self.state.settings.instance(choice.instance).ok().and_then(|i| i.env_file.clone());
            match env.filter(|env| !named && env.with_file_name("docker-compose.yml").is_file()) {
                Some(env) => Ok(ConfigTarget::File(env.display().to_string())),
                None => Err(where_it_lives(failure)),
            }
        })
    }

    fn stack_files(&self, path: &str) -> Result<StackFiles, Failure> {
        let env = load_strict(None, Some(Path::new(path)))?;
        let dir = Path::new(path).parent().map(Path::to_path_buf).unwrap_or_else(|| PathBuf::from("."));
        let compose_path = dir.join("docker-compose.yml").display().to_string();
        let compose = std::fs::read_to_string(&compose_path).map_err(|e| {
            Failure::new(
                format!("cannot read the compose file {compose_path}"),
                e.to_string(),
                "pass as path the .env in the directory of the stack's docker-compose.yml",
            )
        })?;
        Ok(StackFiles { env_path: path.to_owned(), compose_path, env, compose })
    }

    /// The storage settings of a self-hosted stack where `target` names it (None for a cloud project).
    pub(crate) async fn self_hosted_storage(
        &self,
        target: &ConfigTarget,
    ) -> Result<Option<SelfHostedStorage>, Failure> {
        match target {
            ConfigTarget::File(path) => {
                let files = self.stack_files(path)?;
                selfhosted::read(&files.compose, &files.env).map(Some)
            }
            ConfigTarget::Compose { server, compose_id } => {
                let (_, compose, env) = self.dokploy_target(server.as_deref(), compose_id).await?;
                selfhosted::read(&compose.compose_file, &env).map(Some)
            }
            ConfigTarget::Cloud(_) => Ok(None),
        }
    }

    /// The global file size limit of the instance's project or stack and where it was read, when the instance
    /// names one (a Dokploy compose, a cloud project with an access token, or its own .env beside a
    /// docker-compose.yml); `None` when it cannot be known.
    pub(crate) async fn global_file_size_limit(&self, instance: Option<&str>) -> Option<(u64, String)> {
        let choice = TargetChoice { path: None, compose_id: None, server: None, project_id: None, instance };
        let target = self.storage_target(&choice).ok()?;
        match &target {
            ConfigTarget::Cloud(reference) => {
                let api = ManagementApi::from_settings(&self.state.settings).ok()?;
                let limit = api.storage_config(reference).await.ok()?.file_size_limit?;
                Some((limit, format!("the storage config of project {reference}")))
            }
            ConfigTarget::Compose { compose_id, .. } => {
                let limit = self.self_hosted_storage(&target).await.ok()??.file_size_limit()?;
                Some((limit, format!("FILE_SIZE_LIMIT of Dokploy compose {compose_id}")))
            }
            ConfigTarget::File(path) => {
                let limit = self.self_hosted_storage(&target).await.ok()??.file_size_limit()?;
                Some((limit, format!("FILE_SIZE_LIMIT of the stack beside {path}")))
            }
        }
    }

    async fn update_self_hosted(
        &self,
        target: ConfigTarget,
        params: &UpdateConfigParams,
    ) -> Result<UpdateReply, Failure> {
        let mut set = params.config.as_ref().map(selfhosted::from_config).transpose()?.unwrap_or_default();
        set.extend(params.set.clone());
        let mut reply = UpdateReply::default();
        let after = match target {
            ConfigTarget::File(path) => {
                let files = self.stack_files(&path)?;
                let plan = selfhosted::plan(&files.compose, &files.env, &set)?;
                if let Some(compose) = &plan.compose {
                    reply.written.push(self.write_stack_file(&files.compose_path, "compose_file", compose)?);
                }
                if !plan.changes.is_empty() {
                    reply.written.push(self.write_stack_file(&files.env_path, "path", &plan.env.to_string())?);
                    reply.apply_with = Some(RESTART_COMMAND.to_owned());
                }
                (reply.changes, reply.compose_lines) = (plan.changes, plan.compose_lines);
                selfhosted::read(plan.compose.as_deref().unwrap_or(&files.compose), &plan.env)?
            }
            ConfigTarget::Compose { server, compose_id } => {
                let (client, compose, env) = self.dokploy_target(server.as_deref(), &compose_id).await?;
                let plan = selfhosted::plan(&compose.compose_file, &env, &set)?;
                let env_text = (!plan.changes.is_empty()).then(|| plan.env.to_string());
                let title = "storage settings";
                let applied = self
                    .apply_to_compose(client, &compose, env_text.as_deref(), plan.compose.as_deref(), true, WAIT, title)
                    .await?;
                reply.snapshot = applied.snapshot.map(|s| s.id);
                (reply.redeploy, reply.apply_with) = (applied.redeploy, applied.apply_with);
                (reply.changes, reply.compose_lines) = (plan.changes, plan.compose_lines);
                selfhosted::read(plan.compose.as_deref().unwrap_or(&compose.compose_file), &plan.env)?
            }
            ConfigTarget::Cloud(reference) => {
                return Err(Failure::new(
                    format!("project {reference} is a cloud project"),
                    "its storage config is changed through the Management API",
                    "pass config without path or compose_id",
                ));
            }
        };
        reply.config = after.as_config();
        Ok(reply)
    }
}

#[tool_router(router = storage_config_router, vis = "pub(crate)")]
impl SupamcpServer {
    /// Read the storage config: the global file size limit and image transformation (and S3 protocol on cloud)
    /// of a cloud project, or of a self-hosted stack from its compose file and .env.
    #[tool(
        annotations(title = "Get storage config", read_only_hint = true, destructive_hint = false, idempotent_hint = true, open_world_hint = false),
        output_schema = schema_of::<ConfigReply>()
    )]
    async fn get_storage_config(
        &self,
        Parameters(params): Parameters<GetConfigParams>,
    ) -> Result<CallToolResult, McpError> {
        let outcome = async {
            let target = self.storage_target(&TargetChoice {
                path: params.path.as_deref(),
                compose_id: params.compose_id.as_deref(),
                server: None,
                project_id: params.project_id.as_deref(),
                instance: params.instance.as_deref(),
            })?;
            if let ConfigTarget::Cloud(reference) = &target {
                let api = ManagementApi::from_settings(&self.state.settings)?;
                let config = api.storage_config(reference).await?;
                return Ok(ConfigReply { config, self_hosted: None });
            }
            let stack = self.self_hosted_storage(&target).await?;
            let stack = stack.ok_or_else(|| {
                Failure::new(
                    "cannot read the storage settings",
                    "the target is neither a cloud project nor a self-hosted stack",
                    "pass path (a stack's .env beside its docker-compose.yml), compose_id or project_id",
                )
            })?;
            Ok(ConfigReply { config: stack.as_config(), self_hosted: Some(stack.settings) })
        };
        reply_of(outcome.await)
    }

    /// Change the storage config: global file size limit, image transformation, S3 protocol (cloud), backend
    /// (self-hosted). Needs confirm: true.
    #[tool(
        annotations(title = "Update storage config", read_only_hint = false, destructive_hint = true, idempotent_hint = true, open_world_hint = false),
        output_schema = schema_of::<UpdateReply>()
    )]
    async fn update_storage_config(
        &self,
        Parameters(params): Parameters<UpdateConfigParams>,
    ) -> Result<CallToolResult, McpError> {
        let outcome = async {
            let target = self.storage_target(&TargetChoice {
                path: params.path.as_deref(),
                compose_id: params.compose_id.as_deref(),
                server: None,
                project_id: params.project_id.as_deref(),
                instance: params.instance.as_deref(),
            })?;
            require_confirm(params.confirm, "changing the storage config")?;
            match target {
                ConfigTarget::Cloud(reference) => {
                    let Some(config) = params.config.as_ref().filter(|_| params.set.is_empty()) else {
                        return Err(Failure::new(
                            "update the cloud storage config",
                            "a cloud project takes `config` (fileSizeLimit, features); `set` names self-hosted variables",
                            "pass config, and leave set out",
                        ));
                    };
                    let api = ManagementApi::from_settings(&self.state.settings)?;
                    api.update_storage_config(&reference, config).await?;
                    let config = api.storage_config(&reference).await?;
                    Ok(UpdateReply { config, ..UpdateReply::default() })
                }
                other => self.update_self_hosted(other, &params).await,
            }
        };
        reply_of(outcome.await)
    }
}
