//! The merged log timeline behind `aggregate_logs`: lines from the PostgreSQL server log, the Dokploy compose's
//! containers (`docker logs --timestamps`) and supamcp's audit log, each tagged with its service, given one
//! UTC timestamp and one level scale, filtered, ordered oldest first, and linked to the knowledge-base entry
//! it names. Only strong matches link: an exact error code or a known message fragment (the index's `Code`
//! and `Message` signals), never shared words or a code typo. No rmcp here.

use crate::audit::AuditEntry;
use crate::knowledge::Base;
use crate::knowledge::index::Signal;
use crate::pg::logs::LogEntry;
use chrono::{DateTime, NaiveDateTime, Utc};

/// One scale for every source, least severe first.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Level {
    Debug,
    Info,
    Warning,
    Error,
    Fatal,
}

impl Level {
    /// A level word of any source (PostgreSQL's, docker-logged services', syslog-like), case-insensitive.
    pub fn parse(word: &str) -> Option<Level> {
        let lower = word.to_ascii_lowercase();
        Some(match lower.as_str() {
            "trace" | "verbose" => Level::Debug,
            w if w.starts_with("debug") => Level::Debug,
            "info" | "notice" | "log" => Level::Info,
            "warn" | "warning" => Level::Warning,
            "error" | "err" => Level::Error,
            "fatal" | "panic" | "critical" | "crit" | "emergency" | "alert" => Level::Fatal,
            _ => return None,
        })
    }

    /// Its name; also the lowest PostgreSQL level (`pg::logs::LEVELS`) that shows it and everything above.
    pub fn name(self) -> &'static str {
        match self {
            Level::Debug => "debug",
            Level::Info => "info",
            Level::Warning => "warning",
            Level::Error => "error",
            Level::Fatal => "fatal",
        }
    }
}

/// One line of the timeline.
#[derive(Clone, Debug, PartialEq)]
pub struct Line {
    /// UTC, RFC 3339 with milliseconds; none when the source printed no timestamp.
    pub time: Option<String>,
    pub service: String,
    pub level: Level,
    pub message: String,
    /// The knowledge-base entry the line names (explain_error with this id gives cause and fix).
    pub knowledge: Option<&'static str>,
}

fn utc_text(time: DateTime<Utc>) -> String {
    time.to_rfc3339_opts(chrono::SecondsFormat::Millis, true)
}

/// A PostgreSQL log entry; `offset_seconds` is log_timezone's offset from UTC (its timestamps are local there).
pub fn from_postgres(entry: LogEntry, offset_seconds: i64) -> Line {
    let time = entry
        .time
        .as_deref()
        .and_then(|t| NaiveDateTime::parse_from_str(t, "%Y-%m-%d %H:%M:%S").ok())
        .map(|local| utc_text(local.and_utc() - chrono::Duration::seconds(offset_seconds)));
    let message = match entry.detail {
        Some(detail) => format!("{}\n{detail}", entry.message),
        None => entry.message,
    };
    Line {
        time,
        service: "postgres".to_owned(),
        level: Level::parse(&entry.level).unwrap_or(Level::Info),
        message,
        knowledge: None,
    }
}

/// The level a container's line carries: a `level`/`severity` field (JSON or logfmt), an Elixir-style
/// `[error]`, or an upper-case level word; `info` when it names none.
pub fn detect_level(line: &str) -> Level {
    let lower = line.to_ascii_lowercase();
    for key in ["\"level\":\"", "\"level\": \"", "level=", "\"severity\":\"", "\"lvl\":\"", "severity="] {
        if let Some(at) = lower.find(key) {
            let rest = lower[at + key.len()..].trim_start_matches('"');
            let word: String = rest.chars().take_while(char::is_ascii_alphabetic).collect();
            if let Some(level) = Level::parse(&word) {
                return level;
            }
        }
    }
    for bracketed in ["[fatal]", "[critical]", "[error]", "[warning]", "[warn]", "[notice]", "[info]", "[debug]"] {
        if lower.contains(bracketed) {
            return Level::parse(bracketed.trim_matches(['[', ']'])).unwrap_or(Level::Info);
        }
    }
    line.split(|c: char| !c.is_ascii_alphabetic())
        .filter(|w| w.len() >= 3 && w.chars().all(|c| c.is_ascii_uppercase()))
        .find_map(Level::parse)
        .unwrap_or(Level::Info)
}

