//! Can the source's schema and data live on the target? Server versions, extensions the source uses that the
//! target lacks, and roles the source's policies and owners name that the target does not have.

use crate::failure::Failure;
use crate::pg::catalog::query_failure;
use serde::Serialize;
use tokio_postgres::GenericClient;
use tokio_postgres::types::Type;

#[derive(Clone, Debug, Serialize, schemars::JsonSchema, PartialEq, Eq)]
pub struct CompatFinding {
    /// critical (the copy would fail), warning or info.
    pub severity: String,
    pub kind: String,
    pub detail: String,
    pub fix: String,
}

fn finding(severity: &str, kind: &str, detail: String, fix: String) -> CompatFinding {
    CompatFinding { severity: severity.to_owned(), kind: kind.to_owned(), detail, fix }
}

pub async fn server_major(client: &impl GenericClient) -> Result<u32, Failure> {
    let row = client
        .query_typed_one("select current_setting('server_version_num')::int4", &[])
        .await
        .map_err(query_failure)?;
    Ok(u32::try_from(row.get::<_, i32>(0) / 10_000).unwrap_or(0))
}

const EXTENSIONS: &str = "select e.extname::text from pg_extension e where e.extname <> 'plpgsql' order by 1";
const AVAILABLE: &str = "select name::text from pg_available_extensions where name = any($1)";
const POLICY_ROLES: &str = "select distinct pg_get_userbyid(r)::text from pg_policy p join pg_class c on c.oid = p.polrelid \
    join pg_namespace n on n.oid = c.relnamespace, unnest(p.polroles) r where r <> 0 and n.nspname = any($1) order by 1";
const ROLES: &str = "select rolname::text from pg_roles where rolname = any($1)";

/// Findings for copying `schemas` from `source` to `target`.
pub async fn check(
    source: &impl GenericClient,
    target: &impl GenericClient,
    schemas: &[String],
) -> Result<Vec<CompatFinding>, Failure> {
    let mut findings = Vec::new();
    let (from, to) = (server_major(source).await?, server_major(target).await?);
    if from > to {
        findings.push(finding(
            "warning",
            "older_target",
            format!("the source runs PostgreSQL {from}, the target {to}"),
            format!(
                "objects using features newer than {to} will fail to create; prefer a target of version {from} or newer"
            ),
        ));
    } else if from != to {
        findings.push(finding(
            "info",
            "newer_target",
            format!("the source runs PostgreSQL {from}, the target {to}"),
            "data is copied in text format between major versions (slower than binary)".to_owned(),
        ));
    }
    let wanted: Vec<String> =
        source.query_typed(EXTENSIONS, &[]).await.map_err(query_failure)?.iter().map(|r| r.get(0)).collect();
    let installed: Vec<String> =
        target.query_typed(EXTENSIONS, &[]).await.map_err(query_failure)?.iter().map(|r| r.get(0)).collect();
    let missing: Vec<String> = wanted.into_iter().filter(|e| !installed.contains(e)).collect();
    let available: Vec<String> = target
        .query_typed(AVAILABLE, &[(&missing, Type::TEXT_ARRAY)])
        .await
        .map_err(query_failure)?
        .iter()
        .map(|r| r.get(0))
        .collect();
    for extension in &missing {
        if available.contains(extension) {
            findings.push(finding("warning", "extension_not_installed", format!("the source uses extension {extension}; the target has it available but not installed"), format!("create extension \"{extension}\" on the target first (Supabase installs extensions in schema extensions)")));
        } else {
            findings.push(finding(
                "critical",
                "extension_unavailable",
                format!("the source uses extension {extension}; the target cannot install it"),
                format!("install {extension} on the target server, or drop its use from the source schema"),
            ));
        }
    }
    let referenced: Vec<String> = source
        .query_typed(POLICY_ROLES, &[(&schemas, Type::TEXT_ARRAY)])
        .await
        .map_err(query_failure)?
        .iter()
        .map(|r| r.get(0))
        .collect();
    let present: Vec<String> = target
        .query_typed(ROLES, &[(&referenced, Type::TEXT_ARRAY)])
        .await
        .map_err(query_failure)?
        .iter()
        .map(|r| r.get(0))
        .collect();
    for role in referenced.iter().filter(|r| !present.contains(r)) {
        findings.push(finding(
            "critical",
            "role_missing",
            format!("policies on the source name role {role}, which the target lacks"),
            format!("create role \"{role}\" on the target first (the Supabase roles come with a Supabase stack)"),
        ));
    }
    Ok(findings)
}
