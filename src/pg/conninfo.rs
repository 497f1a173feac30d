//! One internal form for every way a user names a database: `postgres://`/`postgresql://` URLs, libpq
//! `key=value` strings, the component variables of a Supabase `.env` (POSTGRES_HOST ...), and what that
//! form tells us: Supavisor transaction pooling, Docker-internal host names, how to print it safely.

use crate::secret::Secret;
use std::collections::BTreeMap;
use std::path::PathBuf;

/// Where the server is: a TCP host or a unix socket directory.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Host {
    Tcp(String),
    Socket(PathBuf),
}

/// TLS policy, as libpq names it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum SslMode {
    Disable,
    #[default]
    Prefer,
    Require,
    VerifyCa,
    VerifyFull,
}

impl SslMode {
    fn parse(raw: &str) -> Result<SslMode, ConnInfoError> {
        Ok(match raw {
            "disable" | "allow" => SslMode::Disable,
            "prefer" => SslMode::Prefer,
            "require" => SslMode::Require,
            "verify-ca" => SslMode::VerifyCa,
            "verify-full" => SslMode::VerifyFull,
            other => {
                return Err(ConnInfoError::new(format!(
                    "sslmode '{other}' is not one of disable, allow, prefer, require, verify-ca, verify-full"
                )));
            }
        })
    }

    pub fn name(self) -> &'static str {
        match self {
            SslMode::Disable => "disable",
            SslMode::Prefer => "prefer",
            SslMode::Require => "require",
            SslMode::VerifyCa => "verify-ca",
            SslMode::VerifyFull => "verify-full",
        }
    }
}

/// A parsed connection: everything supamcp needs to connect and to explain a failure.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ConnSpec {
    pub host: Host,
    pub port: u16,
    pub user: String,
    pub password: Option<Secret>,
    pub dbname: String,
    pub sslmode: SslMode,
    pub application_name: Option<String>,
    pub connect_timeout_secs: Option<u64>,
    /// `options=-c ...` server settings from the connection string, passed through.
    pub options: Option<String>,
}

/// A connection string that cannot be read.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
#[error("cannot read the connection string: {reason}")]
pub struct ConnInfoError {
    pub reason: String,
}

impl ConnInfoError {
    fn new(reason: impl Into<String>) -> Self {
        ConnInfoError { reason: reason.into() }
    }
}

/// Supavisor's transaction-mode port in the self-hosted stack and on Supabase Cloud.
pub const SUPAVISOR_TRANSACTION_PORT: u16 = 6543;

/// Host names that only resolve inside a Docker network of a Supabase stack.
const DOCKER_INTERNAL_HOSTS: &[&str] = &["db", "supabase-db", "supabase-pooler", "supavisor", "host.docker.internal"];

impl ConnSpec {
    /// Parses a `postgres://` / `postgresql://` URL or a libpq `key=value` string.
    pub fn parse(raw: &str) -> Result<ConnSpec, ConnInfoError> {
        let trimmed = raw.trim();
        if trimmed.is_empty() {
            return Err(ConnInfoError::new("it is empty; give a postgres:// URL or host=... user=... pairs"));
        }
        let pairs =
            if let Some(rest) = trimmed.strip_prefix("postgres://").or_else(|| trimmed.strip_prefix("postgresql://")) {
                parse_url(rest)?
            } else if trimmed.contains("://") {
                let scheme = trimmed.split("://").next().unwrap_or_default();
                return Err(ConnInfoError::new(format!(
                    "scheme '{scheme}://' is not PostgreSQL; use postgres:// or postgresql://"
                )));
            } else {
                kv::parse(trimmed)?
            };
        from_pairs(pairs)
    }

    /// Builds a spec from Supabase's component variables (POSTGRES_HOST, POSTGRES_PORT, POSTGRES_DB,
    /// POSTGRES_USER, POSTGRES_PASSWORD); `lookup` answers a variable name. `None` when POSTGRES_HOST and
    /// POSTGRES_PASSWORD are both absent (no database described).
    pub fn from_components(lookup: impl Fn(&str) -> Option<String>) -> Result<Option<ConnSpec>, ConnInfoError> {
        let host = lookup("POSTGRES_HOST");
        let password = lookup("POSTGRES_PASSWORD");
        if host.is_none() && password.is_none() {
            return Ok(None);
        }
        let mut pairs = BTreeMap::new();
        pairs.insert("host".to_owned(), host.unwrap_or_else(|| "localhost".to_owned()));
        for (var, key) in [("POSTGRES_PORT", "port"), ("POSTGRES_DB", "dbname"), ("POSTGRES_USER", "user")] {
            if let Some(value) = lookup(var).filter(|v| !v.is_empty()) {
                pairs.insert(key.to_owned(), value);
            }
        }
        if let Some(password) = password {
            pairs.insert("password".to_owned(), password);
        }
        from_pairs(pairs).map(Some)
    }

