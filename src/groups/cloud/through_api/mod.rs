//! The official server's database and development tools answered through the Management API: when a call's
//! `project_id` names a Supabase Cloud project that supamcp has no database URL for (or the instance it names
//! has none) and an access token is configured, `execute_sql`, `list_tables`, `list_extensions`,
//! `list_migrations`, `apply_migration`, `get_advisors` (the platform's lints), `generate_typescript_types`,
//! `get_project_url` and `get_publishable_keys` go to `/v1/projects/{ref}/...` instead of a connection, with
//! the same parameters and reply shapes. Read-only SQL goes to `/database/query/read-only`, where PostgreSQL
//! enforces it.

mod advisors;
mod development;
mod migrations;
mod sql;

use crate::failure::Failure;
use crate::server::SupamcpServer;
use crate::server::output::IntoToolResult;
use crate::supabase::management::ManagementApi;
use rmcp::RoleServer;
use rmcp::model::{CallToolResult, JsonObject};
use rmcp::service::RequestContext;
use serde::de::DeserializeOwned;
use serde_json::Value;

/// Tools that answer through the Management API when their project has no database URL here.
pub const THROUGH_MANAGEMENT_API: &[&str] = &[
    "execute_sql",
    "list_tables",
    "list_extensions",
    "list_migrations",
    "apply_migration",
    "get_advisors",
    "generate_typescript_types",
    "get_project_url",
    "get_publishable_keys",
];

/// Reads a call's arguments as the tool's own parameters (`project_id` taken out first).
pub(super) fn arguments<T: DeserializeOwned>(tool: &str, mut arguments: JsonObject) -> Result<T, Failure> {
    arguments.remove("project_id");
    serde_json::from_value(Value::Object(arguments)).map_err(|e| {
        Failure::new(format!("the arguments of {tool} are invalid"), e.to_string(), "check the tool's input schema")
    })
}

/// The refusal for a parameter the Management API cannot honour.
pub(super) fn not_through_api(tool: &str, parameter: &str, instead: &str) -> Failure {
    Failure::new(
        format!("{tool}: `{parameter}` is not available through the Management API"),
        "this project has no database URL configured here, so supamcp reaches it through the Management API, \
         which has no equivalent",
        format!("{instead}; or configure the project's database URL (--database-url or a config instance)"),
    )
}

impl SupamcpServer {
    /// The project ref a call of `tool` goes to through the Management API, or `None` when it runs on a
    /// configured database as usual.
    pub(crate) fn management_api_target(&self, tool: &str, arguments: Option<&JsonObject>) -> Option<String> {
        let settings = &self.state.settings;
        if !THROUGH_MANAGEMENT_API.contains(&tool) || settings.access_token.is_none() {
            return None;
        }
        let project_id = arguments?.get("project_id")?.as_str()?;
        let configured = settings
            .instances
            .values()
            .find(|i| i.name == project_id || i.project_ref().as_deref() == Some(project_id));
        match configured {
            Some(instance) if instance.database.is_some() => None,
            Some(instance) => Some(instance.project_ref().unwrap_or_else(|| project_id.to_owned())),
            None => Some(project_id.to_owned()),
        }
    }

    /// The refusal for a database tool called with neither a database nor a project to reach through the API.
    pub(crate) fn needs_project_id(&self, tool: &str, arguments: Option<&JsonObject>) -> Option<Failure> {
        let settings = &self.state.settings;
        let given = arguments.is_some_and(|a| {
            a.get("project_id").is_some_and(|v| !v.is_null()) || a.get("instance").is_some_and(|v| !v.is_null())
        });
        (THROUGH_MANAGEMENT_API.contains(&tool)
            && settings.access_token.is_some()
            && !settings.has_database()
            && !given)
            .then(|| {
                Failure::new(
                    format!("{tool} needs a project"),
                    "no database URL is configured, so supamcp reaches projects through the Management API, and the \
                     call names none",
                    "pass project_id (list_projects shows them), or start supamcp with --project-ref",
                )
            })
    }

    /// Runs `tool` on project `reference` through the Management API.
    pub(crate) async fn call_through_management_api(
        &self,
        tool: &str,
        reference: &str,
        arguments: JsonObject,
        context: &RequestContext<RoleServer>,
    ) -> CallToolResult {
        let api = match ManagementApi::from_settings(&self.state.settings) {
            Ok(api) => api,
            Err(failure) => return failure.into_result(),
        };
        let outcome = match tool {
            "execute_sql" => self.execute_sql_through_api(&api, reference, arguments, context).await,
            "list_tables" => self.list_tables_through_api(&api, reference, arguments).await,
            "list_extensions" => self.list_extensions_through_api(&api, reference, arguments).await,
            "list_migrations" => self.list_migrations_through_api(&api, reference, arguments).await,
            "apply_migration" => self.apply_migration_through_api(&api, reference, arguments).await,
            "get_advisors" => self.advisors_through_api(&api, reference, arguments).await,
            "generate_typescript_types" => self.types_through_api(&api, reference, arguments, context).await,
            "get_project_url" => self.project_url_through_api(&api, reference, arguments),
            "get_publishable_keys" => self.publishable_keys_through_api(&api, reference, arguments).await,
            other => Err(Failure::new(
                format!("{other} cannot run through the Management API"),
                "it is not one of the tools that can",
                "configure the project's database URL",
            )),
        };
        outcome.unwrap_or_else(|failure| failure.into_result())
    }
}
