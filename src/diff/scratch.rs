//! A migrations directory as a catalog: the files are applied, in version order, to a scratch database
//! (`supamcp_scratch_<random>`) created on the target's server, which is read and then dropped, also when a
//! step fails. Before the migrations, the scratch database gets the target's Supabase schemas (auth, storage,
//! ...) through the diff engine itself, the target's grants on `public` and its default privileges, so
//! migrations that use `auth.users` or `auth.uid()` run, and the objects they create get the grants they
//! would get on the target.

use super::extract::{ExtractOptions, extract};
use super::model::Catalog;
use super::{DiffOptions, diff};
use crate::failure::Failure;
use crate::migrate::files;
use crate::pg::catalog::{INTERNAL_SCHEMAS, query_failure};
use crate::pg::conninfo::ConnSpec;
use crate::pg::ident::quote_ident;
use std::path::Path;
use tokio_postgres::Client;

/// The catalog of `dir`'s migrations applied to a scratch database; the name of the scratch database used.
pub async fn catalog_of_migrations(
    target: &Client,
    target_spec: &ConnSpec,
    dir: &Path,
    options: &ExtractOptions,
    warnings: &mut Vec<String>,
) -> Result<(Catalog, String), Failure> {
    let migrations = files::list(dir)?;
    if migrations.is_empty() {
        warnings.push(format!("{} holds no migrations: the source is an empty database", dir.display()));
    }
    may_create_databases(target).await?;
    let name = format!("supamcp_scratch_{}", hex::encode(rand::random::<[u8; 6]>()));
    target.batch_execute(&format!("CREATE DATABASE {}", quote_ident(&name))).await.map_err(|e| {
        Failure::new(
            format!("cannot create the scratch database {name}"),
            e.to_string(),
            "the login needs CREATEDB on the target's server; or diff against an instance (source)",
        )
    })?;
    let outcome = async {
        let scratch = connect(target_spec, &name).await?;
        prepare_internal_schemas(target, &scratch, warnings).await;
        copy_privileges(target, &scratch, warnings).await;
        for file in &migrations {
            for (n, statement) in file.statements.iter().enumerate() {
                scratch.batch_execute(statement).await.map_err(|e| {
                    Failure::new(
                        format!("migration {} statement {} failed on the scratch database", file.version, n + 1),
                        crate::pg::sql_errors::sql_failure(&e, None, std::time::Duration::ZERO).why,
                        format!("fix {} (the migrations must apply to an empty database)", file.path.display()),
                    )
                })?;
            }
        }
        extract(&scratch, options).await
    }
    .await;
    let dropped = target.batch_execute(&format!("DROP DATABASE IF EXISTS {} WITH (FORCE)", quote_ident(&name))).await;
    if let Err(e) = dropped {
        warnings.push(format!("the scratch database {name} could not be dropped ({e}); drop it by hand"));
    }
    outcome.map(|catalog| (catalog, name))
}

async fn may_create_databases(client: &Client) -> Result<(), Failure> {
    let row = client
        .query_typed_one(
            "select rolcreatedb or rolsuper, current_user::text from pg_roles where rolname = current_user",
            &[],
        )
        .await
        .map_err(query_failure)?;
    let (allowed, user): (bool, String) = (row.get(0), row.get(1));
    if allowed {
        return Ok(());
    }
    Err(Failure::new(
        "cannot apply the migrations to a scratch database",
        format!("the login {user} lacks CREATEDB, so it cannot create the database supamcp_scratch_<random>"),
        format!(
            "ALTER ROLE {} CREATEDB as a superuser, use a login that has it, or pass `source` (an instance) instead",
            quote_ident(&user)
        ),
    ))
}

async fn connect(spec: &ConnSpec, dbname: &str) -> Result<Client, Failure> {
    let mut spec = spec.clone();
    spec.dbname = dbname.to_owned();
    crate::pg::pool::connect_once(&spec).await
}

/// Copies the target's Supabase schemas into the scratch database (best effort: a warning when it fails).
async fn prepare_internal_schemas(target: &Client, scratch: &Client, warnings: &mut Vec<String>) {
    let internal =
        ExtractOptions { schemas: INTERNAL_SCHEMAS.iter().map(|s| (*s).to_owned()).collect(), include_internal: true };
    let result = async {
        let wanted = extract(target, &internal).await?;
        let present = extract(scratch, &internal).await?;
        let script = diff(&wanted, &present, DiffOptions { allow_destructive: false }).script();
        scratch.batch_execute(&script).await.map_err(query_failure)
    }
    .await;
    if let Err(failure) = result {
        warnings.push(format!(
            "the target's Supabase schemas could not be copied into the scratch database ({}); migrations using \
             them may fail",
            failure.text()
        ));
    }
}

/// GRANT statements for the target's privileges on `public` (beyond its owner's).
const PUBLIC_GRANTS: &str = "select format('GRANT %s ON SCHEMA public TO %s%s', x.privilege_type, \
    case when x.grantee = 0 then 'PUBLIC' else quote_ident(pg_get_userbyid(x.grantee)) end, \
    case when x.is_grantable then ' WITH GRANT OPTION' else '' end) \
    from pg_namespace n, aclexplode(n.nspacl) x where n.nspname = 'public' and x.grantee <> n.nspowner";

/// ALTER DEFAULT PRIVILEGES statements that give what the target's default privileges give.
const DEFAULT_PRIVILEGES: &str = "select format('ALTER DEFAULT PRIVILEGES FOR ROLE %s%s GRANT %s ON %s TO %s%s', \
    quote_ident(pg_get_userbyid(d.defaclrole)), \
    case when d.defaclnamespace = 0 then '' else ' IN SCHEMA ' || quote_ident(n.nspname) end, x.privilege_type, \
    case d.defaclobjtype when 'r' then 'TABLES' when 'S' then 'SEQUENCES' when 'f' then 'FUNCTIONS' \
      when 'T' then 'TYPES' else 'SCHEMAS' end, \
    case when x.grantee = 0 then 'PUBLIC' else quote_ident(pg_get_userbyid(x.grantee)) end, \
    case when x.is_grantable then ' WITH GRANT OPTION' else '' end) \
    from pg_default_acl d left join pg_namespace n on n.oid = d.defaclnamespace, aclexplode(d.defaclacl) x";

/// The target's grants on `public` and its default privileges, statement by statement (best effort).
async fn copy_privileges(target: &Client, scratch: &Client, warnings: &mut Vec<String>) {
    let mut failed = 0usize;
    for query in [PUBLIC_GRANTS, DEFAULT_PRIVILEGES] {
        let statements = match target.query_typed(query, &[]).await {
            Ok(rows) => rows.iter().map(|r| r.get::<_, String>(0)).collect::<Vec<_>>(),
            Err(_) => {
                failed += 1;
                continue;
            }
        };
        for statement in statements {
            if scratch.batch_execute(&statement).await.is_err() {
                failed += 1;
            }
        }
    }
    if failed > 0 {
        warnings.push(format!(
            "{failed} of the target's privileges (grants on public, default privileges) could not be copied into \
             the scratch database; the diff may show grants that the migrations do not make"
        ));
    }
}
