//! Tools that change a live compose's env, each after a local snapshot: `dokploy_update_env` (set and
//! unset in bulk, validated, http→https fixed, breaking changes need confirm), `dokploy_history`,
//! `dokploy_rollback` (restore a snapshot, redeploy, verify) and `dokploy_regenerate_keys`.

use super::{default_lifetime_days, default_true, default_wait_seconds};
use crate::dokploy::history::{History, SnapshotInfo};
use crate::dokploy::inspect::{Health, assess};
use crate::dokploy::ops::{KeyRepair, VariableChange, key_problems, plan_env_update, repair_keys};
use crate::dokploy::setup;
use crate::dokploy::watch::{DeploymentWait, Outcome, Request, deploy_and_wait, settled_compose};
use crate::dokploy::wizard::Records;
use crate::dokploy::{Client, Compose};
use crate::failure::Failure;
use crate::secret::redact_hint;
use crate::server::SupamcpServer;
use crate::server::output::{IntoToolResult, schema_of, structured};
use crate::server::progress::heartbeat;
use crate::supabase::env::url::UrlChange;
use crate::supabase::finding::Finding;
use rmcp::handler::server::wrapper::Parameters;
use rmcp::model::CallToolResult;
use rmcp::service::RequestContext;
use rmcp::{ErrorData as McpError, RoleServer, schemars, tool, tool_router};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::time::Duration;

#[derive(Debug, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct UpdateEnvParams {
    /// The compose's id (from dokploy_list_instances).
    pub compose_id: String,
    /// Configured Dokploy server (default: the only one).
    #[serde(default)]
    pub server: Option<String>,
    /// Variables to set (added when missing), e.g. {"SMTP_HOST": "smtp.example.com"}.
    #[serde(default)]
    pub set: BTreeMap<String, String>,
    /// Variables to remove.
    #[serde(default)]
    pub unset: Vec<String>,
    /// Needed for changes that break a running stack (e.g. POSTGRES_PASSWORD).
    #[serde(default)]
    pub confirm: bool,
    /// Redeploy so the containers read the new env (default false: it applies on the next deploy).
    #[serde(default)]
    pub redeploy: bool,
    /// Seconds to wait for the redeploy to finish.
    #[serde(default = "default_wait_seconds")]
    pub wait_seconds: u64,
}

/// The end of a redeploy: the deployment Dokploy made for it (not the previous one), how it ended.
#[derive(Debug, Serialize, schemars::JsonSchema)]
pub(crate) struct Redeploy {
    #[serde(flatten)]
    wait: DeploymentWait,
    /// The tail of the new deployment's log when it failed, was cancelled or did not finish.
    log_tail: Option<String>,
    /// The stack after the wait (with not_started: still the previous deployment's containers).
    health: Option<Health>,
}

#[derive(Debug, Serialize, schemars::JsonSchema)]
struct UpdateReply {
    compose_id: String,
    snapshot: SnapshotInfo,
    changes: Vec<VariableChange>,
    /// Public URLs switched to https because the domain is https.
    url_changes: Vec<UrlChange>,
    /// Breaking changes applied with confirm.
    warnings: Vec<String>,
    redeploy: Option<Redeploy>,
}

#[derive(Debug, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct HistoryParams {
    /// The compose's id.
    pub compose_id: String,
    /// Configured Dokploy server (default: the only one).
    #[serde(default)]
    pub server: Option<String>,
}

#[derive(Debug, Serialize, schemars::JsonSchema)]
struct HistoryReply {
    compose_id: String,
    /// Newest first.
    snapshots: Vec<SnapshotInfo>,
}

#[derive(Debug, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RollbackParams {
    /// The compose's id (for snapshot_id).
    #[serde(default)]
    pub compose_id: Option<String>,
    /// The snapshot to restore (from dokploy_history).
    #[serde(default)]
    pub snapshot_id: Option<String>,
    /// Instead of a snapshot: remove what a failed dokploy_deploy_supabase run created (its compose with volumes, and its project).
    #[serde(default)]
    pub deploy_id: Option<String>,
    /// Must be true: the env and compose file are replaced (or the deployment's objects removed).
    #[serde(default)]
    pub confirm: bool,
    /// Configured Dokploy server (default: the only one).
    #[serde(default)]
    pub server: Option<String>,
    /// Redeploy after restoring (default true).
    #[serde(default = "default_true")]
    pub redeploy: bool,
    /// Seconds to wait for the redeploy to finish.
    #[serde(default = "default_wait_seconds")]
    pub wait_seconds: u64,
}

