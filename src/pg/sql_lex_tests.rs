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

fn names(sql: &str) -> Vec<String> {
    tokenize(sql).unwrap_or_else(|e| panic!("{sql}: {e}")).iter().filter_map(Token::name).collect()
}

#[test]
fn a_carriage_return_ends_a_line_comment_as_in_postgres() {
    assert_eq!(names("select 1 --\r, pg_terminate_backend(1)"), vec!["select", "pg_terminate_backend"]);
    assert_eq!(split("select 1 --\r; select 2"), vec!["select 1 --", "select 2"]);
}

#[test]
fn unicode_identifiers_resolve_to_the_name_postgres_sees() {
    assert_eq!(names(r#"select U&"pg_terminate_backen\0064"(1)"#), vec!["select", "pg_terminate_backend"]);
    assert_eq!(names(r#"select u&"!0070g_read_file" UESCAPE '!' ('f')"#), vec!["select", "pg_read_file"]);
    assert_eq!(names("select U&\"#0070g_ls_dir\" /* c */ uescape -- x\n '#' ('.')"), vec!["select", "pg_ls_dir"]);
    assert_eq!(names(r#"select U&"a""\0062""#), vec!["select", "a\"b"]);
    let tokens = tokenize(r#"select U&'\0041' UESCAPE '!', 1"#).unwrap();
    assert_eq!(tokens[1].kind, TokenKind::Str);
    assert_eq!(tokens[2].text, ",");
}

#[test]
fn invalid_unicode_escapes_and_uescapes_are_refused() {
    for sql in
        [r#"select U&"\00zz""#, r#"select U&"x" UESCAPE 'a'"#, r#"select U&"x" UESCAPE '!!'"#, r#"select U&'\D800'"#]
    {
        assert!(tokenize(sql).is_err(), "{sql}");
    }
}

#[test]
fn long_identifiers_are_truncated_to_63_bytes() {
    let long = format!("{}x", "a".repeat(63));
    assert_eq!(names(&long), vec!["a".repeat(63)]);
}

#[test]
fn numbers_end_where_postgres_ends_them() {
    let tokens = tokenize("select 1from t, 1.5e3, 2e, .5").unwrap();
    let texts: Vec<&str> = tokens.iter().map(|t| t.text).collect();
    assert_eq!(texts, vec!["select", "1", "from", "t", ",", "1.5e3", ",", "2", "e", ",", ".5"]);
}

#[test]
fn vertical_tab_and_form_feed_are_white_space() {
    assert_eq!(names("select\x0bpg_sleep\x0c(1)"), vec!["select", "pg_sleep"]);
}