    /// True when this connection goes through Supavisor in transaction mode: no session state survives
    /// between transactions and named prepared statements must not be relied on.
    pub fn is_transaction_pooler(&self) -> bool {
        self.port == SUPAVISOR_TRANSACTION_PORT
    }

    /// The tenant of a Supavisor user name `postgres.<tenant>`.
    pub fn pooler_tenant(&self) -> Option<&str> {
        self.user.split_once('.').map(|(_, tenant)| tenant).filter(|t| !t.is_empty())
    }

    /// Explains how to reach a host name that only resolves inside Docker, or `None` for other hosts.
    pub fn docker_internal_hint(&self) -> Option<String> {
        let Host::Tcp(host) = &self.host else {
            return None;
        };
        let lower = host.to_ascii_lowercase();
        let internal = DOCKER_INTERNAL_HOSTS.contains(&lower.as_str())
            || (lower.starts_with("supabase-") && !lower.contains('.'))
            || lower.ends_with("-db") && !lower.contains('.');
        internal.then(|| {
            format!(
                "'{host}' is a name inside the Docker network of the Supabase stack and does not resolve from outside it. \
                 From the Docker host use 127.0.0.1 with the published port (the Supavisor session port is POSTGRES_PORT, \
                 5432 by default, with user postgres.<POOLER_TENANT_ID>; transaction mode is {SUPAVISOR_TRANSACTION_PORT}); \
                 from another machine use the server's address; or run supamcp inside the same Docker network."
            )
        })
    }

    /// A URL for display: the password replaced by `[redacted]`.
    pub fn redacted(&self) -> String {
        let password = if self.password.is_some() { ":[redacted]" } else { "" };
        let host = match &self.host {
            Host::Tcp(h) if h.contains(':') => format!("[{h}]"),
            Host::Tcp(h) => h.clone(),
            Host::Socket(dir) => format!("(socket {})", dir.display()),
        };
        format!("postgres://{}{password}@{host}:{}/{}", self.user, self.port, self.dbname)
    }

    /// The same connection as tokio-postgres wants it.
    pub fn to_pg_config(&self) -> tokio_postgres::Config {
        let mut config = tokio_postgres::Config::new();
        match &self.host {
            Host::Tcp(host) => config.host(host),
            Host::Socket(dir) => config.host_path(dir),
        };
        config.port(self.port).user(&self.user).dbname(&self.dbname);
        if let Some(password) = &self.password {
            config.password(password.expose());
        }
        config.application_name(self.application_name.as_deref().unwrap_or("supamcp"));
        config.connect_timeout(std::time::Duration::from_secs(self.connect_timeout_secs.unwrap_or(10)));
        if let Some(options) = &self.options {
            config.options(options);
        }
        config.ssl_mode(match self.sslmode {
            SslMode::Disable => tokio_postgres::config::SslMode::Disable,
            SslMode::Prefer => tokio_postgres::config::SslMode::Prefer,
            _ => tokio_postgres::config::SslMode::Require,
        });
        config
    }
}