#[derive(Debug, Serialize, schemars::JsonSchema)]
struct RollbackReply {
    compose_id: Option<String>,
    restored: Option<SnapshotInfo>,
    /// The state before the rollback, so the rollback itself can be undone.
    snapshot: Option<SnapshotInfo>,
    redeploy: Option<Redeploy>,
    /// With deploy_id: the objects removed.
    removed: Vec<String>,
}

#[derive(Debug, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RegenerateKeysParams {
    /// The compose's id.
    pub compose_id: String,
    /// Must be true to change keys: every client using the old ANON_KEY/SERVICE_ROLE_KEY must be updated.
    #[serde(default)]
    pub confirm: bool,
    /// Regenerate even when the keys are sound.
    #[serde(default)]
    pub force: bool,
    /// Configured Dokploy server (default: the only one).
    #[serde(default)]
    pub server: Option<String>,
    /// Lifetime of the new keys in days (default 1826).
    #[serde(default = "default_lifetime_days")]
    pub lifetime_days: u32,
    /// Seconds to wait for the redeploy to finish.
    #[serde(default = "default_wait_seconds")]
    pub wait_seconds: u64,
}

#[derive(Debug, Serialize, schemars::JsonSchema)]
struct RegenerateReply {
    compose_id: String,
    /// False when the keys were sound and nothing changed.
    changed: bool,
    problems: Vec<Finding>,
    repair: Option<KeyRepair>,
    /// The new ANON_KEY, redacted to a hint (read it from the env in Dokploy).
    anon_key: Option<String>,
    snapshot: Option<SnapshotInfo>,
    redeploy: Option<Redeploy>,
    /// True when the stored env passes the key checks and the redeploy made for the change finished done.
    verified: bool,
}

fn dokploy_failure(client: &Client) -> impl Fn(crate::dokploy::DokployError) -> Failure + '_ {
    move |e| e.failure(client.name())
}

impl SupamcpServer {
    fn history(&self) -> History {
        History::new(&self.state.settings.data_dir)
    }

    pub(crate) fn snapshot(&self, client: &Client, compose: &Compose, reason: &str) -> Result<SnapshotInfo, Failure> {
        self.history().save(client.name(), &compose.compose_id, reason, compose.env_text(), &compose.compose_file)
    }

    pub(crate) async fn redeploy_and_wait(
        &self,
        client: &Client,
        compose_id: &str,
        title: &str,
        wait: u64,
    ) -> Result<Redeploy, Failure> {
        let timeout = Duration::from_secs(wait);
        let wait = deploy_and_wait(client, compose_id, Request::Redeploy, title, timeout, &mut |_| {}).await?;
        let log_tail = match (&wait.deployment, wait.status) {
            (Some(deployment), Outcome::Error | Outcome::Cancelled | Outcome::Running) => client
                .deployment_read_logs(&deployment.deployment_id, 40)
                .await
                .ok()
                .map(|t| crate::audit::redact_text(&t)),
            _ => None,
        };
        let compose = settled_compose(client, compose_id, wait.status).await.map_err(dokploy_failure(client))?;
        let containers = client
            .docker_containers(&compose.app_name, compose.server_id.as_deref())
            .await
            .map_err(dokploy_failure(client))?;
        let health = assess(&compose, &containers, compose.latest_deployment());
        Ok(Redeploy { wait, log_tail, health: Some(health) })
    }

    async fn update_env(&self, params: UpdateEnvParams) -> Result<UpdateReply, Failure> {
        let (client, compose, file) = self.dokploy_target(params.server.as_deref(), &params.compose_id).await?;
        let booted = !compose.deployments.is_empty();
        let https = compose.domains.iter().find(|d| d.service_name.as_deref() == Some("kong")).map(|d| d.https);
        let set: Vec<(String, String)> = params.set.into_iter().collect();
        let plan = plan_env_update(&file, &set, &params.unset, https, booted);
        if !plan.new_critical.is_empty() {
            let what: Vec<String> =
                plan.new_critical.iter().map(|f| format!("{} ({}): {}", f.variable, f.rule, f.message)).collect();
            return Err(Failure::new(
                "the env change was not applied",
                format!("it introduces critical problems: {}", what.join("; ")),
                "correct the values named above and call again",
            ));
        }
        if !plan.breaking.is_empty() && !params.confirm {
            return Err(Failure::new(
                "the env change was not applied",
                plan.breaking.join("; "),
                "if this is intended, call again with confirm: true",
            ));
        }
        if plan.changes.is_empty() && plan.url_changes.is_empty() {
            return Err(Failure::new(
                "nothing to change",
                "every variable already has the value asked for",
                "pass set or unset with a different value",
            ));
        }
        let snapshot = self.snapshot(client, &compose, "before dokploy_update_env")?;
        client.compose_set_env(&compose.compose_id, &plan.file.to_string()).await.map_err(dokploy_failure(client))?;
        let redeploy = if params.redeploy {
            Some(self.redeploy_and_wait(client, &compose.compose_id, "supamcp: env update", params.wait_seconds).await?)
        } else {
            None
        };
        Ok(UpdateReply {
            compose_id: compose.compose_id,
            snapshot,
            changes: plan.changes,
            url_changes: plan.url_changes,
            warnings: plan.breaking,
            redeploy,
        })
    }

