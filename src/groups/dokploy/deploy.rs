//! `dokploy_deploy_supabase`, the setup wizard: checks (connectivity and version, project name and
//! conflicts, our own secrets, SMTP, the https domain on kong:8000, the doctor's review), then the
//! recorded remote steps with progress notifications, then post-deploy checks. A dry run returns the
//! plan and the redacted env and changes nothing; a failed run can be resumed (`resume`) or removed
//! (`dokploy_rollback` with `deploy_id`).

use super::{default_true, default_wait_seconds};
use crate::dokploy::inspect::Health;
use crate::dokploy::setup::{self, Probe, STEPS};
use crate::dokploy::wizard::{self, Record, Records, Smtp};
use crate::dokploy::{Client, VersionInfo};
use crate::failure::Failure;
use crate::secret::redact_hint;
use crate::server::SupamcpServer;
use crate::server::output::{IntoToolResult, schema_of, structured};
use crate::server::progress::Reporter;
use crate::supabase::env::project::{check_project_name, sanitize_project_name};
use crate::supabase::env::redacted;
use rmcp::handler::server::wrapper::Parameters;
use rmcp::model::CallToolResult;
use rmcp::service::RequestContext;
use rmcp::{ErrorData as McpError, RoleServer, schemars, tool, tool_router};
use serde::{Deserialize, Serialize};
use std::time::Duration;

#[derive(Debug, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct DeployParams {
    /// Dokploy project name (sanitised). Required unless resume.
    #[serde(default)]
    pub project_name: Option<String>,
    /// Public host name, e.g. db.example.com (DNS to the Dokploy server). Required unless resume.
    #[serde(default)]
    pub domain: Option<String>,
    /// Real SMTP settings (without: fake SMTP and email autoconfirm).
    #[serde(default)]
    pub smtp: Option<Smtp>,
    /// The app's URL for auth redirects (SITE_URL).
    #[serde(default)]
    pub site_url: Option<String>,
    /// Configured Dokploy server (default: the only one).
    #[serde(default)]
    pub server: Option<String>,
    /// Dokploy remote server id (default: the Dokploy host).
    #[serde(default)]
    pub server_id: Option<String>,
    /// Plan only; change nothing.
    #[serde(default)]
    pub dry_run: bool,
    /// Continue a failed run: the deploy_id its error named.
    #[serde(default)]
    pub resume: Option<String>,
    /// Seconds to wait for the deployment to finish.
    #[serde(default = "default_wait_seconds")]
    pub wait_seconds: u64,
    /// Check the Auth and REST endpoints after the deploy.
    #[serde(default = "default_true")]
    pub check_endpoints: bool,
    /// Return the service key and passwords unredacted.
    #[serde(default)]
    pub reveal: bool,
}

#[derive(Debug, Serialize, schemars::JsonSchema)]
struct Step {
    name: String,
    detail: String,
}

#[derive(Debug, Serialize, schemars::JsonSchema)]
struct Connection {
    url: String,
    anon_key: String,
    /// Redacted unless reveal.
    service_role_key: String,
    dashboard_username: String,
    /// Redacted unless reveal.
    dashboard_password: String,
    /// Redacted unless reveal.
    postgres_password: String,
}

#[derive(Debug, Serialize, schemars::JsonSchema)]
struct DeployReply {
    deploy_id: String,
    dry_run: bool,
    server: String,
    version: VersionInfo,
    project_name: String,
    /// Set when the given name was sanitised: "<given> -> <used>".
    name_change: Option<String>,
    /// The checks done before any change, and the remote steps planned or done.
    checks: Vec<Step>,
    remote_steps: Vec<String>,
    notes: Vec<String>,
    /// The variables written over the template's env (secrets redacted).
    env: String,
    compose_id: Option<String>,
    app_name: Option<String>,
    connection: Connection,
    health: Option<Health>,
    endpoints: Vec<Probe>,
}

fn pick(vars: &[(String, String)], name: &str) -> String {
    vars.iter().find(|(k, _)| k == name).map(|(_, v)| v.clone()).unwrap_or_default()
}

impl SupamcpServer {
    async fn plan(
        &self,
        client: &Client,
        params: &DeployParams,
        checks: &mut Vec<Step>,
    ) -> Result<(Record, Option<String>, Vec<String>), Failure> {
        let (Some(given), Some(domain)) = (params.project_name.as_deref(), params.domain.as_deref()) else {
            return Err(Failure::new(
                "project_name and domain are required",
                "a new deployment needs both",
                "pass project_name and domain (or resume with a deploy_id)",
            ));
        };
        let check = check_project_name(given);
        let name = if check.valid { given.to_owned() } else { sanitize_project_name(given) };
        let name_change = (name != given).then(|| format!("{given} -> {name}"));
        checks.push(Step {
            name: "name".into(),
            detail: name_change.clone().unwrap_or_else(|| format!("{name} is valid")),
        });
        let projects = client.project_all().await.map_err(|e| e.failure(client.name()))?;
        if projects.iter().any(|p| p.name == name) {
            return Err(Failure::new(
                format!("a project named '{name}' already exists on Dokploy '{}'", client.name()),
                "the wizard creates its own project",
                "choose another project_name, or manage the existing stack with the other dokploy tools",
            ));
        }
        checks.push(Step { name: "conflicts".into(), detail: "no project of that name".into() });
        if !wizard::valid_host(domain) {
            return Err(Failure::new(
                format!("'{domain}' is not a host name"),
                "the domain must be a bare DNS name such as db.example.com (no scheme, port or path)",
                "pass the host name only",
            ));
        }
        let (vars, notes) = wizard::overrides(domain, params.smtp.as_ref(), params.site_url.as_deref())?;
        checks.push(Step {
            name: "secrets".into(),
            detail:
                "JWT_SECRET, ANON_KEY, SERVICE_ROLE_KEY, POSTGRES_PASSWORD and the other secrets generated by supamcp"
                    .into(),
        });
        checks.push(Step {
            name: "smtp".into(),
            detail: if params.smtp.is_some() { "SMTP set".into() } else { "no SMTP: autoconfirm on".into() },
        });
        checks
            .push(Step { name: "domain".into(), detail: format!("https://{domain} on kong:8000 with Let's Encrypt") });
        let critical = wizard::review(&wizard::apply(&wizard::template_baseline(), &vars));
        if !critical.is_empty() {
            let what: Vec<String> = critical.iter().map(|f| format!("{}: {}", f.variable, f.message)).collect();
            return Err(Failure::new(
                "the planned env fails the review",
                what.join("; "),
                "correct the inputs named above",
            ));
        }
        checks.push(Step { name: "review".into(), detail: "the doctor finds no critical issue".into() });
        let record = Record {
            id: uuid::Uuid::new_v4().to_string(),
            server: client.name().to_owned(),
            project_name: name,
            domain: domain.to_owned(),
            server_id: params.server_id.clone(),
            vars,
            ..Record::default()
        };
        Ok((record, name_change, notes))
    }

