//! Where a function lives, chosen by configuration, and the work every tool does the same way on each:
//! Supabase Cloud (the Management API, one project), a self-hosted functions directory, or a stack on Dokploy
//! (compose file mounts). A deploy or delete first keeps the replaced source in [`History`]; rollback deploys
//! the newest kept version again. On Dokploy, secrets change the compose env and file after a snapshot
//! (`dokploy::history`, restorable with dokploy_rollback) and the compose is redeployed and waited for.

use super::cloud::relative_path;
use super::compose::ComposeFunctions;
use super::history::{History, Saved, SavedMeta};
use super::local::{FunctionsDir, NEW_IS_LIVE, REPLACED_IS_LIVE};
use super::secrets::{self, SecretDigest};
use super::{Deploy, FunctionInfo, IMPORT_MAP_NAMES, SourceFile};
use crate::dokploy::history::{History as Snapshots, SnapshotInfo};
use crate::dokploy::watch::{DeploymentWait, Outcome, Request, deploy_and_wait};
use crate::failure::Failure;
use crate::secret::Secret;
use crate::supabase::management::ManagementApi;
use serde::Serialize;
use std::time::Duration;

/// How long a secrets change waits for the compose's redeploy on Dokploy.
pub const REDEPLOY_WAIT: Duration = Duration::from_secs(600);

/// A place functions are deployed to.
#[derive(Clone, Debug)]
pub enum Target<'a> {
    /// The Management API (a cloud project), or self-hosted Studio's copy of its functions and secrets routes
    /// (`api.is_studio()`, project `default`).
    Api { api: ManagementApi, reference: String },
    /// A functions directory; `gateway` is the instance's API URL (for the invoke URL).
    Directory { instance: String, dir: FunctionsDir, gateway: Option<String> },
    /// A stack on Dokploy: functions as file mounts of the compose; snapshots of its env and compose file.
    Dokploy { functions: ComposeFunctions<'a>, snapshots: Snapshots },
}

/// What a deploy, rollback or delete did.
#[derive(Debug, Serialize, schemars::JsonSchema)]
pub struct Change {
    pub function: Option<FunctionInfo>,
    /// "cloud project <ref>", "functions directory <path>", "Dokploy compose <id> on '<server>'" or
    /// "self-hosted Studio at <url>".
    pub target: String,
    /// Where the replaced or deleted source was kept (rollback_edge_function deploys it again).
    pub kept_previous: Option<String>,
    /// When the change is served.
    pub live: String,
    /// Where to call it (POST with a key, or invoke_edge_function); null when the target's URL is unknown.
    pub invoke_url: Option<String>,
    pub warnings: Vec<String>,
}

/// What changing secrets did.
#[derive(Debug, Serialize, schemars::JsonSchema)]
pub struct SecretsChange {
    pub target: String,
    pub secrets: Vec<SecretDigest>,
    /// The copy of the secrets file taken before the change (self-hosted), or the Dokploy snapshot id.
    pub snapshot: Option<String>,
    /// What must happen before functions see the change.
    pub next_step: String,
    /// Dokploy: the redeploy that made the functions container read the new env.
    pub redeploy: Option<DeploymentWait>,
}

fn now() -> String {
    chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Millis, true)
}

