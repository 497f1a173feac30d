//! A project's database through the Management API, for when supamcp holds an access token but no database
//! URL for the project: SQL through `POST /v1/projects/{ref}/database/query` (read-only SQL through
//! `/database/query/read-only`, which runs as `supabase_read_only_user`, a login PostgreSQL stops from writing),
//! catalog queries whose rows PostgreSQL itself turns into JSON, the migration history through
//! `/database/migrations`, the TypeScript types and the API keys.

use super::{ManagementApi, segment};
use crate::failure::Failure;
use crate::migrate::history::AppliedMigration;
use crate::pg::catalog::cells::{Cells, positional};
use crate::pg::catalog::describe::{HEADER, HEADER_COLUMNS, SECTIONS, Sections, TableDetail, assemble};
use crate::pg::catalog::{self, ExtensionRow, TableFilter, TableRow};
use serde::Deserialize;
use serde::de::DeserializeOwned;
use serde_json::{Map, Value, json};

/// The login the read-only query endpoint runs as.
pub const READ_ONLY_LOGIN: &str = "supabase_read_only_user";

/// One row of `GET /v1/projects/{ref}/database/migrations`.
#[derive(Debug, Deserialize)]
struct MigrationRow {
    version: String,
    #[serde(default)]
    name: Option<String>,
}

/// One key of `GET /v1/projects/{ref}/api-keys`.
#[derive(Debug, Deserialize)]
pub struct ApiKey {
    pub name: String,
    /// `legacy`, `publishable` or `secret`.
    #[serde(default, rename = "type")]
    pub kind: Option<String>,
    /// The key itself (secret keys come masked without `reveal`).
    #[serde(default)]
    pub api_key: Option<String>,
}

impl ManagementApi {
    /// Runs `sql` with `parameters` ($1, $2...) on the project's database and returns its rows as JSON objects.
    /// With `read_only` it goes to the read-only endpoint (supabase_read_only_user).
    pub async fn database_query(
        &self,
        reference: &str,
        sql: &str,
        parameters: &[Value],
        read_only: bool,
    ) -> Result<Vec<Value>, Failure> {
        let endpoint = if read_only { "database/query/read-only" } else { "database/query" };
        let path = format!("/v1/projects/{}/{endpoint}", segment(reference));
        let mut body = json!({ "query": sql });
        if !parameters.is_empty() {
            body["parameters"] = Value::Array(parameters.to_vec());
        }
        let what = format!("run SQL on project {reference} through the Management API");
        let rows: Value = self.post_json(&path, &body, &what).await?;
        Ok(match rows {
            Value::Array(rows) => rows,
            Value::Null => Vec::new(),
            other => vec![other],
        })
    }

    /// Runs a read-only catalog query and reads its rows as `T`: PostgreSQL aggregates them into one JSON
    /// value, so every number and boolean keeps its type whatever the endpoint does with column types.
    pub async fn catalog_rows<T: DeserializeOwned>(
        &self,
        reference: &str,
        sql: &str,
        parameters: &[Value],
        what: &str,
    ) -> Result<Vec<T>, Failure> {
        let wrapped = format!("select coalesce(json_agg(q), '[]'::json) as rows from ({sql}) q");
        let rows = self.database_query(reference, &wrapped, parameters, true).await?;
        let mut aggregated = rows.into_iter().next().and_then(|row| row.get("rows").cloned()).unwrap_or(Value::Null);
        // An endpoint that passes json columns through as text: read the text.
        if let Value::String(text) = &aggregated {
            aggregated = serde_json::from_str(text).unwrap_or(Value::Null);
        }
        serde_json::from_value(aggregated).map_err(|e| {
            Failure::new(
                format!("{what}: the rows the Management API returned are unreadable"),
                e.to_string(),
                format!("check that {} is the Supabase Management API (--api-url)", self.base()),
            )
        })
    }

