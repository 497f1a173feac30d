//! `supamcp setup read-only-role`: makes a login PostgreSQL restricts for read-only SQL, and keeps its
//! password owner-only in the data directory (`read-only/<instance>.json`, 0600 in a 0700 directory), where
//! the configuration picks it up. The stack's `supabase_read_only_user` is used when it exists (it only lacks
//! a password on stock self-hosted stacks); otherwise `supamcp_read_only` is created with
//! pg_read_all_data. The password goes to the server as a SCRAM verifier, never as text.

use super::ident::{quote_ident, quote_literal};
use super::readonly_login::{self, LoginOrigin, ReadOnlyLogin, SUPABASE_READ_ONLY_USER};
use super::sql_errors::sql_failure;
use crate::failure::Failure;
use crate::secret::Secret;
use serde::{Deserialize, Serialize};
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::time::Duration;

/// The role created when the stack has no supabase_read_only_user.
pub const DEFAULT_SETUP_ROLE: &str = "supamcp_read_only";

#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct StoredLogin {
    user: String,
    password: String,
}

fn stored_path(data_dir: &Path, instance: &str) -> PathBuf {
    data_dir.join("read-only").join(format!("{instance}.json"))
}

/// The login `setup read-only-role` stored for `instance`, if any. A file others may read is refused.
pub fn stored_login(data_dir: &Path, instance: &str) -> Result<Option<ReadOnlyLogin>, Failure> {
    let path = stored_path(data_dir, instance);
    let metadata = match std::fs::symlink_metadata(&path) {
        Ok(metadata) => metadata,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(e) => {
            return Err(Failure::new(format!("cannot read {}", path.display()), e.to_string(), "fix its permissions"));
        }
    };
    if !metadata.is_file() || metadata.permissions().mode() & 0o077 != 0 {
        return Err(Failure::new(
            format!("the stored read-only login {} is not used", path.display()),
            "it is not a regular file readable by its owner only",
            format!("chmod 600 {} (or delete it and run `supamcp setup read-only-role` again)", path.display()),
        ));
    }
    let mut text = String::new();
    crate::fsutil::open_read(&path)
        .and_then(|mut file| std::io::Read::read_to_string(&mut file, &mut text))
        .map_err(|e| Failure::new(format!("cannot read {}", path.display()), e.to_string(), "fix its permissions"))?;
    let stored: StoredLogin = serde_json::from_str(&text).map_err(|e| {
        Failure::new(
            format!("the stored read-only login {} cannot be read", path.display()),
            e.to_string(),
            "delete it and run `supamcp setup read-only-role` again",
        )
    })?;
    Ok(Some(ReadOnlyLogin::Credentials {
        user: stored.user,
        password: Secret::new(stored.password),
        origin: LoginOrigin::SetupReadOnlyRole,
    }))
}

/// What setup will do, for the confirmation.
#[derive(Debug, Serialize)]
pub struct SetupPlan {
    pub role: String,
    pub exists: bool,
    pub steps: Vec<String>,
    pub stored_at: PathBuf,
}

/// Decides the role and lists the steps, changing nothing.
pub async fn plan(
    client: &tokio_postgres::Client,
    data_dir: &Path,
    instance: &str,
    role: Option<&str>,
) -> Result<SetupPlan, Failure> {
    let failure = |e: tokio_postgres::Error| sql_failure(&e, None, Duration::ZERO);
    let version: i32 =
        client.query_one("select current_setting('server_version_num')::int", &[]).await.map_err(failure)?.get(0);
    if version < 140000 {
        return Err(Failure::new(
            "cannot set up a read-only role",
            "PostgreSQL 13 and older have no pg_read_all_data role",
            "create a role with SELECT on the schemas you need yourself and set read_only_database_url",
        ));
    }
    let exists = |name: String| async move {
        client.query_opt("select 1 from pg_catalog.pg_roles where rolname = $1", &[&name]).await.map(|r| r.is_some())
    };
    let role = match role {
        Some(role) => role.to_owned(),
        None if exists(SUPABASE_READ_ONLY_USER.to_owned()).await.map_err(failure)? => {
            SUPABASE_READ_ONLY_USER.to_owned()
        }
        None => DEFAULT_SETUP_ROLE.to_owned(),
    };
    let role_exists = exists(role.clone()).await.map_err(failure)?;
    let mut steps = Vec::new();
    if role_exists {
        steps.push(format!("check that {role} is restricted (no superuser, replication, write privileges ...)"));
        steps.push(format!("set a new generated password on {role} (LOGIN)"));
    } else {
        steps.push(format!(
            "CREATE ROLE {role} LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOREPLICATION with a generated password"
        ));
        steps.push(format!("GRANT pg_read_all_data TO {role}; BYPASSRLS where this login may grant it"));
    }
    steps.push(format!("ALTER ROLE {role} SET default_transaction_read_only = on"));
    steps.push(format!("log in as {role} and check that PostgreSQL restricts it"));
    steps.push(format!("store the password owner-only in {}", stored_path(data_dir, instance).display()));
    Ok(SetupPlan { role, exists: role_exists, steps, stored_at: stored_path(data_dir, instance) })
}

