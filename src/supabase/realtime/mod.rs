//! Supabase Realtime without rmcp: which tables stream Postgres Changes (the `supabase_realtime` publication and
//! its migrations), channel authorization (RLS policies on realtime.messages from templates) and the REST API
//! through the gateway (broadcast, ping). Replication health is in `health::realtime`; the cloud settings in
//! `management::realtime_config`.

pub mod broadcast;
pub mod policies;
pub mod tables;
pub mod tenants;

/// The publication Postgres Changes streams.
pub const PUBLICATION: &str = "supabase_realtime";
