//! `generate_typescript_types`, `get_project_url` and `get_publishable_keys` for a project reached through the
//! Management API: the types the platform generates (written, inlined or spilled as the local generator's
//! are), the project's URL from the API host, and its public keys only (secret and service-role keys are
//! withheld, as they are from a .env).

use crate::failure::Failure;
use crate::groups::development::types::{GenerateTypesParams, ProjectParams, ProjectUrlReply, PublishableKeysReply};
use crate::server::SupamcpServer;
use crate::server::output::structured;
use crate::server::progress::heartbeat;
use crate::supabase::management::ManagementApi;
use crate::supabase::public::classify;
use rmcp::RoleServer;
use rmcp::model::{CallToolResult, JsonObject};
use rmcp::service::RequestContext;

impl SupamcpServer {
    pub(super) async fn types_through_api(
        &self,
        api: &ManagementApi,
        reference: &str,
        arguments: JsonObject,
        context: &RequestContext<RoleServer>,
    ) -> Result<CallToolResult, Failure> {
        let params: GenerateTypesParams = super::arguments("generate_typescript_types", arguments)?;
        if params.postgrest_version.is_some() || !params.detect_one_to_one_relationships {
            return Err(super::not_through_api(
                "generate_typescript_types",
                "postgrest_version / detect_one_to_one_relationships",
                "leave them out: the platform generates for the project's own PostgREST",
            ));
        }
        let target = self.write_target(params.write_to.as_deref(), params.confirm)?;
        let work = async {
            let text = api.typescript_types(reference, &params.schemas).await?;
            self.types_reply(params.schemas.clone(), text, target.as_deref())
        };
        heartbeat(context, "generate_typescript_types", work).await
    }

    pub(super) fn project_url_through_api(
        &self,
        api: &ManagementApi,
        reference: &str,
        arguments: JsonObject,
    ) -> Result<CallToolResult, Failure> {
        let _: ProjectParams = super::arguments("get_project_url", arguments)?;
        let url = api.project_url(reference);
        Ok(structured(&ProjectUrlReply { url, source: format!("management api ({})", api.base()) }))
    }

    pub(super) async fn publishable_keys_through_api(
        &self,
        api: &ManagementApi,
        reference: &str,
        arguments: JsonObject,
    ) -> Result<CallToolResult, Failure> {
        let _: ProjectParams = super::arguments("get_publishable_keys", arguments)?;
        let mut reply = PublishableKeysReply { keys: Vec::new(), withheld: Vec::new() };
        for key in api.api_keys(reference).await? {
            let source = format!("api-keys: {} ({})", key.name, key.kind.as_deref().unwrap_or("legacy"));
            let Some(value) = key.api_key.filter(|v| !v.is_empty()) else { continue };
            match classify(&source, &value) {
                Ok(public) => reply.keys.push(public),
                Err(withheld) => reply.withheld.push(withheld),
            }
        }
        Ok(structured(&reply))
    }
}
