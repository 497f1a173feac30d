//! The roles part of a backup, as the official dump recipe carries roles next to schema and data
//! (`pg_dumpall --roles-only` with Supabase's reserved roles left out): the definitions of the non-reserved roles
//! the archived objects name, kept in the manifest without passwords. A restore creates the ones the target lacks
//! (never altering an existing role) before pg_restore runs; login roles come back without a password.

use crate::failure::Failure;
use crate::pg::catalog::query_failure;
use crate::pg::ident::quote_ident;
use serde::{Deserialize, Serialize};
use tokio_postgres::types::Type;

/// Roles every Supabase stack creates and manages itself; never saved nor created by a restore.
pub const RESERVED: &[&str] = &[
    "postgres",
    "supabase_admin",
    "supabase_auth_admin",
    "supabase_storage_admin",
    "supabase_functions_admin",
    "supabase_realtime_admin",
    "supabase_replication_admin",
    "supabase_read_only_user",
    "supabase_etl_admin",
    "supabase_privileged_role",
    "authenticator",
    "authenticated",
    "anon",
    "service_role",
    "dashboard_user",
    "pgbouncer",
    "pgsodium_keyholder",
    "pgsodium_keyiduser",
    "pgsodium_keymaker",
];

/// A role a restore can create: its attributes (superuser-only ones left out, as the CLI's roles dump does) and
/// the roles it is a member of. No password.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct RoleDefinition {
    pub name: String,
    pub login: bool,
    pub inherit: bool,
    pub create_role: bool,
    pub create_db: bool,
    /// -1: no limit.
    pub connection_limit: i32,
    #[serde(default)]
    pub member_of: Vec<String>,
}

/// `pg_*` and Supabase's own roles.
pub fn is_reserved(name: &str) -> bool {
    name.starts_with("pg_") || RESERVED.contains(&name)
}

const DEFINITIONS: &str = "select r.rolname::text, r.rolcanlogin, r.rolinherit, r.rolcreaterole, r.rolcreatedb, \
    r.rolconnlimit, array(select g.rolname::text from pg_auth_members m join pg_roles g on g.oid = m.roleid \
    where m.member = r.oid order by 1) from pg_roles r where r.rolname = any($1) and not r.rolsuper order by 1";

/// The definitions of the non-reserved, non-superuser roles among `roles`.
pub async fn definitions(client: &tokio_postgres::Client, roles: &[String]) -> Result<Vec<RoleDefinition>, Failure> {
    let wanted: Vec<String> = roles.iter().filter(|r| !is_reserved(r)).cloned().collect();
    let rows = client.query_typed(DEFINITIONS, &[(&wanted, Type::TEXT_ARRAY)]).await.map_err(query_failure)?;
    Ok(rows
        .iter()
        .map(|row| RoleDefinition {
            name: row.get(0),
            login: row.get(1),
            inherit: row.get(2),
            create_role: row.get(3),
            create_db: row.get(4),
            connection_limit: row.get(5),
            member_of: row.get(6),
        })
        .collect())
}

/// `CREATE ROLE` for `role` (no password).
pub fn create_statement(role: &RoleDefinition) -> String {
    let flag = |on: bool, name: &str| if on { name.to_owned() } else { format!("NO{name}") };
    format!(
        "CREATE ROLE {} {} {} {} {} CONNECTION LIMIT {}",
        quote_ident(&role.name),
        flag(role.login, "LOGIN"),
        flag(role.inherit, "INHERIT"),
        flag(role.create_role, "CREATEROLE"),
        flag(role.create_db, "CREATEDB"),
        role.connection_limit
    )
}

/// Creates the roles of `missing` that `definitions` describes, in one transaction, with their memberships in
/// roles the target has; returns the names created. Existing roles are never touched.
pub async fn create_missing(
    target: &tokio_postgres::Client,
    definitions: &[RoleDefinition],
    missing: &[String],
) -> Result<Vec<String>, Failure> {
    let creating: Vec<&RoleDefinition> = definitions.iter().filter(|d| missing.contains(&d.name)).collect();
    if creating.is_empty() {
        return Ok(Vec::new());
    }
    let parents: Vec<String> = creating.iter().flat_map(|d| d.member_of.iter().cloned()).collect();
    let rows = target
        .query_typed("select rolname::text from pg_roles where rolname = any($1)", &[(&parents, Type::TEXT_ARRAY)])
        .await
        .map_err(query_failure)?;
    let mut present: Vec<String> = rows.iter().map(|r| r.get(0)).collect();
    present.extend(creating.iter().map(|d| d.name.clone()));
    let mut statements: Vec<String> = creating.iter().map(|d| create_statement(d)).collect();
    for role in &creating {
        for parent in role.member_of.iter().filter(|p| present.contains(p)) {
            statements.push(format!("GRANT {} TO {}", quote_ident(parent), quote_ident(&role.name)));
        }
    }
    let script = format!("BEGIN; {}; COMMIT", statements.join("; "));
    target.batch_execute(&script).await.map_err(|e| {
        let mut failure = query_failure(e);
        failure.what = "cannot create the backup's missing roles on the target".to_owned();
        failure.fix =
            "restore as a role with CREATEROLE (postgres or supabase_admin on Supabase), or create them first"
                .to_owned();
        failure
    })?;
    Ok(creating.iter().map(|d| d.name.clone()).collect())
}

/// Drops the roles a failed restore created (they own nothing: what was restored is gone again) and says so in
/// `failure`; roles that cannot be dropped are named for the user to drop.
pub async fn remove_created(database: &crate::pg::pool::Database, created: &[String], mut failure: Failure) -> Failure {
    let names = created.iter().map(|r| quote_ident(r)).collect::<Vec<_>>().join(", ");
    let dropped = match database.client().await {
        Ok(client) => client.batch_execute(&format!("DROP ROLE IF EXISTS {names}")).await.is_ok(),
        Err(_) => false,
    };
    let list = created.join(", ");
    failure.fix = if dropped {
        format!("{} (The roles this restore had created, {list}, were dropped again.)", failure.fix)
    } else {
        format!(
            "{} The roles this restore created ({list}) could not be dropped again: drop them (DROP ROLE) if they are not wanted.",
            failure.fix
        )
    };
    failure
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reserved_roles_and_create_statements() {
        assert!(is_reserved("pg_read_all_data") && is_reserved("authenticated") && is_reserved("supabase_admin"));
        assert!(!is_reserved("app_writer"));
        let role = RoleDefinition {
            name: "App \"Writer\"".into(),
            login: true,
            inherit: true,
            create_role: false,
            create_db: false,
            connection_limit: -1,
            member_of: vec![],
        };
        assert_eq!(
            create_statement(&role),
            "CREATE ROLE \"App \"\"Writer\"\"\" LOGIN INHERIT NOCREATEROLE NOCREATEDB CONNECTION LIMIT -1"
        );
    }
}
