//! `get_advisors` for a project reached through the Management API: the platform's own security and
//! performance lints, in the reply shape of our advisors (`source: management_api`). Our catalog lints need a
//! connection, so they do not run here; the reply says which lints answered.

use crate::failure::Failure;
use crate::groups::monitoring::analysis::{AdvisorsReply, GetAdvisorsParams, platform_advisors};
use crate::server::SupamcpServer;
use crate::server::output::fenced_structured;
use crate::supabase::management::ManagementApi;
use rmcp::model::{CallToolResult, JsonObject};
use std::collections::BTreeSet;

impl SupamcpServer {
    pub(super) async fn advisors_through_api(
        &self,
        api: &ManagementApi,
        reference: &str,
        arguments: JsonObject,
    ) -> Result<CallToolResult, Failure> {
        let params: GetAdvisorsParams = super::arguments("get_advisors", arguments)?;
        let limit = params.limit.clamp(1, 5000);
        let platform = platform_advisors(api, reference, params.kind, limit).await?;
        let lints: BTreeSet<String> = platform.findings.iter().map(|f| f.name.to_string()).collect();
        let reply = AdvisorsReply {
            findings: platform.findings,
            summary: platform.summary,
            truncated: platform.truncated,
            lints: lints.into_iter().collect(),
            api_schemas: Vec::new(),
            source: "management_api",
            platform: None,
        };
        let value = serde_json::to_value(&reply)
            .map_err(|e| Failure::new("cannot encode the advisors", e.to_string(), "report this as a supamcp bug"))?;
        Ok(fenced_structured("advisor findings", value))
    }
}
