//! Supabase-specific knowledge that needs no network: the `.env` model of a self-hosted stack, and
//! (with the keys module) the JWT and opaque key formats.

pub mod env;
