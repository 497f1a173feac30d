//! Classifies a failed connection (refused, unknown host, auth failed, TLS required or unsupported,
//! too many connections, unknown database or role, pooler tenant unknown, timeout) and gives each its fix.

use super::conninfo::{ConnSpec, Host};
use crate::failure::Failure;
use serde::Serialize;
use std::error::Error as StdError;

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum FailureKind {
    Refused,
    UnknownHost,
    AuthFailed,
    TlsRequired,
    TlsUnsupported,
    TooManyConnections,
    UnknownDatabase,
    UnknownRole,
    PoolerTenant,
    Timeout,
    Other,
}

impl FailureKind {
    pub fn name(self) -> &'static str {
        match self {
            FailureKind::Refused => "refused",
            FailureKind::UnknownHost => "unknown_host",
            FailureKind::AuthFailed => "auth_failed",
            FailureKind::TlsRequired => "tls_required",
            FailureKind::TlsUnsupported => "tls_unsupported",
            FailureKind::TooManyConnections => "too_many_connections",
            FailureKind::UnknownDatabase => "unknown_database",
            FailureKind::UnknownRole => "unknown_role",
            FailureKind::PoolerTenant => "pooler_tenant",
            FailureKind::Timeout => "timeout",
            FailureKind::Other => "other",
        }
    }
}

