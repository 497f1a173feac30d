//! What a copy moves: the tables of the chosen schemas with their copyable columns (generated ones are left
//! out: the target computes them), primary key and size; the checksum type the copy reports.

use crate::failure::Failure;
use crate::pg::catalog::query_failure;
use crate::pg::ident::quote_ident;
use serde::Serialize;
use tokio_postgres::GenericClient;
use tokio_postgres::types::{ToSql, Type};

#[derive(Clone, Debug, Serialize, schemars::JsonSchema)]
pub struct TableInfo {
    pub schema: String,
    pub name: String,
    pub columns: Vec<String>,
    pub primary_key: Vec<String>,
    pub estimated_rows: i64,
    pub size_bytes: i64,
    /// A partitioned table (its rows live in the partitions; COPY routes them).
    pub partitioned: bool,
}

impl TableInfo {
    pub fn qualified(&self) -> String {
        format!("{}.{}", quote_ident(&self.schema), quote_ident(&self.name))
    }

    pub fn label(&self) -> String {
        format!("{}.{}", self.schema, self.name)
    }

    pub fn column_list(&self) -> String {
        self.columns.iter().map(|c| quote_ident(c)).collect::<Vec<_>>().join(", ")
    }
}

const TABLES: &str = "select n.nspname::text, c.relname::text, \
    array(select a.attname::text from pg_attribute a where a.attrelid = c.oid and a.attnum > 0 \
          and not a.attisdropped and a.attgenerated = '' order by a.attnum), \
    coalesce(array(select a.attname::text from pg_index i join pg_attribute a on a.attrelid = i.indrelid \
          and a.attnum = any(i.indkey) where i.indrelid = c.oid and i.indisprimary order by array_position(i.indkey, a.attnum)), '{}'), \
    greatest(c.reltuples, 0)::int8, pg_total_relation_size(c.oid), c.relkind = 'p' \
    from pg_class c join pg_namespace n on n.oid = c.relnamespace \
    where c.relkind in ('r', 'p') and not c.relispartition and n.nspname = any($1) \
    and (cardinality($2::text[]) = 0 or (n.nspname || '.' || c.relname) = any($2)) order by 1, 2";

/// The tables of `schemas`, or only `only` (`schema.table` names) when it is not empty.
pub async fn list(client: &impl GenericClient, schemas: &[String], only: &[String]) -> Result<Vec<TableInfo>, Failure> {
    let params: [(&(dyn ToSql + Sync), Type); 2] = [(&schemas, Type::TEXT_ARRAY), (&only, Type::TEXT_ARRAY)];
    let rows = client.query_typed(TABLES, &params).await.map_err(query_failure)?;
    Ok(rows
        .iter()
        .map(|r| TableInfo {
            schema: r.get(0),
            name: r.get(1),
            columns: r.get(2),
            primary_key: r.get(3),
            estimated_rows: r.get(4),
            size_bytes: r.get(5),
            partitioned: r.get(6),
        })
        .collect())
}

/// Row count and content checksum of a table's copyable columns.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, schemars::JsonSchema)]
pub struct Checksum {
    pub rows: i64,
    /// Sum of each row's 64-bit hash over its COPY representation, as text (order-independent).
    pub sum: String,
}

/// True when the table holds at least one row.
pub async fn has_rows(client: &impl GenericClient, table: &TableInfo) -> Result<bool, Failure> {
    let sql = format!("select exists (select 1 from {})", table.qualified());
    Ok(client.query_typed_one(&sql, &[]).await.map_err(query_failure)?.get(0))
}

/// Sequences of `schemas` with their current state on the source.
pub async fn sequences(client: &impl GenericClient, schemas: &[String]) -> Result<Vec<(String, i64, bool)>, Failure> {
    let rows = client
        .query_typed(
            "select quote_ident(schemaname) || '.' || quote_ident(sequencename), last_value, last_value is not null \
             from pg_sequences where schemaname = any($1)",
            &[(&schemas, Type::TEXT_ARRAY)],
        )
        .await
        .map_err(query_failure)?;
    Ok(rows.iter().map(|r| (r.get(0), r.get::<_, Option<i64>>(1).unwrap_or(1), r.get(2))).collect())
}
