//! Replacing a live database by a restored copy: the sessions that stand in the way (found from a maintenance
//! database, refused or terminated), the rename swap of the scratch database into place, and the owner, grants and
//! settings carried over from the database it replaces.

use super::*;
use crate::pg::ident::quote_literal;

/// A database to connect to while `dbname` is renamed.
pub(super) fn maintenance_db(dbname: &str) -> &'static str {
    if dbname == "postgres" { "template1" } else { "postgres" }
}

/// Sessions on the target database (pid, application name), once supamcp's own idle pooled ones are closed.
pub(super) async fn sessions(
    maintenance: &tokio_postgres::Client,
    database: &Database,
) -> Result<Vec<(i32, String)>, Failure> {
    database.close_idle();
    let mut found = Vec::new();
    // A closed connection's backend leaves pg_stat_activity a moment after the client hangs up.
    for _ in 0..20 {
        let rows = maintenance
            .query_typed(
                "select pid, coalesce(application_name, '') from pg_stat_activity \
                 where datname = $1 and pid <> pg_backend_pid()",
                &[(&database.spec.dbname, Type::TEXT)],
            )
            .await
            .map_err(query_failure)?;
        found = rows.iter().map(|r| (r.get(0), r.get(1))).collect();
        if found.is_empty() {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    Ok(found)
}

pub(super) fn busy(dbname: &str, sessions: &[(i32, String)]) -> Failure {
    let names: Vec<String> = sessions.iter().map(|(pid, app)| format!("{pid} ({app})")).take(10).collect();
    refuse(
        format!("database {dbname} cannot be replaced while other sessions use it"),
        format!("{} sessions are connected: {}", sessions.len(), names.join(", ")),
        "stop the services that use it (on Supabase: the auth, rest, realtime, storage and meta containers) or pass terminate_connections: true",
    )
}

/// Renames the database to `previous` and `scratch` to its name, ending sessions that stand in the way when asked.
pub(super) async fn swap(
    maintenance: &tokio_postgres::Client,
    database: &Database,
    scratch: &str,
    previous: &str,
    terminate: bool,
) -> Result<(), Failure> {
    let name = &database.spec.dbname;
    let target = quote_ident(name);
    let mut last_error = None;
    for _ in 0..5 {
        database.close_idle();
        if terminate {
            maintenance
                .query_typed(
                    "select pg_terminate_backend(pid) from pg_stat_activity where datname = $1 and pid <> pg_backend_pid()",
                    &[(name, Type::TEXT)],
                )
                .await
                .map_err(query_failure)?;
        }
        match maintenance.batch_execute(&format!("ALTER DATABASE {target} RENAME TO {}", quote_ident(previous))).await {
            Ok(()) => {
                last_error = None;
                break;
            }
            Err(e) => last_error = Some(query_failure(e)),
        }
        tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    }
    if let Some(mut failure) = last_error {
        let blockers = sessions(maintenance, database).await.unwrap_or_default();
        if !blockers.is_empty() {
            return Err(busy(name, &blockers));
        }
        failure.what = format!("cannot rename database {name} aside");
        return Err(failure);
    }
    if let Err(e) =
        maintenance.batch_execute(&format!("ALTER DATABASE {} RENAME TO {target}", quote_ident(scratch))).await
    {
        let _ =
            maintenance.batch_execute(&format!("ALTER DATABASE {} RENAME TO {target}", quote_ident(previous))).await;
        let mut failure = query_failure(e);
        failure.what = "cannot move the restored database into place; the original was put back".to_owned();
        return Err(failure);
    }
    Ok(())
}

/// Gives database `to` the owner, the grants and the `ALTER DATABASE/ROLE ... SET` settings of `from`, which live in the
/// cluster's catalogs rather than in a dump.
pub(super) async fn carry_database_settings(
    client: &tokio_postgres::Client,
    from: &str,
    to: &str,
) -> Result<(), Failure> {
    let target = quote_ident(to);
    let grants = client
        .query_typed(
            "select case when a.grantee = 0 then 'PUBLIC' else quote_ident(pg_get_userbyid(a.grantee)) end, \
             a.privilege_type from pg_database d, aclexplode(d.datacl) a where d.datname = $1",
            &[(&from, Type::TEXT)],
        )
        .await
        .map_err(query_failure)?;
    let owner: String = client
        .query_typed_one(
            "select pg_get_userbyid(datdba)::text from pg_database where datname = $1",
            &[(&from, Type::TEXT)],
        )
        .await
        .map_err(query_failure)?
        .get(0);
    let mut statements = vec![format!("ALTER DATABASE {target} OWNER TO {}", quote_ident(&owner))];
    statements.extend(
        grants
            .iter()
            .map(|r| format!("GRANT {} ON DATABASE {target} TO {}", r.get::<_, String>(1), r.get::<_, String>(0))),
    );
    let settings = client
        .query_typed(
            "select case when s.setrole = 0 then null else pg_get_userbyid(s.setrole)::text end, unnest(s.setconfig) \
             from pg_db_role_setting s join pg_database d on d.oid = s.setdatabase where d.datname = $1",
            &[(&from, Type::TEXT)],
        )
        .await
        .map_err(query_failure)?;
    for row in &settings {
        let (role, setting): (Option<String>, String) = (row.get(0), row.get(1));
        let Some((name, value)) = setting.split_once('=') else { continue };
        let assignment = format!("SET {} = {}", quote_ident(name), quote_literal(value));
        statements.push(match role {
            Some(role) => format!("ALTER ROLE {} IN DATABASE {target} {assignment}", quote_ident(&role)),
            None => format!("ALTER DATABASE {target} {assignment}"),
        });
    }
    for statement in statements {
        client.batch_execute(&statement).await.map_err(|e| {
            let mut failure = query_failure(e);
            failure.what = format!("cannot carry the grants and settings of {from} over: {statement}");
            failure
        })?;
    }
    Ok(())
}
