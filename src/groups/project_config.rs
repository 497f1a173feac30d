//! The parameters of the tools that read a Supabase Cloud project's service config (storage, realtime): the
//! project, or the instance whose URL names it.

use rmcp::schemars;
use serde::Deserialize;

#[derive(Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ProjectConfigParams {
    /// Project ref; default the ref in the instance's https://<ref>.supabase.co URL.
    #[serde(default)]
    pub project_id: Option<String>,
    /// Instance whose URL names the project; the default instance when omitted.
    #[serde(default)]
    pub instance: Option<String>,
}
