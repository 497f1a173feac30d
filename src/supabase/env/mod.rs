//! The `.env` model of a self-hosted Supabase or Dokploy stack: an order-preserving parser whose
//! untouched output is byte-identical to its input, and edits that change only the lines they touch.

mod parse;

pub use parse::{EnvEntry, EnvFile, EnvParseError, Quote};
