use super::*;

fn split(sql: &str) -> Vec<&str> {
    split_statements(sql).unwrap_or_else(|e| panic!("{e}"))
}

#[test]
fn splits_on_top_level_semicolons_only() {
    let sql = "select 'a;b'; select \"x;y\" from t; select $$ ; $$; select $fn$ a $$ ; $fn$;";
    assert_eq!(split(sql), vec!["select 'a;b'", "select \"x;y\" from t", "select $$ ; $$", "select $fn$ a $$ ; $fn$"]);
}

#[test]
fn comments_and_escapes_do_not_split() {
    let sql = "select 1 -- ; not here\n; /* outer /* nested ; */ still ; */ select E'it\\'s;';";
    assert_eq!(split(sql), vec!["select 1 -- ; not here", "/* outer /* nested ; */ still ; */ select E'it\\'s;'"]);
}

#[test]
fn begin_atomic_bodies_stay_whole() {
    let sql = "create function f() returns int language sql begin atomic select 1; select case when true then 2 end; end; select 3";
    let parts = split(sql);
    assert_eq!(parts.len(), 2, "{parts:?}");
    assert!(parts[0].ends_with("end; end"));
    assert_eq!(parts[1], "select 3");
}

#[test]
fn parenthesised_rule_actions_stay_whole() {
    let sql = "create rule r as on insert to t do also (insert into a values (1); insert into b values (2)); select 1";
    assert_eq!(split(sql).len(), 2);
}

#[test]
fn empty_statements_and_comment_only_tails_are_dropped() {
    assert_eq!(split(";;  select 1 ;; -- bye\n"), vec!["select 1"]);
    assert!(split("-- only a comment").is_empty());
}

#[test]
fn params_and_dollar_words_are_not_dollar_quotes() {
    let tokens = tokenize("select $1, a$b from t where x = $2").unwrap_or_default();
    let params: Vec<&str> = tokens.iter().filter(|t| t.kind == TokenKind::Param).map(|t| t.text).collect();
    assert_eq!(params, vec!["$1", "$2"]);
    assert!(tokens.iter().any(|t| t.text == "a$b"));
}

#[test]
fn unterminated_input_is_an_error() {
    for sql in ["select 'open", "select \"open", "select $$ open", "/* open"] {
        assert!(tokenize(sql).is_err(), "{sql}");
    }
}

#[test]
fn quoted_names_unescape() {
    let tokens = tokenize("\"My \"\"Table\"\"\" PG_Read_File").unwrap_or_default();
    assert_eq!(tokens[0].name().as_deref(), Some("My \"Table\""));
    assert_eq!(tokens[1].name().as_deref(), Some("pg_read_file"));
}

#[test]
fn history_split_keeps_comment_only_pieces_as_the_cli_does() {
    let sql = "create table a (id int);\n\n-- trailing note\n";
    assert_eq!(split_for_history(sql).unwrap(), vec!["create table a (id int)", "-- trailing note"]);
    assert_eq!(split_statements(sql).unwrap(), vec!["create table a (id int)"]);
    assert_eq!(split_for_history("select 1;;\n").unwrap(), vec!["select 1"]);
}
