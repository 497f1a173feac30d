//! Supabase-specific knowledge that needs no network: the `.env` model of a self-hosted stack and its
//! rules, the JWT and opaque key formats, and the findings both report.

pub mod env;
pub mod finding;
pub mod keys;
pub mod public;