/// One line of `docker logs --timestamps` (`<RFC 3339 time> <text>`) of `service`.
pub fn from_container(service: &str, raw: &str) -> Line {
    let (time, text) = match raw.split_once(' ') {
        Some((stamp, rest)) => match DateTime::parse_from_rfc3339(stamp) {
            Ok(t) => (Some(utc_text(t.with_timezone(&Utc))), rest),
            Err(_) => (None, raw),
        },
        None => (None, raw),
    };
    Line { time, service: service.to_owned(), level: detect_level(text), message: text.to_owned(), knowledge: None }
}

/// One audit entry as a line of service `supamcp`: an error outcome is an error.
pub fn from_audit(entry: AuditEntry) -> Line {
    let time = DateTime::parse_from_rfc3339(&entry.time).ok().map(|t| utc_text(t.with_timezone(&Utc)));
    let level = if entry.outcome.starts_with("error") { Level::Error } else { Level::Info };
    let message = format!("{} on {}: {} ({} ms)", entry.tool, entry.instance, entry.outcome, entry.duration_ms);
    Line { time, service: "supamcp".to_owned(), level, message, knowledge: None }
}

/// What the timeline keeps.
pub struct Filter {
    pub min_level: Level,
    /// UTC RFC 3339 lower bound; lines without a time are kept (their source already applied the window).
    pub since: Option<String>,
    /// Lowercase text every kept line contains.
    pub contains: Option<String>,
}

impl Filter {
    pub fn keeps(&self, line: &Line) -> bool {
        line.level >= self.min_level
            && self.since.as_deref().is_none_or(|since| line.time.as_deref().is_none_or(|t| t >= since))
            && self.contains.as_deref().is_none_or(|needle| line.message.to_lowercase().contains(needle))
    }
}

/// The cutoff `minutes` before `now`, as the timeline writes times.
pub fn since_text(now: DateTime<Utc>, minutes: f64) -> String {
    utc_text(now - chrono::Duration::milliseconds((minutes * 60_000.0) as i64))
}

