//! The monitoring group on real PostgreSQL: every advisor lint on a schema that triggers it and one that
//! does not, every `inspect db` report with and without pg_stat_statements, health thresholds on induced
//! states (idle connections, a held lock, a sequence near its maximum, an idle transaction) and the API
//! side against a local HTTPS server whose self-signed certificate expires in 3 days, and the server log.

mod advisors;
mod aggregate;
mod health;
mod https_server;
mod inspect;
mod logs;
mod stack;
