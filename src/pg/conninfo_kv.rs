//! libpq's `keyword=value` connection strings, read as libpq's conninfo_parse reads them: blanks are C's
//! isspace set (space, tab, newline, vertical tab, form feed, carriage return); a keyword runs to `=` or a
//! blank; blanks after `=` are skipped; an unquoted value runs to the next blank with `\` escaping one
//! character; a quoted value runs to the closing `'` with `\` escaping; a later keyword replaces an earlier
//! one. One place where libpq's reading surprises is refused instead: `host= port=5432` gives libpq the host
//! `port=5432` (the blank after `=` is skipped), so an unquoted value that starts after a blank and reads like
//! `keyword=...` is an error that says how to write an empty value (`host=''`).

use super::ConnInfoError;
use std::collections::BTreeMap;

/// The keywords libpq knows: a value that starts with one of them followed by `=` was meant as the next pair.
const LIBPQ_KEYWORDS: &[&str] = &[
    "host",
    "hostaddr",
    "port",
    "dbname",
    "user",
    "password",
    "passfile",
    "require_auth",
    "channel_binding",
    "connect_timeout",
    "client_encoding",
    "options",
    "application_name",
    "fallback_application_name",
    "keepalives",
    "keepalives_idle",
    "keepalives_interval",
    "keepalives_count",
    "tcp_user_timeout",
    "replication",
    "gssencmode",
    "sslmode",
    "sslnegotiation",
    "sslcompression",
    "sslcert",
    "sslkey",
    "sslpassword",
    "sslcertmode",
    "sslrootcert",
    "sslcrl",
    "sslcrldir",
    "sslsni",
    "requirepeer",
    "ssl_min_protocol_version",
    "ssl_max_protocol_version",
    "krbsrvname",
    "gsslib",
    "gssdelegation",
    "service",
    "target_session_attrs",
    "load_balance_hosts",
];

/// C's isspace in the C locale.
fn is_blank(c: char) -> bool {
    matches!(c, ' ' | '\t' | '\n' | '\x0B' | '\x0C' | '\r')
}

/// The `keyword=` a value starts with, when the keyword is one of libpq's.
fn leading_keyword(value: &str) -> Option<&str> {
    let (keyword, _) = value.split_once('=')?;
    LIBPQ_KEYWORDS.contains(&keyword).then_some(keyword)
}

pub(super) fn parse(raw: &str) -> Result<BTreeMap<String, String>, ConnInfoError> {
    let mut pairs = BTreeMap::new();
    let mut chars = raw.chars().peekable();
    loop {
        while chars.next_if(|c| is_blank(*c)).is_some() {}
        if chars.peek().is_none() {
            break;
        }
        let mut key = String::new();
        while let Some(c) = chars.next_if(|c| *c != '=' && !is_blank(*c)) {
            key.push(c);
        }
        while chars.next_if(|c| is_blank(*c)).is_some() {}
        if chars.next() != Some('=') {
            return Err(ConnInfoError::new(format!("'{key}' has no '=value'; write {key}=value")));
        }
        if key.is_empty() {
            return Err(ConnInfoError::new("a '=' has no keyword before it; write keyword=value"));
        }
        let mut skipped_blank = false;
        while chars.next_if(|c| is_blank(*c)).is_some() {
            skipped_blank = true;
        }
        let mut value = String::new();
        if chars.next_if_eq(&'\'').is_some() {
            loop {
                match chars.next() {
                    Some('\\') => value.extend(chars.next()),
                    Some('\'') => break,
                    Some(c) => value.push(c),
                    None => {
                        return Err(ConnInfoError::new(format!("the quoted value of '{key}' is never closed")));
                    }
                }
            }
        } else {
            let mut raw_value = String::new();
            while let Some(c) = chars.next_if(|c| !is_blank(*c)) {
                raw_value.push(c);
                if c == '\\' {
                    value.extend(chars.next());
                } else {
                    value.push(c);
                }
            }
            if let Some(next) = leading_keyword(&raw_value).filter(|_| skipped_blank) {
                return Err(ConnInfoError::new(format!(
                    "'{key}=' is followed by a blank and then '{next}=': libpq skips blanks after '=' and would read \
                     {key} as '{raw_value}'; to give {key} an empty value write {key}='' (or leave {key} out)"
                )));
            }
        }
        pairs.insert(key, value);
    }
    if pairs.is_empty() {
        return Err(ConnInfoError::new("no key=value pairs found; give a postgres:// URL or host=... user=..."));
    }
    Ok(pairs)
}
