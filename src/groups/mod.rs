//! The feature-group registry: the names users pass to `--features`, what each group needs before its
//! tools can be offered, and the tool router of each group. Group modules only declare tools; the work
//! lives in the domain layers (`pg`, `supabase`, `spill`, ...).

pub mod backups;
pub mod core;
pub mod development;
pub mod dokploy;
pub mod migrations;
pub mod monitoring;
pub mod storage;

use crate::server::SupamcpServer;
use rmcp::handler::server::router::tool::ToolRouter;
use std::collections::BTreeSet;
use std::fmt;
use std::str::FromStr;

/// A feature group, as named on the command line.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
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

/// What a group needs configured before its tools are offered.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Prerequisite {
    Nothing,
    Database,
    DokployUrl,
    AccessToken,
    SupabaseApi,
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

    pub fn prerequisite(self) -> Prerequisite {
        match self {
            Group::Core | Group::Migrations | Group::Backups | Group::Monitoring | Group::Realtime => {
                Prerequisite::Database
            }
            Group::Dokploy => Prerequisite::DokployUrl,
            Group::Cloud => Prerequisite::AccessToken,
            Group::Auth | Group::Storage | Group::Functions => Prerequisite::SupabaseApi,
            Group::Development | Group::Knowledge => Prerequisite::Nothing,
        }
    }

    /// The group's tools, or `None` while this version has no tools in the group.
    pub fn router(self) -> Option<ToolRouter<SupamcpServer>> {
        match self {
            Group::Backups => Some(SupamcpServer::backups_router()),
            Group::Core => Some(SupamcpServer::core_router()),
            Group::Development => Some(SupamcpServer::development_router()),
            Group::Dokploy => Some(SupamcpServer::dokploy_router()),
            Group::Migrations => Some(SupamcpServer::migrations_router()),
            Group::Monitoring => Some(SupamcpServer::monitoring_router()),
            Group::Storage => Some(SupamcpServer::storage_router()),
            _ => None,
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
    "unknown feature group '{name}': valid groups are {valid}; fix --features or SUPAMCP_FEATURES",
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

/// Parses a comma-separated group list such as `core,migrations`. An empty list selects no group.
pub fn parse_group_list(raw: &str) -> Result<BTreeSet<Group>, UnknownGroup> {
    raw.split(',').filter(|part| !part.trim().is_empty()).map(str::parse).collect()
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
    fn list_tolerates_spaces_and_case() {
        let groups = parse_group_list(" Core , development ,").ok().unwrap_or_default();
        assert_eq!(groups.into_iter().collect::<Vec<_>>(), vec![Group::Core, Group::Development]);
    }
}
