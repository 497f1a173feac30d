//! invoke_edge_function: one request to `<API URL>/functions/v1/<slug>` through the instance's gateway, as
//! anon, service role, a given user JWT or nobody; the reply (status, headers, body, duration) fenced as
//! untrusted data, the body spilled past the threshold.

use super::TextSpill;
use crate::failure::Failure;
use crate::secret::Secret;
use crate::server::SupamcpServer;
use crate::server::output::{IntoToolResult, fenced_structured, schema_of};
use crate::supabase::functions::invoke::{Caller, Invocation, TIMEOUT, invoke};
use crate::supabase::gateway::Gateway;
use reqwest::Method;
use rmcp::handler::server::wrapper::Parameters;
use rmcp::model::CallToolResult;
use rmcp::{ErrorData as McpError, schemars, tool, tool_router};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use std::collections::BTreeMap;

/// Who the invocation is from.
#[derive(Clone, Copy, Debug, Default, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum InvokeAs {
    #[default]
    Anon,
    ServiceRole,
    User,
    None,
}

fn any_json(_: &mut schemars::SchemaGenerator) -> schemars::Schema {
    schemars::json_schema!({"type": ["object", "array", "string", "number", "boolean", "null"]})
}

fn post() -> String {
    "POST".to_owned()
}

#[derive(Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct InvokeParams {
    /// Instance whose API URL is called.
    #[serde(default)]
    pub instance: Option<String>,
    /// Project ref or instance name (as instance).
    #[serde(default)]
    pub project_id: Option<String>,
    /// The function's slug.
    pub function_slug: String,
    /// HTTP method.
    #[serde(default = "post")]
    pub method: String,
    /// Path after the slug.
    #[serde(default)]
    pub path: String,
    /// Query parameters.
    #[serde(default)]
    pub query: BTreeMap<String, String>,
    /// Extra headers (not authorization/apikey).
    #[serde(default)]
    pub headers: BTreeMap<String, String>,
    /// Request body.
    #[serde(default)]
    pub body: Option<String>,
    /// Default application/json.
    #[serde(default)]
    pub content_type: Option<String>,
    /// Caller: anon, service_role, user (jwt) or none.
    #[serde(default, rename = "as")]
    pub caller: InvokeAs,
    /// User access token for as = user.
    #[serde(default)]
    pub jwt: Option<String>,
}

#[derive(Serialize, schemars::JsonSchema)]
pub struct InvokeReply {
    pub url: String,
    pub status: u16,
    pub headers: BTreeMap<String, String>,
    /// The body: JSON when it parses, else text; null when spilled.
    #[schemars(schema_with = "any_json")]
    pub body: Option<Value>,
    pub body_bytes: u64,
    /// The body was longer than 16 MiB and was cut there.
    pub truncated: bool,
    pub duration_ms: u64,
    /// Set when the body was larger than the spill threshold: rows of [file, line].
    pub spilled: Option<TextSpill>,
}

impl SupamcpServer {
    fn caller_of(&self, params: &InvokeParams, instance: Option<&str>) -> Result<Caller, Failure> {
        let anon = self.state.settings.instance(instance).ok().and_then(|i| i.anon_key.clone());
        Ok(match params.caller {
            InvokeAs::None => Caller::Nobody,
            InvokeAs::ServiceRole => Caller::ServiceRole,
            InvokeAs::Anon => Caller::Anon(anon.ok_or_else(|| {
                Failure::new(
                    "no anon key is configured for this instance",
                    "as = anon sends the anon key",
                    "set SUPABASE_ANON_KEY (or anon_key in the config file), or call as service_role or user",
                )
            })?),
            InvokeAs::User => Caller::User {
                jwt: Secret::new(params.jwt.clone().filter(|j| !j.is_empty()).ok_or_else(|| {
                    Failure::new(
                        "as = user needs jwt",
                        "no access token was given",
                        "pass the user's access token as jwt",
                    )
                })?),
                anon,
            },
        })
    }
}

#[tool_router(router = functions_invoke_router, vis = "pub(crate)")]
impl SupamcpServer {
    /// Call an edge function through the instance's API URL as anon, service role or a user; returns status,
    /// headers, body and duration.
    #[tool(
        annotations(title = "Invoke edge function", read_only_hint = false, destructive_hint = false, idempotent_hint = false, open_world_hint = true),
        output_schema = schema_of::<InvokeReply>()
    )]
    async fn invoke_edge_function(
        &self,
        Parameters(params): Parameters<InvokeParams>,
    ) -> Result<CallToolResult, McpError> {
        let outcome = async {
            let settings = &self.state.settings;
            let instance = match params.project_id.as_deref().filter(|p| !p.is_empty()) {
                Some(project) => Some(settings.instance_for_project(params.instance.as_deref(), project)?),
                None => params.instance.clone(),
            };
            let config = settings
                .instance(instance.as_deref())
                .map_err(|why| Failure::new("the function cannot be invoked", why, "pass a configured instance"))?;
            let gateway = Gateway::for_config(config, TIMEOUT)?;
            let method = Method::from_bytes(params.method.to_ascii_uppercase().as_bytes()).map_err(|_| {
                Failure::new(
                    format!("'{}' is not an HTTP method", params.method),
                    "unknown method",
                    "use GET, POST, ...",
                )
            })?;
            let body = params
                .body
                .clone()
                .map(|text| (params.content_type.clone().unwrap_or_else(|| "application/json".to_owned()), text));
            let call = Invocation {
                slug: params.function_slug.clone(),
                method,
                path: params.path.clone(),
                query: params.query.clone().into_iter().collect(),
                headers: params.headers.clone().into_iter().collect(),
                body,
                caller: self.caller_of(&params, Some(&config.name))?,
            };
            let invoked = invoke(&gateway, &call).await?;
            let text = String::from_utf8_lossy(&invoked.body);
            let spilled = self.bounded_text(&[("body", &text)])?;
            let body = spilled.is_none().then(|| {
                serde_json::from_slice::<Value>(&invoked.body)
                    .unwrap_or_else(|_| Value::String(text.clone().into_owned()))
            });
            let reply = InvokeReply {
                url: invoked.url,
                status: invoked.status,
                headers: invoked.headers,
                body: if invoked.body.is_empty() { None } else { body },
                body_bytes: invoked.body.len() as u64,
                truncated: invoked.truncated,
                duration_ms: invoked.duration_ms,
                spilled,
            };
            serde_json::to_value(&reply)
                .map_err(|e| Failure::new("cannot encode the reply", e.to_string(), "report this as a bug"))
        };
        Ok(match outcome.await {
            Ok(value) => fenced_structured("function reply", value),
            Err(failure) => failure.into_result(),
        })
    }
}
