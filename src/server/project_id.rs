//! The official Supabase MCP server's `project_id` on the tools both servers have. Each listed tool's input
//! schema gains an optional `project_id`, and a call that passes one has it turned into the tool's `instance`
//! before the tool runs (`Settings::instance_for_project`), so calls written for the official server select
//! the same project here. Cloud tools declare their own `project_id` and are not listed.

use crate::config::Settings;
use crate::failure::Failure;
use rmcp::model::{JsonObject, Tool};
use serde_json::{Value, json};
use std::sync::Arc;

/// Tools of the official server that supamcp's self-hosted-shaped tools answer, selecting by `instance`.
pub const PROJECT_ID_TOOLS: &[&str] = &[
    "execute_sql",
    "list_tables",
    "list_extensions",
    "list_migrations",
    "apply_migration",
    "get_advisors",
    "generate_typescript_types",
    "get_project_url",
    "get_publishable_keys",
    "list_storage_buckets",
];

/// Adds the optional `project_id` parameter to the input schema of a [`PROJECT_ID_TOOLS`] tool.
pub fn declare(tool: &mut Tool) {
    if !PROJECT_ID_TOOLS.contains(&tool.name.as_ref()) {
        return;
    }
    let mut schema = (*tool.input_schema).clone();
    let has_instance = schema.get("properties").and_then(Value::as_object).is_some_and(|p| p.contains_key("instance"));
    if !has_instance {
        return;
    }
    if let Some(Value::Object(properties)) = schema.get_mut("properties") {
        properties.insert(
            "project_id".to_owned(),
            json!({"type": "string", "description": "Instance name or Supabase project ref; same as instance."}),
        );
    }
    tool.input_schema = Arc::new(schema);
}

/// Moves a call's `project_id` into `instance` for a [`PROJECT_ID_TOOLS`] tool; other tools are left alone.
pub fn resolve(settings: &Settings, tool: &str, arguments: &mut Option<JsonObject>) -> Result<(), Failure> {
    if !PROJECT_ID_TOOLS.contains(&tool) {
        return Ok(());
    }
    let Some(arguments) = arguments.as_mut() else {
        return Ok(());
    };
    let Some(project_id) = arguments.remove("project_id") else {
        return Ok(());
    };
    let project_id = match project_id {
        Value::String(text) => text,
        Value::Null => return Ok(()),
        other => {
            return Err(Failure::new(
                "project_id must be a string",
                format!("got {other}"),
                "pass the instance name or project ref as a string",
            ));
        }
    };
    let instance = arguments.get("instance").and_then(Value::as_str);
    let chosen = settings.instance_for_project(instance, &project_id)?;
    arguments.insert("instance".to_owned(), Value::String(chosen));
    Ok(())
}
