//! Turns a PostgreSQL error into a failure the caller can act on: the server's message, detail, hint and
//! position, and a fix chosen by SQLSTATE.

use crate::failure::Failure;
use std::time::Duration;
use tokio_postgres::error::{ErrorPosition, SqlState};

fn fix_for(code: &SqlState, timeout: Duration) -> String {
    let fix = match code.code() {
        "42P01" => "check the table name with list_tables and schema-qualify it (e.g. public.todos)",
        "42703" => "check the column names with describe_table",
        "42883" => {
            "check the argument types: cast the arguments, or qualify the function's schema (e.g. extensions.uuid_generate_v4())"
        }
        "42601" => "correct the SQL near the position shown",
        "42P07" => "the object exists already: use CREATE ... IF NOT EXISTS or pick another name",
        "57014" => {
            return format!(
                "the statement ran longer than the statement timeout ({} ms) or was cancelled: add a LIMIT or a WHERE clause served by an index, or pass a larger timeout_ms",
                timeout.as_millis()
            );
        }
        "25006" => {
            "this call is read-only: only reading statements run; restart supamcp without --read-only to make changes"
        }
        "42501" => {
            "run as a role that has the privilege (the `role` parameter: supabase_auth_admin owns auth.*, supabase_storage_admin owns storage.*) or GRANT it"
        }
        "23505" => "the row exists already: update it instead, or use INSERT ... ON CONFLICT",
        "23503" => "insert the referenced row first, or correct the referencing value",
        "23502" => "give a value for the column, or add a default",
        "23514" => "the row breaks a CHECK constraint: see describe_table for the constraint",
        "40P01" => "retry the transaction; order the locks the same way in every transaction to avoid deadlocks",
        "40001" => "retry the transaction",
        "55P03" => "another session holds the lock: retry later, or find the blocker with monitor_connections",
        "25001" => "run this statement as its own call: it cannot run inside a transaction block with other statements",
        "53100" => "the server's disk is full: free space or grow the volume",
        "53200" => "the server ran out of memory: lower work_mem for this query or narrow it",
        "3F000" => "create the schema first, or correct its name (list_schemas)",
        "0A000" => "the server does not support this here; see the message for what to do instead",
        _ => "correct the statement and run it again",
    };
    fix.to_owned()
}

fn position_note(sql_len_hint: Option<&str>, position: Option<&ErrorPosition>) -> String {
    match (position, sql_len_hint) {
        (Some(ErrorPosition::Original(at)), Some(sql)) => {
            let at = *at as usize;
            let snippet: String = sql.chars().skip(at.saturating_sub(1)).take(40).collect();
            format!(" (at character {at}: \"{snippet}\")")
        }
        (Some(ErrorPosition::Original(at)), None) => format!(" (at character {at})"),
        _ => String::new(),
    }
}

/// Explains `error`; `statement` is (n, total) when it happened in statement n of a script.
pub fn sql_failure(error: &tokio_postgres::Error, statement: Option<(usize, usize)>, timeout: Duration) -> Failure {
    let what = match statement {
        Some((n, total)) => format!("statement {n} of {total} failed, and the whole script was rolled back"),
        None => "the statement failed".to_owned(),
    };
    let Some(db) = error.as_db_error() else {
        return Failure::new(
            what,
            format!("the connection failed: {error}"),
            "check that the database is up (test_connection) and run the call again",
        );
    };
    let mut why =
        format!("{} {}: {}{}", db.severity(), db.code().code(), db.message(), position_note(None, db.position()));
    if let Some(detail) = db.detail() {
        why.push_str(&format!("; detail: {detail}"));
    }
    let mut fix = fix_for(db.code(), timeout);
    if let Some(hint) = db.hint() {
        fix = format!("{hint} ({fix})");
    }
    Failure::new(what, why, fix)
}

pub fn timeout_failure(timeout: Duration) -> Failure {
    Failure::new(
        "the query timed out",
        format!("no answer within the timeout of {} ms; the server was asked to cancel it", timeout.as_millis()),
        "add a LIMIT or a WHERE clause served by an index, or pass a larger timeout_ms",
    )
}
