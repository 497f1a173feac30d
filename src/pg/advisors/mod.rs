//! Advisors: our own security and performance lints over the catalog. Each lint is one query returning
//! uniform rows (see [`LintRow`]) and a function that turns a row into a [`Finding`] with a plain
//! description and the remediation SQL or setting. All lints of a run go out pipelined on one connection.

/// Objects a security lint looks at: in an API schema, and not Supabase's own objects in its schemas.
macro_rules! api_scope {
    () => {
        "n.nspname = any($1) and not (n.nspname = any($2) and pg_get_userbyid(c.relowner)::text = any($3))"
    };
}

/// Objects a performance lint looks at: outside the Supabase-internal and PostgreSQL schemas, and not
/// created by an extension.
macro_rules! user_scope {
    () => {
        "not n.nspname = any($2) and n.nspname !~ '^pg_' and n.nspname <> 'information_schema' \
         and not exists (select 1 from pg_depend e where e.classid = 'pg_class'::regclass and e.objid = c.oid \
                         and e.deptype = 'e')"
    };
}

mod performance;
mod security;

use super::catalog::{INTERNAL_SCHEMAS, query_failure};
use super::ident::quote_ident;
use crate::failure::Failure;
use schemars::JsonSchema;
use serde::Serialize;
use std::borrow::Cow;
use tokio_postgres::GenericClient;
use tokio_postgres::types::{ToSql, Type};

/// The schemas PostgREST exposes on a self-hosted stack by default (PGRST_DB_SCHEMAS in the .env).
pub const DEFAULT_API_SCHEMAS: &[&str] = &["public", "storage", "graphql_public"];

/// Roles Supabase's own services create objects as; their objects in internal schemas are not linted.
pub const MANAGED_ROLES: &[&str] = &[
    "supabase_admin",
    "supabase_auth_admin",
    "supabase_storage_admin",
    "supabase_realtime_admin",
    "supabase_functions_admin",
    "pgbouncer",
];

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize, JsonSchema)]
#[serde(rename_all = "UPPERCASE")]
pub enum Level {
    Error,
    Warn,
    Info,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum Category {
    Security,
    Performance,
}

/// One finding of one lint.
#[derive(Debug, Serialize, JsonSchema)]
pub struct Finding {
    /// Stable lint name, e.g. `rls_disabled_in_public`.
    pub name: Cow<'static, str>,
    pub level: Level,
    pub category: Category,
    pub title: Cow<'static, str>,
    /// The object, schema-qualified (`public.todos`, `public.todos_status_idx`, `public.f(integer)`).
    pub object: String,
    /// table, view, materialized view, function, extension, index, policy.
    pub object_type: String,
    pub description: String,
    /// The SQL or setting that fixes it.
    pub remediation: String,
    /// The knowledge-base entry about it (explain_error with this id gives cause, check and fix).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub knowledge: Option<&'static str>,
}

/// What a run looks at.
#[derive(Clone, Debug)]
pub struct AdvisorOptions {
    pub security: bool,
    pub performance: bool,
    /// Schemas PostgREST exposes.
    pub api_schemas: Vec<String>,
    /// A table counts as heavily bloated from this many wasted bytes (and at least half its pages).
    pub bloat_min_wasted_bytes: i64,
    /// A table counts as large from this many rows.
    pub large_table_rows: i64,
}

/// The uniform row every lint query returns: `schema, name, kind, info, items, raised`.
pub(crate) struct LintRow {
    pub schema: String,
    pub name: String,
    pub kind: String,
    /// Lint-specific text (a policy name, a constraint, counts).
    pub info: String,
    /// Lint-specific names (columns, indexes, policies).
    pub items: Vec<String>,
    /// True when the finding is worse than the lint's base level.
    pub raised: bool,
}

impl LintRow {
    /// `"schema"."name"`, for remediation SQL.
    pub fn qualified(&self) -> String {
        format!("{}.{}", quote_ident(&self.schema), quote_ident(&self.name))
    }

