//! The fake's database surface, on a real PostgreSQL database: `database/query` and `database/query/read-only`
//! (the latter in a read-only transaction, as the platform's read-only login makes PostgreSQL refuse writes),
//! parameters bound as node-postgres binds them (each value's text; arrays as array literals), rows typed as
//! node-postgres types them (booleans, int2/int4 and floats as JSON, json/jsonb parsed, int8 and numeric as
//! strings, everything else as text); `database/migrations` (GET the history, POST {name, query} applies and
//! records it in `supabase_migrations.schema_migrations`); `types/typescript`, `api-keys` and `advisors`.

use super::routes::Database;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};
use tokio_postgres::types::Type;

fn reply(status: StatusCode, body: Value) -> Response {
    (status, axum::Json(body)).into_response()
}

fn message(status: StatusCode, text: &str) -> Response {
    reply(status, json!({ "message": text }))
}

/// A parameter as node-postgres sends it: its text (or NULL).
fn parameter_text(value: &Value) -> Option<String> {
    match value {
        Value::Null => None,
        Value::String(text) => Some(text.clone()),
        Value::Array(items) => {
            let items: Vec<String> = items
                .iter()
                .map(|item| match parameter_text(item) {
                    None => "NULL".to_owned(),
                    Some(text) => format!("\"{}\"", text.replace('\\', "\\\\").replace('"', "\\\"")),
                })
                .collect();
            Some(format!("{{{}}}", items.join(",")))
        }
        other => Some(other.to_string()),
    }
}

/// The SQL with `$n` replaced by its value as a typed literal (the fake's stand-in for a bind).
fn bind(sql: &str, types: &[Type], parameters: &[Value]) -> String {
    let mut out = String::new();
    let mut chars = sql.chars().peekable();
    while let Some(c) = chars.next() {
        if c == '$' && chars.peek().is_some_and(char::is_ascii_digit) {
            let mut digits = String::new();
            while let Some(d) = chars.peek().filter(|d| d.is_ascii_digit()) {
                digits.push(*d);
                chars.next();
            }
            let index: usize = digits.parse::<usize>().unwrap() - 1;
            let ty = types.get(index).map(|t| t.name().to_owned()).unwrap_or_else(|| "text".to_owned());
            match parameters.get(index).and_then(parameter_text) {
                None => out.push_str(&format!("(NULL::{ty})")),
                Some(text) => out.push_str(&format!("('{}'::{ty})", text.replace('\'', "''"))),
            }
        } else {
            out.push(c);
        }
    }
    out
}

fn typed(ty: Option<&Type>, text: Option<&str>) -> Value {
    let Some(text) = text else { return Value::Null };
    match ty {
        Some(&Type::BOOL) => json!(text == "t"),
        Some(&Type::INT2 | &Type::INT4 | &Type::OID) => text.parse::<i64>().map_or_else(|_| json!(text), |n| json!(n)),
        Some(&Type::FLOAT4 | &Type::FLOAT8) => text.parse::<f64>().map_or_else(|_| json!(text), |n| json!(n)),
        Some(&Type::JSON | &Type::JSONB) => serde_json::from_str(text).unwrap_or_else(|_| json!(text)),
        _ => json!(text),
    }
}

/// `POST /v1/projects/{ref}/database/query[/read-only]`.
pub async fn query(database: &Database, body: &Value, read_only: bool) -> Response {
    let Some(sql) = body["query"].as_str() else {
        return message(StatusCode::BAD_REQUEST, "query is required");
    };
    let parameters = body["parameters"].as_array().cloned().unwrap_or_default();
    let client = database.lock().await;
    // Column and parameter types, for a single statement (a script cannot be prepared, nor take parameters).
    let prepared = client.prepare(sql).await.ok();
    if !parameters.is_empty() && prepared.is_none() {
        let error = client.prepare(sql).await.unwrap_err();
        let detail = error.as_db_error().map_or_else(|| error.to_string(), |e| e.message().to_owned());
        return message(StatusCode::BAD_REQUEST, &format!("Failed to run sql query: ERROR:  {detail}"));
    }
    let sql = match &prepared {
        Some(statement) if !parameters.is_empty() => bind(sql, statement.params(), &parameters),
        _ => sql.to_owned(),
    };
    let column_types: Vec<Type> =
        prepared.as_ref().map(|s| s.columns().iter().map(|c| c.type_().clone()).collect()).unwrap_or_default();
    client.batch_execute(if read_only { "BEGIN READ ONLY" } else { "BEGIN" }).await.unwrap();
    match client.simple_query(&sql).await {
        Ok(messages) => {
            client.batch_execute("COMMIT").await.unwrap();
            let mut rows = Vec::new();
            for message in messages {
                if let tokio_postgres::SimpleQueryMessage::RowDescription(_) = message {
                    rows.clear();
                }
                if let tokio_postgres::SimpleQueryMessage::Row(row) = message {
                    let mut object = serde_json::Map::new();
                    for (i, column) in row.columns().iter().enumerate() {
                        object.insert(column.name().to_owned(), typed(column_types.get(i), row.get(i)));
                    }
                    rows.push(Value::Object(object));
                }
            }
            reply(StatusCode::CREATED, json!(rows))
        }
        Err(error) => {
            client.batch_execute("ROLLBACK").await.unwrap();
            let detail = error.as_db_error().map_or_else(|| error.to_string(), |e| e.message().to_owned());
            message(StatusCode::BAD_REQUEST, &format!("Failed to run sql query: ERROR:  {detail}"))
        }
    }
}

