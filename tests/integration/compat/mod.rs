//! Drop-in compatibility with the official Supabase MCP server (`@supabase/mcp-server-supabase` 0.13.0): its
//! tools' parameters against ours (`schemas.rs`, from the checked-in `tests/fixtures/official_tools.json`), and
//! calls written for it answered by the real binary (`calls.rs`).

mod calls;
mod schemas;
