//! Judging a Supabase compose from what Dokploy reports: which composes are Supabase stacks, the
//! Dokploy-side configuration checks (the domain must target kong:8000; the https flag, the
//! certificate and the URL schemes in the env must agree), and the health of the running stack
//! (compose status, each container's state and health, the last deployment) as ranked issues.

use super::types::{Compose, ComposeRef, ComposeStatus, Container, Deployment, DeploymentStatus};
use crate::supabase::env::EnvFile;
use crate::supabase::env::url::parse_url;
use crate::supabase::finding::{Finding, Severity};
use serde::Serialize;

/// The URL variables whose scheme must match the domain's https flag.
pub const PUBLIC_URL_VARIABLES: [&str; 2] = ["API_EXTERNAL_URL", "SUPABASE_PUBLIC_URL"];

/// True when a compose looks like a Supabase stack (Dokploy's template names it `supabase`).
pub fn is_supabase(compose: &ComposeRef) -> bool {
    let app = compose.app_name.as_deref().unwrap_or_default();
    compose.name.to_ascii_lowercase().contains("supabase") || app.to_ascii_lowercase().contains("supabase")
}

/// Checks of the Dokploy side of a Supabase compose: its domains against the env.
pub fn dokploy_checks(compose: &Compose, env: &EnvFile) -> Vec<Finding> {
    let mut out = Vec::new();
    let kong: Vec<_> = compose.domains.iter().filter(|d| d.service_name.as_deref() == Some("kong")).collect();
    if compose.domains.is_empty() {
        out.push(
            Finding::new("dokploy_no_domain", Severity::Warning, "domain")
                .expected("a domain on service kong, port 8000")
                .message("the compose has no domain, so Supabase is reachable only inside the Docker network")
                .fix("add one with dokploy_manage_domain (or in Dokploy: Domains, service kong, port 8000)"),
        );
    }
    for domain in &compose.domains {
        let service = domain.service_name.as_deref().unwrap_or("");
        if service != "kong" {
            out.push(
                Finding::new("dokploy_domain_service", Severity::Critical, "domain")
                    .current(&format!("{} -> {service}", domain.host))
                    .expected("service kong")
                    .message(format!(
                        "{} routes to service '{service}'; only kong serves the Supabase API and Studio",
                        domain.host
                    ))
                    .fix("point the domain at service kong, port 8000"),
            );
        } else if domain.port != Some(8000) {
            out.push(
                Finding::new("dokploy_domain_port", Severity::Critical, "domain")
                    .current(&format!("{}:{}", domain.host, domain.port.unwrap_or_default()))
                    .expected("port 8000")
                    .message("kong listens on 8000 (8443 is its own TLS port); Traefik gets no answer on another port")
                    .fix("set the domain's port to 8000"),
            );
        }
        if domain.https && domain.certificate_type.as_deref().is_none_or(|c| c == "none") {
            out.push(
                Finding::new("dokploy_certificate_none", Severity::Warning, "domain")
                    .current(&domain.host)
                    .expected("certificateType letsencrypt (or custom)")
                    .message("https is on but no certificate resolver is set, so Traefik serves its default self-signed certificate")
                    .fix("set the certificate type to letsencrypt"),
            );
        }
    }
    if let Some(domain) = kong.first() {
        let scheme = if domain.https { "https" } else { "http" };
        for variable in PUBLIC_URL_VARIABLES {
            let Some(value) = env.get(variable) else { continue };
            let Some(url) = parse_url(value) else { continue };
            if url.is_local() {
                continue;
            }
            if !url.scheme.eq_ignore_ascii_case(scheme) {
                out.push(
                    Finding::new("dokploy_https_mismatch", Severity::Critical, variable)
                        .current(value)
                        .expected(format!("{scheme}://{}", domain.host))
                        .message(format!(
                            "the domain {} has https {}, but {variable} uses {}: auth redirects and Studio calls break",
                            domain.host,
                            if domain.https { "on" } else { "off" },
                            url.scheme
                        ))
                        .fix("make both agree: dokploy_manage_domain sets the domain and the URLs together"),
                );
            }
        }
    }
    out
}

/// One container as the health report shows it.
#[derive(Clone, Debug, Serialize, schemars::JsonSchema)]
pub struct ContainerHealth {
    pub service: String,
    pub name: String,
    pub container_id: String,
    pub state: String,
    pub status: String,
    /// healthy, unhealthy, starting or none (no health check).
    pub health: String,
}

/// A problem of the running stack.
#[derive(Clone, Debug, Serialize, schemars::JsonSchema)]
pub struct Issue {
    pub severity: Severity,
    /// What it is about: `compose`, `deployment` or a service name.
    pub subject: String,
    pub message: String,
    pub fix: String,
}

/// The health of a compose: a verdict and its reasons, worst first.
#[derive(Clone, Debug, Serialize, schemars::JsonSchema)]
pub struct Health {
    /// healthy, degraded, down, deploying or not_deployed.
    pub verdict: String,
    pub compose_status: ComposeStatus,
    pub containers: Vec<ContainerHealth>,
    pub last_deployment: Option<Deployment>,
    pub issues: Vec<Issue>,
}