impl Target<'_> {
    /// The key of its kept versions.
    fn key(&self) -> String {
        match self {
            Target::Api { api, .. } if api.is_studio() => format!("studio-{}", api.base()),
            Target::Api { reference, .. } => format!("cloud-{reference}"),
            Target::Directory { instance, .. } => format!("dir-{instance}"),
            Target::Dokploy { functions, .. } => {
                format!("dokploy-{}-{}", functions.client.name(), functions.compose_id)
            }
        }
    }

    pub fn describe(&self) -> String {
        match self {
            Target::Api { api, .. } if api.is_studio() => format!("self-hosted Studio at {}", api.base()),
            Target::Api { reference, .. } => format!("cloud project {reference}"),
            Target::Directory { dir, .. } => format!("functions directory {}", dir.root().display()),
            Target::Dokploy { functions, .. } => functions.describe(),
        }
    }

    pub async fn list(&self) -> Result<Vec<FunctionInfo>, Failure> {
        match self {
            Target::Api { api, reference } => api.list_functions(reference).await,
            Target::Directory { dir, .. } => dir.list(),
            Target::Dokploy { functions, .. } => functions.list().await,
        }
    }

    pub async fn get(&self, slug: &str) -> Result<(FunctionInfo, Vec<SourceFile>), Failure> {
        super::validate::check_slug(slug)?;
        match self {
            Target::Api { api, reference } => {
                let info = api.get_function(reference, slug).await?;
                let files = api.function_source(reference, slug).await?;
                Ok((info, files))
            }
            Target::Directory { dir, .. } => dir.get(slug),
            Target::Dokploy { functions, .. } => functions.get(slug).await,
        }
    }

    /// The current version, when there is one (a missing function is not an error here).
    async fn current(&self, slug: &str) -> Result<Option<(FunctionInfo, Vec<SourceFile>)>, Failure> {
        match self.get(slug).await {
            Ok(found) => Ok(Some(found)),
            Err(failure) if failure.what.contains("has no function") || failure.what.starts_with("no function") => {
                Ok(None)
            }
            Err(failure) => Err(failure),
        }
    }

    /// Keeps the current version of `slug` (if any) with `reason`; returns where.
    async fn keep_current(&self, history: &History, slug: &str, reason: &str) -> Result<Option<String>, Failure> {
        let Some((info, files)) = self.current(slug).await? else { return Ok(None) };
        let meta = SavedMeta {
            slug: slug.to_owned(),
            version: info.version,
            entrypoint_path: info.entrypoint_path.clone().unwrap_or_else(|| "index.ts".to_owned()),
            import_map_path: info.import_map_path.clone(),
            verify_jwt: info.verify_jwt.unwrap_or(true),
            reason: reason.to_owned(),
            saved_at: now(),
        };
        Ok(Some(history.save(&self.key(), &meta, &files)?.display().to_string()))
    }

    /// The import map to send when none was named: the one the function already uses, else a deno.json or
    /// import_map.json among the files.
    fn choose_import_map(deploy: &mut Deploy, existing: Option<&FunctionInfo>) {
        if deploy.import_map_path.is_some() {
            return;
        }
        let reused = existing.and_then(|f| f.import_map_path.as_deref()).map(relative_path);
        deploy.import_map_path = reused.filter(|path| deploy.files.iter().any(|f| &f.name == path)).or_else(|| {
            IMPORT_MAP_NAMES.iter().find(|n| deploy.files.iter().any(|f| f.name == **n)).map(|n| (*n).to_owned())
        });
    }

    /// Deploys after the checks, keeping the replaced version.
    pub async fn deploy(&self, history: &History, mut deploy: Deploy) -> Result<Change, Failure> {
        let current = self.current(&deploy.slug).await?;
        Target::choose_import_map(&mut deploy, current.as_ref().map(|(info, _)| info));
        let warnings = super::validate::check_deploy(&deploy)?;
        let kept_previous = match &current {
            Some(_) => self.keep_current(history, &deploy.slug, "replaced by a deploy").await?,
            None => None,
        };
        let (function, live) = self.write(&deploy, current.is_some()).await?;
        let invoke_url = self.invoke_url(&deploy.slug).await;
        Ok(Change { function: Some(function), target: self.describe(), kept_previous, live, invoke_url, warnings })
    }

    async fn write(&self, deploy: &Deploy, replaced: bool) -> Result<(FunctionInfo, String), Failure> {
        Ok(match self {
            Target::Api { api, reference } if api.is_studio() => {
                super::local::check_servable(deploy)?;
                let function = api.deploy_function(reference, deploy).await?;
                (function, if replaced { REPLACED_IS_LIVE } else { NEW_IS_LIVE }.to_owned())
            }
            Target::Api { api, reference } => {
                let function = api.deploy_function(reference, deploy).await?;
                let live =
                    format!("live now as version {} (the API bundles and rolls it out on deploy)", function.version);
                (function, live)
            }
            Target::Directory { dir, .. } => {
                let function = dir.deploy(deploy)?;
                (function, if replaced { REPLACED_IS_LIVE } else { NEW_IS_LIVE }.to_owned())
            }
            Target::Dokploy { functions, .. } => {
                let function = functions.deploy(deploy).await?;
                (function, functions.restart().await?)
            }
        })
    }

    /// Deletes a function after keeping its source.
    pub async fn delete(&self, history: &History, slug: &str) -> Result<Change, Failure> {
        super::validate::check_slug(slug)?;
        let kept = self.keep_current(history, slug, "deleted").await?.ok_or_else(|| {
            Failure::new(
                format!("{} has no function '{slug}'", self.describe()),
                "nothing to delete",
                "list_edge_functions gives the slugs",
            )
        })?;
        match self {
            Target::Api { api, reference } => api.delete_function(reference, slug).await?,
            Target::Directory { dir, .. } => dir.remove(slug)?,
            Target::Dokploy { functions, .. } => {
                functions.remove(slug).await?;
                functions.restart().await?;
            }
        }
        let live = match self {
            Target::Dokploy { .. } => "gone now: its file mounts were removed and the functions container restarted",
            _ => "gone now: requests get 404 (a running self-hosted worker may answer until it retires)",
        }
        .to_owned();
        let warnings = Vec::new();
        Ok(Change {
            function: None,
            target: self.describe(),
            kept_previous: Some(kept),
            live,
            invoke_url: None,
            warnings,
        })
    }

    /// Deploys the newest kept version of `slug` again; the version it replaces is kept in turn.
    pub async fn rollback(&self, history: &History, slug: &str) -> Result<Change, Failure> {
        super::validate::check_slug(slug)?;
        let saved: Saved = history.latest(&self.key(), slug)?.ok_or_else(|| {
            Failure::new(
                format!("no earlier version of '{slug}' is kept for {}", self.describe()),
                "supamcp keeps a version when deploy_edge_function replaces it or delete_edge_function removes it",
                "redeploy the source you want with deploy_edge_function",
            )
        })?;
        let current = self.current(slug).await?;
        let kept_previous = match &current {
            Some(_) => self.keep_current(history, slug, "replaced by a rollback").await?,
            None => None,
        };
        let deploy = Deploy {
            slug: slug.to_owned(),
            name: slug.to_owned(),
            entrypoint_path: saved.meta.entrypoint_path.clone(),
            import_map_path: saved.meta.import_map_path.clone(),
            verify_jwt: saved.meta.verify_jwt,
            files: saved.files.clone(),
        };
        let (function, live) = self.write(&deploy, current.is_some()).await?;
        history.forget(&saved);
        let warnings =
            vec![format!("restored the source kept at {} (version {})", saved.meta.saved_at, saved.meta.version)];
        let invoke_url = self.invoke_url(slug).await;
        Ok(Change { function: Some(function), target: self.describe(), kept_previous, live, invoke_url, warnings })
    }

    /// `<API URL>/functions/v1/<slug>`: the cloud project's URL, Studio's gateway, the instance's API URL, or on
    /// Dokploy the stack's SUPABASE_PUBLIC_URL when the instance names none.
    pub async fn invoke_url(&self, slug: &str) -> Option<String> {
        let base = match self {
            Target::Api { api, .. } if api.is_studio() => Some(api.base().trim_end_matches("/api").to_owned()),
            Target::Api { api, reference } => Some(api.project_url(reference)),
            Target::Directory { gateway, .. } => gateway.clone(),
            Target::Dokploy { functions, .. } => match functions.gateway {
                Some(gateway) => Some(gateway.to_owned()),
                None => functions.public_url().await,
            },
        }?;
        Some(format!("{}/functions/v1/{slug}", base.trim_end_matches('/')))
    }

    pub async fn list_secrets(&self) -> Result<Vec<SecretDigest>, Failure> {
        match self {
            Target::Api { api, reference } => api.list_secrets(reference).await,
            Target::Directory { dir, .. } => secrets::list_file(dir.root()),
            Target::Dokploy { functions, .. } => {
                let compose = functions.compose().await?;
                let env = crate::supabase::env::parse_text(compose.env_text(), "the compose env")?;
                super::compose_env::list(&compose.compose_file, &env)
            }
        }
    }

    /// Sets and deletes secrets.
    pub async fn change_secrets(&self, set: &[(String, Secret)], unset: &[String]) -> Result<SecretsChange, Failure> {
        for name in set.iter().map(|(n, _)| n).chain(unset) {
            secrets::check_name(name)?;
        }
        let mut redeploy = None;
        let (snapshot, next_step) = match self {
            Target::Api { api, reference } => {
                if !set.is_empty() {
                    api.set_secrets(reference, set).await?;
                }
                if !unset.is_empty() {
                    api.delete_secrets(reference, unset).await?;
                }
                let step = if api.is_studio() {
                    "restart the functions service (docker compose restart functions): Studio keeps secrets in \
                     volumes/functions/.env, which the service must load with env_file"
                } else {
                    "none: new invocations read the new values"
                };
                (None, step.to_owned())
            }
            Target::Directory { dir, .. } => {
                let snapshot = secrets::change_file(dir.root(), set, unset)?;
                let step = format!(
                    "restart the functions service (docker compose restart functions): running workers keep the old \
                     environment; the service must load {} with env_file",
                    secrets::env_path(dir.root()).display()
                );
                (snapshot.map(|p| p.display().to_string()), step)
            }
            Target::Dokploy { functions, snapshots } => {
                match Target::change_compose_secrets(functions, snapshots, set, unset).await? {
                    None => (None, "none: nothing changed".to_owned()),
                    Some(snapshot) => {
                        let title = "supamcp: function secrets";
                        let (client, id) = (functions.client, functions.compose_id);
                        let wait =
                            deploy_and_wait(client, id, Request::Redeploy, title, REDEPLOY_WAIT, &mut |_| {}).await?;
                        let step = match wait.status {
                            Outcome::Done => "none: the compose was redeployed and the functions container reads \
                                              the new env"
                                .to_owned(),
                            _ => format!(
                                "the redeploy did not finish: {}; redeploy the compose once it is fixed",
                                wait.message
                            ),
                        };
                        redeploy = Some(wait);
                        (Some(snapshot.id), step)
                    }
                }
            }
        };
        Ok(SecretsChange {
            target: self.describe(),
            secrets: self.list_secrets().await?,
            snapshot,
            next_step,
            redeploy,
        })
    }

    /// Sets and unsets secrets in a Dokploy compose's env and its functions service; `None` when nothing changed.
    async fn change_compose_secrets(
        functions: &ComposeFunctions<'_>,
        snapshots: &Snapshots,
        set: &[(String, Secret)],
        unset: &[String],
    ) -> Result<Option<SnapshotInfo>, Failure> {
        let compose = functions.compose().await?;
        if compose.source_type.as_deref().is_some_and(|s| s != "raw") {
            return Err(Failure::new(
                format!(
                    "{} takes its compose file from {}",
                    functions.describe(),
                    compose.source_type.as_deref().unwrap_or("git")
                ),
                "supamcp can only add a secret to a compose file Dokploy stores (source type raw)",
                "add NAME: ${NAME} under the functions service's environment in your repository, then set the value with dokploy_update_env",
            ));
        }
        let env = crate::supabase::env::parse_text(compose.env_text(), "the compose env")?;
        let pairs: Vec<(String, &str)> = set.iter().map(|(n, v)| (n.clone(), v.expose())).collect();
        let (file, new_env) = super::compose_env::plan(&compose.compose_file, &env, &pairs, unset)?;
        let env_text = new_env.to_string();
        if file == compose.compose_file && env_text == compose.env_text() {
            return Ok(None);
        }
        let snapshot = snapshots.save(
            functions.client.name(),
            functions.compose_id,
            "before a function secrets change",
            compose.env_text(),
            &compose.compose_file,
        )?;
        let fields = serde_json::json!({"env": env_text, "composeFile": file});
        functions
            .client
            .compose_update(functions.compose_id, fields)
            .await
            .map_err(|e| e.failure(functions.client.name()))?;
        Ok(Some(snapshot))
    }
}
