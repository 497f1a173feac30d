//! Turns the settings into the set of offered tools: which groups are offered (selected, and with their
//! prerequisites configured), the sum of their routers, which tools read-only mode hides, and which tools a
//! session lists: without `--features`, the default list plus the groups the client enabled with
//! `enable_tool_group` ([`ListedGroups`]); with `--features`, every tool of the chosen groups. With
//! `--project-ref`, the account tools are dropped and every `project_id` parameter leaves the input schemas
//! (the handler injects the ref), as the official server does.

use super::SupamcpServer;
use super::schema_portable;
use crate::config::Settings;
use crate::groups::cloud::ACCOUNT_TOOLS;
use crate::groups::cloud::through_api::THROUGH_MANAGEMENT_API;
use crate::groups::{ADAPT_TO_READ_ONLY, DEFAULT_TOOLS, Group, Prerequisite};
use rmcp::handler::server::router::tool::ToolRouter;
use rmcp::model::Tool;
use serde::Serialize;
use std::collections::{BTreeMap, BTreeSet};
use std::sync::{OnceLock, RwLock};

/// Why a group is or is not offered.
#[derive(Clone, Debug, Serialize)]
pub struct GroupStatus {
    pub group: &'static str,
    pub enabled: bool,
    pub reason: String,
    pub tools: Vec<String>,
}

/// The tools this server offers, built once at start.
pub struct ToolCatalog {
    /// Every tool a call may name: the offered groups' tools, and the toolset tools in dynamic mode.
    pub(crate) router: ToolRouter<SupamcpServer>,
    pub groups: Vec<GroupStatus>,
    /// The group of each offered tool; the toolset tools belong to none.
    pub(crate) group_of: BTreeMap<String, Group>,
    /// No `--features` fixed the set: the session lists the default tools and the groups it enables.
    pub dynamic: bool,
    /// Tools left out because they are not read-only and the server runs with `--read-only`.
    pub hidden_by_read_only: BTreeSet<String>,
    /// Single tools left out, with the reason (a call names it instead of "tool not found").
    not_offered: BTreeMap<String, String>,
    /// Groups not offered, with the reason; their tools' names are only looked up when a call names one of
    /// them (building a group's tools generates every schema, which would slow every start).
    unoffered_groups: Vec<(Group, String)>,
    unoffered_tools: OnceLock<BTreeMap<String, String>>,
    /// With `--project-ref`: the tools whose `project_id` parameter was taken out of their input schema; the
    /// handler puts the ref into their arguments.
    pub injects_project_id: BTreeSet<String>,
}

fn prerequisite_gap(settings: &Settings, prerequisite: Prerequisite) -> Option<String> {
    let gap = match prerequisite {
        Prerequisite::Nothing => None,
        Prerequisite::Database => {
            return (!settings.has_database()).then(|| match &settings.env_file_without_database {
                Some(_) => settings.no_database_reason(),
                None => "no database configured (--database-url, SUPAMCP_DATABASE_URL, POSTGRES_* variables, --env-file or a config instance)".to_owned(),
            });
        }
        Prerequisite::DokployUrl => settings
            .dokploy
            .is_empty()
            .then_some("no Dokploy server configured (DOKPLOY_URL and DOKPLOY_API_KEY, or [dokploy.<name>])"),
        Prerequisite::AccessToken => settings
            .access_token
            .is_none()
            .then_some("no Supabase access token (SUPABASE_ACCESS_TOKEN or access_token)"),
        Prerequisite::SupabaseApi => (!settings.has_supabase_api()).then_some(
            "no Supabase API URL and service role key (SUPABASE_URL and SUPABASE_SERVICE_ROLE_KEY, or --env-file)",
        ),
        Prerequisite::FunctionsTarget => (!settings.has_supabase_api()
            && settings.access_token.is_none()
            && !settings.has_functions_dir()
            && !settings.has_dokploy_stack()
            && !settings.has_studio())
        .then_some(
            "no place for edge functions: no access token (cloud), no functions_dir (SUPAMCP_FUNCTIONS_DIR), no \
                 dokploy_compose_id and no Supabase API URL with a service role key",
        ),
    };
    gap.map(str::to_owned)
}

