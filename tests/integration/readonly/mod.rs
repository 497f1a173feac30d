//! Read-only mode under attack, through the real binary over MCP and on real PostgreSQL: the corpus of
//! write and side-effect attempts on every login (a plain superuser with only the guard; the Supabase
//! layout as supabase_admin, as postgres, and on a read-only login PostgreSQL restricts), the database
//! wall itself (the restricted login cannot do what the guard refuses, a privileged login is refused as a
//! wall, `supamcp setup read-only-role`), and a property test that the guard's lexer and PostgreSQL agree on
//! the statements of random SQL and the functions it calls. Also: execute_sql asks before destroying data.

mod agreement;
mod confirm;
mod corpus;
mod fingerprint;
mod wall;
