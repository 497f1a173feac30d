//! The toolset tools, offered when no `--features` fixed the tool set: `list_tool_groups` says which groups
//! exist, which are offered and which this session lists; `enable_tool_group` / `disable_tool_group` add a
//! group's tools to the list or take them out again, and tell the client with
//! `notifications/tools/list_changed`. They change nothing but this session's tool list.

use crate::failure::Failure;
use crate::groups::{DEFAULT_TOOLS, Group};
use crate::server::SupamcpServer;
use crate::server::output::{IntoToolResult, schema_of, structured};
use rmcp::handler::server::wrapper::Parameters;
use rmcp::model::CallToolResult;
use rmcp::service::RequestContext;
use rmcp::{ErrorData as McpError, RoleServer, schemars, tool, tool_router};
use serde::{Deserialize, Serialize};

/// The names of the toolset tools.
pub const TOOLSET_TOOLS: &[&str] = &["list_tool_groups", "enable_tool_group", "disable_tool_group"];

#[derive(Debug, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct NoParams {}

#[derive(Debug, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct GroupParams {
    /// The group, as list_tool_groups names it.
    pub group: Group,
}

#[derive(Debug, Serialize, schemars::JsonSchema)]
pub struct GroupEntry {
    pub group: &'static str,
    pub summary: &'static str,
    /// Configured and available on this server.
    pub offered: bool,
    /// All its tools are in this session's tool list.
    pub listed: bool,
    /// Why the group is not offered.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    pub tools: Vec<String>,
}

#[derive(Debug, Serialize, schemars::JsonSchema)]
pub struct GroupsReply {
    pub groups: Vec<GroupEntry>,
    /// Tools listed whatever groups are enabled.
    pub default_tools: Vec<&'static str>,
}

#[derive(Debug, Serialize, schemars::JsonSchema)]
pub struct GroupChange {
    pub group: &'static str,
    pub listed: bool,
    /// False when the group already was in that state.
    pub changed: bool,
    pub tools: Vec<String>,
    pub listed_tool_count: usize,
}

#[tool_router(router = toolsets_router, vis = "pub(crate)")]
impl SupamcpServer {
    /// List the tool groups (auth, storage, migrations, backups...): which are available here and which are
    /// in the tool list. Use enable_tool_group to add one.
    #[tool(
        annotations(title = "List tool groups", read_only_hint = true, destructive_hint = false, idempotent_hint = true, open_world_hint = false),
        output_schema = schema_of::<GroupsReply>()
    )]
    async fn list_tool_groups(&self, Parameters(_): Parameters<NoParams>) -> Result<CallToolResult, McpError> {
        let listed = self.listed_groups();
        let catalog = self.catalog();
        let groups = Group::ALL
            .into_iter()
            .map(|group| {
                let reason = catalog.not_offered_reason(group);
                GroupEntry {
                    group: group.name(),
                    summary: group.summary(),
                    offered: reason.is_none(),
                    listed: listed.contains(&group),
                    reason,
                    tools: catalog.tools_of(group),
                }
            })
            .collect();
        Ok(structured(&GroupsReply { groups, default_tools: DEFAULT_TOOLS.to_vec() }))
    }

    /// Add a tool group's tools to the tool list, for example storage before managing buckets.
    #[tool(
        annotations(title = "Enable tool group", read_only_hint = true, destructive_hint = false, idempotent_hint = true, open_world_hint = false),
        output_schema = schema_of::<GroupChange>()
    )]
    async fn enable_tool_group(
        &self,
        Parameters(params): Parameters<GroupParams>,
        context: RequestContext<RoleServer>,
    ) -> Result<CallToolResult, McpError> {
        self.change_group(params.group, true, &context).await
    }

    /// Take a tool group's tools out of the tool list again (its default tools stay).
    #[tool(
        annotations(title = "Disable tool group", read_only_hint = true, destructive_hint = false, idempotent_hint = true, open_world_hint = false),
        output_schema = schema_of::<GroupChange>()
    )]
    async fn disable_tool_group(
        &self,
        Parameters(params): Parameters<GroupParams>,
        context: RequestContext<RoleServer>,
    ) -> Result<CallToolResult, McpError> {
        self.change_group(params.group, false, &context).await
    }
}

impl SupamcpServer {
    async fn change_group(
        &self,
        group: Group,
        listed: bool,
        context: &RequestContext<RoleServer>,
    ) -> Result<CallToolResult, McpError> {
        if let Some(reason) = self.catalog().not_offered_reason(group) {
            return Ok(Failure::new(
                format!("tool group '{group}' cannot be enabled"),
                reason,
                "configure what the reason names and restart supamcp; list_tool_groups shows every group's state",
            )
            .into_result());
        }
        let changed = self.set_group_listed(group, listed);
        if changed && let Err(error) = context.peer.notify_tool_list_changed().await {
            tracing::debug!("tools/list_changed not delivered: {error}");
        }
        let listed_tool_count = self.catalog().listed_tools(&self.listed_groups()).len();
        Ok(structured(&GroupChange {
            group: group.name(),
            listed,
            changed,
            tools: self.catalog().tools_of(group),
            listed_tool_count,
        }))
    }
}
