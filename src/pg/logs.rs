//! The server log through SQL: `pg_current_logfile()` names the file the logging collector writes, and
//! `pg_read_binary_file` reads its tail where the role may. Lines in the default stderr format
//! (`%m [%p] LEVEL:  message`) are parsed into entries; DETAIL, HINT, STATEMENT and CONTEXT lines attach
//! to the entry before them. Filters: lowest level, a time window, a text.

use super::catalog::query_failure;
use crate::failure::Failure;
use schemars::JsonSchema;
use serde::Serialize;
use tokio_postgres::GenericClient;
use tokio_postgres::types::Type;

/// Levels from least to most severe, as a reader ranks them (LOG sits below WARNING here).
pub const LEVELS: [&str; 8] = ["DEBUG", "INFO", "NOTICE", "LOG", "WARNING", "ERROR", "FATAL", "PANIC"];
const ATTACHED: [&str; 6] = ["DETAIL", "HINT", "STATEMENT", "CONTEXT", "QUERY", "LOCATION"];

#[derive(Clone, Debug, Serialize, JsonSchema, PartialEq)]
pub struct LogEntry {
    /// The timestamp as the log prints it (log_timezone), when the line prefix has one.
    pub time: Option<String>,
    pub pid: Option<i32>,
    pub level: String,
    pub message: String,
    /// DETAIL, HINT, STATEMENT, CONTEXT lines, each on its own line.
    pub detail: Option<String>,
}

pub struct LogFilter {
    /// Lowest level shown (one of [`LEVELS`], case-insensitive).
    pub min_level: String,
    pub since_minutes: Option<f64>,
    pub contains: Option<String>,
    /// Bytes read from the end of the file at most.
    pub max_bytes: i64,
}

pub struct LogTail {
    pub file: String,
    pub file_bytes: i64,
    pub bytes_read: i64,
    /// Matching entries, oldest first.
    pub entries: Vec<LogEntry>,
    pub scanned_entries: usize,
}

/// Privileges are checked at plan time: a function the role may not run fails even in an untaken branch,
/// so pg_current_logfile() is only called in a second query.
const ACCESS: &str = "select has_function_privilege('pg_catalog.pg_current_logfile()', 'EXECUTE'), \
    current_setting('logging_collector'), current_setting('log_destination'), current_user::text, \
    has_function_privilege('pg_catalog.pg_read_binary_file(text, bigint, bigint)', 'EXECUTE') \
      and has_function_privilege('pg_catalog.pg_stat_file(text)', 'EXECUTE'), \
    to_char(now() at time zone current_setting('log_timezone') - make_interval(secs => $1 * 60), 'YYYY-MM-DD HH24:MI:SS')";

fn rank(level: &str) -> Option<usize> {
    let upper = level.to_ascii_uppercase();
    let base = if upper.starts_with("DEBUG") { "DEBUG" } else { upper.as_str() };
    LEVELS.iter().position(|l| *l == base)
}

/// Reads and filters the tail of the current server log.
pub async fn read(client: &impl GenericClient, filter: &LogFilter) -> Result<LogTail, Failure> {
    let min = rank(&filter.min_level).ok_or_else(|| {
        Failure::new(
            format!("unknown log level '{}'", filter.min_level),
            "levels are the server's",
            format!("use one of {}", LEVELS.join(", ").to_ascii_lowercase()),
        )
    })?;
    let minutes = filter.since_minutes.unwrap_or(0.0);
    let access = client.query_typed_one(ACCESS, &[(&minutes, Type::FLOAT8)]).await.map_err(query_failure)?;
    let (may_locate, collector, destination, user, may_read, cutoff): (bool, String, String, String, bool, String) =
        (access.get(0), access.get(1), access.get(2), access.get(3), access.get(4), access.get(5));
    let grant_text = format!(
        "run as a superuser (supabase_admin on the Supabase image), or GRANT EXECUTE ON FUNCTION \
         pg_catalog.pg_current_logfile(), pg_catalog.pg_stat_file(text), pg_catalog.pg_read_binary_file(text, bigint, bigint) \
         TO {user}; (and GRANT pg_read_server_files TO {user}; when log_directory is outside the data directory)"
    );
    if !may_locate || !may_read {
        return Err(Failure::new(
            format!("role {user} may not read the server log"),
            "reading it needs superuser, or EXECUTE on pg_current_logfile(), pg_stat_file(text) and \
             pg_read_binary_file(text, bigint, bigint), which PostgreSQL gives to superusers only by default",
            grant_text,
        ));
    }
    let file: Option<String> =
        client.query_typed_one("select pg_current_logfile()", &[]).await.map_err(query_failure)?.get(0);
    let Some(file) = file else {
        let why = if collector == "on" {
            format!(
                "the logging collector is on but writes no stderr, csvlog or jsonlog file (log_destination = {destination})"
            )
        } else {
            "logging_collector is off, so the server writes its log to its stderr (docker logs of the db container) and \
             pg_current_logfile() returns nothing"
                .to_owned()
        };
        return Err(Failure::new(
            "the server log cannot be read through SQL",
            why,
            "set logging_collector = on (and log_destination = 'stderr') in postgresql.conf and restart PostgreSQL; \
             until then read the container's output: docker logs supabase-db",
        ));
    };
    let size_row = client
        .query_typed_one("select (pg_stat_file($1)).size", &[(&file, Type::TEXT)])
        .await
        .map_err(query_failure)?;
    let file_bytes: i64 = size_row.get(0);
    let offset = (file_bytes - filter.max_bytes.max(1)).max(0);
    let length = file_bytes - offset;
    let data_row = client
        .query_typed_one(
            "select pg_read_binary_file($1, $2, $3)",
            &[(&file, Type::TEXT), (&offset, Type::INT8), (&length, Type::INT8)],
        )
        .await
        .map_err(query_failure)?;
    let bytes: Vec<u8> = data_row.get(0);
    let mut text = String::from_utf8_lossy(&bytes).into_owned();
    if offset > 0 {
        // The first line is cut: drop it.
        text = text.split_once('\n').map(|(_, rest)| rest.to_owned()).unwrap_or_default();
    }
    let parsed = parse(&text);
    let scanned_entries = parsed.len();
    let needle = filter.contains.as_deref().map(str::to_lowercase);
    let entries = parsed
        .into_iter()
        .filter(|e| rank(&e.level).is_some_and(|r| r >= min))
        .filter(|e| filter.since_minutes.is_none() || e.time.as_deref().is_some_and(|t| t >= cutoff.as_str()))
        .filter(|e| {
            needle.as_deref().is_none_or(|n| {
                e.message.to_lowercase().contains(n)
                    || e.detail.as_deref().is_some_and(|d| d.to_lowercase().contains(n))
            })
        })
        .collect();
    Ok(LogTail { file, file_bytes, bytes_read: length, entries, scanned_entries })
}