fn from_pairs(mut pairs: BTreeMap<String, String>) -> Result<ConnSpec, ConnInfoError> {
    let raw_host = pairs.remove("host").filter(|h| !h.is_empty()).unwrap_or_else(|| "localhost".to_owned());
    if raw_host.contains(',') {
        return Err(ConnInfoError::new("several hosts are not supported; name one host"));
    }
    let host = if raw_host.starts_with('/') { Host::Socket(PathBuf::from(raw_host)) } else { Host::Tcp(raw_host) };
    let port = match pairs.remove("port").filter(|p| !p.is_empty()) {
        Some(port) => port
            .parse::<u16>()
            .map_err(|_| ConnInfoError::new(format!("port '{port}' is not a number from 1 to 65535")))?,
        None => 5432,
    };
    let user = pairs.remove("user").filter(|u| !u.is_empty()).unwrap_or_else(|| "postgres".to_owned());
    let dbname = pairs.remove("dbname").filter(|d| !d.is_empty()).unwrap_or_else(|| "postgres".to_owned());
    let sslmode = match pairs.remove("sslmode") {
        Some(mode) => SslMode::parse(&mode)?,
        None => SslMode::default(),
    };
    let connect_timeout_secs = match pairs.remove("connect_timeout") {
        Some(raw) => Some(
            raw.parse::<u64>()
                .map_err(|_| ConnInfoError::new(format!("connect_timeout '{raw}' is not a whole number of seconds")))?,
        ),
        None => None,
    };
    let spec = ConnSpec {
        host,
        port,
        user,
        // libpq treats an empty password, application_name or options as not given.
        password: pairs.remove("password").filter(|p| !p.is_empty()).map(Secret::new),
        dbname,
        sslmode,
        application_name: pairs.remove("application_name").filter(|a| !a.is_empty()),
        connect_timeout_secs,
        options: pairs.remove("options").filter(|o| !o.is_empty()),
    };
    // Keywords libpq knows that change nothing for us are accepted; anything else is a typo worth naming.
    const IGNORED: &[&str] = &[
        "target_session_attrs",
        "keepalives",
        "keepalives_idle",
        "fallback_application_name",
        "gssencmode",
        "sslrootcert",
        "sslcert",
        "sslkey",
        "channel_binding",
        "pgbouncer",
        "supa",
    ];
    if let Some(unknown) = pairs.keys().find(|k| !IGNORED.contains(&k.as_str())) {
        return Err(ConnInfoError::new(format!("unknown parameter '{unknown}'")));
    }
    Ok(spec)
}

fn percent_decode(raw: &str) -> Result<String, ConnInfoError> {
    let bytes = raw.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut index = 0;
    while index < bytes.len() {
        if bytes[index] == b'%' {
            let hex = raw.get(index + 1..index + 3).ok_or_else(|| {
                ConnInfoError::new("a '%' is not followed by two hex digits; write a literal % as %25")
            })?;
            let byte = u8::from_str_radix(hex, 16)
                .map_err(|_| ConnInfoError::new(format!("'%{hex}' is not a valid percent escape; write % as %25")))?;
            out.push(byte);
            index += 3;
        } else {
            out.push(bytes[index]);
            index += 1;
        }
    }
    String::from_utf8(out).map_err(|_| ConnInfoError::new("percent escapes do not decode to UTF-8"))
}

fn parse_url(rest: &str) -> Result<BTreeMap<String, String>, ConnInfoError> {
    let mut pairs = BTreeMap::new();
    let (main, query) = rest.split_once('?').unwrap_or((rest, ""));
    let (authority, path) = main.split_once('/').unwrap_or((main, ""));
    // The last '@' separates credentials: passwords often contain '@' unescaped.
    let (userinfo, hostport) = match authority.rfind('@') {
        Some(at) => (Some(&authority[..at]), &authority[at + 1..]),
        None => (None, authority),
    };
    if let Some(userinfo) = userinfo {
        let (user, password) = match userinfo.split_once(':') {
            Some((user, password)) => (user, Some(password)),
            None => (userinfo, None),
        };
        pairs.insert("user".to_owned(), percent_decode(user)?);
        if let Some(password) = password {
            pairs.insert("password".to_owned(), percent_decode(password)?);
        }
    }
    let (host, port) = if let Some(bracketed) = hostport.strip_prefix('[') {
        let (host, after) = bracketed
            .split_once(']')
            .ok_or_else(|| ConnInfoError::new("an IPv6 host opened with '[' is never closed with ']'"))?;
        (host.to_owned(), after.strip_prefix(':').map(str::to_owned))
    } else {
        match hostport.rsplit_once(':') {
            Some((host, port)) => (host.to_owned(), Some(port.to_owned())),
            None => (hostport.to_owned(), None),
        }
    };
    if !host.is_empty() {
        pairs.insert("host".to_owned(), percent_decode(&host)?);
    }
    if let Some(port) = port {
        pairs.insert("port".to_owned(), port);
    }
    if !path.is_empty() {
        pairs.insert("dbname".to_owned(), percent_decode(path)?);
    }
    for param in query.split('&').filter(|p| !p.is_empty()) {
        let (key, value) = param.split_once('=').unwrap_or((param, ""));
        pairs.insert(percent_decode(key)?, percent_decode(value)?);
    }
    Ok(pairs)
}

#[path = "conninfo_kv.rs"]
mod kv;

#[cfg(test)]
#[path = "conninfo_tests.rs"]
mod tests;
