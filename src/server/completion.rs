//! `completion/complete`: values for arguments that name things, for prompt arguments and resource template
//! variables alike, chosen by the argument's name: `instance` (the configured instances), `schema` (the
//! database's non-internal schemas), `table` (its tables, in the `schema` already chosen when there is one).
//! MCP offers completion only for prompts and resource templates, not for tool arguments. Completion is best
//! effort: a database that cannot be reached yields no values, not an error.

use super::SupamcpServer;
use super::prompts;
use crate::pg::catalog::{TableFilter, list_schemas, list_tables};
use rmcp::ErrorData as McpError;
use rmcp::model::{CompleteRequestParams, CompletionInfo, Reference};

/// How many candidates are read from the database before filtering by the typed prefix.
const CANDIDATES: i64 = 1000;

impl SupamcpServer {
    pub(crate) async fn complete_argument(&self, request: &CompleteRequestParams) -> Result<CompletionInfo, McpError> {
        if let Reference::Prompt(prompt) = &request.r#ref {
            let Some(arguments) = prompts::argument_names(&prompt.name) else {
                return Err(McpError::invalid_params(
                    format!("completion/complete: no prompt named '{}'; prompts/list names them", prompt.name),
                    None,
                ));
            };
            if !arguments.contains(&request.argument.name.as_str()) {
                return Err(McpError::invalid_params(
                    format!(
                        "completion/complete: prompt '{}' has no argument '{}'; its arguments are {}",
                        prompt.name,
                        request.argument.name,
                        arguments.join(", ")
                    ),
                    None,
                ));
            }
        }
        let context = request.context.as_ref().and_then(|c| c.arguments.clone()).unwrap_or_default();
        let instance = context.get("instance").map(String::as_str).filter(|name| !name.is_empty());
        let candidates = match request.argument.name.as_str() {
            "instance" => self.state.settings.instances.keys().cloned().collect(),
            "schema" => self.schema_names(instance).await,
            "table" => self.table_names(instance, context.get("schema").map(String::as_str)).await,
            _ => Vec::new(),
        };
        Ok(matching(candidates, &request.argument.value))
    }

    async fn schema_names(&self, instance: Option<&str>) -> Vec<String> {
        let found = async {
            let client = self.state.databases.get(instance)?.client().await?;
            list_schemas(&**client, false).await
        }
        .await;
        match found {
            Ok(rows) => rows.into_iter().map(|row| row.name).collect(),
            Err(failure) => {
                tracing::debug!("completion: no schemas: {failure}");
                Vec::new()
            }
        }
    }

    async fn table_names(&self, instance: Option<&str>, schema: Option<&str>) -> Vec<String> {
        let filter = TableFilter {
            schemas: schema.filter(|s| !s.is_empty()).map(|s| vec![s.to_owned()]),
            include_internal: false,
            name_contains: None,
            limit: CANDIDATES,
            offset: 0,
        };
        let found = async {
            let client = self.state.databases.get(instance)?.client().await?;
            list_tables(&**client, &filter).await
        }
        .await;
        match found {
            Ok((rows, _)) => {
                let qualify = filter.schemas.is_none();
                rows.into_iter()
                    .map(|row| if qualify { format!("{}.{}", row.schema, row.name) } else { row.name })
                    .collect()
            }
            Err(failure) => {
                tracing::debug!("completion: no tables: {failure}");
                Vec::new()
            }
        }
    }
}

/// The candidates starting with `typed` (case-insensitive), sorted, at most the 100 MCP allows, with the total.
fn matching(mut candidates: Vec<String>, typed: &str) -> CompletionInfo {
    let typed = typed.to_lowercase();
    candidates.retain(|candidate| candidate.to_lowercase().starts_with(&typed));
    candidates.sort();
    candidates.dedup();
    let total = candidates.len();
    candidates.truncate(CompletionInfo::MAX_VALUES);
    let mut info = CompletionInfo::default();
    info.values = candidates;
    info.total = u32::try_from(total).ok();
    info.has_more = Some(total > CompletionInfo::MAX_VALUES);
    info
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn matching_filters_by_prefix_and_caps_at_one_hundred() {
        let info = matching(vec!["todos".into(), "Profiles".into(), "teams".into()], "T");
        assert_eq!(info.values, vec!["teams", "todos"]);
        assert_eq!((info.total, info.has_more), (Some(2), Some(false)));
        let many: Vec<String> = (0..150).map(|i| format!("t{i:03}")).collect();
        let info = matching(many, "t");
        assert_eq!((info.values.len(), info.total, info.has_more), (100, Some(150), Some(true)));
    }
}