/// Carries out `plan` in one transaction and returns the login with its new password (not yet stored).
pub async fn apply(client: &mut tokio_postgres::Client, plan: &SetupPlan) -> Result<(Secret, Vec<String>), Failure> {
    let failure = |e: tokio_postgres::Error| sql_failure(&e, None, Duration::ZERO);
    let mut notes = Vec::new();
    let password = Secret::new(crate::supabase::keys::random_alnum(40));
    let verifier = postgres_protocol::password::scram_sha_256(password.expose().as_bytes());
    let role = quote_ident(&plan.role);
    let transaction = client.transaction().await.map_err(failure)?;
    if plan.exists {
        let (powers, _) = readonly_login::powers_of(&transaction, &plan.role).await.map_err(failure)?;
        if !powers.is_empty() {
            return Err(readonly_login::unrestricted_failure(&plan.role, LoginOrigin::SetupReadOnlyRole, &powers));
        }
        transaction
            .batch_execute(&format!("ALTER ROLE {role} LOGIN PASSWORD {}", quote_literal(&verifier)))
            .await
            .map_err(failure)?;
    } else {
        transaction
            .batch_execute(&format!(
                "CREATE ROLE {role} LOGIN INHERIT NOSUPERUSER NOCREATEDB NOCREATEROLE NOREPLICATION PASSWORD {}; \
                 GRANT pg_read_all_data TO {role}",
                quote_literal(&verifier)
            ))
            .await
            .map_err(failure)?;
        transaction.batch_execute("SAVEPOINT bypassrls").await.map_err(failure)?;
        match transaction.batch_execute(&format!("ALTER ROLE {role} BYPASSRLS")).await {
            Ok(()) => notes.push(format!("{} reads rows behind RLS policies too (BYPASSRLS)", plan.role)),
            Err(e) => {
                transaction.batch_execute("ROLLBACK TO SAVEPOINT bypassrls").await.map_err(failure)?;
                notes.push(format!(
                    "{} sees only the rows RLS policies let it see: this login may not grant BYPASSRLS ({}); a superuser can run ALTER ROLE {role} BYPASSRLS",
                    plan.role,
                    e.as_db_error().map_or_else(|| e.to_string(), |db| db.message().to_owned())
                ));
            }
        }
    }
    let database: String = transaction.query_one("select current_database()", &[]).await.map_err(failure)?.get(0);
    transaction
        .batch_execute(&format!(
            "ALTER ROLE {role} SET default_transaction_read_only = on; GRANT CONNECT ON DATABASE {} TO {role}",
            quote_ident(&database)
        ))
        .await
        .map_err(failure)?;
    transaction.commit().await.map_err(failure)?;
    Ok((password, notes))
}

/// Writes the login owner-only (0600 through a temporary file and a rename, in a 0700 directory).
pub fn store(plan: &SetupPlan, password: &Secret) -> Result<(), Failure> {
    let dir = plan.stored_at.parent().unwrap_or(Path::new("."));
    crate::fsutil::ensure_dir(dir, "--data-dir")?;
    let text = serde_json::to_string(&StoredLogin { user: plan.role.clone(), password: password.expose().to_owned() })
        .map_err(|e| {
            Failure::new("cannot encode the read-only login", e.to_string(), "report this as a supamcp bug")
        })?;
    crate::fsutil::write_atomic(&plan.stored_at, text.as_bytes(), "--data-dir")
}
