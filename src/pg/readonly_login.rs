//! The login read-only SQL runs on, so that PostgreSQL itself is the wall: where it comes from (an explicit
//! `read_only_database_url`, the stack's `supabase_read_only_user` with a configured password, or the role
//! `supamcp setup read-only-role` created), and the check that the server really restricts it: not a
//! superuser, no replication, no role or database creation, no membership of a role that has those or of
//! the predefined roles that signal backends, read or write server files, run programs or write all data,
//! and no write privilege on any table, sequence, schema or the database. SET ROLE is no wall when the
//! session user is a superuser (`set_config('role', ...)` undoes it), so only the login counts.

use super::conninfo::ConnSpec;
use crate::failure::Failure;
use crate::secret::Secret;
use serde::Serialize;
use tokio_postgres::GenericClient;

/// The Supabase stack's read-only role (LOGIN BYPASSRLS, member of pg_read_all_data, no password on stock
/// self-hosted stacks).
pub const SUPABASE_READ_ONLY_USER: &str = "supabase_read_only_user";

/// Where a read-only login was configured.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum LoginOrigin {
    /// `read_only_database_url` (config file, `--read-only-database-url`, SUPAMCP_READ_ONLY_DATABASE_URL).
    ReadOnlyDatabaseUrl,
    /// `supabase_read_only_user` with `read_only_password` / SUPAMCP_READ_ONLY_PASSWORD.
    SupabaseReadOnlyUser,
    /// The role and password `supamcp setup read-only-role` stored in the data directory.
    SetupReadOnlyRole,
}

impl LoginOrigin {
    pub fn describe(self) -> &'static str {
        match self {
            LoginOrigin::ReadOnlyDatabaseUrl => "read_only_database_url",
            LoginOrigin::SupabaseReadOnlyUser => "supabase_read_only_user with read_only_password",
            LoginOrigin::SetupReadOnlyRole => "the role `supamcp setup read-only-role` created",
        }
    }
}

/// A login for read-only SQL.
#[derive(Clone, Debug)]
pub enum ReadOnlyLogin {
    /// A connection of its own.
    Url(ConnSpec),
    /// A user and password on the instance's own server and database.
    Credentials { user: String, password: Secret, origin: LoginOrigin },
}

impl ReadOnlyLogin {
    pub fn origin(&self) -> LoginOrigin {
        match self {
            ReadOnlyLogin::Url(_) => LoginOrigin::ReadOnlyDatabaseUrl,
            ReadOnlyLogin::Credentials { origin, .. } => *origin,
        }
    }

    /// The connection of this login: its own URL, or the instance's connection with this user and password
    /// (the Supavisor tenant suffix `user.<tenant>` kept when the instance connects through the pooler).
    pub fn spec(&self, main: &ConnSpec) -> ConnSpec {
        match self {
            ReadOnlyLogin::Url(spec) => spec.clone(),
            ReadOnlyLogin::Credentials { user, password, .. } => {
                let mut spec = main.clone();
                spec.user = match main.pooler_tenant() {
                    Some(tenant) if !user.contains('.') => format!("{user}.{tenant}"),
                    _ => user.clone(),
                };
                spec.password = Some(password.clone());
                spec
            }
        }
    }
}

/// Who enforces read-only SQL on an instance, as replies and test_connection report it.
#[derive(Clone, Debug, Serialize, schemars::JsonSchema)]
pub struct Enforcement {
    /// "database": a login PostgreSQL itself stops from writing; "supamcp": only the statement guard and the
    /// read-only transaction, on a login that could write.
    pub enforced_by: &'static str,
    /// The login read-only SQL runs as.
    pub login: String,
    /// How to have PostgreSQL enforce it, when it does not.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub how_to_enforce: Option<String>,
}

pub const HOW_TO_ENFORCE: &str = "give supamcp a login that cannot write: read_only_database_url (or \
SUPAMCP_READ_ONLY_DATABASE_URL), or supabase_read_only_user's password as read_only_password (or \
SUPAMCP_READ_ONLY_PASSWORD), or run `supamcp setup read-only-role`";

impl Enforcement {
    pub fn database(login: &str) -> Self {
        Enforcement { enforced_by: "database", login: login.to_owned(), how_to_enforce: None }
    }

    pub fn guard_only(login: &str) -> Self {
        Enforcement { enforced_by: "supamcp", login: login.to_owned(), how_to_enforce: Some(HOW_TO_ENFORCE.to_owned()) }
    }
}

/// Predefined roles whose members act outside the data or write everywhere.
const POWERFUL_PREDEFINED_ROLES: &[&str] = &[
    "pg_signal_backend",
    "pg_read_server_files",
    "pg_write_server_files",
    "pg_execute_server_program",
    "pg_write_all_data",
    "pg_checkpoint",
    "pg_create_subscription",
    "pg_use_reserved_connections",
];

