//! Migrations compatible with the Supabase CLI: files in its layout, its history table, status and drift,
//! and a runner that applies each migration with its history row in one transaction.

pub mod compat;
pub mod copy;
pub mod files;
pub mod generated;
pub mod history;
pub mod instances;
pub mod runner;
pub mod status;
