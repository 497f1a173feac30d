//! The parameters of the tool that reads a Supabase Cloud project's Realtime config (get_realtime_config): the
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
