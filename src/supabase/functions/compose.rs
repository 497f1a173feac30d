//! A self-hosted stack on Dokploy: its functions are file mounts of the compose. Dokploy writes a file mount
//! to `/etc/dokploy/compose/<appName>/files/<filePath>` and the stock template's `functions` service mounts
//! `../files/volumes/functions` at /home/deno/functions, so a function `<slug>` is the mounts whose filePath is
//! `/volumes/functions/<slug>/...`. A deploy creates, updates and removes those mounts through the Dokploy API
//! (`mounts.create`, `mounts.update`, `mounts.remove`), then restarts the functions container so the new code is
//! served at once. supamcp's record of a function (version, verify_jwt, entrypoint) is one more mount,
//! `/volumes/functions/.supamcp/<slug>.json`, as in a functions directory; `main/` is never touched.

use super::local::{MAIN, Record};
use super::{Deploy, FunctionInfo, SourceFile};
use crate::dokploy::{Client, Compose, Container, DokployError, Mount};
use crate::failure::Failure;
use std::collections::BTreeMap;

/// Where the functions live among a compose's files.
pub const FUNCTIONS_PREFIX: &str = "volumes/functions/";
/// The compose service that runs them.
pub const SERVICE: &str = "functions";

/// When a deploy to a Dokploy compose is served.
pub const RESTARTED_IS_LIVE: &str = "live now: the files were written through Dokploy and the functions container \
                                     was restarted";

/// The functions of one Dokploy compose.
#[derive(Clone, Copy, Debug)]
pub struct ComposeFunctions<'a> {
    pub client: &'a Client,
    pub compose_id: &'a str,
    /// The instance's API URL, when configured.
    pub gateway: Option<&'a str>,
}

fn record_path(slug: &str) -> String {
    format!("/{FUNCTIONS_PREFIX}.supamcp/{slug}.json")
}

/// The function a mount belongs to and the file's path inside it.
fn split(mount: &Mount) -> Option<(&str, &str)> {
    let rest = mount.relative_file_path()?.strip_prefix(FUNCTIONS_PREFIX)?;
    let (slug, file) = rest.split_once('/')?;
    (!slug.is_empty() && !slug.starts_with('.') && slug != MAIN && !file.is_empty()).then_some((slug, file))
}

impl<'a> ComposeFunctions<'a> {
    pub fn describe(&self) -> String {
        format!("Dokploy compose {} on '{}'", self.compose_id, self.client.name())
    }