/// The entry a line names strongly: an exact code or a known message fragment of the best-ranked entry.
pub fn strong_match(base: &'static Base, text: &str) -> Option<&'static str> {
    let hit = base.index.rank(text, 1).into_iter().next()?;
    let strong = hit.signals.iter().any(|s| matches!(s, Signal::Code | Signal::Message));
    strong.then(|| base.entries.get(hit.entry).map(|e| e.id.as_str())).flatten()
}

/// Merges the sources' kept lines oldest first (stable: a source's own order is kept among equal times), a
/// line without a time takes the time of the line before it in its source, then keeps the newest `limit`.
/// Lines at warning or above are matched against the knowledge base.
pub fn merge(
    sources: Vec<Vec<Line>>,
    filter: &Filter,
    limit: usize,
    base: Option<&'static Base>,
) -> (Vec<Line>, usize) {
    let mut all: Vec<(String, Line)> = Vec::new();
    for source in sources {
        let mut previous = String::new();
        for line in source {
            let key = line.time.clone().unwrap_or_else(|| previous.clone());
            previous.clone_from(&key);
            if filter.keeps(&line) {
                all.push((key, line));
            }
        }
    }
    all.sort_by(|a, b| a.0.cmp(&b.0));
    let matched = all.len();
    let kept: Vec<Line> = all
        .into_iter()
        .skip(matched.saturating_sub(limit))
        .map(|(_, mut line)| {
            if line.level >= Level::Warning {
                line.knowledge = base.and_then(|b| strong_match(b, &line.message));
            }
            line
        })
        .collect();
    (kept, matched)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn levels_are_read_from_each_format() {
        assert_eq!(detect_level(r#"{"level":"error","msg":"x"}"#), Level::Error);
        assert_eq!(detect_level("time=1 level=warning msg=slow"), Level::Warning);
        assert_eq!(detect_level("10:00:00.000 [error] Ranch listener failed"), Level::Error);
        assert_eq!(detect_level("2026/11/22 [notice] 1#1: start worker"), Level::Info);
        assert_eq!(detect_level("FATAL:  password authentication failed"), Level::Fatal);
        assert_eq!(detect_level("WARN slow request"), Level::Warning);
        assert_eq!(detect_level("GET /rest/v1/items 200 - an error-free line"), Level::Info);
        assert!(Level::parse("debug2") == Some(Level::Debug) && Level::parse("bogus").is_none());
    }

    #[test]
    fn container_and_postgres_times_become_utc() {
        let line = from_container("kong", "2026-11-22T10:00:03.123456789Z ERROR connection refused");
        assert_eq!(line.time.as_deref(), Some("2026-11-22T10:00:03.123Z"));
        assert_eq!((line.level, line.message.as_str()), (Level::Error, "ERROR connection refused"));
        let entry = LogEntry {
            time: Some("2026-11-22 11:00:03".into()),
            pid: Some(1),
            level: "ERROR".into(),
            message: "m".into(),
            detail: Some("STATEMENT: select".into()),
        };
        let pg = from_postgres(entry, 3600);
        assert_eq!(pg.time.as_deref(), Some("2026-11-22T10:00:03.000Z"));
        assert_eq!(pg.message, "m\nSTATEMENT: select");
    }

    #[test]
    fn merge_orders_filters_and_keeps_the_newest() {
        let line = |time: &str, service: &str, level, message: &str| Line {
            time: Some(time.into()),
            service: service.into(),
            level,
            message: message.into(),
            knowledge: None,
        };
        let kong = vec![
            line("2026-01-01T00:00:01.000Z", "kong", Level::Info, "a"),
            line("2026-01-01T00:00:03.000Z", "kong", Level::Error, "b boom"),
        ];
        let mut untimed = line("", "postgres", Level::Warning, "c boom");
        untimed.time = None;
        let postgres = vec![line("2026-01-01T00:00:02.000Z", "postgres", Level::Info, "d"), untimed];
        let all = Filter { min_level: Level::Debug, since: None, contains: None };
        let (merged, matched) = merge(vec![kong.clone(), postgres.clone()], &all, 10, None);
        let order: Vec<&str> = merged.iter().map(|l| l.message.as_str()).collect();
        assert_eq!((order, matched), (vec!["a", "d", "c boom", "b boom"], 4));
        let strict = Filter {
            min_level: Level::Warning,
            since: Some("2026-01-01T00:00:02.500Z".into()),
            contains: Some("boom".into()),
        };
        let (merged, matched) = merge(vec![kong, postgres], &strict, 1, None);
        assert_eq!((merged.len(), matched, merged[0].message.as_str()), (1, 2, "b boom"));
    }

    #[test]
    fn only_strong_matches_link_to_the_knowledge_base() {
        let base = crate::knowledge::base().expect("base");
        let code = strong_match(base, "FATAL:  password authentication failed for user \"authenticator\" (28P01)");
        assert_eq!(code, Some("password-authentication-failed"));
        let linked = |text| strong_match(base, text);
        assert_eq!(linked("relation \"x\" does not exist at character 15"), Some("relation-does-not-exist"));
        assert_eq!(linked("column \"foo\" does not exist at character 8"), Some("column-does-not-exist"));
        assert_eq!(linked("ERROR upstream: connect: connection refused"), Some("connection-refused"));
        assert_eq!(linked("the weather is fine today"), None);
        // shared words alone never link
        assert_eq!(linked("slow connection pool timeout"), None);
    }
}
