//! Makes the schemas schemars generates portable and small before any client sees them: only the `format`
//! values JSON Schema 2020-12 defines (schemars' `int64`, `uint32`, `double`... make Ajv-based clients warn
//! "unknown format" on every call), no bare `true` schemas (some clients' converters reject them: they become
//! an explicit "any JSON value" `anyOf` of single types), no `$schema` (MCP's default dialect is 2020-12 already) and no
//! `"default": null`. An optional input field typed `["string", "null"]` becomes plain `"string"` (null and
//! absent mean the same to every tool, and single-`type` dialects such as Gemini's reject type arrays).
//! Output schemas also lose their descriptions: they describe what the reply already shows, and every byte
//! of the tool list is context an agent pays for on each turn.

use rmcp::model::Tool;
use serde_json::{Value, json};
use std::sync::Arc;

/// The `format` values JSON Schema 2020-12 defines.
pub const STANDARD_FORMATS: &[&str] = &[
    "date-time",
    "date",
    "time",
    "duration",
    "email",
    "idn-email",
    "hostname",
    "idn-hostname",
    "ipv4",
    "ipv6",
    "uri",
    "uri-reference",
    "iri",
    "iri-reference",
    "uuid",
    "uri-template",
    "json-pointer",
    "relative-json-pointer",
    "regex",
];

/// Keywords whose value is one schema.
const SCHEMA_KEYWORDS: &[&str] = &[
    "items",
    "additionalProperties",
    "not",
    "contains",
    "propertyNames",
    "if",
    "then",
    "else",
    "unevaluatedItems",
    "unevaluatedProperties",
    "contentSchema",
];
/// Keywords whose value is an array of schemas.
const SCHEMA_ARRAY_KEYWORDS: &[&str] = &["anyOf", "oneOf", "allOf", "prefixItems"];
/// Keywords whose value maps names to schemas.
const SCHEMA_MAP_KEYWORDS: &[&str] = &["properties", "$defs", "definitions", "patternProperties", "dependentSchemas"];

/// Rewrites the tool's input and output schemas in place.
pub fn make_portable(tool: &mut Tool) {
    let mut input = Value::Object(tool.input_schema.as_ref().clone());
    portable(&mut input, true);
    optional_inputs_not_nullable(&mut input);
    if let Value::Object(object) = input {
        tool.input_schema = Arc::new(object);
    }
    if let Some(output_schema) = &tool.output_schema {
        let mut output = Value::Object(output_schema.as_ref().clone());
        portable(&mut output, false);
        if let Value::Object(object) = output {
            tool.output_schema = Some(Arc::new(object));
        }
    }
}

/// In every object schema of an input (the top level and `$defs`), an optional property typed `[T, "null"]`
/// becomes `T`: the tools read a missing field and a null one alike.
fn optional_inputs_not_nullable(schema: &mut Value) {
    let Value::Object(object) = schema else {
        return;
    };
    let required: Vec<String> = object
        .get("required")
        .and_then(Value::as_array)
        .map(|names| names.iter().filter_map(Value::as_str).map(str::to_owned).collect())
        .unwrap_or_default();
    if let Some(Value::Object(properties)) = object.get_mut("properties") {
        for (name, property) in properties.iter_mut() {
            if required.contains(name) {
                continue;
            }
            let Some(Value::Array(types)) = property.get("type") else {
                continue;
            };
            let other: Vec<Value> = types.iter().filter(|t| t.as_str() != Some("null")).cloned().collect();
            if other.len() == 1 && types.len() == 2 {
                property["type"] = other[0].clone();
            }
        }
        properties.values_mut().for_each(optional_inputs_not_nullable);
    }
    for keyword in ["$defs", "definitions"] {
        if let Some(Value::Object(definitions)) = object.get_mut(keyword) {
            definitions.values_mut().for_each(optional_inputs_not_nullable);
        }
    }
    for keyword in SCHEMA_ARRAY_KEYWORDS {
        if let Some(Value::Array(branches)) = object.get_mut(*keyword) {
            branches.iter_mut().for_each(optional_inputs_not_nullable);
        }
    }
}

/// The schema that accepts any JSON value, spelled out.
pub fn any_value() -> Value {
    json!({"anyOf": [
        {"type": "string"}, {"type": "number"}, {"type": "boolean"}, {"type": "object"}, {"type": "array"}, {"type": "null"}
    ]})
}

