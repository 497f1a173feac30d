//! The statement guard of read-only mode: defence in depth in front of the read-only login and the
//! read-only transaction (`pool.rs`, `execute.rs`). It reads SQL with the lexer that reads it as
//! PostgreSQL's scanner does (`sql_lex`: CR-ended comments, U& escapes, nested comments, dollar quotes) and
//! allows one statement whose verb reads (SELECT, WITH, VALUES, TABLE, SHOW, EXPLAIN without ANALYZE), with
//! no keyword that writes or locks rows, and no name, anywhere in it, of a function that acts outside the
//! transaction: signals, server files, configuration, statistics resets, replication, session locks,
//! transaction ids, large objects, second connections, HTTP, or SQL given as text. Names are compared as
//! PostgreSQL resolves them (case-folded, unescaped, truncated), and any identifier counts, not only one
//! followed by `(`, so calls in field notation (`t.func`) are caught too.

use super::sql_lex::{Token, TokenKind, split_statements, tokenize};
use crate::failure::Failure;

const READING_VERBS: &[&str] = &["select", "with", "values", "table", "show", "explain"];

/// Keywords that make a reading statement write or lock: data-modifying CTEs, SELECT INTO, FOR UPDATE /
/// FOR SHARE, and EXPLAIN ANALYZE (which runs what it explains).
const WRITING_KEYWORDS: &[&str] = &["insert", "update", "delete", "merge", "into", "share", "analyze", "analyse"];

/// Names refused in read-only mode wherever they appear as an identifier (any schema, called or not).
const REFUSED_FUNCTIONS: &[&str] = &[
    // other sessions and the server
    "pg_terminate_backend",
    "pg_cancel_backend",
    "pg_reload_conf",
    "pg_rotate_logfile",
    "pg_promote",
    "pg_switch_wal",
    "pg_backup_start",
    "pg_backup_stop",
    "pg_start_backup",
    "pg_stop_backup",
    "pg_log_backend_memory_contexts",
    "pg_wal_replay_pause",
    "pg_wal_replay_resume",
    "pg_import_system_collations",
    "pg_stat_file",
    "pg_stat_statements_reset",
    // session and transaction state that outlives the statement
    "set_config",
    "pg_notify",
    "nextval",
    "setval",
    "txid_current",
    "pg_current_xact_id",
    "lowrite",
    // replication
    "pg_drop_replication_slot",
    "pg_replication_slot_advance",
    "pg_sync_replication_slots",
    // SQL given as text, which the guard cannot see into (core, full text search)
    "query_to_xml",
    "query_to_xml_and_xmlschema",
    "query_to_xmlschema",
    "cursor_to_xml",
    "cursor_to_xmlschema",
    "ts_stat",
    "ts_rewrite",
    // the network (pgsql-http; its one argument is a composite, so field notation can call it)
    "http",
];

/// Functions refused where they are called (a name followed by `(`): names that are also common column
/// names, and functions whose arguments are not composite (field notation cannot call them). pgTAP runs
/// SQL given as text.
const REFUSED_CALLS: &[&str] = &[
    "lives_ok",
    "throws_ok",
    "throws_like",
    "throws_ilike",
    "throws_matching",
    "throws_imatching",
    "results_eq",
    "results_ne",
    "set_eq",
    "set_ne",
    "set_has",
    "set_hasnt",
    "bag_eq",
    "bag_ne",
    "bag_has",
    "bag_hasnt",
    "is_empty",
    "isnt_empty",
    "row_eq",
    "performs_ok",
    "performs_within",
    "runtests",
    "do_tap",
];

/// Calls refused by prefix: whole families that read or write server files, reset statistics, take
/// session locks, manage replication, open second connections or send HTTP requests.
const REFUSED_PREFIXES: &[&str] = &[
    "pg_read_",
    "pg_ls_",
    "pg_file_",
    "pg_logdir_",
    "lo_",
    "pg_advisory_",
    "pg_try_advisory_",
    "pg_stat_reset",
    "pg_create_",
    "pg_copy_",
    "pg_logical_",
    "pg_replication_origin_",
    "dblink",
    "http_",
    "pg_background_",
];

