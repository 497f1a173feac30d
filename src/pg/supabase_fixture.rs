//! The Supabase-like database fixture (`fixtures/sql`), compiled into the binary, and loading it into a
//! [`LocalCluster`]: the roles once per cluster, the layout and the optional sample app per database.
//! Used by `supamcp demo` and by the test support.

use super::local_cluster::LocalCluster;
use crate::failure::Failure;

/// Cluster-wide roles with their attributes, settings and memberships. Idempotent.
pub const ROLES_SQL: &str = include_str!("../../fixtures/sql/supabase_roles.sql");
/// Schemas, extensions, auth and storage tables, helpers, RLS, publication, default privileges.
pub const LAYOUT_SQL: &str = include_str!("../../fixtures/sql/supabase_fixture.sql");
/// A small project-tracker app in public with users, buckets and objects.
pub const SAMPLE_DATA_SQL: &str = include_str!("../../fixtures/sql/sample_data.sql");

/// Creates or updates the Supabase roles; run once per cluster.
pub async fn load_roles(cluster: &LocalCluster) -> Result<(), Failure> {
    cluster.run_sql("postgres", ROLES_SQL).await.map_err(|f| within("the Supabase roles", f))
}

/// Loads the Supabase layout into `dbname`, then the sample app when `sample_data` is set. The roles
/// must be loaded already.
pub async fn load_database(cluster: &LocalCluster, dbname: &str, sample_data: bool) -> Result<(), Failure> {
    cluster.run_sql(dbname, LAYOUT_SQL).await.map_err(|f| within("the Supabase layout", f))?;
    if sample_data {
        cluster.run_sql(dbname, SAMPLE_DATA_SQL).await.map_err(|f| within("the sample data", f))?;
    }
    Ok(())
}

fn within(part: &str, failure: Failure) -> Failure {
    Failure { what: format!("loading {part} failed: {}", failure.what), ..failure }
}