/// The whole error chain as one lowercase string, for matching.
fn chain_text(error: &(dyn StdError + 'static)) -> String {
    let mut text = error.to_string();
    let mut source = error.source();
    while let Some(inner) = source {
        text.push_str(": ");
        text.push_str(&inner.to_string());
        source = inner.source();
    }
    text.to_lowercase()
}

fn io_kind(error: &(dyn StdError + 'static)) -> Option<std::io::ErrorKind> {
    let mut current: Option<&(dyn StdError + 'static)> = Some(error);
    while let Some(e) = current {
        if let Some(io) = e.downcast_ref::<std::io::Error>() {
            return Some(io.kind());
        }
        current = e.source();
    }
    None
}

fn db_code(error: &(dyn StdError + 'static)) -> Option<String> {
    let mut current: Option<&(dyn StdError + 'static)> = Some(error);
    while let Some(e) = current {
        if let Some(pg) = e.downcast_ref::<tokio_postgres::Error>()
            && let Some(db) = pg.as_db_error()
        {
            return Some(db.code().code().to_owned());
        }
        if let Some(db) = e.downcast_ref::<tokio_postgres::error::DbError>() {
            return Some(db.code().code().to_owned());
        }
        current = e.source();
    }
    None
}

/// Which kind of connection failure `error` is.
pub fn classify(error: &(dyn StdError + 'static)) -> FailureKind {
    let text = chain_text(error);
    let code = db_code(error);
    match code.as_deref() {
        Some("28P01") => return FailureKind::AuthFailed,
        Some("53300") => return FailureKind::TooManyConnections,
        Some("3D000") => return FailureKind::UnknownDatabase,
        Some("28000") if text.contains("ssl off") || text.contains("no encryption") => {
            return FailureKind::TlsRequired;
        }
        Some("28000") if text.contains("role") && text.contains("does not exist") => {
            return FailureKind::UnknownRole;
        }
        Some("28000") => return FailureKind::AuthFailed,
        _ => {}
    }
    if text.contains("tenant or user not found") || text.contains("tenant not found") {
        return FailureKind::PoolerTenant;
    }
    if text.contains("too many clients")
        || text.contains("max client connections")
        || text.contains("connection slots are reserved")
    {
        return FailureKind::TooManyConnections;
    }
    if text.contains("server does not support tls") || text.contains("server does not support ssl") {
        return FailureKind::TlsUnsupported;
    }
    if text.contains("password authentication failed") {
        return FailureKind::AuthFailed;
    }
    if text.contains("failed to lookup address")
        || text.contains("name or service not known")
        || text.contains("no address associated")
        || text.contains("nodename nor servname")
    {
        return FailureKind::UnknownHost;
    }
    match io_kind(error) {
        Some(std::io::ErrorKind::ConnectionRefused) => return FailureKind::Refused,
        Some(std::io::ErrorKind::NotFound) if text.contains("no such file") => {
            return FailureKind::Refused;
        }
        Some(std::io::ErrorKind::TimedOut) => return FailureKind::Timeout,
        _ => {}
    }
    if text.contains("connection refused") {
        return FailureKind::Refused;
    }
    if text.contains("timeout") || text.contains("timed out") {
        return FailureKind::Timeout;
    }
    FailureKind::Other
}

fn target(spec: &ConnSpec) -> String {
    match &spec.host {
        Host::Tcp(host) => format!("{host}:{}", spec.port),
        Host::Socket(dir) => format!("the socket in {} (port {})", dir.display(), spec.port),
    }
}

/// The failure a user reads: what happened, why, and the fix for this kind.
pub fn explain(spec: &ConnSpec, error: &(dyn StdError + 'static)) -> (FailureKind, Failure) {
    let kind = classify(error);
    let where_ = target(spec);
    let detail = chain_text(error);
    let failure = match kind {
        FailureKind::Refused => Failure::new(
            format!("connection to {where_} refused"),
            "nothing accepts connections there: the database is stopped, listens on another port, or a firewall rejects it",
            "start the database (docker compose ps / dokploy status), check the port (the self-hosted stack publishes Supavisor on POSTGRES_PORT, 5432 by default), or correct the host",
        ),
        FailureKind::UnknownHost => {
            let why = spec.docker_internal_hint().unwrap_or_else(|| "the host name does not resolve".to_owned());
            Failure::new(
                format!("unknown host in {where_}"),
                why,
                "use a host name or address that resolves from where supamcp runs",
            )
        }
        FailureKind::AuthFailed => Failure::new(
            format!("password authentication failed for user {} at {where_}", spec.user),
            "the password does not match the role's password in the database. On self-hosted Supabase this usually means POSTGRES_PASSWORD in .env was changed after the data volume was created: PostgreSQL takes the password only when it initialises an empty volume",
            "use the password the volume was created with; or set the new one inside the database (docker exec -it supabase-db psql -U supabase_admin -c \"ALTER USER postgres WITH PASSWORD '...'\", and the same for authenticator, supabase_auth_admin, supabase_storage_admin, supabase_admin); or recreate the volume, which deletes all data",
        ),
        FailureKind::TlsRequired => Failure::new(
            format!("the server at {where_} requires TLS"),
            "its pg_hba.conf rejects unencrypted connections",
            "add sslmode=require to the connection string (postgres://...?sslmode=require)",
        ),
        FailureKind::TlsUnsupported => Failure::new(
            format!("the server at {where_} does not support TLS"),
            format!("sslmode={} asks for encryption and the server has SSL off", spec.sslmode.name()),
            "use sslmode=prefer or sslmode=disable, or enable ssl on the server",
        ),
        FailureKind::TooManyConnections => Failure::new(
            format!("the server at {where_} refuses new connections"),
            "max_connections (or the pooler's client limit) is used up",
            "run monitor_connections to see which service holds them; lower POOLER_DEFAULT_POOL_SIZE or the pool sizes of other clients, close idle sessions, or raise max_connections",
        ),
        FailureKind::UnknownDatabase => Failure::new(
            format!("database '{}' does not exist at {where_}", spec.dbname),
            "the connection names a database the server does not have",
            "use dbname postgres (the Supabase default) or create the database first",
        ),
        FailureKind::UnknownRole => Failure::new(
            format!("role '{}' does not exist at {where_}", spec.user),
            "the server has no login role with that name",
            "connect as postgres (self-hosted Supabase) or postgres.<POOLER_TENANT_ID> through Supavisor",
        ),
        FailureKind::PoolerTenant => Failure::new(
            format!("Supavisor at {where_} does not know user '{}'", spec.user),
            "through the pooler the user must be postgres.<tenant>, with the tenant id POOLER_TENANT_ID of the stack",
            format!(
                "connect as postgres.<POOLER_TENANT_ID> (now '{}'), or connect to the database port directly",
                spec.user
            ),
        ),
        FailureKind::Timeout => Failure::new(
            format!("connection to {where_} timed out"),
            "no answer in time: a firewall drops packets, the host is down, or the server is overloaded",
            "check that the port is reachable from this machine (security groups, ufw), or raise connect_timeout",
        ),
        FailureKind::Other => Failure::new(
            format!("cannot connect to {where_}"),
            detail.clone(),
            "check the connection string and that the server is up",
        ),
    };
    (kind, failure)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn io(kind: std::io::ErrorKind, text: &str) -> std::io::Error {
        std::io::Error::new(kind, text.to_owned())
    }

    #[test]
    fn io_errors_are_classified() {
        assert_eq!(
            classify(&io(std::io::ErrorKind::ConnectionRefused, "Connection refused (os error 111)")),
            FailureKind::Refused
        );
        assert_eq!(
            classify(&io(std::io::ErrorKind::Other, "failed to lookup address information: Name or service not known")),
            FailureKind::UnknownHost
        );
        assert_eq!(classify(&io(std::io::ErrorKind::TimedOut, "timed out")), FailureKind::Timeout);
        assert_eq!(
            classify(&io(std::io::ErrorKind::Other, "error performing TLS handshake: server does not support TLS")),
            FailureKind::TlsUnsupported
        );
        assert_eq!(
            classify(&io(std::io::ErrorKind::Other, "FATAL: Tenant or user not found")),
            FailureKind::PoolerTenant
        );
    }

    #[test]
    fn docker_host_failure_explains_docker() {
        let spec = ConnSpec::parse("postgres://postgres:pw@db:5432/postgres").unwrap_or_else(|e| panic!("{e}"));
        let (kind, failure) = explain(&spec, &io(std::io::ErrorKind::Other, "failed to lookup address information"));
        assert_eq!(kind, FailureKind::UnknownHost);
        assert!(failure.why.contains("inside the Docker network"), "{}", failure.why);
    }
}
