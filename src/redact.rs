//! Secrets that only the shape of a text gives away: passwords in SQL (`ALTER ROLE ... PASSWORD '...'`,
//! `CREATE USER ... WITH ENCRYPTED PASSWORD $$...$$`, `OPTIONS (password '...')`, `password=...` inside a
//! connection string literal) in every quoting form PostgreSQL reads, and the removal of values already known
//! to be secret from other texts (an error message that echoes a parameter). The audit log runs every SQL
//! argument through here before anything is written.

use crate::pg::sql_lex::{Token, TokenKind, tokenize};

/// What replaces a secret.
pub const REDACTED: &str = "[redacted]";

/// Secrets shorter than this are not scrubbed out of other texts: removing every "1" or "on" from an error
/// message would destroy it. They are still removed from the SQL and the arguments themselves.
const MIN_SCRUBBED_LEN: usize = 4;

/// A text with its secrets replaced, and the secrets that were removed (to scrub them from other texts).
#[derive(Debug, Default, PartialEq, Eq)]
pub struct Redacted {
    pub text: String,
    pub removed: Vec<String>,
}

/// `sql` with the literal after every PASSWORD keyword (`'..'`, `E'..'`, `U&'..'`, `$$..$$`, `$tag$..$tag$`,
/// with or without `=` before it), every `password=` value inside a string literal, and PASSWORD literals of
/// SQL inside literals (a DO body, an EXECUTE string) replaced by `'[redacted]'`. SQL the lexer cannot finish
/// (an unterminated quote) is cut after its first PASSWORD.
pub fn sql_passwords(sql: &str) -> Redacted {
    redact_sql(sql, 0)
}

/// How deep SQL inside literals inside literals is followed; deeper text is cut after its PASSWORD.
const MAX_NESTING: usize = 4;

fn redact_sql(sql: &str, depth: usize) -> Redacted {
    let Ok(tokens) = tokenize(sql) else {
        return cut_after_password(sql);
    };
    let mut out = Redacted::default();
    let mut copied = 0;
    let mut index = 0;
    while index < tokens.len() {
        let token = &tokens[index];
        if token.is_word("password")
            && let Some((first, last)) = password_literal(&tokens, index + 1)
        {
            out.text.push_str(&sql[copied..tokens[first].start]);
            out.text.push('\'');
            out.text.push_str(REDACTED);
            out.text.push('\'');
            out.removed.extend(tokens[first..=last].iter().filter(|t| t.kind == TokenKind::Str).map(literal_body));
            copied = end_of(&tokens[last]);
            index = last + 1;
            continue;
        }
        if token.kind == TokenKind::Str
            && let Some(redacted) = redact_literal(token.text, depth)
        {
            out.text.push_str(&sql[copied..token.start]);
            out.text.push_str(&redacted.text);
            out.removed.extend(redacted.removed);
            copied = end_of(token);
        }
        index += 1;
    }
    out.text.push_str(&sql[copied..]);
    out
}

/// A string literal that mentions a password: its `password=` values, or the PASSWORD literals of the SQL it
/// holds, redacted; `None` when there is nothing to redact.
fn redact_literal(literal: &str, depth: usize) -> Option<Redacted> {
    if !literal.to_ascii_lowercase().contains("password") {
        return None;
    }
    if let Some(redacted) = keyword_value_password(literal) {
        return Some(redacted);
    }
    let body = literal_body_str(literal);
    let open = &literal[..body.start];
    let close = &literal[body.end..];
    let doubled_quotes = !open.starts_with('$');
    let inner_sql = &literal[body.clone()];
    let inner_sql = if doubled_quotes { inner_sql.replace("''", "'") } else { inner_sql.to_owned() };
    let inner = if depth >= MAX_NESTING { cut_after_password(&inner_sql) } else { redact_sql(&inner_sql, depth + 1) };
    if inner.removed.is_empty() {
        return None;
    }
    let text = if doubled_quotes { inner.text.replace('\'', "''") } else { inner.text };
    Some(Redacted { text: format!("{open}{text}{close}"), removed: inner.removed })
}

