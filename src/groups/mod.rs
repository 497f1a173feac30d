//! The feature-group registry: the names users pass to `--features`, what each group needs before its
//! tools can be offered, and the tool router of each group. Group modules only declare tools; the work
//! lives in the domain layers (`pg`, `supabase`, `spill`, ...).

pub mod aliases;
pub mod auth;
pub mod backups;
pub mod cloud;
pub mod core;
pub mod development;
pub mod dokploy;
pub mod functions;
pub mod knowledge;
pub mod migrations;
pub mod monitoring;
pub mod project_config;
pub mod realtime;
pub mod stack_config;
pub mod storage;
pub mod toolsets;

use crate::server::SupamcpServer;
use rmcp::handler::server::router::tool::ToolRouter;
use std::collections::BTreeSet;
use std::fmt;
use std::str::FromStr;

/// A feature group, as named on the command line and by `enable_tool_group`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum Group {
    Core,
    Migrations,
    Backups,
    Dokploy,
    Monitoring,
    Auth,
    Storage,
    Functions,
    Realtime,
    Development,
    Knowledge,
    Cloud,
}

/// Tools that stay offered in read-only mode because they adapt: they run their work read-only there
/// (execute_sql runs SQL in a read-only transaction). The registry marks them read-only in that mode.
pub const ADAPT_TO_READ_ONLY: &[&str] = &["execute_sql"];

/// The tools listed from the start when no `--features` fixes the set: the core reads, execute_sql, the doctor
/// and health, and the tools the official Supabase server lists by default that supamcp has, so prompts
/// written for it work unchanged. Every other tool of an offered group is listed after `enable_tool_group`
/// (and can be called by name before that). Kept at most [`DEFAULT_LIST_LIMIT`] with the toolset tools.
pub const DEFAULT_TOOLS: &[&str] = &[
    "execute_sql",
    "list_schemas",
    "list_tables",
    "describe_table",
    "list_extensions",
    "test_connection",
    "read_result",
    "list_migrations",
    "apply_migration",
    "get_advisors",
    "health_check",
    "get_postgres_logs",
    "validate_config",
    "generate_typescript_types",
    "get_project_url",
    "get_publishable_keys",
];

/// The most tools the default list may hold (Cursor stops reading at about 40 across all servers).
pub const DEFAULT_LIST_LIMIT: usize = 25;

/// What a group needs configured before its tools are offered.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Prerequisite {
    Nothing,
    Database,
    DokployUrl,
    AccessToken,
    SupabaseApi,
    /// Somewhere edge functions live: a Supabase API (invoke, Studio), an access token (cloud) or a
    /// functions directory (self-hosted).
    FunctionsTarget,
}

impl Group {
    pub const ALL: [Group; 12] = [
        Group::Core,
        Group::Migrations,
        Group::Backups,
        Group::Dokploy,
        Group::Monitoring,
        Group::Auth,
        Group::Storage,
        Group::Functions,
        Group::Realtime,
        Group::Development,
        Group::Knowledge,
        Group::Cloud,
    ];

    pub fn name(self) -> &'static str {
        match self {
            Group::Core => "core",
            Group::Migrations => "migrations",
            Group::Backups => "backups",
            Group::Dokploy => "dokploy",
            Group::Monitoring => "monitoring",
            Group::Auth => "auth",
            Group::Storage => "storage",
            Group::Functions => "functions",
            Group::Realtime => "realtime",
            Group::Development => "development",
            Group::Knowledge => "knowledge",
            Group::Cloud => "cloud",
        }
    }

    /// Whether some tool of the group spills large replies to result files (paged by read_result).
    pub fn spills(self) -> bool {
        !matches!(self, Group::Backups | Group::Auth | Group::Storage | Group::Realtime | Group::Knowledge)
    }

    pub fn prerequisite(self) -> Prerequisite {
        match self {
            Group::Core | Group::Migrations | Group::Backups | Group::Monitoring | Group::Realtime => {
                Prerequisite::Database
            }
            Group::Dokploy => Prerequisite::DokployUrl,
            Group::Cloud => Prerequisite::AccessToken,
            Group::Auth | Group::Storage => Prerequisite::SupabaseApi,
            Group::Functions => Prerequisite::FunctionsTarget,
            Group::Development | Group::Knowledge => Prerequisite::Nothing,
        }
    }

    /// One line for `list_tool_groups`: what the group's tools are for.
    pub fn summary(self) -> &'static str {
        match self {
            Group::Core => "SQL, schemas, tables, extensions, connections, spilled results, the audit log",
            Group::Migrations => {
                "Supabase CLI migrations: create, apply, roll back, repair, diff schemas, copy databases"
            }
            Group::Backups => "encrypted backups to disk or S3: create, list, verify, restore, clean up",
            Group::Dokploy => "self-hosted Supabase on Dokploy: deploy, inspect, env, domains, logs",
            Group::Monitoring => "advisors, inspect db reports, health checks, PostgreSQL logs",
            Group::Auth => "auth users, identities, MFA factors, sessions, through GoTrue's admin API",
            Group::Storage => "storage buckets and objects, signed URLs, through the Storage API",
            Group::Functions => "edge functions: list, read, deploy, delete, invoke, secrets",
            Group::Realtime => "realtime: published tables, channel authorization, replication health",
            Group::Development => "the .env doctor, keys, project URL, TypeScript types",
            Group::Knowledge => "Supabase docs search and the troubleshooting knowledge base",
            Group::Cloud => "Supabase Cloud Management API: projects, branches, organizations, costs",
        }
    }

    /// The group's tools, or `None` while this version has no tools in the group.
    pub fn router(self) -> Option<ToolRouter<SupamcpServer>> {
        match self {
            Group::Auth => Some(SupamcpServer::auth_router()),
            Group::Backups => Some(SupamcpServer::backups_router()),
            Group::Cloud => Some(SupamcpServer::cloud_router()),
            Group::Core => Some(SupamcpServer::core_router()),
            Group::Development => Some(SupamcpServer::development_router()),
            Group::Functions => Some(SupamcpServer::functions_router()),
            Group::Dokploy => Some(SupamcpServer::dokploy_router()),
            Group::Knowledge => Some(SupamcpServer::knowledge_router()),
            Group::Migrations => Some(SupamcpServer::migrations_router()),
            Group::Monitoring => Some(SupamcpServer::monitoring_router()),
            Group::Realtime => Some(SupamcpServer::realtime_router()),
            Group::Storage => Some(SupamcpServer::storage_router()),
        }
    }

    pub fn valid_names() -> String {
        Group::ALL.map(Group::name).join(", ")
    }
}