/// The level token of a line and where the message starts: the first `LEVEL:  ` in it.
fn level_of(line: &str) -> Option<(usize, &str, usize)> {
    let mut best: Option<(usize, &str, usize)> = None;
    for level in LEVELS.iter().chain(ATTACHED.iter()) {
        let mut from = 0;
        while let Some(found) = line[from..].find(level) {
            let at = from + found;
            let after = &line[at + level.len()..];
            let digits = after.bytes().take_while(u8::is_ascii_digit).count();
            if after[digits..].starts_with(":  ") {
                if best.is_none_or(|(b, _, _)| at < b) {
                    best = Some((at, &line[at..at + level.len() + digits], at + level.len() + digits + 3));
                }
                break;
            }
            from = at + level.len();
        }
    }
    best
}

fn append(detail: &mut Option<String>, text: String) {
    match detail {
        Some(existing) => {
            existing.push('\n');
            existing.push_str(&text);
        }
        None => *detail = Some(text),
    }
}

/// Parses stderr-format log text into entries, oldest first.
pub fn parse(text: &str) -> Vec<LogEntry> {
    let mut entries: Vec<LogEntry> = Vec::new();
    for line in text.lines() {
        match level_of(line) {
            Some((at, level, message_at)) if !ATTACHED.contains(&level) => {
                let prefix = &line[..at];
                let time = prefix.get(..19).filter(|t| t.as_bytes().get(4) == Some(&b'-')).map(str::to_owned);
                let pid = prefix
                    .split_once('[')
                    .and_then(|(_, rest)| rest.split_once(']'))
                    .and_then(|(pid, _)| pid.trim().parse().ok());
                entries.push(LogEntry {
                    time,
                    pid,
                    level: level.to_owned(),
                    message: line[message_at..].to_owned(),
                    detail: None,
                });
            }
            other => {
                let Some(last) = entries.last_mut() else {
                    continue;
                };
                match other {
                    Some((_, level, message_at)) => {
                        append(&mut last.detail, format!("{level}: {}", &line[message_at..]))
                    }
                    None if last.detail.is_none() => {
                        last.message.push('\n');
                        last.message.push_str(line.trim_end());
                    }
                    None => append(&mut last.detail, line.trim_end().to_owned()),
                }
            }
        }
    }
    entries
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stderr_lines_become_entries_with_their_details() {
        let text = "2026-11-22 23:01:02.345 UTC [4242] LOG:  database system is ready to accept connections\n\
                    2026-11-22 23:01:03.000 UTC [4300] ERROR:  relation \"nope\" does not exist at character 15\n\
                    2026-11-22 23:01:03.000 UTC [4300] STATEMENT:  select * from nope\n\
                    2026-11-22 23:01:04.000 UTC [4301] WARNING:  there is no transaction in progress\n\
                    2026-11-22 23:01:05.000 UTC [4302] DEBUG2:  autovacuum: processing database\n";
        let entries = parse(text);
        assert_eq!(entries.len(), 4);
        assert_eq!(entries[0].time.as_deref(), Some("2026-11-22 23:01:02"));
        assert_eq!(entries[0].pid, Some(4242));
        assert_eq!(entries[0].level, "LOG");
        assert_eq!(entries[1].level, "ERROR");
        assert_eq!(entries[1].detail.as_deref(), Some("STATEMENT: select * from nope"));
        assert_eq!(entries[3].level, "DEBUG2");
        assert_eq!(rank("debug2"), Some(0));
        assert!(rank("warning") > rank("log"));
        assert_eq!(rank("verbose"), None);
    }

    #[test]
    fn a_message_mentioning_a_level_keeps_the_first_token() {
        let entries = parse("2026-01-01 00:00:00.000 UTC [1] LOG:  statement: select 'ERROR:  x'\n\tcontinued\n");
        assert_eq!(entries.len(), 1);
        assert_eq!(entries[0].level, "LOG");
        assert_eq!(entries[0].message, "statement: select 'ERROR:  x'\n\tcontinued");
    }
}