    async fn deploy_supabase(
        &self,
        params: DeployParams,
        context: &RequestContext<RoleServer>,
    ) -> Result<DeployReply, Failure> {
        let client = self.dokploy_client(params.server.as_deref())?;
        let version = client.version().await.map_err(|e| e.failure(client.name()))?.clone();
        let mut checks = vec![Step {
            name: "connect".into(),
            detail: format!(
                "Dokploy {} ({})",
                version.version,
                version.warning.clone().unwrap_or_else(|| "supported".into())
            ),
        }];
        let records = Records::new(&self.state.settings.data_dir);
        let (mut record, name_change, notes) = match &params.resume {
            Some(id) => {
                let record = records.load(id)?;
                if record.rolled_back {
                    return Err(Failure::new(
                        format!("deploy {id} was rolled back"),
                        "its objects were removed",
                        "start a new deployment",
                    ));
                }
                checks.push(Step { name: "resume".into(), detail: format!("done before: {}", record.done.join(", ")) });
                (record, None, Vec::new())
            }
            None => self.plan(client, &params, &mut checks).await?,
        };
        let reveal = |value: String| if params.reveal { value } else { redact_hint(&value) };
        let mut reply = DeployReply {
            deploy_id: record.id.clone(),
            dry_run: params.dry_run,
            server: client.name().to_owned(),
            version,
            project_name: record.project_name.clone(),
            name_change,
            checks,
            remote_steps: STEPS.iter().map(|s| (*s).to_owned()).collect(),
            notes,
            env: redacted(&wizard::apply(&Default::default(), &record.vars)).to_string(),
            compose_id: None,
            app_name: None,
            connection: Connection {
                url: format!("https://{}", record.domain),
                anon_key: pick(&record.vars, "ANON_KEY"),
                service_role_key: reveal(pick(&record.vars, "SERVICE_ROLE_KEY")),
                dashboard_username: "supabase".into(),
                dashboard_password: reveal(pick(&record.vars, "DASHBOARD_PASSWORD")),
                postgres_password: reveal(pick(&record.vars, "POSTGRES_PASSWORD")),
            },
            health: None,
            endpoints: Vec::new(),
        };
        if params.dry_run {
            return Ok(reply);
        }
        records.save(&record)?;
        let (sender, mut receiver) = tokio::sync::mpsc::unbounded_channel::<String>();
        let reporter = Reporter::new(context);
        let progress = reporter.progress();
        let total = STEPS.len() as f64 * 2.0;
        let forward = tokio::spawn(async move {
            let mut n = 0.0;
            while let Some(message) = receiver.recv().await {
                n += 1.0;
                progress.report(n, Some(total), || message);
            }
        });
        let outcome =
            setup::run(client, &records, &mut record, Duration::from_secs(params.wait_seconds), &sender).await;
        drop(sender);
        let _ = forward.await;
        reporter.finish().await;
        let outcome = outcome?;
        reply.compose_id = record.compose_id.clone();
        reply.app_name = record.app_name.clone();
        if params.check_endpoints {
            reply.endpoints = setup::probe(&outcome.url, &reply.connection.anon_key).await;
        }
        reply.health = Some(outcome.health);
        Ok(reply)
    }
}

#[tool_router(router = dokploy_deploy_router, vis = "pub(crate)")]
impl SupamcpServer {
    /// Deploy a working self-hosted Supabase on Dokploy in one call: checks, safe secrets, the https domain, the
    /// deployment and its endpoints, then the connection details. dry_run plans only; a failed run can be resumed or
    /// rolled back.
    #[tool(
        annotations(title = "Deploy Supabase on Dokploy", read_only_hint = false, destructive_hint = false, idempotent_hint = false, open_world_hint = true),
        output_schema = schema_of::<DeployReply>()
    )]
    async fn dokploy_deploy_supabase(
        &self,
        Parameters(params): Parameters<DeployParams>,
        context: RequestContext<RoleServer>,
    ) -> Result<CallToolResult, McpError> {
        Ok(self
            .deploy_supabase(params, &context)
            .await
            .map_or_else(IntoToolResult::into_result, |reply| structured(&reply)))
    }
}