impl fmt::Display for Group {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// An unknown name in `--features`.
#[derive(Debug, thiserror::Error)]
#[error(
    "unknown feature group '{name}': valid groups are {valid} (or all, or the official server's account, \
     database, debugging, docs, branching); fix --features or SUPAMCP_FEATURES",
    valid = Group::valid_names()
)]
pub struct UnknownGroup {
    pub name: String,
}

impl FromStr for Group {
    type Err = UnknownGroup;

    fn from_str(raw: &str) -> Result<Self, Self::Err> {
        let wanted = raw.trim().to_ascii_lowercase();
        Group::ALL.into_iter().find(|group| group.name() == wanted).ok_or(UnknownGroup { name: raw.trim().to_owned() })
    }
}

/// The official Supabase MCP server's feature-group names, and the supamcp groups that hold their tools, so a
/// `--features` value written for it works unchanged.
pub const OFFICIAL_GROUP_ALIASES: &[(&str, &[Group])] = &[
    ("account", &[Group::Cloud]),
    ("branching", &[Group::Cloud]),
    ("database", &[Group::Core, Group::Migrations]),
    ("debugging", &[Group::Monitoring]),
    ("debug", &[Group::Monitoring]),
    ("docs", &[Group::Knowledge]),
];

/// The groups one name in a group list stands for: a supamcp group, or an official server's group name.
fn groups_named(raw: &str) -> Result<Vec<Group>, UnknownGroup> {
    let wanted = raw.trim().to_ascii_lowercase();
    if let Some((_, groups)) = OFFICIAL_GROUP_ALIASES.iter().find(|(alias, _)| *alias == wanted) {
        return Ok(groups.to_vec());
    }
    raw.parse().map(|group| vec![group])
}

/// Parses a comma-separated group list such as `core,migrations`; `all` names every group, and the official
/// server's names (account, database, debugging, docs, branching, ...) name the groups holding their tools.
/// An empty list selects no group.
pub fn parse_group_list(raw: &str) -> Result<BTreeSet<Group>, UnknownGroup> {
    if raw.split(',').any(|part| part.trim().eq_ignore_ascii_case("all")) {
        return Ok(Group::ALL.into_iter().collect());
    }
    let mut groups = BTreeSet::new();
    for part in raw.split(',').filter(|part| !part.trim().is_empty()) {
        groups.extend(groups_named(part)?);
    }
    Ok(groups)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_group_name_parses_back() {
        for group in Group::ALL {
            assert_eq!(group.name().parse::<Group>().ok(), Some(group));
        }
    }

    #[test]
    fn unknown_group_lists_the_valid_names() {
        let err = parse_group_list("core,databse").err().map(|e| e.to_string());
        let text = err.unwrap_or_default();
        assert!(text.contains("'databse'"), "{text}");
        assert!(text.contains("core, migrations, backups"), "{text}");
    }

    #[test]
    fn official_group_names_select_the_groups_holding_their_tools() {
        let groups = parse_group_list("account,database,debugging,development,docs,functions,branching,storage");
        let expected = [
            Group::Cloud,
            Group::Core,
            Group::Migrations,
            Group::Monitoring,
            Group::Development,
            Group::Knowledge,
            Group::Functions,
            Group::Storage,
        ];
        assert_eq!(groups.ok(), Some(expected.into_iter().collect()));
        assert_eq!(parse_group_list("Debug").ok(), Some([Group::Monitoring].into_iter().collect()));
    }

    #[test]
    fn all_names_every_group() {
        assert_eq!(parse_group_list("all").ok().map(|g| g.len()), Some(Group::ALL.len()));
        assert_eq!(parse_group_list("core, ALL").ok().map(|g| g.len()), Some(Group::ALL.len()));
    }

    #[test]
    fn the_default_list_fits_its_limit() {
        assert!(DEFAULT_TOOLS.len() + toolsets::TOOLSET_TOOLS.len() <= DEFAULT_LIST_LIMIT);
    }

    #[test]
    fn list_tolerates_spaces_and_case() {
        let groups = parse_group_list(" Core , development ,").ok().unwrap_or_default();
        assert_eq!(groups.into_iter().collect::<Vec<_>>(), vec![Group::Core, Group::Development]);
    }
}
