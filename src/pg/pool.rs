//! One deadpool-postgres pool per configured instance, created on first use (a server with an unreachable
//! instance still starts), with the instance's size, TLS mode and statement timeout.

use super::conninfo::ConnSpec;
use super::diagnose;
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
        let connector = tls::connector(spec.sslmode)
            .map_err(|e| Failure::new("cannot set up TLS", e.to_string(), "report this as a supamcp bug"))?;
        // Through a transaction pooler session state does not survive, so recycling skips the reset queries.
        let recycling_method =
            if spec.is_transaction_pooler() { RecyclingMethod::Fast } else { RecyclingMethod::Clean };
        let manager = Manager::from_config(spec.to_pg_config(), connector, ManagerConfig { recycling_method });
        let connect_timeout = Duration::from_secs(spec.connect_timeout_secs.unwrap_or(10));
        let pool = Pool::builder(manager)
            .max_size(instance.pool_size)
            .runtime(Runtime::Tokio1)
            .create_timeout(Some(connect_timeout))
            .wait_timeout(Some(connect_timeout + Duration::from_secs(20)))
            .recycle_timeout(Some(Duration::from_secs(5)))
            .build()
            .map_err(|e| {
                Failure::new("cannot build the connection pool", e.to_string(), "report this as a supamcp bug")
            })?;
        Ok(Database { instance: instance.clone(), spec, pool, read_only_role: tokio::sync::OnceCell::new() })
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