const HISTORY: &str = "create schema if not exists supabase_migrations; \
    create table if not exists supabase_migrations.schema_migrations \
    (version text primary key, statements text[], name text)";

/// `GET /v1/projects/{ref}/database/migrations`.
pub async fn migrations(database: &Database) -> Response {
    let client = database.lock().await;
    client.batch_execute(HISTORY).await.unwrap();
    let rows = client
        .query("select version, name from supabase_migrations.schema_migrations order by version", &[])
        .await
        .unwrap();
    let rows: Vec<Value> = rows
        .iter()
        .map(|r| json!({ "version": r.get::<_, String>(0), "name": r.get::<_, Option<String>>(1) }))
        .collect();
    reply(StatusCode::OK, json!(rows))
}

/// `POST /v1/projects/{ref}/database/migrations` with `{name, query}`: applied and recorded in one transaction.
pub async fn apply_migration(database: &Database, body: &Value) -> Response {
    let (Some(name), Some(query)) = (body["name"].as_str(), body["query"].as_str()) else {
        return message(StatusCode::BAD_REQUEST, "name and query are required");
    };
    let client = database.lock().await;
    client.batch_execute(HISTORY).await.unwrap();
    client.batch_execute("BEGIN").await.unwrap();
    if let Err(error) = client.batch_execute(query).await {
        client.batch_execute("ROLLBACK").await.unwrap();
        let detail = error.as_db_error().map_or_else(|| error.to_string(), |e| e.message().to_owned());
        return message(StatusCode::BAD_REQUEST, &format!("Failed to run sql query: ERROR:  {detail}"));
    }
    let recorded = client
        .execute(
            "insert into supabase_migrations.schema_migrations (version, name, statements) \
             values (to_char(clock_timestamp() at time zone 'utc', 'YYYYMMDDHH24MISS'), $1, array[$2])",
            &[&name, &query],
        )
        .await;
    if let Err(error) = recorded {
        // Two migrations within one second get the same version: the platform refuses the second.
        client.batch_execute("ROLLBACK").await.unwrap();
        let detail = error.as_db_error().map_or_else(|| error.to_string(), |e| e.message().to_owned());
        return message(StatusCode::BAD_REQUEST, &format!("Failed to run sql query: ERROR:  {detail}"));
    }
    client.batch_execute("COMMIT").await.unwrap();
    reply(StatusCode::OK, json!({}))
}

/// `GET /v1/projects/{ref}/types/typescript?included_schemas=`: a marker the tests recognise, naming the schemas.
pub fn typescript(schemas: Option<&String>) -> Response {
    let schemas = schemas.cloned().unwrap_or_else(|| "public".to_owned());
    reply(
        StatusCode::OK,
        json!({ "types": format!("// generated by the platform for: {schemas}\nexport type Json = string\n") }),
    )
}

/// `GET /v1/projects/{ref}/api-keys?reveal=false`: the legacy JWTs, a publishable and a masked secret key.
pub fn api_keys(reference: &str) -> Response {
    let anon = format!("eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.{}.c2lnbmF0dXJl", claims(reference, "anon"));
    let service = format!("eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.{}.c2VjcmV0c2ln", claims(reference, "service_role"));
    reply(
        StatusCode::OK,
        json!([
            { "name": "anon", "type": "legacy", "api_key": anon },
            { "name": "service_role", "type": "legacy", "api_key": service },
            { "name": "default", "type": "publishable", "api_key": format!("sb_publishable_{reference}_0123456789") },
            { "name": "default", "type": "secret", "api_key": "sb_secret_abcd····················" },
        ]),
    )
}

fn claims(reference: &str, role: &str) -> String {
    use base64::Engine;
    let claims =
        json!({ "iss": "supabase", "ref": reference, "role": role, "iat": 1_700_000_000, "exp": 2_000_000_000 });
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(claims.to_string())
}

/// `GET /v1/projects/{ref}/advisors/{security|performance}`.
pub fn advisors(kind: &str) -> Response {
    let lint = match kind {
        "security" => json!({
            "name": "rls_disabled_in_public", "title": "RLS Disabled in Public", "level": "ERROR",
            "facing": "EXTERNAL", "categories": ["SECURITY"],
            "description": "Detects tables in the public schema without row level security.",
            "detail": "Table `public.notes` is public, but RLS has not been enabled.",
            "remediation": "https://supabase.com/docs/guides/database/database-linter?lint=0013_rls_disabled_in_public",
            "metadata": { "schema": "public", "name": "notes", "type": "table" }, "cache_key": "rls_disabled_in_public_public_notes"
        }),
        "performance" => json!({
            "name": "unindexed_foreign_keys", "title": "Unindexed foreign keys", "level": "INFO",
            "facing": "EXTERNAL", "categories": ["PERFORMANCE"],
            "description": "Identifies foreign key constraints without a covering index.",
            "detail": "Table `public.notes` has a foreign key without a covering index.",
            "remediation": "https://supabase.com/docs/guides/database/database-linter?lint=0001_unindexed_foreign_keys",
            "metadata": { "schema": "public", "name": "notes", "type": "table" }, "cache_key": "unindexed_foreign_keys_public_notes"
        }),
        _ => return message(StatusCode::NOT_FOUND, "Cannot GET"),
    };
    reply(StatusCode::OK, json!({ "lints": [lint] }))
}
