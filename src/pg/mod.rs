//! PostgreSQL: connection strings, pools, TLS, failure diagnosis, read-only execution, value decoding
//! and the catalog queries the tools use. Never imports rmcp.

pub mod activity;
pub mod advisors;
pub mod catalog;
pub mod client_programs;
pub mod conninfo;
pub mod destructive;
pub mod diagnose;
pub mod execute;
pub mod ident;
pub mod inspect;
pub mod json_row;
pub mod local_cluster;
pub mod logs;
pub mod params;
pub mod pool;
pub mod readonly;
pub mod readonly_login;
pub mod readonly_setup;
pub mod server_programs;
pub mod sql_errors;
pub mod sql_lex;
pub mod sql_unicode;
pub mod supabase_fixture;
pub mod timeout;
pub mod tls;
pub mod value;