/// Makes one schema portable, recursively; descriptions are kept only when `keep_descriptions`.
pub fn portable(schema: &mut Value, keep_descriptions: bool) {
    if schema == &Value::Bool(true) {
        *schema = any_value();
        return;
    }
    let Value::Object(object) = schema else {
        return;
    };
    object.remove("$schema");
    if object.get("default").is_some_and(Value::is_null) {
        object.remove("default");
    }
    if object.get("format").and_then(Value::as_str).is_some_and(|format| !STANDARD_FORMATS.contains(&format)) {
        object.remove("format");
    }
    if !keep_descriptions {
        object.remove("description");
        object.remove("title");
    }
    for (keyword, value) in object.iter_mut() {
        let keyword = keyword.as_str();
        if SCHEMA_KEYWORDS.contains(&keyword) {
            portable(value, keep_descriptions);
        } else if SCHEMA_ARRAY_KEYWORDS.contains(&keyword) {
            if let Value::Array(schemas) = value {
                schemas.iter_mut().for_each(|schema| portable(schema, keep_descriptions));
            }
        } else if SCHEMA_MAP_KEYWORDS.contains(&keyword)
            && let Value::Object(schemas) = value
        {
            schemas.values_mut().for_each(|schema| portable(schema, keep_descriptions));
        }
    }
}

/// Every non-standard `format` and bare `true` schema left in `schema`, as JSON pointers (for tests).
pub fn portability_problems(schema: &Value) -> Vec<String> {
    let mut problems = Vec::new();
    collect_problems(schema, "", &mut problems);
    problems
}

fn collect_problems(schema: &Value, at: &str, problems: &mut Vec<String>) {
    if schema == &Value::Bool(true) {
        problems.push(format!("{at}: bare true schema"));
        return;
    }
    let Value::Object(object) = schema else {
        return;
    };
    if let Some(format) = object.get("format").and_then(Value::as_str)
        && !STANDARD_FORMATS.contains(&format)
    {
        problems.push(format!("{at}/format: {format}"));
    }
    for (keyword, value) in object {
        let here = format!("{at}/{keyword}");
        if SCHEMA_KEYWORDS.contains(&keyword.as_str()) {
            collect_problems(value, &here, problems);
        } else if let (true, Value::Array(schemas)) = (SCHEMA_ARRAY_KEYWORDS.contains(&keyword.as_str()), value) {
            for (index, schema) in schemas.iter().enumerate() {
                collect_problems(schema, &format!("{here}/{index}"), problems);
            }
        } else if let (true, Value::Object(schemas)) = (SCHEMA_MAP_KEYWORDS.contains(&keyword.as_str()), value) {
            for (name, schema) in schemas {
                collect_problems(schema, &format!("{here}/{name}"), problems);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn non_standard_formats_bare_true_and_null_defaults_go() {
        let mut schema = json!({
            "$schema": "https://json-schema.org/draft/2020-12/schema",
            "type": "object",
            "properties": {
                "limit": {"type": "integer", "format": "uint32", "minimum": 0, "description": "How many."},
                "at": {"type": "string", "format": "date-time"},
                "params": {"type": "array", "items": true},
                "maybe": {"anyOf": [{"$ref": "#/$defs/X"}, {"type": "null"}], "default": null},
                "flag": {"type": "boolean", "default": true}
            },
            "$defs": {"X": {"type": "number", "format": "double"}}
        });
        portable(&mut schema, true);
        assert!(portability_problems(&schema).is_empty(), "{schema}");
        assert!(schema.get("$schema").is_none());
        assert_eq!(schema["properties"]["limit"], json!({"type": "integer", "minimum": 0, "description": "How many."}));
        assert_eq!(schema["properties"]["at"]["format"], "date-time");
        assert_eq!(schema["properties"]["params"]["items"], any_value());
        assert!(schema["properties"]["maybe"].get("default").is_none());
        assert_eq!(schema["properties"]["flag"]["default"], true);
        assert_eq!(schema["$defs"]["X"], json!({"type": "number"}));
    }

    #[test]
    fn optional_nullable_inputs_get_a_single_type() {
        let mut schema = json!({"type": "object", "required": ["must"], "properties": {
            "must": {"type": ["string", "null"]},
            "may": {"type": ["integer", "null"]},
            "any": {"type": ["string", "number", "null"]}
        }, "$defs": {"S": {"oneOf": [{"type": "object", "properties": {"dir": {"type": ["string", "null"]}}}]}}});
        optional_inputs_not_nullable(&mut schema);
        assert_eq!(schema["properties"]["must"]["type"], json!(["string", "null"]));
        assert_eq!(schema["properties"]["may"]["type"], "integer");
        assert_eq!(schema["properties"]["any"]["type"], json!(["string", "number", "null"]));
        assert_eq!(schema["$defs"]["S"]["oneOf"][0]["properties"]["dir"]["type"], "string");
    }

    #[test]
    fn output_schemas_lose_descriptions_but_keep_property_names() {
        let mut schema = json!({"type": "object", "description": "d", "properties": {
            "description": {"type": "string", "description": "a column named description"}
        }});
        portable(&mut schema, false);
        assert_eq!(schema, json!({"type": "object", "properties": {"description": {"type": "string"}}}));
    }

    #[test]
    fn problems_are_reported_with_their_place() {
        let schema = json!({"properties": {"a": {"format": "int64"}, "b": {"items": true}}});
        assert_eq!(
            portability_problems(&schema),
            vec!["/properties/a/format: int64", "/properties/b/items: bare true schema"]
        );
    }
}
