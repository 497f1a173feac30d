//! One deadpool-postgres pool per configured instance, created on first use (a server with an unreachable
//! instance still starts), with the instance's size, TLS mode and statement timeout; and, where the instance
//! has a read-only login, a second pool of that login for read-only SQL, checked once to be one that
//! PostgreSQL restricts. Connections of both go back clean (`release_clean`).

use super::conninfo::ConnSpec;
use super::diagnose;
use super::readonly_login::{self, Enforcement, ReadOnlyLogin};
use super::tls;
use crate::config::{Instance, Settings};
use crate::failure::Failure;
use deadpool_postgres::{Manager, ManagerConfig, Object, Pool, RecyclingMethod, Runtime};
use std::collections::{BTreeMap, HashMap};
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// A database instance with its pool.
pub struct Database {
    pub instance: Instance,
    pub spec: ConnSpec,
    pool: Pool,
    read_only_role: tokio::sync::OnceCell<Option<String>>,
    read_only_login: Option<ReadOnlyPool>,
}

/// The pool of a read-only login and the verdict of its check.
struct ReadOnlyPool {
    login: ReadOnlyLogin,
    spec: ConnSpec,
    pool: Pool,
    /// The login's name once it was found restricted; the refusal otherwise.
    checked: tokio::sync::OnceCell<Result<String, Failure>>,
}

/// A connection for read-only SQL and who enforces read-only on it.
pub struct ReadOnlyClient {
    pub client: Object,
    pub enforcement: Enforcement,
    /// True on the restricted login's own pool (no SET ROLE needed or wanted there).
    pub restricted_login: bool,
}

/// Session state a call may leave behind, cleared before a connection goes back to the pool (as deadpool's
/// clean recycling does, but right away, so no lock or setting lingers while the connection is idle).
const RESET_SESSION: &str = "CLOSE ALL; SET SESSION AUTHORIZATION DEFAULT; RESET ALL; UNLISTEN *; \
SELECT pg_catalog.pg_advisory_unlock_all(); DISCARD TEMP; DISCARD SEQUENCES";

fn build_pool(spec: &ConnSpec, size: usize) -> Result<Pool, Failure> {
    let connector = tls::connector(spec.sslmode)
        .map_err(|e| Failure::new("cannot set up TLS", e.to_string(), "report this as a supamcp bug"))?;
    // Through a transaction pooler session state does not survive, so recycling skips the reset queries.
    let recycling_method = if spec.is_transaction_pooler() { RecyclingMethod::Fast } else { RecyclingMethod::Clean };
    let manager = Manager::from_config(spec.to_pg_config(), connector, ManagerConfig { recycling_method });
    let connect_timeout = Duration::from_secs(spec.connect_timeout_secs.unwrap_or(10));
    Pool::builder(manager)
        .max_size(size)
        .runtime(Runtime::Tokio1)
        .create_timeout(Some(connect_timeout))
        .wait_timeout(Some(connect_timeout + Duration::from_secs(20)))
        .recycle_timeout(Some(Duration::from_secs(5)))
        .build()
        .map_err(|e| Failure::new("cannot build the connection pool", e.to_string(), "report this as a supamcp bug"))
}

/// Hands a connection back to its pool with no session state of the call left on it; a connection that
/// cannot be reset is closed instead. Through a transaction pooler the server connection is shared with
/// other clients and nothing session-wide is sent.
pub async fn release_clean(client: Object, transaction_pooler: bool) {
    if transaction_pooler {
        return;
    }
    if let Err(e) = client.batch_execute(RESET_SESSION).await {
        tracing::warn!("closing a connection whose session could not be reset: {e}");
        drop(Object::take(client));
    }
}

