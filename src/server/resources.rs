//! MCP resources: spilled results, paged (`supamcp://results/<handle>`, then `...?offset=N` as each page names
//! the next), and each configured instance's schemas with their tables, columns and RLS policies
//! (`supamcp://<instance>/schema/<schema>`). Both carry database content, so their text is fenced as untrusted
//! data like tool replies; pages keep the byte budget of `read_result`.

use super::SupamcpServer;
use super::output::fence_untrusted;
use crate::failure::Failure;
use rmcp::ErrorData as McpError;
use rmcp::model::{ReadResourceResult, Resource, ResourceContents, ResourceTemplate};
use serde_json::json;
use std::time::Duration;

const RESULTS: &str = "supamcp://results/";
const SCHEME: &str = "supamcp://";
/// How long listing waits for one instance's schemas before leaving them out.
const LIST_WAIT: Duration = Duration::from_secs(3);

/// The resource of a spilled result's page starting at `offset`.
pub fn result_uri(handle: &str, offset: u64) -> String {
    match offset {
        0 => format!("{RESULTS}{handle}"),
        offset => format!("{RESULTS}{handle}?offset={offset}"),
    }
}

/// The resource of one schema of an instance.
pub fn schema_uri(instance: &str, schema: &str) -> String {
    format!("{SCHEME}{}/schema/{}", encode(instance), encode(schema))
}

/// What a URI names.
#[derive(Debug, PartialEq)]
enum Target {
    Result { handle: String, offset: u64 },
    Schema { instance: String, schema: String },
}

fn parse(uri: &str) -> Option<Target> {
    if let Some(rest) = uri.strip_prefix(RESULTS) {
        let (handle, query) = rest.split_once('?').unwrap_or((rest, ""));
        let offset = match query {
            "" => 0,
            query => query.strip_prefix("offset=")?.parse().ok()?,
        };
        return Some(Target::Result { handle: handle.to_owned(), offset });
    }
    let rest = uri.strip_prefix(SCHEME)?;
    let (instance, schema) = rest.split_once("/schema/")?;
    if instance.contains('/') || schema.contains('/') {
        return None;
    }
    let (instance, schema) = (decode(instance)?, decode(schema)?);
    (!instance.is_empty() && !schema.is_empty()).then_some(Target::Schema { instance, schema })
}

/// Percent-encodes everything but ASCII letters, digits and `_.-`.
fn encode(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for byte in text.bytes() {
        if byte.is_ascii_alphanumeric() || b"_.-".contains(&byte) {
            out.push(byte as char);
        } else {
            out.push_str(&format!("%{byte:02X}"));
        }
    }
    out
}

fn decode(text: &str) -> Option<String> {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' {
            let hex = std::str::from_utf8(bytes.get(i + 1..i + 3)?).ok()?;
            out.push(u8::from_str_radix(hex, 16).ok()?);
            i += 3;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    String::from_utf8(out).ok()
}

/// The resource templates: spilled results and schemas.
pub fn templates() -> Vec<ResourceTemplate> {
    vec![
        ResourceTemplate::new(format!("{RESULTS}{{handle}}"), "spilled-result")
            .with_title("Spilled query result")
            .with_description(
                "A result execute_sql spilled to a file, one page (64 KiB) at a time; each page names the next \
                 (next_uri, ...?offset=N). The handle is in execute_sql's reply.",
            )
            .with_mime_type("text/plain"),
        ResourceTemplate::new(format!("{SCHEME}{{instance}}/schema/{{schema}}"), "database-schema")
            .with_title("Database schema")
            .with_description("The tables and views of one schema with their columns and RLS policies.")
            .with_mime_type("text/plain"),
    ]
}

