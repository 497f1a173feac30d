//! PostgreSQL: connection strings, pools, TLS, failure diagnosis, read-only execution, value decoding
//! and the catalog queries the tools use. Never imports rmcp.

pub mod conninfo;
pub mod diagnose;
pub mod ident;
pub mod local_cluster;
pub mod pool;
pub mod server_programs;
pub mod supabase_fixture;
pub mod tls;