impl Database {
    fn open(instance: &Instance) -> Result<Database, Failure> {
        let spec = instance.database.clone().ok_or_else(|| {
            Failure::new(
                format!("instance '{}' has no database", instance.name),
                "it is configured without a connection",
                "give it database_url or env_file in the config file",
            )
        })?;
        let pool = build_pool(&spec, instance.pool_size)?;
        let read_only_login = match &instance.read_only_login {
            Some(login) => {
                let ro_spec = login.spec(&spec);
                let pool = build_pool(&ro_spec, instance.pool_size)?;
                Some(ReadOnlyPool { login: login.clone(), spec: ro_spec, pool, checked: tokio::sync::OnceCell::new() })
            }
            None => None,
        };
        Ok(Database {
            instance: instance.clone(),
            spec,
            pool,
            read_only_role: tokio::sync::OnceCell::new(),
            read_only_login,
        })
    }

    /// A pooled connection, or the diagnosed reason why none can be had.
    pub async fn client(&self) -> Result<Object, Failure> {
        self.client_diagnosed().await.map_err(|(_, failure)| failure)
    }

    /// Like [`Database::client`], with the kind of failure for reports.
    pub async fn client_diagnosed(&self) -> Result<Object, (diagnose::FailureKind, Failure)> {
        self.pool.get().await.map_err(|error| {
            if let deadpool_postgres::PoolError::Timeout(deadpool_postgres::TimeoutType::Wait) = error {
                return (
                    diagnose::FailureKind::Other,
                    Failure::new(
                        format!(
                            "all {} connections of instance '{}' are busy",
                            self.instance.pool_size, self.instance.name
                        ),
                        "other tool calls hold them and none came free in time",
                        "retry when the running calls finish, or raise pool_size",
                    ),
                );
            }
            diagnose::explain(&self.spec, &error)
        })
    }

    /// A connection for read-only SQL: on the instance's read-only login when it has one (checked once to be
    /// restricted by PostgreSQL; a login that is not is refused), else on the main login, where only
    /// supamcp's guard and the read-only transaction enforce it.
    pub async fn read_only_client(&self) -> Result<ReadOnlyClient, Failure> {
        let Some(ro) = &self.read_only_login else {
            let client = self.client().await?;
            return Ok(ReadOnlyClient {
                client,
                enforcement: Enforcement::guard_only(&self.spec.user),
                restricted_login: false,
            });
        };
        let client = ro.pool.get().await.map_err(|error| diagnose::explain(&ro.spec, &error).1).map_err(|f| {
            Failure::new(
                format!("cannot connect as the read-only login ({}): {}", ro.login.origin().describe(), f.what),
                f.why,
                f.fix,
            )
        })?;
        // The verdict is kept; a query that fails (a lost connection) is not a verdict and is tried again.
        let verdict = ro
            .checked
            .get_or_try_init(|| async {
                let pg: &tokio_postgres::Client = &client;
                let (powers, login) = readonly_login::powers(pg)
                    .await
                    .map_err(|e| super::sql_errors::sql_failure(&e, None, self.statement_timeout()))?;
                Ok::<_, Failure>(if powers.is_empty() {
                    Ok(login)
                } else {
                    Err(readonly_login::unrestricted_failure(&login, ro.login.origin(), &powers))
                })
            })
            .await?;
        let login = verdict.clone()?;
        Ok(ReadOnlyClient { client, enforcement: Enforcement::database(&login), restricted_login: true })
    }

    /// Who enforces read-only SQL on this instance, without connecting: a configured login is named as
    /// the database's wall until a check says otherwise.
    pub fn read_only_login_configured(&self) -> Option<&ReadOnlyLogin> {
        self.read_only_login.as_ref().map(|ro| &ro.login)
    }