    pub fn object(&self) -> String {
        format!("{}.{}", self.schema, self.name)
    }
}

/// A lint: its query and how a row reads. Query parameters: $1 API schemas, $2 internal schemas, $3 roles
/// Supabase manages, $4 minimum wasted bytes for bloat, $5 rows of a large table.
pub(crate) struct Lint {
    pub name: &'static str,
    pub category: Category,
    pub level: Level,
    pub raised_level: Level,
    pub title: &'static str,
    pub sql: &'static str,
    /// Description and remediation of one row; `None` drops the row (a check the SQL cannot make).
    pub explain: fn(&LintRow) -> Option<(String, String)>,
}

fn all_lints() -> impl Iterator<Item = &'static Lint> {
    security::LINTS.iter().chain(performance::LINTS.iter())
}

/// The names of every lint, in the order they run.
pub fn lint_names() -> Vec<&'static str> {
    all_lints().map(|lint| lint.name).collect()
}

/// True for the name of a security lint.
pub fn is_security(name: &str) -> bool {
    security::LINTS.iter().any(|lint| lint.name == name)
}

/// Runs the selected lints and returns the findings ranked: errors first, then warnings, then info.
pub async fn run(client: &impl GenericClient, options: &AdvisorOptions) -> Result<Vec<Finding>, Failure> {
    let internal: Vec<String> = INTERNAL_SCHEMAS.iter().map(|s| (*s).to_owned()).collect();
    let managed: Vec<String> = MANAGED_ROLES.iter().map(|s| (*s).to_owned()).collect();
    let params: [(&(dyn ToSql + Sync), Type); 5] = [
        (&options.api_schemas, Type::TEXT_ARRAY),
        (&internal, Type::TEXT_ARRAY),
        (&managed, Type::TEXT_ARRAY),
        (&options.bloat_min_wasted_bytes, Type::INT8),
        (&options.large_table_rows, Type::INT8),
    ];
    let selected: Vec<&Lint> = all_lints()
        .filter(|lint| match lint.category {
            Category::Security => options.security,
            Category::Performance => options.performance,
        })
        .collect();
    let started = std::time::Instant::now();
    let queries = selected.iter().map(|lint| {
        let query = client.query_typed(lint.sql, &params);
        async move {
            let result = query.await;
            tracing::debug!(lint = lint.name, done_ms = started.elapsed().as_secs_f64() * 1000.0, "lint finished");
            result
        }
    });
    let results = futures_util::future::join_all(queries).await;
    let mut findings = Vec::new();
    for (lint, result) in selected.iter().zip(results) {
        let rows = result.map_err(|e| {
            let failure = query_failure(e);
            Failure { what: format!("lint {} failed: {}", lint.name, failure.what), ..failure }
        })?;
        for row in rows {
            let row = LintRow {
                schema: row.get(0),
                name: row.get(1),
                kind: row.get(2),
                info: row.get::<_, Option<String>>(3).unwrap_or_default(),
                items: row.get::<_, Option<Vec<String>>>(4).unwrap_or_default(),
                raised: row.get::<_, Option<bool>>(5).unwrap_or(false),
            };
            let Some((description, remediation)) = (lint.explain)(&row) else {
                continue;
            };
            findings.push(Finding {
                name: Cow::Borrowed(lint.name),
                level: if row.raised { lint.raised_level } else { lint.level },
                category: lint.category,
                title: Cow::Borrowed(lint.title),
                object: row.object(),
                object_type: row.kind.clone(),
                description,
                remediation,
                knowledge: crate::knowledge::entry_for(&format!("advisor:{}", lint.name)),
            });
        }
    }
    rank(&mut findings);
    Ok(findings)
}

/// Sorts findings as replies rank them: by level, category, lint name, object (the platform's lints too).
pub fn rank(findings: &mut [Finding]) {
    findings.sort_by(|a, b| (a.level, a.category, &a.name, &a.object).cmp(&(b.level, b.category, &b.name, &b.object)));
}

/// `a, b, c` with each identifier quoted.
pub(crate) fn quoted_list(names: &[String]) -> String {
    names.iter().map(|n| quote_ident(n)).collect::<Vec<_>>().join(", ")
}