    fn failure(&self) -> impl Fn(DokployError) -> Failure + '_ {
        move |e| e.failure(self.client.name())
    }

    /// The compose with its mounts; refused when its functions service does not serve the files directory.
    pub async fn compose(&self) -> Result<Compose, Failure> {
        let compose = self.client.compose_one(self.compose_id).await.map_err(self.failure())?;
        let served = format!("../files/{}", FUNCTIONS_PREFIX.trim_end_matches('/'));
        if !compose.compose_file.is_empty() && !compose.compose_file.contains(&served) {
            return Err(Failure::new(
                format!("{} does not serve functions from its files", self.describe()),
                format!("no service mounts {served} (the functions service of Dokploy's Supabase template does)"),
                format!("mount {served}:/home/deno/functions in the {SERVICE} service, or set functions_dir instead"),
            ));
        }
        Ok(compose)
    }

    /// The stack's public API URL from its compose env (SUPABASE_PUBLIC_URL, else API_EXTERNAL_URL).
    pub async fn public_url(&self) -> Option<String> {
        let compose = self.client.compose_one(self.compose_id).await.ok()?;
        let env = crate::supabase::env::parse_text(compose.env_text(), "the compose env").ok()?;
        let url = env.get("SUPABASE_PUBLIC_URL").or_else(|| env.get("API_EXTERNAL_URL"))?;
        (!url.is_empty()).then(|| url.to_owned())
    }

    /// The files of every function, by slug.
    fn functions(compose: &Compose) -> BTreeMap<String, Vec<&Mount>> {
        let mut found: BTreeMap<String, Vec<&Mount>> = BTreeMap::new();
        for mount in &compose.mounts {
            if let Some((slug, _)) = split(mount) {
                found.entry(slug.to_owned()).or_default().push(mount);
            }
        }
        found
    }

    fn record<'c>(compose: &'c Compose, slug: &str) -> (Option<&'c Mount>, Record) {
        let path = record_path(slug);
        let mount = compose.mounts.iter().find(|m| m.relative_file_path() == Some(&path[1..]));
        let record = mount
            .and_then(|m| m.content.as_deref())
            .and_then(|text| serde_json::from_str(text).ok())
            .unwrap_or_default();
        (mount, record)
    }

    fn info(compose: &Compose, slug: &str, files: &[&Mount]) -> Option<FunctionInfo> {
        let mut entrypoints: Vec<&str> = files
            .iter()
            .filter_map(|m| split(m).map(|(_, file)| file))
            .filter(|file| file.starts_with("index.") && !file.contains('/'))
            .collect();
        entrypoints.sort_unstable();
        let entrypoint = entrypoints.first()?;
        let (_, record) = ComposeFunctions::record(compose, slug);
        Some(FunctionInfo {
            slug: slug.to_owned(),
            name: slug.to_owned(),
            version: record.version.max(1),
            status: "ACTIVE".to_owned(),
            verify_jwt: record.verify_jwt,
            entrypoint_path: Some((*entrypoint).to_owned()),
            import_map_path: record.import_map_path,
            updated_at: record.updated_at,
        })
    }

    pub async fn list(&self) -> Result<Vec<FunctionInfo>, Failure> {
        let compose = self.compose().await?;
        let functions = ComposeFunctions::functions(&compose);
        Ok(functions.iter().filter_map(|(slug, files)| ComposeFunctions::info(&compose, slug, files)).collect())
    }

    pub async fn get(&self, slug: &str) -> Result<(FunctionInfo, Vec<SourceFile>), Failure> {
        let compose = self.compose().await?;
        let functions = ComposeFunctions::functions(&compose);
        let files = functions.get(slug).map(Vec::as_slice).unwrap_or_default();
        let info = ComposeFunctions::info(&compose, slug, files).ok_or_else(|| {
            Failure::new(
                format!("{} has no function '{slug}'", self.describe()),
                format!("no file mount /{FUNCTIONS_PREFIX}{slug}/index.* exists"),
                "list_edge_functions gives the slugs",
            )
        })?;
        let mut sources: Vec<SourceFile> = files
            .iter()
            .filter_map(|m| {
                let (_, name) = split(m)?;
                Some(SourceFile { name: name.to_owned(), content: m.content.clone().unwrap_or_default() })
            })
            .collect();
        sources.sort_by(|a, b| a.name.cmp(&b.name));
        Ok((info, sources))
    }

    /// Makes the function's mounts equal `deploy.files` (create, update, remove), then writes the record.
    pub async fn deploy(&self, deploy: &Deploy) -> Result<FunctionInfo, Failure> {
        super::local::check_servable(deploy)?;
        let compose = self.compose().await?;
        let functions = ComposeFunctions::functions(&compose);
        let existing: BTreeMap<&str, &Mount> = functions
            .get(&deploy.slug)
            .into_iter()
            .flatten()
            .filter_map(|m| split(m).map(|(_, file)| (file, *m)))
            .collect();
        for file in &deploy.files {
            match existing.get(file.name.as_str()) {
                Some(mount) if mount.content.as_deref() == Some(file.content.as_str()) => {}
                Some(mount) => {
                    self.client.mount_update_content(&mount.mount_id, &file.content).await.map_err(self.failure())?
                }
                None => {
                    let path = format!("/{FUNCTIONS_PREFIX}{}/{}", deploy.slug, file.name);
                    self.client
                        .mount_create_file(self.compose_id, &path, &file.content)
                        .await
                        .map_err(self.failure())?
                }
            }
        }
        for (name, mount) in &existing {
            if !deploy.files.iter().any(|f| f.name == *name) {
                self.client.mount_remove(&mount.mount_id).await.map_err(self.failure())?;
            }
        }
        let (record_mount, previous) = ComposeFunctions::record(&compose, &deploy.slug);
        let record = previous.after(deploy);
        let text = serde_json::to_string_pretty(&record)
            .map_err(|e| Failure::new("cannot encode the function record", e.to_string(), "report this as a bug"))?;
        match record_mount {
            Some(mount) => self.client.mount_update_content(&mount.mount_id, &text).await,
            None => self.client.mount_create_file(self.compose_id, &record_path(&deploy.slug), &text).await,
        }
        .map_err(self.failure())?;
        Ok(FunctionInfo {
            slug: deploy.slug.clone(),
            name: deploy.slug.clone(),
            version: record.version,
            status: "ACTIVE".to_owned(),
            verify_jwt: record.verify_jwt,
            entrypoint_path: record.entrypoint_path,
            import_map_path: record.import_map_path,
            updated_at: record.updated_at,
        })
    }

    /// Removes the function's file mounts (Dokploy deletes the files); the record stays, so a later deploy
    /// continues its version count.
    pub async fn remove(&self, slug: &str) -> Result<(), Failure> {
        let compose = self.compose().await?;
        for mount in ComposeFunctions::functions(&compose).get(slug).into_iter().flatten() {
            self.client.mount_remove(&mount.mount_id).await.map_err(self.failure())?;
        }
        Ok(())
    }

    /// The compose and its functions container, when one runs.
    async fn container(&self) -> Result<(Compose, Option<Container>), Failure> {
        let compose = self.client.compose_one(self.compose_id).await.map_err(self.failure())?;
        let containers = self
            .client
            .docker_containers(&compose.app_name, compose.server_id.as_deref())
            .await
            .map_err(self.failure())?;
        let found = containers.into_iter().find(|c| c.service(&compose.app_name) == SERVICE);
        Ok((compose, found))
    }

    /// Restarts the compose's functions container so running workers drop the old code; says what happened.
    pub async fn restart(&self) -> Result<String, Failure> {
        let (compose, container) = self.container().await?;
        let Some(container) = container else {
            return Ok(format!(
                "written through Dokploy; no {SERVICE} container is running, so the files are served when the stack \
                 is next deployed"
            ));
        };
        self.client
            .docker_restart_container(&container.container_id, compose.server_id.as_deref())
            .await
            .map_err(self.failure())?;
        Ok(RESTARTED_IS_LIVE.to_owned())
    }

    /// The functions container's log (`docker logs --timestamps`): the last `tail` lines since `since`
    /// (`<n>s`), those containing `search` when given; with the container's name.
    pub async fn read_logs(&self, tail: u32, since: &str, search: Option<&str>) -> Result<(String, String), Failure> {
        let (_, container) = self.container().await?;
        let container = container.ok_or_else(|| {
            Failure::new(
                format!("{} has no {SERVICE} container", self.describe()),
                "Dokploy lists no running container for the functions service",
                "deploy the stack (dokploy_redeploy) and call again",
            )
        })?;
        let text = self
            .client
            .compose_read_logs(self.compose_id, &container.container_id, tail, since, search)
            .await
            .map_err(self.failure())?;
        Ok((container.name, text))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn mount(path: &str) -> Mount {
        Mount { mount_id: "m".into(), kind: "file".into(), file_path: Some(path.into()), ..Mount::default() }
    }

    #[test]
    fn only_function_files_belong_to_functions() {
        assert_eq!(split(&mount("/volumes/functions/hello/index.ts")), Some(("hello", "index.ts")));
        assert_eq!(split(&mount("volumes/functions/hello/lib/a.ts")), Some(("hello", "lib/a.ts")));
        assert_eq!(split(&mount("/volumes/functions/main/index.ts")), None, "the router");
        assert_eq!(split(&mount("/volumes/functions/.supamcp/hello.json")), None, "our record");
        assert_eq!(split(&mount("/volumes/api/kong.yml")), None);
        assert_eq!(split(&mount("/volumes/functions/.env")), None);
        let volume = Mount { kind: "volume".into(), ..mount("/volumes/functions/x/index.ts") };
        assert_eq!(split(&volume), None);
    }
}