    /// The role read-only SQL runs as: the configured `read_only_role`, else `supabase_read_only_user` when
    /// it exists and the login user may assume it; `None` when neither applies. Looked up once.
    pub async fn read_only_role(&self, client: &Object) -> Result<Option<String>, Failure> {
        let configured = self.instance.read_only_role.clone();
        let found = self
            .read_only_role
            .get_or_try_init(|| async {
                let wanted = configured.clone().unwrap_or_else(|| "supabase_read_only_user".to_owned());
                let row = client
                    .query_typed_opt(
                        "select rolname::text from pg_roles where rolname = $1 and pg_has_role(session_user, oid, 'MEMBER')",
                        &[(&wanted, tokio_postgres::types::Type::TEXT)],
                    )
                    .await
                    .map_err(|e| super::sql_errors::sql_failure(&e, None, self.statement_timeout()))?;
                Ok::<_, Failure>(row.map(|r| r.get::<_, String>(0)))
            })
            .await?;
        if found.is_none()
            && let Some(role) = configured
        {
            return Err(Failure::new(
                format!("read_only_role '{role}' cannot be used"),
                format!("the role does not exist, or the login user {} is not a member of it", self.spec.user),
                format!(
                    "create it (CREATE ROLE \"{role}\"; GRANT pg_read_all_data TO \"{role}\"; GRANT \"{role}\" TO {}) or remove read_only_role from the config",
                    self.spec.user
                ),
            ));
        }
        Ok(found.clone())
    }

    pub fn statement_timeout(&self) -> Duration {
        self.instance.statement_timeout
    }

    /// True when connected through Supavisor's transaction mode (no session state between transactions).
    pub fn transaction_pooler(&self) -> bool {
        self.spec.is_transaction_pooler()
    }

    pub fn pool_status(&self) -> deadpool_postgres::Status {
        self.pool.status()
    }

    /// Closes the idle pooled connections (before the database is renamed or dropped under them).
    pub fn close_idle(&self) {
        self.pool.retain(|_, _| false);
    }
}

/// All configured instances; pools are opened lazily and kept.
pub struct Databases {
    instances: BTreeMap<String, Instance>,
    default_instance: String,
    open: Mutex<HashMap<String, Arc<Database>>>,
}

impl Databases {
    pub fn new(settings: &Settings) -> Self {
        Databases {
            instances: settings.instances.clone(),
            default_instance: settings.default_instance.clone(),
            open: Mutex::new(HashMap::new()),
        }
    }

    /// The database of instance `name` (the default instance when `None`).
    pub fn get(&self, name: Option<&str>) -> Result<Arc<Database>, Failure> {
        let wanted = name.unwrap_or(&self.default_instance);
        let instance = self.instances.get(wanted).ok_or_else(|| {
            let known: Vec<&str> = self.instances.keys().map(String::as_str).collect();
            Failure::new(
                format!("instance '{wanted}' is not configured"),
                if known.is_empty() {
                    "no instance is configured".to_owned()
                } else {
                    format!("configured instances: {}", known.join(", "))
                },
                "pass one of the configured names as `instance`, or add it to the config file",
            )
        })?;
        let mut open = self
            .open
            .lock()
            .map_err(|_| Failure::new("internal error", "pool registry lock poisoned", "restart supamcp"))?;
        if let Some(database) = open.get(wanted) {
            return Ok(database.clone());
        }
        let database = Arc::new(Database::open(instance)?);
        open.insert(wanted.to_owned(), database.clone());
        Ok(database)
    }

    pub fn names(&self) -> Vec<String> {
        self.instances.iter().filter(|(_, i)| i.database.is_some()).map(|(n, _)| n.clone()).collect()
    }
}

/// One connection outside the pools (set-up work, checks), its failure diagnosed like a pool's.
pub async fn connect_once(spec: &ConnSpec) -> Result<tokio_postgres::Client, Failure> {
    let connector = tls::connector(spec.sslmode)
        .map_err(|e| Failure::new("cannot set up TLS", e.to_string(), "report this as a supamcp bug"))?;
    let (client, connection) =
        spec.to_pg_config().connect(connector).await.map_err(|e| diagnose::explain(spec, &e).1)?;
    tokio::spawn(async move {
        if let Err(e) = connection.await {
            tracing::debug!("connection ended: {e}");
        }
    });
    Ok(client)
}
