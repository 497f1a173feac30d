use super::*;

const SECRET: &str = "hunter2-secret";

fn redacted(sql: &str) -> Redacted {
    let out = sql_passwords(sql);
    assert!(!out.text.contains("hunter2"), "{sql:?} kept the secret: {:?}", out.text);
    out
}

#[test]
fn every_quoting_form_after_password_is_redacted() {
    let cases = [
        ("ALTER ROLE x PASSWORD 'hunter2-secret'", "ALTER ROLE x PASSWORD '[redacted]'"),
        ("alter user x with encrypted password 'hunter2-secret' valid until 'infinity'", ""),
        ("CREATE USER x PASSWORD E'hunter2\\'-secret'", ""),
        ("CREATE ROLE x LOGIN PASSWORD $$hunter2-secret$$", "CREATE ROLE x LOGIN PASSWORD '[redacted]'"),
        ("CREATE ROLE x LOGIN PASSWORD $pw$hunter2-'secret$pw$;", "CREATE ROLE x LOGIN PASSWORD '[redacted]';"),
        ("ALTER ROLE x PASSWORD U&'hunter2\\0041' UESCAPE '\\'", ""),
        ("alter role x password u&'hunter2-secret'", "alter role x password '[redacted]'"),
        (
            "CREATE ROLE x WITH LOGIN PASSWORD 'it''s hunter2', CREATEDB",
            "CREATE ROLE x WITH LOGIN PASSWORD '[redacted]', CREATEDB",
        ),
        ("ALTER ROLE x PASSWORD\n  -- the new one\n  'hunter2-secret'", ""),
        ("CREATE USER MAPPING FOR x SERVER s OPTIONS (user 'u', password 'hunter2-secret')", ""),
        ("ALTER ROLE a PASSWORD 'hunter2-a'; ALTER ROLE b PASSWORD 'hunter2-b'", ""),
    ];
    for (sql, expected) in cases {
        let out = redacted(sql);
        if !expected.is_empty() {
            assert_eq!(out.text, expected, "{sql:?}");
        }
        assert!(!out.removed.is_empty(), "{sql:?} reports what it removed");
    }
}

#[test]
fn non_standard_backslash_quotes_do_not_leak_the_tail() {
    // With standard_conforming_strings = off, 'a\'b' is one literal; the lexer reads it as pieces glued together.
    let out = redacted("ALTER ROLE x PASSWORD 'ab\\'hunter2\\''");
    assert_eq!(out.text, "ALTER ROLE x PASSWORD '[redacted]'");
    // A literal the lexer cannot close: everything after PASSWORD goes.
    let out = redacted("ALTER ROLE x PASSWORD 'ab\\' hunter2'");
    assert_eq!(out.text, "ALTER ROLE x PASSWORD [redacted]");
}

#[test]
fn passwords_inside_literals_are_redacted() {
    let out = redacted("select dblink_connect('host=db user=u password=hunter2-secret dbname=d')");
    assert_eq!(out.text, "select dblink_connect('host=db user=u password=[redacted] dbname=d')");
    redacted("select dblink_connect('password = ''hunter2 secret'' host=db')");
    let out = redacted("DO $$ BEGIN EXECUTE 'ALTER ROLE x PASSWORD ''hunter2-secret'''; END $$");
    assert_eq!(out.text, "DO $$ BEGIN EXECUTE 'ALTER ROLE x PASSWORD ''[redacted]'''; END $$");
    assert_eq!(out.removed, vec![SECRET.to_owned()]);
}

#[test]
fn sql_without_passwords_is_unchanged() {
    for sql in [
        "select password from accounts where id = $1",
        "ALTER ROLE x PASSWORD NULL",
        "update t set note = 'password reset sent'",
        "select 'unterminated",
        "",
    ] {
        let out = sql_passwords(sql);
        assert_eq!(out.text, sql);
        assert!(out.removed.is_empty(), "{sql:?}: {:?}", out.removed);
    }
}

#[test]
fn scrub_removes_known_secrets_but_not_short_words() {
    let secrets = vec![SECRET.to_owned(), "on".to_owned()];
    let text = "invalid input syntax for type integer: \"hunter2-secret\" (on line 1)";
    assert_eq!(scrub(text, &secrets), "invalid input syntax for type integer: \"[redacted]\" (on line 1)");
}