/// The token range of the literal that follows a PASSWORD keyword at `at`: an optional `=`, an optional
/// prefix word glued to the quote (`E`, `U` with `&`), the string, and whatever is glued to its end (a
/// backslash-escaped quote under standard_conforming_strings = off splits one literal into several tokens).
fn password_literal(tokens: &[Token<'_>], mut at: usize) -> Option<(usize, usize)> {
    if tokens.get(at).is_some_and(|t| t.is_punct('=')) {
        at += 1;
    }
    let first = at;
    while at < tokens.len() && tokens[at].kind != TokenKind::Str {
        let glued_to_next = tokens.get(at + 1).is_some_and(|next| end_of(&tokens[at]) == next.start);
        let prefix = tokens[at].kind == TokenKind::Word && tokens[at].text.len() == 1 || tokens[at].is_punct('&');
        if !(prefix && glued_to_next) || at - first >= 2 {
            return None;
        }
        at += 1;
    }
    let mut last = at;
    if last >= tokens.len() {
        return None;
    }
    while let Some(next) = tokens.get(last + 1) {
        let separator = next.is_punct(';') || next.is_punct(',') || next.is_punct(')');
        if end_of(&tokens[last]) != next.start || separator {
            break;
        }
        last += 1;
    }
    Some((first, last))
}

fn end_of(token: &Token<'_>) -> usize {
    token.start + token.text.len()
}

/// The content of a string token without its delimiters.
fn literal_body(token: &Token<'_>) -> String {
    token.text[literal_body_str(token.text)].to_owned()
}

/// The byte range of a string literal's content: inside `'..'`, `E'..'` or `$tag$..$tag$`.
fn literal_body_str(text: &str) -> std::ops::Range<usize> {
    if let Some(rest) = text.strip_prefix('$') {
        let tag_len = rest.find('$').map_or(1, |i| i + 2);
        let end = text.len().saturating_sub(tag_len).max(tag_len.min(text.len()));
        return tag_len.min(end)..end;
    }
    let open = text.find('\'').map_or(0, |i| i + 1);
    let close = if text.len() > open && text.ends_with('\'') { text.len() - 1 } else { text.len() };
    open..close.max(open)
}

/// A string literal holding a libpq `password=...` pair (dblink_connect, CREATE SERVER ... OPTIONS), with the
/// value replaced; `None` when it holds none.
fn keyword_value_password(literal: &str) -> Option<Redacted> {
    let lower = literal.to_ascii_lowercase();
    let mut out = Redacted::default();
    let mut copied = 0;
    let mut search = 0;
    while let Some(found) = lower[search..].find("password") {
        let key_start = search + found;
        let mut at = key_start + "password".len();
        search = at;
        let preceded = key_start == 0 || !lower.as_bytes()[key_start - 1].is_ascii_alphanumeric();
        let rest = &literal[at..];
        let after_spaces = rest.len() - rest.trim_start().len();
        if !preceded || !rest[after_spaces..].starts_with('=') {
            continue;
        }
        at += after_spaces + 1;
        at += literal[at..].len() - literal[at..].trim_start().len();
        let value = &literal[at..];
        // A quoted libpq value is written with doubled quotes inside an SQL literal: password=''a b''.
        let opening = value.len() - value.trim_start_matches(['\'', '"']).len();
        let value_len = if opening > 0 {
            value[opening..].find(['\'', '"']).map_or(value.len(), |i| opening + i)
        } else {
            value.find(|c: char| c.is_whitespace() || c == '\'' || c == '"').unwrap_or(value.len())
        };
        let value_end = at + value_len;
        let secret = value[..value_len].trim_matches(['\'', '"']);
        if secret.is_empty() {
            continue;
        }
        out.text.push_str(&literal[copied..at]);
        out.text.push_str(REDACTED);
        out.removed.push(secret.to_owned());
        copied = value_end;
        search = value_end;
    }
    if out.removed.is_empty() {
        return None;
    }
    out.text.push_str(&literal[copied..]);
    Some(out)
}

/// Unreadable SQL: everything after the first PASSWORD goes, since where its literal ends is unknown.
fn cut_after_password(sql: &str) -> Redacted {
    match sql.to_ascii_lowercase().find("password") {
        Some(at) => {
            let end = at + "password".len();
            Redacted { text: format!("{} {REDACTED}", &sql[..end]), removed: vec![sql[end..].trim().to_owned()] }
        }
        None => Redacted { text: sql.to_owned(), removed: Vec::new() },
    }
}

/// `text` with every occurrence of the `secrets` (those long enough to be told apart from ordinary words)
/// replaced by `[redacted]`.
pub fn scrub(text: &str, secrets: &[String]) -> String {
    let mut out = text.to_owned();
    let mut long: Vec<&String> = secrets.iter().filter(|s| s.chars().count() >= MIN_SCRUBBED_LEN).collect();
    long.sort_by_key(|s| std::cmp::Reverse(s.len()));
    for secret in long {
        if out.contains(secret.as_str()) {
            out = out.replace(secret.as_str(), REDACTED);
        }
    }
    out
}

#[cfg(test)]
#[path = "redact_tests.rs"]
mod tests;