    async fn remove_deployment(&self, deploy_id: &str, confirm: bool) -> Result<RollbackReply, Failure> {
        let records = Records::new(&self.state.settings.data_dir);
        let mut record = records.load(deploy_id)?;
        let client = self.dokploy_client(Some(&record.server))?;
        if !confirm {
            return Err(Failure::new(
                "nothing was removed",
                format!(
                    "deploy {deploy_id} created compose {:?} and project {:?}; removing deletes them with their volumes",
                    record.compose_id,
                    record.project_id.as_ref().filter(|_| record.project_created)
                ),
                "call again with confirm: true",
            ));
        }
        let removed = setup::remove(client, &mut record).await?;
        records.save(&record)?;
        Ok(RollbackReply { compose_id: record.compose_id, restored: None, snapshot: None, redeploy: None, removed })
    }

    async fn rollback(&self, params: RollbackParams) -> Result<RollbackReply, Failure> {
        if let Some(deploy_id) = &params.deploy_id {
            return self.remove_deployment(deploy_id, params.confirm).await;
        }
        let (Some(compose_id), Some(snapshot_id)) = (params.compose_id.as_deref(), params.snapshot_id.as_deref())
        else {
            return Err(Failure::new(
                "nothing to roll back",
                "pass compose_id and snapshot_id, or deploy_id",
                "list snapshots with dokploy_history",
            ));
        };
        let client = self.dokploy_client(params.server.as_deref())?;
        let target = self.history().load(client.name(), compose_id, snapshot_id)?;
        if !params.confirm {
            return Err(Failure::new(
                "the rollback was not done",
                "it replaces the compose's env and compose file with the snapshot's",
                "call again with confirm: true",
            ));
        }
        let (compose, _) = self.dokploy_compose(client, compose_id).await?;
        let snapshot = self.snapshot(client, &compose, &format!("before dokploy_rollback to {}", target.id))?;
        let mut fields = serde_json::json!({"env": target.env});
        if !target.compose_file.is_empty() {
            fields["composeFile"] = serde_json::json!(target.compose_file);
        }
        client.compose_update(&compose.compose_id, fields).await.map_err(dokploy_failure(client))?;
        let redeploy = if params.redeploy {
            Some(self.redeploy_and_wait(client, &compose.compose_id, "supamcp: rollback", params.wait_seconds).await?)
        } else {
            None
        };
        Ok(RollbackReply {
            compose_id: Some(compose.compose_id),
            restored: Some(target.info()),
            snapshot: Some(snapshot),
            redeploy,
            removed: Vec::new(),
        })
    }

    async fn regenerate_keys(&self, params: RegenerateKeysParams) -> Result<RegenerateReply, Failure> {
        let (client, compose, file) = self.dokploy_target(params.server.as_deref(), &params.compose_id).await?;
        let problems = key_problems(&file);
        let mut reply = RegenerateReply {
            compose_id: compose.compose_id.clone(),
            changed: false,
            problems,
            repair: None,
            anon_key: None,
            snapshot: None,
            redeploy: None,
            verified: false,
        };
        if reply.problems.is_empty() && !params.force {
            reply.verified = true;
            return Ok(reply);
        }
        if !params.confirm {
            let found: Vec<String> = reply.problems.iter().map(|f| format!("{}: {}", f.variable, f.message)).collect();
            return Err(Failure::new(
                "the keys were not regenerated",
                format!(
                    "found: {}; new keys invalidate the old ones in every client",
                    if found.is_empty() { "none (force)".to_owned() } else { found.join("; ") }
                ),
                "call again with confirm: true, then update the keys in your apps",
            ));
        }
        let mut fixed = file.clone();
        reply.repair = repair_keys(&mut fixed, params.force, params.lifetime_days)?;
        reply.snapshot = Some(self.snapshot(client, &compose, "before dokploy_regenerate_keys")?);
        client.compose_set_env(&compose.compose_id, &fixed.to_string()).await.map_err(dokploy_failure(client))?;
        reply.changed = true;
        reply.anon_key = fixed.get("ANON_KEY").map(redact_hint);
        reply.redeploy = Some(
            self.redeploy_and_wait(client, &compose.compose_id, "supamcp: regenerate keys", params.wait_seconds)
                .await?,
        );
        let (_, stored) = self.dokploy_compose(client, &compose.compose_id).await?;
        reply.verified =
            key_problems(&stored).is_empty() && reply.redeploy.as_ref().is_some_and(|r| r.wait.status == Outcome::Done);
        Ok(reply)
    }
}

