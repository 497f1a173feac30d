//! The guard's lexer and PostgreSQL agree: random scripts built from calls spelled every way PostgreSQL
//! accepts (case, quotes, U& escapes with and without UESCAPE, schema-qualified, comments before the
//! parenthesis) and decoys that only look like calls or separators (strings of every quoting, dollar
//! quotes, comments ended by CR or LF, nested comments, quoted aliases), joined with every kind of white
//! space. PostgreSQL runs each script; probe functions log every call it makes. The lexer's statement count
//! must equal the statements PostgreSQL completed, and the calls it reads must equal the calls logged.

use crate::support;
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use supamcp::pg::readonly::called_functions;
use supamcp::pg::sql_lex::{split_statements, tokenize};
use tokio_postgres::SimpleQueryMessage;

const PROBES: &str = "
    create table public.probe_log (n serial, name text);
    create function public.probe_a(k int) returns int language sql volatile as
      $$ insert into public.probe_log (name) values ('probe_a') returning k $$;
    create function public.probe_b(k int) returns int language sql volatile as
      $$ insert into public.probe_log (name) values ('probe_b') returning k $$;
    create function public.\"Probe C\"(k int) returns int language sql volatile as
      $$ insert into public.probe_log (name) values ('Probe C') returning k $$;";

/// A call PostgreSQL makes, with the probe it reaches.
fn call(rng: &mut StdRng) -> (String, &'static str) {
    let k = rng.random_range(0..100);
    let (spelling, probe) = match rng.random_range(0..12) {
        0 => ("probe_a".to_owned(), "probe_a"),
        1 => ("PROBE_A".to_owned(), "probe_a"),
        2 => ("public.probe_b".to_owned(), "probe_b"),
        3 => ("\"probe_b\"".to_owned(), "probe_b"),
        4 => (r#"U&"probe\005fa""#.to_owned(), "probe_a"),
        5 => (r#"U&"!0070robe_b" UESCAPE '!'"#.to_owned(), "probe_b"),
        6 => (r#"u&"\+000070robe_a" /* before uescape */ uescape '\'"#.to_owned(), "probe_a"),
        7 => ("\"Probe C\"".to_owned(), "Probe C"),
        8 => (r#"U&"Probe\0020C""#.to_owned(), "Probe C"),
        9 => ("probe_a /* c */".to_owned(), "probe_a"),
        10 => ("public . probe_b --x\r".to_owned(), "probe_b"),
        _ => ("probe_b\x0c".to_owned(), "probe_b"),
    };
    (format!("{spelling}({k})"), probe)
}

/// Something that is no call and no separator, however much it looks like one.
fn decoy(rng: &mut StdRng) -> String {
    match rng.random_range(0..11) {
        0 => "'probe_a(1); probe_b(2)'".to_owned(),
        1 => "E'\\'probe_a(1);'".to_owned(),
        2 => "'it''s probe_b(1);'".to_owned(),
        3 => "$$ probe_a(1); $$".to_owned(),
        4 => "$t$ $$ probe_b(1); $t$".to_owned(),
        5 => "U&'probe\\005fa(1);'".to_owned(),
        6 => "1 as \"probe_a(1);\"".to_owned(),
        7 => "2 as probe_b".to_owned(),
        8 => "1.5e3".to_owned(),
        9 => "'x' as u&\"probe_a\"".to_owned(),
        _ => "(select 1)".to_owned(),
    }
}

/// White space and comments, hiding calls and semicolons of their own.
fn gap(rng: &mut StdRng) -> String {
    match rng.random_range(0..9) {
        0 => " ".to_owned(),
        1 => "\n".to_owned(),
        2 => "\r".to_owned(),
        // \v is white space from PostgreSQL 16 on; the test clusters run 15.
        3 => "\t\x0c".to_owned(),
        4 => " -- probe_a(1); \r".to_owned(),
        5 => " -- probe_b(1); \n".to_owned(),
        6 => " /* probe_a(1); /* probe_b(2); */ ; */ ".to_owned(),
        7 => "/**/".to_owned(),
        _ => " --\r\n".to_owned(),
    }
}

/// A script and the calls PostgreSQL will make, by probe.
fn script(rng: &mut StdRng) -> (String, usize, Vec<&'static str>) {
    let statements = rng.random_range(1..4);
    let mut sql = String::new();
    let mut calls = Vec::new();
    for _ in 0..statements {
        sql.push_str("select");
        sql.push_str(&gap(rng));
        let items = rng.random_range(1..5);
        for item in 0..items {
            if item > 0 {
                sql.push_str(&gap(rng));
                sql.push(',');
                sql.push_str(&gap(rng));
            }
            if rng.random_bool(0.6) {
                let (text, probe) = call(rng);
                sql.push_str(&text);
                calls.push(probe);
            } else {
                sql.push_str(&decoy(rng));
            }
        }
        sql.push_str(&gap(rng));
        sql.push(';');
        sql.push_str(&gap(rng));
    }
    (sql, statements, calls)
}

#[tokio::test]
async fn the_lexer_and_postgres_agree_on_statements_and_calls() {
    let db = support::fresh_database("agreement").await;
    let client = db.admin().await;
    client.batch_execute(PROBES).await.expect("probes");
    let mut rng = StdRng::seed_from_u64(0x5eed_2026_1205);
    for case in 0..400 {
        let (sql, statements, mut expected) = script(&mut rng);
        client.batch_execute("begin").await.expect("begin");
        let messages =
            client.simple_query(&sql).await.unwrap_or_else(|e| panic!("case {case}: {:?}\n{sql:?}", e.as_db_error()));
        let completed = messages.iter().filter(|m| matches!(m, SimpleQueryMessage::CommandComplete(_))).count();
        let rows = client.query("select name from public.probe_log order by n", &[]).await.expect("log");
        client.batch_execute("rollback").await.expect("rollback");
        let mut logged: Vec<String> = rows.iter().map(|r| r.get(0)).collect();

        let pieces = split_statements(&sql).unwrap_or_else(|e| panic!("case {case}: {e}\n{sql:?}"));
        assert_eq!(pieces.len(), completed, "case {case}: statements differ\n{sql:?}");
        assert_eq!(completed, statements, "case {case}: the generator is off\n{sql:?}");
        let mut read: Vec<String> = pieces
            .iter()
            .flat_map(|piece| called_functions(&tokenize(piece).expect("tokens")))
            .filter(|name| ["probe_a", "probe_b", "Probe C"].contains(&name.as_str()))
            .collect();
        logged.sort();
        read.sort();
        expected.sort_unstable();
        assert_eq!(read, logged, "case {case}: the lexer and PostgreSQL disagree on the calls\n{sql:?}");
        assert_eq!(logged, expected, "case {case}: the generator is off\n{sql:?}");
    }
}