impl ToolCatalog {
    pub fn build(settings: &Settings) -> Result<ToolCatalog, String> {
        let mut router = ToolRouter::new();
        let mut group_of = BTreeMap::new();
        let dynamic = settings.features.is_none();
        let mut groups = Vec::new();
        let mut hidden_by_read_only = BTreeSet::new();
        let mut not_offered = BTreeMap::new();
        let mut unoffered_groups = Vec::new();
        let mut scoped_out = Vec::new();
        for group in Group::ALL {
            let selected = settings.features.as_ref().is_none_or(|chosen| chosen.contains(&group));
            let explicit = settings.features.as_ref().is_some_and(|chosen| chosen.contains(&group));
            let status = |enabled: bool, reason: String, tools: Vec<String>| GroupStatus {
                group: group.name(),
                enabled,
                reason,
                tools,
            };
            if !selected {
                unoffered_groups.push((group, "not selected by --features (SUPAMCP_FEATURES)".to_owned()));
                groups.push(status(false, "not selected by --features".to_owned(), Vec::new()));
                continue;
            }
            let mut reason = if settings.read_only { "enabled (read-only tools only)" } else { "enabled" }.to_owned();
            let mut group_router = match prerequisite_gap(settings, group.prerequisite()) {
                Some(gap) => match through_management_api(settings, group) {
                    Some((limited, left_out)) => {
                        let why = format!("{gap}; with the access token, the Management API serves the rest");
                        for name in left_out {
                            not_offered.insert(name, format!("its group '{}' needs a database: {gap}", group.name()));
                        }
                        reason = format!("{reason}, through the Management API (no database URL)");
                        tracing::debug!(group = group.name(), "{why}");
                        limited
                    }
                    None => {
                        if explicit {
                            tracing::warn!(group = group.name(), "group requested but not offered: {gap}");
                        }
                        unoffered_groups.push((group, gap.clone()));
                        groups.push(status(false, gap, Vec::new()));
                        continue;
                    }
                },
                None => match group.router() {
                    Some(router) => router,
                    None => {
                        groups.push(status(
                            false,
                            "this version has no tools in this group yet".to_owned(),
                            Vec::new(),
                        ));
                        continue;
                    }
                },
            };
            if settings.project_ref.is_some() {
                for name in ACCOUNT_TOOLS {
                    if group_router.has_route(name) {
                        group_router.remove_route(name);
                        scoped_out.push(*name);
                    }
                }
            }
            if settings.read_only {
                for name in ADAPT_TO_READ_ONLY {
                    if let Some(route) = group_router.map.get_mut(*name) {
                        let annotations = route.attr.annotations.take().unwrap_or_default();
                        route.attr.annotations = Some(annotations.read_only(true).destructive(false).idempotent(true));
                        let description = route.attr.description.clone().unwrap_or_default();
                        route.attr.description = Some(format!("{description} (Read-only mode: SQL runs in a read-only transaction and only reading statements are accepted.)").into());
                    }
                }
                for tool in group_router.list_all() {
                    let read_only = tool.annotations.as_ref().and_then(|a| a.read_only_hint) == Some(true);
                    if !read_only {
                        group_router.remove_route(&tool.name);
                        hidden_by_read_only.insert(tool.name.to_string());
                    }
                }
            }
            let tools: Vec<String> = group_router.list_all().into_iter().map(|t| t.name.to_string()).collect();
            group_of.extend(tools.iter().map(|name| (name.clone(), group)));
            groups.push(status(true, reason, tools));
            router.merge(group_router);
        }
        if dynamic {
            router.merge(SupamcpServer::toolsets_router());
        }
        // Large replies spill to files that read_result pages through: it is offered (outside any group) with
        // every group that spills, also when core itself is not.
        if !router.has_route(READ_RESULT)
            && group_of.values().any(|group: &Group| group.spills())
            && let Some(mut core) = Group::Core.router()
        {
            core.map.retain(|name, _| name == READ_RESULT);
            router.merge(core);
        }
        for name in scoped_out {
            let reason = "it acts on the whole account and supamcp runs scoped to one project (--project-ref)";
            not_offered.insert(name.to_owned(), reason.to_owned());
        }
        let mut injects_project_id = BTreeSet::new();
        for route in router.map.values_mut() {
            schema_portable::make_portable(&mut route.attr);
            super::project_id::declare(&mut route.attr);
            if settings.project_ref.is_some() && take_out_project_id(&mut route.attr) {
                injects_project_id.insert(route.attr.name.to_string());
            }
        }
        Ok(ToolCatalog {
            router,
            groups,
            group_of,
            dynamic,
            hidden_by_read_only,
            not_offered,
            unoffered_groups,
            unoffered_tools: OnceLock::new(),
            injects_project_id,
        })
    }

    /// The groups a new session lists in full: every offered group when `--features` fixed the set, none in
    /// dynamic mode (the default tools are listed instead).
    pub fn initially_listed(&self) -> BTreeSet<Group> {
        if self.dynamic { BTreeSet::new() } else { self.group_of.values().copied().collect() }
    }

    /// Whether `name` is in the tool list of a session that lists `groups` in full.
    pub fn is_listed(&self, name: &str, groups: &BTreeSet<Group>) -> bool {
        match self.group_of.get(name) {
            None => self.router.has_route(name),
            Some(group) => groups.contains(group) || (self.dynamic && DEFAULT_TOOLS.contains(&name)),
        }
    }