/// Reads the compose's containers and newest deployment, and judges them.
pub async fn observe(client: &super::Client, compose: &Compose) -> Result<Health, super::DokployError> {
    let containers = client.docker_containers(&compose.app_name, compose.server_id.as_deref()).await?;
    let latest = client.deployment_all_by_compose(&compose.compose_id).await?.into_iter().next();
    Ok(assess(compose, &containers, latest.as_ref()))
}

/// Judges a compose from its status, containers and newest deployment.
pub fn assess(compose: &Compose, containers: &[Container], latest: Option<&Deployment>) -> Health {
    let mut issues = Vec::new();
    let issue = |severity, subject: &str, message: String, fix: &str| Issue {
        severity,
        subject: subject.to_owned(),
        message,
        fix: fix.to_owned(),
    };
    let rows: Vec<ContainerHealth> = containers
        .iter()
        .map(|c| ContainerHealth {
            service: c.service(&compose.app_name),
            name: c.name.clone(),
            container_id: c.container_id.clone(),
            state: c.state.clone(),
            status: c.status.clone(),
            health: c.health().to_owned(),
        })
        .collect();
    for row in &rows {
        if row.state != "running" {
            let fix = format!(
                "read its logs with dokploy_get_logs (service {}), fix the cause, then dokploy_restart_service or redeploy",
                row.service
            );
            issues.push(issue(
                Severity::Critical,
                &row.service,
                format!("{} is {} ({})", row.name, row.state, row.status),
                &fix,
            ));
        } else if row.health == "unhealthy" {
            let fix = format!(
                "read its logs with dokploy_get_logs (service {}); restart it with dokploy_restart_service once the cause is fixed",
                row.service
            );
            issues.push(issue(
                Severity::Critical,
                &row.service,
                format!("{} fails its health check ({})", row.name, row.status),
                &fix,
            ));
        } else if row.status.contains("Restarting") || row.state == "restarting" {
            issues.push(issue(
                Severity::Warning,
                &row.service,
                format!("{} keeps restarting", row.name),
                "read its logs with dokploy_get_logs",
            ));
        }
    }
    if let Some(deployment) = latest.filter(|d| d.status == DeploymentStatus::Error) {
        let why = deployment.error_message.clone().unwrap_or_else(|| "see the deployment log".to_owned());
        issues.push(issue(
            Severity::Critical,
            "deployment",
            format!("the last deployment failed: {why}"),
            "read it with dokploy_get_logs (source deployment), fix the cause and redeploy",
        ));
    }
    if compose.compose_status == ComposeStatus::Error && latest.is_none_or(|d| d.status != DeploymentStatus::Error) {
        issues.push(issue(
            Severity::Critical,
            "compose",
            "Dokploy marks the compose as error".to_owned(),
            "redeploy it and read the deployment log",
        ));
    }
    issues.sort_by(|a, b| b.severity.cmp(&a.severity).then_with(|| a.subject.cmp(&b.subject)));
    let verdict = if compose.compose_status == ComposeStatus::Running {
        "deploying"
    } else if rows.is_empty() {
        if latest.is_none() { "not_deployed" } else { "down" }
    } else if rows.iter().all(|r| r.state != "running") {
        "down"
    } else if issues.is_empty() {
        "healthy"
    } else {
        "degraded"
    };
    Health {
        verdict: verdict.to_owned(),
        compose_status: compose.compose_status,
        containers: rows,
        last_deployment: latest.cloned(),
        issues,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::dokploy::types::Domain;

    fn kong(https: bool, certificate: &str) -> Domain {
        Domain {
            host: "db.example.com".into(),
            https,
            port: Some(8000),
            service_name: Some("kong".into()),
            certificate_type: Some(certificate.into()),
            ..Domain::default()
        }
    }

    #[test]
    fn https_off_with_https_urls_is_a_mismatch() {
        let compose = Compose { domains: vec![kong(false, "none")], ..Compose::default() };
        let env = EnvFile::parse("API_EXTERNAL_URL=https://db.example.com\nSITE_URL=http://localhost:3000\n")
            .unwrap_or_default();
        let rules: Vec<String> = dokploy_checks(&compose, &env).into_iter().map(|f| f.rule).collect();
        assert_eq!(rules, ["dokploy_https_mismatch"]);
    }

    #[test]
    fn wrong_service_and_missing_certificate() {
        let mut studio = kong(true, "none");
        studio.service_name = Some("studio".into());
        let compose = Compose { domains: vec![studio], ..Compose::default() };
        let rules: Vec<String> = dokploy_checks(&compose, &EnvFile::default()).into_iter().map(|f| f.rule).collect();
        assert_eq!(rules, ["dokploy_domain_service", "dokploy_certificate_none"]);
    }

    #[test]
    fn one_unhealthy_container_degrades() {
        let compose = Compose { app_name: "s-abc".into(), compose_status: ComposeStatus::Done, ..Compose::default() };
        let up = |name: &str, status: &str| Container {
            container_id: name.into(),
            name: name.into(),
            state: "running".into(),
            status: status.into(),
        };
        let health = assess(&compose, &[up("s-abc-db-1", "Up (healthy)"), up("s-abc-auth-1", "Up (unhealthy)")], None);
        assert_eq!(health.verdict, "degraded");
        assert_eq!(health.issues.len(), 1);
        assert_eq!(health.issues[0].subject, "auth");
    }
}
