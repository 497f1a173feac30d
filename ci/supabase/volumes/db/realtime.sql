-- Realtime keeps its tenants and its own migrations in the _realtime schema (DB_AFTER_CONNECT_QUERY sets the
-- search path to it); it logs in as supabase_admin.
CREATE SCHEMA IF NOT EXISTS _realtime;
ALTER SCHEMA _realtime OWNER TO supabase_admin;
