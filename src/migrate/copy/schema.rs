//! The schema steps of a copy: `pg_dump` of the copied schemas' definitions from the source (a pg_dump at least
//! as new as the source server, found on this machine), its psql-only lines removed, applied to the target in
//! one transaction. As pg_restore does, the tables come before the data (pre-data) and indexes, constraints and
//! triggers after it (post-data), so rows are not indexed one by one.

use crate::failure::Failure;
use crate::pg::client_programs;
use crate::pg::conninfo::ConnSpec;
use crate::pg::sql_errors::sql_failure;
use std::time::Duration;

/// Which part of the definitions to dump.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Section {
    PreData,
    PostData,
}

/// Dumps the definitions of `schemas` in `section` from the source.
pub fn dump(source: &ConnSpec, server_major: u32, schemas: &[String], section: Section) -> Result<String, Failure> {
    let pg_dump = client_programs::for_server(
        "pg_dump",
        server_major,
        ", or copy without the schema (include_schema: false) into a target that has it",
    )?;
    let mut command = client_programs::command(&pg_dump, source);
    let section = match section {
        Section::PreData => "--section=pre-data",
        Section::PostData => "--section=post-data",
    };
    command.args([section, "--no-owner", "--no-privileges", "--quote-all-identifiers"]);
    for schema in schemas {
        command.arg(format!("--schema={schema}"));
    }
    command.args(["--dbname", &source.dbname]);
    let output = command
        .output()
        .map_err(|e| Failure::new("cannot run pg_dump", e.to_string(), "check the PostgreSQL client installation"))?;
    if !output.status.success() {
        return Err(Failure::new(
            "pg_dump of the source schema failed",
            String::from_utf8_lossy(&output.stderr).trim().to_owned(),
            "check the source connection and the role's privileges on the copied schemas",
        ));
    }
    let text = String::from_utf8(output.stdout).map_err(|_| {
        Failure::new(
            "pg_dump wrote non-UTF-8 output",
            "the schema holds bytes that are not UTF-8",
            "use a UTF-8 database encoding",
        )
    })?;
    Ok(without_psql_commands(&text))
}

/// Removes psql meta-commands (pg_dump 15.14+ writes `\restrict` / `\unrestrict` lines) that a server does not
/// understand, and the lines that create the dumped schemas themselves when they are `public`.
pub fn without_psql_commands(dump: &str) -> String {
    dump.lines()
        .filter(|line| !line.starts_with('\\'))
        .filter(|line| !line.starts_with("CREATE SCHEMA \"public\";"))
        .collect::<Vec<_>>()
        .join("\n")
}

/// Applies a schema dump to the target in one transaction.
pub async fn apply(target: &mut tokio_postgres::Client, sql: &str) -> Result<(), Failure> {
    let transaction = target.transaction().await.map_err(|e| sql_failure(&e, None, Duration::ZERO))?;
    transaction.batch_execute(sql).await.map_err(|e| {
        let mut failure = sql_failure(&e, None, Duration::ZERO);
        failure.what = "the source schema cannot be created on the target".to_owned();
        failure.fix = format!("{} If the target already has the schema, copy with include_schema: false.", failure.fix);
        failure
    })?;
    transaction.commit().await.map_err(|e| sql_failure(&e, None, Duration::ZERO))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn psql_lines_and_public_schema_creation_are_dropped() {
        let dump = "\\restrict abc\nSET x = 1;\nCREATE SCHEMA \"public\";\nCREATE SCHEMA \"app\";\n\\unrestrict abc\n";
        assert_eq!(without_psql_commands(dump), "SET x = 1;\nCREATE SCHEMA \"app\";");
    }
}
