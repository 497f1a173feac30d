//! Loads a whole database into the catalog model with a few bulk catalog queries (one per object kind, not
//! per table), pipelined on one connection inside a REPEATABLE READ READ ONLY transaction so they all see one
//! snapshot. `search_path` is `pg_catalog` for the duration, so the server's deparsed definitions qualify
//! every name.

mod access;
mod objects;
mod relations;

use super::model::Catalog;
use crate::failure::Failure;
use crate::pg::catalog::{INTERNAL_SCHEMAS, query_failure};
use tokio_postgres::types::Type;
use tokio_postgres::{Client, Row};

/// Which part of the database the model covers.
#[derive(Clone, Debug, Default)]
pub struct ExtractOptions {
    /// Only these schemas; empty: every schema that is not PostgreSQL's or Supabase's own.
    pub schemas: Vec<String>,
    /// With an empty `schemas`, also Supabase's own schemas (auth, storage, ...).
    pub include_internal: bool,
}

const SCHEMAS: &str = "select n.nspname::text, quote_ident(n.nspname) from pg_namespace n where n.nspname !~ '^pg_' \
    and n.nspname <> 'information_schema' and not exists (select 1 from pg_depend e \
    where e.classid = 'pg_namespace'::regclass and e.objid = n.oid and e.deptype = 'e') order by 1";

/// Reads the catalog of the database `client` is connected to.
pub async fn extract(client: &Client, options: &ExtractOptions) -> Result<Catalog, Failure> {
    client
        .batch_execute("begin isolation level repeatable read read only; set local search_path = pg_catalog")
        .await
        .map_err(query_failure)?;
    let result = extract_in_transaction(client, options).await;
    // A read-only transaction: ending it either way changes nothing.
    let end = client.batch_execute("rollback").await.map_err(query_failure);
    let catalog = result?;
    end?;
    Ok(catalog)
}

async fn extract_in_transaction(client: &Client, options: &ExtractOptions) -> Result<Catalog, Failure> {
    let major = crate::migrate::compat::server_major(client).await?;
    let all: Vec<(String, String)> =
        client.query_typed(SCHEMAS, &[]).await.map_err(query_failure)?.iter().map(|r| (r.get(0), r.get(1))).collect();
    let wanted = |s: &str| {
        if options.schemas.is_empty() {
            options.include_internal || !INTERNAL_SCHEMAS.contains(&s)
        } else {
            options.schemas.iter().any(|w| w == s)
        }
    };
    let mut catalog = Catalog { server_major: major, ..Catalog::default() };
    let mut schemas = Vec::new();
    for (name, key) in all.into_iter().filter(|(name, _)| wanted(name)) {
        catalog.schemas.insert(key.clone(), super::model::Schema { name: key });
        schemas.push(name);
    }
    let (relations, objects, access) = tokio::try_join!(
        relations::load(client, &schemas),
        objects::load(client, &schemas),
        access::load(client, &schemas),
    )?;
    relations.fill(&mut catalog);
    objects.fill(&mut catalog);
    access.fill(&mut catalog);
    Ok(catalog)
}

/// Runs one catalog query over `schemas` ($1, text[]).
async fn rows(client: &Client, sql: &str, schemas: &[String]) -> Result<Vec<Row>, Failure> {
    client.query_typed(sql, &[(&schemas, Type::TEXT_ARRAY)]).await.map_err(query_failure)
}

/// The first character of a `"char"` column read as text.
fn flag(row: &Row, index: usize) -> char {
    row.get::<_, String>(index).chars().next().unwrap_or(' ')
}
