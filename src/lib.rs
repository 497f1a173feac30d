//! supamcp: a stdio MCP server that runs Supabase end to end. The binary (`main.rs`) is a thin CLI over
//! this library; see docs/ARCHITECTURE.md for the code map and the invariants.

pub mod audit;
pub mod backup;
pub mod child_env;
pub mod cli;
pub mod config;
pub mod diff;
pub mod dokploy;
pub mod failure;
pub mod fsutil;
pub mod groups;
pub mod health;
pub mod knowledge;
pub mod logging;
pub mod migrate;
pub mod pg;
pub mod progress;
pub mod redact;
pub mod s3;
pub mod secret;
pub mod server;
pub mod spill;
pub mod supabase;
pub mod tlscheck;
pub mod typegen;