/// True when `name` (as PostgreSQL resolves it) is refused wherever it appears.
pub fn is_refused_name(name: &str) -> bool {
    REFUSED_FUNCTIONS.contains(&name.to_lowercase().as_str())
}

/// True when a call of `name` is refused.
pub fn is_refused_call(name: &str) -> bool {
    let lower = name.to_lowercase();
    is_refused_name(&lower)
        || REFUSED_CALLS.contains(&lower.as_str())
        || REFUSED_PREFIXES.iter().any(|prefix| lower.starts_with(prefix))
}

fn refusal(why: String, fix: &str) -> Failure {
    Failure::new("refused in read-only mode", why, fix)
}

/// The first word of a statement, skipping opening parentheses: `(select 1)` reads as `select`.
fn first_word<'a>(tokens: &'a [Token<'a>]) -> Option<String> {
    tokens.iter().find(|t| !t.is_punct('(')).and_then(|t| if t.kind == TokenKind::Word { t.name() } else { None })
}

/// The names a statement calls as functions: identifiers followed by `(`, qualified or not, as PostgreSQL
/// resolves them. (The guard itself refuses any identifier with a refused name; this is what tests compare
/// with the calls the server makes.)
pub fn called_functions(tokens: &[Token<'_>]) -> Vec<String> {
    tokens
        .windows(2)
        .filter(|pair| matches!(pair[0].kind, TokenKind::Word | TokenKind::QuotedIdent) && pair[1].is_punct('('))
        .filter_map(|pair| pair[0].name())
        .collect()
}

/// Checks that `sql` is a single reading statement that names no refused function.
pub fn check(sql: &str) -> Result<(), Failure> {
    let unreadable = |e: super::sql_lex::LexError| {
        refusal(format!("the SQL cannot be read: {e}"), "close the quote or comment, or fix the escape")
    };
    let statements = split_statements(sql).map_err(unreadable)?;
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
    let tokens = tokenize(statements[0]).map_err(unreadable)?;
    let Some(verb) = first_word(&tokens) else {
        return Err(refusal("the statement does not start with a keyword".to_owned(), "send a SELECT statement"));
    };
    if !READING_VERBS.contains(&verb.as_str()) {
        return Err(refusal(
            format!("{} statements can change the database", verb.to_uppercase()),
            "only SELECT, WITH, VALUES, TABLE, SHOW and EXPLAIN run in read-only mode; restart supamcp without --read-only to make changes",
        ));
    }
    for token in &tokens {
        if token.kind == TokenKind::Word
            && let Some(word) = token.name().filter(|w| WRITING_KEYWORDS.contains(&w.as_str()))
        {
            return Err(refusal(
                format!("{} makes the statement write, lock rows or run what it explains", word.to_uppercase()),
                "send a plain reading statement (no INSERT/UPDATE/DELETE/MERGE, SELECT INTO, FOR UPDATE/SHARE or EXPLAIN ANALYZE); a column with such a name must be written in double quotes",
            ));
        }
    }
    let calls = called_functions(&tokens);
    let names =
        tokens.iter().filter(|t| matches!(t.kind, TokenKind::Word | TokenKind::QuotedIdent)).filter_map(Token::name);
    let refused = names.filter(|n| is_refused_name(n)).chain(calls.into_iter().filter(|n| is_refused_call(n))).next();
    if let Some(name) = refused {
        return Err(refusal(
            format!(
                "{name}() acts outside the data (other sessions, server files, settings, statistics, locks, replication, connections or SQL given as text)"
            ),
            "leave it out; run it without --read-only if it is really needed",
        ));
    }
    Ok(())
}

#[cfg(test)]
#[path = "readonly_tests.rs"]
mod tests;
