//! One schema as a document: its tables and views with their columns and RLS policies, read in two catalog
//! queries. Behind the `supamcp://<instance>/schema/<schema>` resources.

use super::describe::Column;
use super::query_failure;
use crate::failure::Failure;
use serde::Serialize;
use std::collections::BTreeMap;
use tokio_postgres::GenericClient;
use tokio_postgres::types::{ToSql, Type};

/// Relations listed per schema at most (the document says when more exist).
pub const MAX_RELATIONS: i64 = 500;

#[derive(Debug, Serialize)]
pub struct SchemaDocument {
    pub schema: String,
    pub relations: Vec<Relation>,
    /// More relations exist than [`MAX_RELATIONS`]; list_tables pages through them.
    pub truncated: bool,
}

#[derive(Debug, Serialize)]
pub struct Relation {
    pub name: String,
    /// table, partitioned table, foreign table, view or materialized view.
    pub kind: String,
    pub rls_enabled: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub comment: Option<String>,
    pub columns: Vec<Column>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub policies: Vec<DocPolicy>,
}

#[derive(Debug, Serialize)]
pub struct DocPolicy {
    pub name: String,
    pub command: String,
    pub roles: Vec<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub using: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub with_check: Option<String>,
}

const RELATIONS_SQL: &str = "select c.oid::int8, c.relname::text, \
       case c.relkind when 'p' then 'partitioned table' when 'f' then 'foreign table' when 'v' then 'view' \
         when 'm' then 'materialized view' else 'table' end, \
       c.relrowsecurity, obj_description(c.oid, 'pg_class') \
     from pg_class c join pg_namespace n on n.oid = c.relnamespace \
     where n.nspname = $1 and c.relkind in ('r','p','f','v','m') and not c.relispartition \
     order by c.relname limit $2";

const COLUMNS_SQL: &str = "select a.attrelid::int8, a.attname::text, format_type(a.atttypid, a.atttypmod), \
       not a.attnotnull, pg_get_expr(d.adbin, d.adrelid) \
     from pg_attribute a join pg_class c on c.oid = a.attrelid join pg_namespace n on n.oid = c.relnamespace \
     left join pg_attrdef d on d.adrelid = a.attrelid and d.adnum = a.attnum \
     where n.nspname = $1 and a.attnum > 0 and not a.attisdropped and c.relkind in ('r','p','f','v','m') \
     order by a.attrelid, a.attnum";

const POLICIES_SQL: &str = "select p.polrelid::int8, p.polname::text, \
       case p.polcmd when 'r' then 'SELECT' when 'a' then 'INSERT' when 'w' then 'UPDATE' when 'd' then 'DELETE' \
         else 'ALL' end, \
       coalesce((select array_agg(case when r = 0 then 'public' else pg_get_userbyid(r)::text end order by 1) \
                 from unnest(p.polroles) r), '{}'), \
       pg_get_expr(p.polqual, p.polrelid), pg_get_expr(p.polwithcheck, p.polrelid) \
     from pg_policy p join pg_class c on c.oid = p.polrelid join pg_namespace n on n.oid = c.relnamespace \
     where n.nspname = $1 order by p.polrelid, p.polname";

/// The document of `schema` (empty when the schema does not exist; see [`schema_exists`]).
pub async fn schema_document(client: &impl GenericClient, schema: &str) -> Result<SchemaDocument, Failure> {
    let name = &schema as &(dyn ToSql + Sync);
    let limit = MAX_RELATIONS + 1;
    let relations =
        client.query_typed(RELATIONS_SQL, &[(name, Type::TEXT), (&limit, Type::INT8)]).await.map_err(query_failure)?;
    let columns = client.query_typed(COLUMNS_SQL, &[(name, Type::TEXT)]).await.map_err(query_failure)?;
    let policies = client.query_typed(POLICIES_SQL, &[(name, Type::TEXT)]).await.map_err(query_failure)?;
    let mut columns_of: BTreeMap<i64, Vec<Column>> = BTreeMap::new();
    for row in &columns {
        let column = Column {
            name: row.get(1),
            type_name: row.get(2),
            nullable: row.get(3),
            default: row.get(4),
            identity: None,
            generated: None,
            collation: None,
            comment: None,
        };
        columns_of.entry(row.get(0)).or_default().push(column);
    }
    let mut policies_of: BTreeMap<i64, Vec<DocPolicy>> = BTreeMap::new();
    for row in &policies {
        let policy = DocPolicy {
            name: row.get(1),
            command: row.get(2),
            roles: row.get(3),
            using: row.get(4),
            with_check: row.get(5),
        };
        policies_of.entry(row.get(0)).or_default().push(policy);
    }
    let truncated = relations.len() as i64 > MAX_RELATIONS;
    let relations = relations
        .iter()
        .take(MAX_RELATIONS as usize)
        .map(|row| {
            let oid: i64 = row.get(0);
            Relation {
                name: row.get(1),
                kind: row.get(2),
                rls_enabled: row.get(3),
                comment: row.get(4),
                columns: columns_of.remove(&oid).unwrap_or_default(),
                policies: policies_of.remove(&oid).unwrap_or_default(),
            }
        })
        .collect();
    Ok(SchemaDocument { schema: schema.to_owned(), relations, truncated })
}

/// Whether `schema` exists.
pub async fn schema_exists(client: &impl GenericClient, schema: &str) -> Result<bool, Failure> {
    let row = client
        .query_typed_one(
            "select exists (select 1 from pg_namespace where nspname = $1)",
            &[(&schema as &(dyn ToSql + Sync), Type::TEXT)],
        )
        .await
        .map_err(query_failure)?;
    Ok(row.get(0))
}