/// What the session user may do that a read-only wall must not: one line per power, the first few
/// writable objects named. Runs as the login being judged.
const POWERS_SQL: &str = "
with me as (select * from pg_catalog.pg_roles where rolname = coalesce($2::text, session_user::text)),
writable as (
  select format('%I.%I', n.nspname, c.relname) as name
  from pg_catalog.pg_class c join pg_catalog.pg_namespace n on n.oid = c.relnamespace, me
  -- pg_catalog's one writable view, pg_settings, is SET by another name: role changes stay bounded by membership
  where n.nspname not in ('pg_catalog', 'information_schema') and ((c.relkind in ('r', 'p', 'f', 'v', 'm')
         and pg_catalog.has_table_privilege(me.oid, c.oid, 'INSERT, UPDATE, DELETE, TRUNCATE'))
     or (c.relkind = 'S' and pg_catalog.has_sequence_privilege(me.oid, c.oid, 'USAGE, UPDATE')))
)
select array_remove(array[
    case when me.rolsuper then 'is a superuser' end,
    case when me.rolreplication then 'has REPLICATION' end,
    case when me.rolcreaterole then 'has CREATEROLE' end,
    case when me.rolcreatedb then 'has CREATEDB' end,
    (select 'can become ' || string_agg(r.rolname::text, ', ' order by r.rolname)
       from pg_catalog.pg_roles r
      where r.oid <> me.oid and pg_catalog.pg_has_role(me.oid, r.oid, 'MEMBER')
        and (r.rolsuper or r.rolreplication or r.rolcreaterole or r.rolcreatedb or r.rolname = any($1))),
    (select 'may write ' || string_agg(name, ', ') filter (where n <= 5)
            || case when max(total) > 5 then format(' and %s more', max(total) - 5) else '' end
       from (select name, row_number() over (order by name) as n, count(*) over () as total from writable) w),
    (select 'may create in schema ' || string_agg(n.nspname::text, ', ' order by n.nspname)
       from pg_catalog.pg_namespace n where pg_catalog.has_schema_privilege(me.oid, n.oid, 'CREATE')),
    case when pg_catalog.has_database_privilege(me.oid, pg_catalog.current_database(), 'CREATE')
         then 'may create schemas in the database' end
  ], null)::text[], me.rolname::text
from me";

/// The powers of the session user that make it no read-only wall (empty: PostgreSQL restricts it), and
/// its name.
pub async fn powers(client: &impl GenericClient) -> Result<(Vec<String>, String), tokio_postgres::Error> {
    powers_query(client, None).await
}

/// The same for a named role, judged from another login.
pub async fn powers_of(
    client: &impl GenericClient,
    role: &str,
) -> Result<(Vec<String>, String), tokio_postgres::Error> {
    powers_query(client, Some(role)).await
}

async fn powers_query(
    client: &impl GenericClient,
    role: Option<&str>,
) -> Result<(Vec<String>, String), tokio_postgres::Error> {
    let predefined: Vec<String> = POWERFUL_PREDEFINED_ROLES.iter().map(|r| (*r).to_owned()).collect();
    let row = client.query_one(POWERS_SQL, &[&predefined, &role]).await?;
    Ok((row.get(0), row.get(1)))
}

/// The refusal when a configured read-only login can write or act outside the data.
pub fn unrestricted_failure(login: &str, origin: LoginOrigin, powers: &[String]) -> Failure {
    Failure::new(
        format!("the read-only login '{login}' ({}) is not restricted by PostgreSQL", origin.describe()),
        format!("it {}", powers.join("; ")),
        format!(
            "use a login without these rights (e.g. `supamcp setup read-only-role` creates one), or revoke them: \
             ALTER ROLE \"{login}\" NOSUPERUSER NOREPLICATION NOCREATEROLE NOCREATEDB, REVOKE the memberships and \
             write privileges named; read-only SQL is refused until then"
        ),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn credentials_keep_the_pooler_tenant() {
        let main =
            ConnSpec::parse("postgres://postgres.tenant1:pw@127.0.0.1:6543/postgres").unwrap_or_else(|e| panic!("{e}"));
        let login = ReadOnlyLogin::Credentials {
            user: SUPABASE_READ_ONLY_USER.to_owned(),
            password: Secret::new("ro"),
            origin: LoginOrigin::SupabaseReadOnlyUser,
        };
        let spec = login.spec(&main);
        assert_eq!(spec.user, "supabase_read_only_user.tenant1");
        assert_eq!(spec.port, 6543);
        assert_eq!(spec.password.as_ref().map(Secret::expose), Some("ro"));
    }
}