    /// A page of tables, as `list_tables` reads them from a connection, and the number of matching tables.
    pub async fn list_tables(&self, reference: &str, filter: &TableFilter) -> Result<(Vec<TableRow>, i64), Failure> {
        #[derive(Deserialize)]
        struct Counted {
            #[serde(flatten)]
            row: TableRow,
            total: i64,
        }
        let parameters = catalog::list_tables_parameters(filter);
        let rows: Vec<Counted> =
            self.catalog_rows(reference, &catalog::list_tables_sql(), &parameters, "list tables").await?;
        let total = rows.first().map_or(0, |r| r.total);
        Ok((rows.into_iter().map(|r| r.row).collect(), total))
    }

    /// The detail `describe_table` gives of each of `tables` (schema, name), in that order, from one header query
    /// and one query per section covering every table (seven requests whatever the number of tables).
    pub async fn describe_tables(
        &self,
        reference: &str,
        tables: &[(String, String)],
    ) -> Result<Vec<TableDetail>, Failure> {
        if tables.is_empty() {
            return Ok(Vec::new());
        }
        let pairs = json!(tables.iter().map(|(schema, name)| [schema, name]).collect::<Vec<_>>()).to_string();
        let header = positional(
            &format!(
                "{HEADER} where c.relkind in ('r','p','f','v','m') and n.nspname = v.value->>0 and c.relname = v.value->>1"
            ),
            HEADER_COLUMNS,
            "v.position - 1",
            "json_array_elements($1::json) with ordinality v(value, position)",
        );
        let heads: Vec<Map<String, Value>> =
            self.catalog_rows(reference, &header, &[Value::String(pairs)], "describe tables").await?;
        let oids: Vec<u32> = heads.iter().map(|head| head.cell(0)).collect();
        let by_oid = [Value::String(json!(oids).to_string())];
        // `wanted`: the section queries use short aliases such as `t` themselves.
        let source = "(select value::oid as oid from json_array_elements_text($1::json)) wanted";
        let by_oid = &by_oid;
        let section = |index: usize| {
            let (sql, count) = SECTIONS[index];
            let sql = positional(&sql.replace("$1", "wanted.oid"), count, "wanted.oid::int8", source);
            async move { self.catalog_rows::<Map<String, Value>>(reference, &sql, by_oid, "describe tables").await }
        };
        let (columns, constraints, indexes, policies, triggers, grants) =
            futures_util::try_join!(section(0), section(1), section(2), section(3), section(4), section(5))?;
        let of = |rows: &[Map<String, Value>], oid: u32| -> Vec<Map<String, Value>> {
            rows.iter().filter(|row| row.get("key").and_then(Value::as_u64) == Some(u64::from(oid))).cloned().collect()
        };
        let mut details = Vec::with_capacity(tables.len());
        for (position, (schema, name)) in tables.iter().enumerate() {
            let Some(head) = heads.iter().find(|h| h.get("key").and_then(Value::as_u64) == Some(position as u64))
            else {
                continue;
            };
            let oid: u32 = head.cell(0);
            let (c, k, i, p, t, g) = (
                of(&columns, oid),
                of(&constraints, oid),
                of(&indexes, oid),
                of(&policies, oid),
                of(&triggers, oid),
                of(&grants, oid),
            );
            let sections =
                Sections { columns: &c, constraints: &k, indexes: &i, policies: &p, triggers: &t, grants: &g };
            details.push(assemble(schema, name, head, sections));
        }
        Ok(details)
    }

    /// The installed extensions, and with `include_available` those the project could install.
    pub async fn list_extensions(
        &self,
        reference: &str,
        include_available: bool,
    ) -> Result<Vec<ExtensionRow>, Failure> {
        let parameters = [Value::Bool(include_available)];
        self.catalog_rows(reference, catalog::LIST_EXTENSIONS_SQL, &parameters, "list extensions").await
    }

    /// The project's migration history (`supabase_migrations.schema_migrations`, as the API reports it).
    pub async fn migrations(&self, reference: &str) -> Result<Vec<AppliedMigration>, Failure> {
        let path = format!("/v1/projects/{}/database/migrations", segment(reference));
        let what = format!("read the migration history of project {reference}");
        let rows: Option<Vec<MigrationRow>> = self.get_json(&path, &[], &what).await?;
        Ok(rows
            .unwrap_or_default()
            .into_iter()
            .map(|row| AppliedMigration {
                version: row.version,
                name: row.name.unwrap_or_default(),
                statements: vec![],
            })
            .collect())
    }

