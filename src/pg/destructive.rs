//! Which statements of a script destroy data, so that execute_sql asks before running them as every other
//! destructive tool does: DROP of anything, TRUNCATE, DELETE or UPDATE without WHERE (also inside a WITH),
//! ALTER TABLE ... DROP COLUMN, and DO blocks whose body drops, truncates or deletes (their dynamic SQL cannot
//! be read, so their words are). Read with the lexer that reads SQL as PostgreSQL does; a statement the
//! lexer cannot read counts as destructive.

use super::sql_lex::{Token, TokenKind, split_statements, tokenize};

/// One destructive statement: its position in the script and what it destroys.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Destructive {
    /// 1-based position in the script.
    pub statement: usize,
    pub what: String,
}

/// ALTER TABLE ... DROP <word> forms that keep the data.
const DROP_KEEPS_DATA: &[&str] = &["default", "not", "constraint", "identity", "expression"];

fn words(tokens: &[Token<'_>]) -> Vec<Option<String>> {
    tokens.iter().map(|t| if t.kind == TokenKind::Word { t.name() } else { None }).collect()
}

/// A short name for the object a statement acts on: the source text of up to 4 tokens from `start`.
fn object_after(statement: &str, tokens: &[Token<'_>], start: usize) -> String {
    let Some(first) = tokens.get(start) else { return String::new() };
    let last = &tokens[(start + 3).min(tokens.len() - 1)];
    statement[first.start..last.start + last.text.len()].chars().take(80).collect()
}

/// True when the DELETE or UPDATE at `at` has a WHERE at its own depth before its parenthesis closes.
fn has_where(tokens: &[Token<'_>], at: usize) -> bool {
    let mut depth = 0i32;
    for token in &tokens[at + 1..] {
        if token.is_punct('(') {
            depth += 1;
        } else if token.is_punct(')') {
            depth -= 1;
            if depth < 0 {
                return false;
            }
        } else if depth == 0 && token.is_word("where") {
            return true;
        }
    }
    false
}

/// What one statement destroys, if anything.
fn classify(statement: &str) -> Option<String> {
    let Ok(tokens) = tokenize(statement) else {
        return Some("a statement that cannot be read".to_owned());
    };
    let words = words(&tokens);
    let verb_at = tokens.iter().position(|t| !t.is_punct('('))?;
    let verb = words[verb_at].clone().unwrap_or_default();
    match verb.as_str() {
        "drop" => return Some(format!("DROP {}", object_after(statement, &tokens, verb_at + 1))),
        "truncate" => return Some(format!("TRUNCATE {}", object_after(statement, &tokens, verb_at + 1))),
        "do" => {
            let body_words = tokens.iter().filter(|t| t.kind == TokenKind::Str).flat_map(|t| {
                let text = t.text.to_ascii_lowercase();
                ["drop", "truncate", "delete"].into_iter().filter(move |w| text.contains(w))
            });
            if let Some(word) = body_words.into_iter().next() {
                return Some(format!("a DO block that may {} (its dynamic SQL cannot be read)", word.to_uppercase()));
            }
        }
        "alter" => {
            for (index, word) in words.iter().enumerate() {
                if word.as_deref() != Some("drop") {
                    continue;
                }
                let next = words.get(index + 1).cloned().flatten();
                let quoted_column = tokens.get(index + 1).is_some_and(|t| t.kind == TokenKind::QuotedIdent);
                if quoted_column || next.as_deref().is_some_and(|w| !DROP_KEEPS_DATA.contains(&w)) {
                    return Some(format!("ALTER ... DROP {}", object_after(statement, &tokens, index + 1)));
                }
            }
        }
        _ => {}
    }
    for (index, word) in words.iter().enumerate() {
        let Some(word @ ("delete" | "update")) = word.as_deref() else { continue };
        let starts_command = index == verb_at || tokens[index - 1].is_punct('(');
        // `ON DELETE`, `ON UPDATE`, `FOR UPDATE` and `DO UPDATE` (upserts name their rows) are no commands.
        if !starts_command || has_where(&tokens, index) {
            continue;
        }
        let target = if word == "delete" { index + 2 } else { index + 1 };
        return Some(format!("{} without WHERE on {}", word.to_uppercase(), object_after(statement, &tokens, target)));
    }
    None
}

/// The destructive statements of `sql`, in order. A script the lexer cannot split is one destructive
/// statement (PostgreSQL refuses it anyway; nothing runs unasked).
pub fn destructive_statements(sql: &str) -> Vec<Destructive> {
    let Ok(statements) = split_statements(sql) else {
        return vec![Destructive { statement: 1, what: "SQL that cannot be read".to_owned() }];
    };
    statements
        .iter()
        .enumerate()
        .filter_map(|(index, statement)| classify(statement).map(|what| Destructive { statement: index + 1, what }))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn kinds(sql: &str) -> Vec<String> {
        destructive_statements(sql).into_iter().map(|d| d.what).collect()
    }

    #[test]
    fn data_loss_is_found() {
        for sql in [
            "drop table public.todos",
            "DROP SCHEMA app CASCADE",
            "truncate public.todos",
            "delete from public.todos",
            "update public.todos set done = true",
            "with gone as (delete from t returning *) select * from gone",
            "alter table t drop column c",
            "alter table t drop c",
            "alter table t drop \"c\"",
            "do $$ begin execute 'drop table t'; end $$",
            "select 1; /* x */ drop view v",
            "select 1 --\r; drop table t",
        ] {
            assert!(!kinds(sql).is_empty(), "{sql}");
        }
    }

    #[test]
    fn ordinary_changes_pass() {
        for sql in [
            "select 1",
            "insert into t values (1)",
            "update t set x = 1 where id = 2",
            "delete from t where id in (select id from u)",
            "create table t (id int references u on delete cascade on update cascade)",
            "insert into t values (1) on conflict (id) do update set x = excluded.x",
            "select * from t for update",
            "alter table t drop constraint c, drop default",
            "alter table t alter column c drop not null",
            "select 'drop table t'",
            "create index concurrently i on t (x)",
        ] {
            assert_eq!(kinds(sql), Vec::<String>::new(), "{sql}");
        }
    }

    #[test]
    fn positions_and_names_are_reported() {
        let found = destructive_statements("select 1; delete from public.todos; drop table a");
        assert_eq!(found[0], Destructive { statement: 2, what: "DELETE without WHERE on public.todos".to_owned() });
        assert_eq!(found[1].statement, 3);
    }
}
