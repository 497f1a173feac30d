//! The statement guard of read-only mode, one of its layers: one statement per call, a verb that reads
//! (SELECT, WITH, VALUES, TABLE, SHOW, EXPLAIN of those), and no call of a function that acts outside
//! the data while a read-only transaction still allows it (signals, file access, configuration, session
//! locks, dynamic SQL). The read-only transaction and the read-only role are the other layers
//! (`execute.rs`).

use super::sql_lex::{Token, TokenKind, split_statements, tokenize};
use crate::failure::Failure;

const READING_VERBS: &[&str] = &["select", "with", "values", "table", "show", "explain"];

/// Functions refused in read-only mode, by name (any schema).
const REFUSED_FUNCTIONS: &[&str] = &[
    // server files and programs
    "pg_read_file",
    "pg_read_binary_file",
    "pg_ls_dir",
    "pg_ls_logdir",
    "pg_ls_waldir",
    "pg_ls_tmpdir",
    "pg_ls_archive_statusdir",
    "pg_ls_logicalmapdir",
    "pg_ls_logicalsnapdir",
    "pg_ls_replslotdir",
    "pg_stat_file",
    "lo_import",
    "lo_export",
    "pg_file_write",
    "pg_file_rename",
    "pg_file_unlink",
    "pg_logdir_ls",
    // other sessions and the server
    "pg_terminate_backend",
    "pg_cancel_backend",
    "pg_reload_conf",
    "pg_rotate_logfile",
    "pg_promote",
    "pg_switch_wal",
    "pg_create_restore_point",
    "pg_backup_start",
    "pg_backup_stop",
    "pg_start_backup",
    "pg_stop_backup",
    "pg_log_backend_memory_contexts",
    // session state that outlives the call
    "set_config",
    "pg_advisory_lock",
    "pg_advisory_lock_shared",
    "pg_try_advisory_lock",
    "pg_try_advisory_lock_shared",
    "pg_notify",
    // replication
    "pg_create_logical_replication_slot",
    "pg_create_physical_replication_slot",
    "pg_drop_replication_slot",
    "pg_copy_logical_replication_slot",
    "pg_copy_physical_replication_slot",
    "pg_logical_slot_get_changes",
    "pg_logical_slot_get_binary_changes",
    "pg_replication_slot_advance",
    "pg_logical_emit_message",
    "pg_replication_origin_create",
    "pg_replication_origin_drop",
    "pg_replication_origin_advance",
    // functions that run SQL given as text, which this guard cannot see into
    "query_to_xml",
    "query_to_xml_and_xmlschema",
    "query_to_xmlschema",
    "ts_stat",
    "ts_rewrite",
    "dblink",
    "dblink_exec",
    "dblink_open",
    "dblink_send_query",
    "dblink_connect",
    "dblink_connect_u",
    // sequences (the read-only transaction refuses them too; this names the reason)
    "nextval",
    "setval",
];

fn refusal(why: String, fix: &str) -> Failure {
    Failure::new("refused in read-only mode", why, fix)
}

/// The first word of a statement, skipping opening parentheses: `(select 1)` reads as `select`.
fn first_word<'a>(tokens: &'a [Token<'a>]) -> Option<(usize, String)> {
    tokens.iter().enumerate().find(|(_, t)| !t.is_punct('(')).and_then(|(i, t)| t.name().map(|n| (i, n)))
}

/// The verb EXPLAIN explains: skips `ANALYZE`, `VERBOSE` and a parenthesised option list.
fn explained_verb(tokens: &[Token<'_>]) -> Option<String> {
    let mut index = 0;
    while let Some(token) = tokens.get(index) {
        if token.is_punct('(') && index == 0 {
            let close = tokens.iter().position(|t| t.is_punct(')'))?;
            index = close + 1;
            continue;
        }
        match token.name().as_deref() {
            Some("analyze" | "analyse" | "verbose") => index += 1,
            Some(word) => return Some(word.to_owned()),
            None if token.is_punct('(') => index += 1,
            None => return None,
        }
    }
    None
}

/// Checks that `sql` is a single reading statement that calls no refused function.
pub fn check(sql: &str) -> Result<(), Failure> {
    let statements = split_statements(sql)
        .map_err(|e| refusal(format!("the SQL cannot be read: {e}"), "close the quote or comment"))?;
    match statements.len() {
        0 => return Err(refusal("the SQL holds no statement".to_owned(), "send one SELECT statement")),
        1 => {}
        n => {
            return Err(refusal(
                format!("the SQL holds {n} statements and read-only mode runs one per call"),
                "send each SELECT as its own call",
            ));
        }
    }
    let tokens = tokenize(statements[0]).map_err(|e| refusal(e.to_string(), "close the quote or comment"))?;
    let Some((position, verb)) = first_word(&tokens) else {
        return Err(refusal("the statement does not start with a keyword".to_owned(), "send a SELECT statement"));
    };
    if !READING_VERBS.contains(&verb.as_str()) {
        return Err(refusal(
            format!("{} statements can change the database", verb.to_uppercase()),
            "only SELECT, WITH, VALUES, TABLE, SHOW and EXPLAIN run in read-only mode; restart supamcp without --read-only to make changes",
        ));
    }
    if verb == "explain" {
        let inner = explained_verb(&tokens[position + 1..]).unwrap_or_default();
        if !["select", "with", "values", "table"].contains(&inner.as_str()) {
            return Err(refusal(
                format!("EXPLAIN of {} can run a change", inner.to_uppercase()),
                "EXPLAIN only SELECT, WITH, VALUES or TABLE statements in read-only mode",
            ));
        }
    }
    for pair in tokens.windows(2) {
        let (name_token, next) = (&pair[0], &pair[1]);
        if !matches!(name_token.kind, TokenKind::Word | TokenKind::QuotedIdent) || !next.is_punct('(') {
            continue;
        }
        let Some(name) = name_token.name().map(|n| n.to_ascii_lowercase()) else { continue };
        if REFUSED_FUNCTIONS.contains(&name.as_str()) {
            return Err(refusal(
                format!("{name}() acts outside the data (files, other sessions, settings, locks or SQL given as text)"),
                "leave it out; run it without --read-only if it is really needed",
            ));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reading_statements_pass() {
        for sql in [
            "select 1",
            "  (select 1) union (select 2);",
            "with t as (select 1) select * from t",
            "values (1), (2)",
            "table public.todos",
            "show search_path",
            "explain select 1",
            "explain (analyze, buffers) select 1",
            "select 'pg_read_file(x)' as not_a_call, \"nextval\" from t -- nextval(\n",
        ] {
            assert_eq!(check(sql), Ok(()), "{sql}");
        }
    }

    #[test]
    fn writes_and_side_effects_are_refused() {
        for sql in [
            "delete from t",
            "commit; drop table t",
            "select 1; select 2",
            "set transaction read write",
            "do $$ begin perform 1; end $$",
            "call p()",
            "copy t to program 'id'",
            "alter system set work_mem = '1GB'",
            "prepare p as delete from t",
            "explain analyze delete from t",
            "select pg_catalog.pg_read_file('/etc/passwd')",
            "select \"pg_terminate_backend\"(1)",
            "select set_config('transaction_read_only', 'off', false)",
            "select query_to_xml('delete from t', true, true, '')",
            "select PG_ADVISORY_LOCK (1)",
            "select nextval('s')",
            "",
        ] {
            assert!(check(sql).is_err(), "{sql} should be refused");
        }
    }
}
