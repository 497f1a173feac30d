//! The `.env` model of a self-hosted Supabase or Dokploy stack: an order-preserving parser whose
//! untouched output is byte-identical to its input, edits that change only the lines they touch, the
//! rules that find every known misconfiguration, the fixer, the template diff and the URL converter.

mod check;
mod fix;
mod parse;
pub mod project;
mod rules_secrets;
mod rules_stack;
#[cfg(test)]
mod rules_tests;
pub mod template;
pub mod url;

pub use check::{
    CheckOptions, DEFAULT_MAX_CONNECTIONS, Report, check, findings, load, load_strict, parse_text, read_file,
    read_file_strict,
};
pub use fix::{Change, FixOptions, FixOutcome, backup_and_write, backup_and_write_mode, fix, redacted, unified_diff};
pub use parse::{DuplicateKey, EnvEntry, EnvFile, EnvParseError, Quote};