impl SupamcpServer {
    /// The schema resources of every instance with a database (internal schemas left out); an instance that
    /// cannot be reached within a few seconds is left out and logged.
    pub(crate) async fn schema_resources(&self) -> Vec<Resource> {
        let mut resources = Vec::new();
        for (name, instance) in &self.state.settings.instances {
            if instance.database.is_none() {
                continue;
            }
            let schemas = async {
                let client = self.state.databases.get(Some(name))?.client().await?;
                crate::pg::catalog::list_schemas(&**client, false).await
            };
            match tokio::time::timeout(LIST_WAIT, schemas).await {
                Ok(Ok(schemas)) => resources.extend(schemas.into_iter().map(|schema| {
                    Resource::new(schema_uri(name, &schema.name), format!("{name}/{}", schema.name))
                        .with_title(format!("Schema {} of {name}", schema.name))
                        .with_description(format!("{} tables, their columns and RLS policies", schema.tables))
                        .with_mime_type("text/plain")
                })),
                Ok(Err(failure)) => tracing::warn!(instance = %name, "schemas not listed as resources: {failure}"),
                Err(_) => tracing::warn!(instance = %name, "schemas not listed as resources: no answer in time"),
            }
        }
        resources
    }

    /// Reads a resource by URI.
    pub(crate) async fn read_resource_uri(&self, uri: &str) -> Result<ReadResourceResult, McpError> {
        let not_found = |why: String| McpError::resource_not_found(format!("resources/read {uri}: {why}"), None);
        let target = parse(uri).ok_or_else(|| {
            not_found(format!(
                "not a supamcp resource URI (expected {RESULTS}<handle>[?offset=N] or {SCHEME}<instance>/schema/<schema>)"
            ))
        })?;
        let text = match target {
            Target::Result { handle, offset } => {
                let page = self.state.spill.read(&handle, offset, u64::MAX).map_err(|f| not_found(f.text()))?;
                let page = json!({
                    "handle": page.handle,
                    "columns": page.columns,
                    "rows": page.rows,
                    "offset": page.offset,
                    "next_offset": page.next_offset,
                    "next_uri": page.next_offset.map(|next| result_uri(&handle, next)),
                    "total_rows": page.total_rows,
                    "truncated_values": page.truncated_values,
                });
                fence_untrusted("query result page", &page.to_string())
            }
            Target::Schema { instance, schema } => {
                let document = self.schema_document(&instance, &schema).await.map_err(|failure| {
                    McpError::resource_not_found(format!("resources/read {uri}: {}", failure.text()), None)
                })?;
                fence_untrusted("schema description", &document)
            }
        };
        Ok(ReadResourceResult::new(vec![ResourceContents::text(text, uri).with_mime_type("text/plain")]))
    }

    async fn schema_document(&self, instance: &str, schema: &str) -> Result<String, Failure> {
        let client = self.state.databases.get(Some(instance))?.client().await?;
        if !crate::pg::catalog::schema_exists(&**client, schema).await? {
            return Err(Failure::new(
                format!("no schema '{schema}' on instance '{instance}'"),
                "the database has no schema of that name",
                "list the schemas with resources/list or list_schemas",
            ));
        }
        let document = crate::pg::catalog::schema_document(&**client, schema).await?;
        serde_json::to_string(&document)
            .map_err(|e| Failure::new("cannot encode the schema", e.to_string(), "report this as a supamcp bug"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn uris_round_trip() {
        let handle = "0b9e7c1e-8a7e-4f3c-9b8e-2f9d1c3a4b5c";
        assert_eq!(parse(&result_uri(handle, 0)), Some(Target::Result { handle: handle.into(), offset: 0 }));
        assert_eq!(parse(&result_uri(handle, 42)), Some(Target::Result { handle: handle.into(), offset: 42 }));
        let uri = schema_uri("dev", "my schema/x");
        assert_eq!(uri, "supamcp://dev/schema/my%20schema%2Fx");
        assert_eq!(parse(&uri), Some(Target::Schema { instance: "dev".into(), schema: "my schema/x".into() }));
        assert_eq!(parse("supamcp://results/x?limit=3"), None);
        assert_eq!(parse("file:///etc/passwd"), None);
        assert_eq!(parse("supamcp://dev/schema/%zz"), None);
    }
}
