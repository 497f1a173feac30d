//! Supabase-specific knowledge: the `.env` model of a self-hosted stack and its rules, the JWT and opaque
//! key formats, the findings both report (no network), the API gateway every service call goes through, the
//! Storage API client and the Management API client.

pub mod auth;
pub mod compose_env;
pub mod env;
pub mod finding;
pub mod functions;
pub mod gateway;
pub mod keys;
pub mod management;
pub mod public;
pub mod realtime;
pub mod storage;
