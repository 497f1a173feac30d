//! TypeScript types for a database, byte for byte what `supabase gen types typescript` prints
//! (postgres-meta 0.99 with `@supabase/postgrest-typegen`): the catalog is read in one round of queries,
//! ordered with the English collation and laid out with the formatter's line-breaking rules.
//!
//! Domain code: no rmcp here.

mod collate;
mod context;
mod doc;
mod functions;
mod introspect;
mod model;
mod nodetree;
mod render;
mod tstype;
mod viewdeps;

pub use collate::compare;
pub use introspect::introspect;
pub use model::Catalog;
pub use render::{Options, render};

use crate::failure::Failure;
use tokio_postgres::Client;

/// The schemas the Supabase CLI generates by default: `public`, plus `graphql_public` when it exists.
pub const DEFAULT_SCHEMAS: &[&str] = &["public", "graphql_public"];

/// Generates the types of `schemas` (empty: every non-system schema).
pub async fn generate(client: &Client, schemas: &[String], options: &Options) -> Result<String, Failure> {
    let catalog = introspect(client, schemas).await?;
    Ok(render(&catalog, options))
}