    /// Why the tool `name` is not offered (its group is not, or it alone was left out); `None` when it is
    /// offered or unknown.
    pub fn not_offered(&self, name: &str) -> Option<String> {
        if self.router.has_route(name) {
            return None;
        }
        if let Some(reason) = self.not_offered.get(name) {
            return Some(reason.clone());
        }
        let by_tool = self.unoffered_tools.get_or_init(|| {
            let mut by_tool = BTreeMap::new();
            for (group, reason) in &self.unoffered_groups {
                for tool in group.router().map(|router| router.list_all()).unwrap_or_default() {
                    let why = format!("its group '{}' is not offered: {reason}", group.name());
                    by_tool.entry(tool.name.to_string()).or_insert(why);
                }
            }
            by_tool
        });
        by_tool.get(name).cloned()
    }

    /// The tools of `group` this server offers (empty when the group is not offered).
    pub fn tools_of(&self, group: Group) -> Vec<String> {
        self.group_of.iter().filter(|(_, g)| **g == group).map(|(name, _)| name.clone()).collect()
    }

    /// Why `group` is not offered, or `None` when it is.
    pub fn not_offered_reason(&self, group: Group) -> Option<String> {
        let status = self.groups.iter().find(|status| status.group == group.name())?;
        (!status.enabled).then(|| status.reason.clone())
    }

    /// The tool list of a session that lists `groups` in full, sorted by name.
    pub fn listed_tools(&self, groups: &BTreeSet<Group>) -> Vec<Tool> {
        let mut tools: Vec<Tool> =
            self.router.list_all().into_iter().filter(|tool| self.is_listed(&tool.name, groups)).collect();
        tools.sort_by(|a, b| a.name.cmp(&b.name));
        tools
    }

    /// One line per group for the startup log and `supamcp tools`.
    pub fn log_summary(&self) {
        for status in &self.groups {
            if status.enabled {
                tracing::info!(group = status.group, tools = status.tools.len(), "{}", status.reason);
            } else {
                tracing::info!(group = status.group, "not offered: {}", status.reason);
            }
        }
    }
}

/// The tool that pages spilled results.
const READ_RESULT: &str = "read_result";

/// A database group's tools the Management API can serve when only an access token is configured (and
/// read_result, which pages their spilled results), with the names of the tools left out; `None` when the
/// group needs a database for all of them or no token is configured.
fn through_management_api(settings: &Settings, group: Group) -> Option<(ToolRouter<SupamcpServer>, Vec<String>)> {
    if !matches!(group.prerequisite(), Prerequisite::Database) || settings.access_token.is_none() {
        return None;
    }
    let mut router = group.router()?;
    let mut left_out = Vec::new();
    for tool in router.list_all() {
        let name = tool.name.as_ref();
        if !THROUGH_MANAGEMENT_API.contains(&name) && name != READ_RESULT {
            router.remove_route(name);
            left_out.push(name.to_owned());
        }
    }
    (!router.map.is_empty()).then_some((router, left_out))
}

/// Removes the `project_id` parameter from a tool's input schema (properties and required); true when it had one.
/// With `--project-ref` the official server hides it the same way and injects the ref.
fn take_out_project_id(tool: &mut Tool) -> bool {
    let mut schema = (*tool.input_schema).clone();
    let had = schema
        .get_mut("properties")
        .and_then(|p| p.as_object_mut())
        .is_some_and(|properties| properties.remove("project_id").is_some());
    if !had {
        return false;
    }
    if let Some(required) = schema.get_mut("required").and_then(|r| r.as_array_mut()) {
        required.retain(|name| name != "project_id");
        if required.is_empty() {
            schema.remove("required");
        }
    }
    tool.input_schema = std::sync::Arc::new(schema);
    true
}

/// The groups one session lists in full; changed by `enable_tool_group` / `disable_tool_group`.
#[derive(Debug, Default)]
pub struct ListedGroups(RwLock<BTreeSet<Group>>);

impl ListedGroups {
    pub fn new(groups: BTreeSet<Group>) -> Self {
        ListedGroups(RwLock::new(groups))
    }

    pub fn current(&self) -> BTreeSet<Group> {
        self.0.read().map(|groups| groups.clone()).unwrap_or_else(|poisoned| poisoned.into_inner().clone())
    }

    /// Adds or removes `group`; true when the set changed.
    pub fn set(&self, group: Group, listed: bool) -> bool {
        let mut groups = self.0.write().unwrap_or_else(|poisoned| poisoned.into_inner());
        if listed { groups.insert(group) } else { groups.remove(&group) }
    }
}