    /// Applies `query` as a new migration named `name` and records it in the history, in one request (the
    /// API runs it in one transaction).
    pub async fn apply_migration(&self, reference: &str, name: &str, query: &str) -> Result<(), Failure> {
        let path = format!("/v1/projects/{}/database/migrations", segment(reference));
        let what = format!("apply migration '{name}' on project {reference}");
        let _: Value = self.post_json(&path, &json!({ "name": name, "query": query }), &what).await?;
        Ok(())
    }

    /// TypeScript types the API generates for the project (`included_schemas`, default public).
    pub async fn typescript_types(&self, reference: &str, schemas: &[String]) -> Result<String, Failure> {
        #[derive(Deserialize)]
        struct Types {
            types: String,
        }
        let path = format!("/v1/projects/{}/types/typescript", segment(reference));
        let what = format!("generate the TypeScript types of project {reference}");
        let query = if schemas.is_empty() { vec![] } else { vec![("included_schemas", schemas.join(","))] };
        let types: Types = self.get_json(&path, &query, &what).await?;
        Ok(types.types)
    }

    /// The project's API keys, secret ones masked (`reveal=false`).
    pub async fn api_keys(&self, reference: &str) -> Result<Vec<ApiKey>, Failure> {
        let path = format!("/v1/projects/{}/api-keys", segment(reference));
        let what = format!("read the API keys of project {reference}");
        let keys: Option<Vec<ApiKey>> = self.get_json(&path, &[("reveal", "false".to_owned())], &what).await?;
        Ok(keys.unwrap_or_default())
    }

    /// The API's host name, e.g. `api.supabase.com`.
    fn api_host(&self) -> &str {
        self.base().split("://").nth(1).unwrap_or_default().split(['/', ':']).next().unwrap_or_default()
    }

    /// A page of the dashboard that belongs to this API: `https://supabase.com/dashboard/<path>` for
    /// `api.supabase.com` (and any host that is not `api.<domain>`), `https://<domain>/dashboard/<path>` otherwise.
    pub fn dashboard_url(&self, path: &str) -> String {
        let domain = self.api_host().strip_prefix("api.").unwrap_or("supabase.com");
        format!("https://{domain}/dashboard/{path}")
    }

    /// The project's API URL: `https://<ref>.<domain>`: `supabase.co` for `api.supabase.com`, `supabase.red` for
    /// the staging API `api.supabase.green`, and for any other `api.<domain>` host its domain (the official
    /// server answers `supabase.red` for every host it does not know).
    pub fn project_url(&self, reference: &str) -> String {
        let domain = match self.api_host().strip_prefix("api.") {
            Some("supabase.com") | None => "supabase.co",
            Some("supabase.green") => "supabase.red",
            Some(rest) => rest,
        };
        format!("https://{reference}.{domain}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn api(base: &str) -> ManagementApi {
        ManagementApi::new(base, Some(&crate::secret::Secret::new("sbp_test".to_owned()))).unwrap()
    }

    #[test]
    fn project_urls_follow_the_api_host() {
        assert_eq!(api("https://api.supabase.com").project_url("abc"), "https://abc.supabase.co");
        assert_eq!(api("https://api.supabase.green/").project_url("abc"), "https://abc.supabase.red");
        assert_eq!(api("https://api.example.dev").project_url("abc"), "https://abc.example.dev");
        assert_eq!(api("http://127.0.0.1:8080").project_url("abc"), "https://abc.supabase.co");
        assert_eq!(
            api("https://api.supabase.com").dashboard_url("project/abc"),
            "https://supabase.com/dashboard/project/abc"
        );
        assert_eq!(api("https://api.supabase.green").dashboard_url("x"), "https://supabase.green/dashboard/x");
        assert_eq!(api("http://127.0.0.1:8080").dashboard_url("x"), "https://supabase.com/dashboard/x");
    }
}