#[tool_router(router = dokploy_env_router, vis = "pub(crate)")]
impl SupamcpServer {
    /// Set and unset env variables of a Dokploy Supabase stack, validated first and snapshotted for rollback;
    /// optionally redeploy. Changes that break a running stack need confirm.
    #[tool(
        annotations(title = "Update Dokploy env", read_only_hint = false, destructive_hint = true, idempotent_hint = false, open_world_hint = true),
        output_schema = schema_of::<UpdateReply>()
    )]
    async fn dokploy_update_env(
        &self,
        Parameters(params): Parameters<UpdateEnvParams>,
        context: RequestContext<RoleServer>,
    ) -> Result<CallToolResult, McpError> {
        let outcome = heartbeat(&context, "dokploy_update_env", self.update_env(params)).await;
        Ok(outcome.map_or_else(IntoToolResult::into_result, |reply| structured(&reply)))
    }

    /// List the local snapshots of a Dokploy compose's env and compose file (taken before every change supamcp
    /// made), newest first, with their variable names; secrets are not shown. Restore one with dokploy_rollback.
    #[tool(
        annotations(title = "Dokploy env history", read_only_hint = true, destructive_hint = false, idempotent_hint = true, open_world_hint = false),
        output_schema = schema_of::<HistoryReply>()
    )]
    async fn dokploy_history(&self, Parameters(params): Parameters<HistoryParams>) -> Result<CallToolResult, McpError> {
        let listed = self
            .dokploy_client(params.server.as_deref())
            .and_then(|client| self.history().list(client.name(), &params.compose_id));
        Ok(listed.map_or_else(IntoToolResult::into_result, |snapshots| {
            structured(&HistoryReply { compose_id: params.compose_id, snapshots })
        }))
    }

    /// Restore a snapshot of a Dokploy compose's env and compose file (from dokploy_history), redeploy and report
    /// the result with the stack's health. The current state is snapshotted first, so a rollback can be undone.
    /// Dokploy has no rollback for composes; this is supamcp's. With deploy_id instead, it removes what a failed
    /// dokploy_deploy_supabase run created. Needs confirm: true.
    #[tool(
        annotations(title = "Roll back Dokploy env", read_only_hint = false, destructive_hint = true, idempotent_hint = false, open_world_hint = true),
        output_schema = schema_of::<RollbackReply>()
    )]
    async fn dokploy_rollback(
        &self,
        Parameters(params): Parameters<RollbackParams>,
        context: RequestContext<RoleServer>,
    ) -> Result<CallToolResult, McpError> {
        let outcome = heartbeat(&context, "dokploy_rollback", self.rollback(params)).await;
        Ok(outcome.map_or_else(IntoToolResult::into_result, |reply| structured(&reply)))
    }

    /// Detect broken Supabase keys in a Dokploy compose (identical ANON_KEY and SERVICE_ROLE_KEY, missing role,
    /// iss "dokploy", bad signature, weak or demo JWT_SECRET, as older Dokploy templates made them) and regenerate
    /// them, keeping JWT_SECRET when it is sound; snapshot, update the env, redeploy and verify. Sound keys are left
    /// alone unless force. Needs confirm: true to change anything.
    #[tool(
        annotations(title = "Regenerate Dokploy keys", read_only_hint = false, destructive_hint = true, idempotent_hint = false, open_world_hint = true),
        output_schema = schema_of::<RegenerateReply>()
    )]
    async fn dokploy_regenerate_keys(
        &self,
        Parameters(params): Parameters<RegenerateKeysParams>,
        context: RequestContext<RoleServer>,
    ) -> Result<CallToolResult, McpError> {
        let outcome = heartbeat(&context, "dokploy_regenerate_keys", self.regenerate_keys(params)).await;
        Ok(outcome.map_or_else(IntoToolResult::into_result, |reply| structured(&reply)))
    }
}
