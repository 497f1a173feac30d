//! Parses a dotenv file the way docker compose reads it (`KEY=value`, optional `export `, single,
//! double or no quotes, `#` comments, inline comments after unquoted values) while keeping every byte,
//! so that `to_string()` of an unedited file returns the input unchanged.

use std::fmt;

/// How a value was (or will be) quoted on its line.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Quote {
    None,
    Single,
    Double,
}

/// One `KEY=value` assignment.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct EnvEntry {
    pub key: String,
    /// The value as a program receives it: quotes removed, escapes resolved, inline comment dropped.
    pub value: String,
    pub export: bool,
    pub quote: Quote,
}

#[derive(Clone, Debug)]
enum LineKind {
    /// Blank lines, comments and lines that are not assignments: kept as they are.
    Verbatim,
    Entry(EnvEntry),
}

#[derive(Clone, Debug)]
struct Line {
    /// The line's text without its line ending (a multi-line quoted value keeps its inner newlines).
    raw: String,
    ending: &'static str,
    kind: LineKind,
}

/// A parsed `.env` file.
#[derive(Clone, Debug, Default)]
pub struct EnvFile {
    lines: Vec<Line>,
}

/// A key assigned on more than one line.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DuplicateKey {
    pub key: String,
    /// 1-based line numbers of every assignment, in file order; the last one wins.
    pub lines: Vec<usize>,
}

impl DuplicateKey {
    /// "lines 3 and 9" / "lines 3, 5 and 9".
    pub fn lines_text(&self) -> String {
        let numbers: Vec<String> = self.lines.iter().map(usize::to_string).collect();
        match numbers.split_last() {
            Some((last, rest)) if !rest.is_empty() => format!("lines {} and {last}", rest.join(", ")),
            _ => format!("line {}", numbers.join("")),
        }
    }

    /// The line whose value is used.
    pub fn winning_line(&self) -> usize {
        self.lines.last().copied().unwrap_or_default()
    }
}

/// A line that looks like an assignment but cannot be read.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
#[error("line {line}: {reason}")]
pub struct EnvParseError {
    pub line: usize,
    pub reason: String,
}

impl EnvFile {
    /// Parses `text`. Lines that are neither assignments, comments nor blank are kept verbatim and
    /// reported by [`EnvFile::unparsed_lines`]; an unterminated quote is an error.
    pub fn parse(text: &str) -> Result<EnvFile, EnvParseError> {
        let mut lines = Vec::new();
        let mut pieces = split_lines(text).into_iter().enumerate().peekable();
        while let Some((index, (mut raw, mut ending))) = pieces.next() {
            let start_line = index + 1;
            // A double-quoted value may span lines: keep appending until its closing quote.
            while opens_multiline_double_quote(&raw) {
                let Some((_, (next_raw, next_ending))) = pieces.next() else {
                    return Err(EnvParseError {
                        line: start_line,
                        reason: "a double-quoted value is never closed; add the closing \"".into(),
                    });
                };
                raw.push_str(ending);
                raw.push_str(&next_raw);
                ending = next_ending;
            }
            let kind = parse_line(&raw).map_err(|reason| EnvParseError { line: start_line, reason })?;
            lines.push(Line { raw, ending, kind });
        }
        Ok(EnvFile { lines })
    }

    /// The value of the last assignment to `key` (later lines win, as in docker compose).
    pub fn get(&self, key: &str) -> Option<&str> {
        self.entries().filter(|e| e.key == key).last().map(|e| e.value.as_str())
    }

    /// Every assignment, in file order.
    pub fn entries(&self) -> impl Iterator<Item = &EnvEntry> {
        self.lines.iter().filter_map(|line| match &line.kind {
            LineKind::Entry(entry) => Some(entry),
            LineKind::Verbatim => None,
        })
    }

    /// Each line with its 1-based number in the file (a multi-line value counts all its lines).
    fn numbered(&self) -> impl Iterator<Item = (usize, &Line)> {
        self.lines.iter().scan(1, |next, line| {
            let number = *next;
            *next += 1 + line.raw.matches('\n').count();
            Some((number, line))
        })
    }

    /// 1-based numbers of non-blank, non-comment lines that are not assignments.
    pub fn unparsed_lines(&self) -> Vec<usize> {
        self.numbered()
            .filter(|(_, line)| {
                let trimmed = line.raw.trim();
                matches!(line.kind, LineKind::Verbatim) && !trimmed.is_empty() && !trimmed.starts_with('#')
            })
            .map(|(number, _)| number)
            .collect()
    }

    /// Keys assigned more than once, in the order of their first assignment, each with the line numbers of all
    /// its assignments (the last one is the value docker compose and [`EnvFile::get`] use).
    pub fn duplicate_keys(&self) -> Vec<DuplicateKey> {
        let mut keys: Vec<DuplicateKey> = Vec::new();
        for (number, line) in self.numbered() {
            let LineKind::Entry(entry) = &line.kind else { continue };
            match keys.iter_mut().find(|k| k.key == entry.key) {
                Some(known) => known.lines.push(number),
                None => keys.push(DuplicateKey { key: entry.key.clone(), lines: vec![number] }),
            }
        }
        keys.retain(|k| k.lines.len() > 1);
        keys
    }

    /// Sets `key` to `value`: rewrites the last line that assigns it (keeping its `export` and quote
    /// style where the value allows), or appends a new line. Returns true when the file changed.
    pub fn set(&mut self, key: &str, value: &str) -> bool {
        let position = self.lines.iter().rposition(|l| matches!(&l.kind, LineKind::Entry(e) if e.key == key));
        match position {
            Some(index) => {
                let line = &mut self.lines[index];
                let LineKind::Entry(entry) = &line.kind else {
                    return false;
                };
                if entry.value == value {
                    return false;
                }
                let quote = quote_for(value, entry.quote);
                let updated = EnvEntry { key: key.to_owned(), value: value.to_owned(), export: entry.export, quote };
                line.raw = format_entry(&updated);
                line.kind = LineKind::Entry(updated);
                true
            }
            None => {
                if let Some(last) = self.lines.last_mut()
                    && last.ending.is_empty()
                {
                    last.ending = "\n";
                }
                let entry = EnvEntry {
                    key: key.to_owned(),
                    value: value.to_owned(),
                    export: false,
                    quote: quote_for(value, Quote::None),
                };
                self.lines.push(Line { raw: format_entry(&entry), ending: "\n", kind: LineKind::Entry(entry) });
                true
            }
        }
    }

    /// Rewrites the value of every assignment for which `replace` returns a new value (all of them, not only
    /// the last of a key), keeping each line's `export` and quote style where the value allows.
    pub fn rewrite_values(&mut self, mut replace: impl FnMut(&EnvEntry) -> Option<String>) {
        for line in &mut self.lines {
            let LineKind::Entry(entry) = &line.kind else {
                continue;
            };
            let Some(value) = replace(entry).filter(|v| *v != entry.value) else {
                continue;
            };
            let updated =
                EnvEntry { key: entry.key.clone(), quote: quote_for(&value, entry.quote), value, export: entry.export };
            line.raw = format_entry(&updated);
            line.kind = LineKind::Entry(updated);
        }
    }

    /// Removes every assignment to `key`. Returns true when the file changed.
    pub fn unset(&mut self, key: &str) -> bool {
        let before = self.lines.len();
        self.lines.retain(|l| !matches!(&l.kind, LineKind::Entry(e) if e.key == key));
        before != self.lines.len()
    }
}

impl fmt::Display for EnvFile {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for line in &self.lines {
            f.write_str(&line.raw)?;
            f.write_str(line.ending)?;
        }
        Ok(())
    }
}

fn split_lines(text: &str) -> Vec<(String, &'static str)> {
    let mut out = Vec::new();
    let mut rest = text;
    while !rest.is_empty() {
        match rest.find('\n') {
            Some(pos) => {
                let (line, ending) = match rest[..pos].strip_suffix('\r') {
                    Some(stripped) => (stripped, "\r\n"),
                    None => (&rest[..pos], "\n"),
                };
                out.push((line.to_owned(), ending));
                rest = &rest[pos + 1..];
            }
            None => {
                out.push((rest.to_owned(), ""));
                rest = "";
            }
        }
    }
    out
}

/// Splits `[export ]KEY=` from the rest; `None` when the line is not an assignment.
fn split_assignment(raw: &str) -> Option<(bool, &str, &str)> {
    let trimmed = raw.trim_start();
    if trimmed.starts_with('#') {
        return None;
    }
    let (export, body) = match trimmed.strip_prefix("export") {
        Some(rest) if rest.starts_with([' ', '\t']) => (true, rest.trim_start()),
        _ => (false, trimmed),
    };
    let (key, value) = body.split_once('=')?;
    let key = key.trim_end();
    let valid_key = !key.is_empty()
        && key.chars().all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '.' || c == '-')
        && !key.starts_with(|c: char| c.is_ascii_digit());
    valid_key.then_some((export, key, value))
}

fn opens_multiline_double_quote(raw: &str) -> bool {
    let Some((_, _, value)) = split_assignment(raw) else {
        return false;
    };
    let value = value.trim_start();
    let Some(inner) = value.strip_prefix('"') else {
        return false;
    };
    closing_double_quote(inner).is_none()
}

/// Byte index of the unescaped closing `"` in `inner` (the text after the opening quote).
fn closing_double_quote(inner: &str) -> Option<usize> {
    let mut escaped = false;
    for (index, c) in inner.char_indices() {
        match c {
            '\\' if !escaped => escaped = true,
            '"' if !escaped => return Some(index),
            _ => escaped = false,
        }
    }
    None
}

fn parse_line(raw: &str) -> Result<LineKind, String> {
    let Some((export, key, value)) = split_assignment(raw) else {
        return Ok(LineKind::Verbatim);
    };
    let value = value.trim_start();
    let (value, quote) = if let Some(inner) = value.strip_prefix('"') {
        let end = closing_double_quote(inner).ok_or("a double-quoted value is never closed; add the closing \"")?;
        (unescape_double(&inner[..end]), Quote::Double)
    } else if let Some(inner) = value.strip_prefix('\'') {
        let end = inner.find('\'').ok_or("a single-quoted value is never closed; add the closing '")?;
        (inner[..end].to_owned(), Quote::Single)
    } else {
        let without_comment = match value.find(" #").or_else(|| value.find("\t#")) {
            Some(pos) => &value[..pos],
            None => value,
        };
        (without_comment.trim_end().to_owned(), Quote::None)
    };
    Ok(LineKind::Entry(EnvEntry { key: key.to_owned(), value, export, quote }))
}

fn unescape_double(inner: &str) -> String {
    let mut out = String::with_capacity(inner.len());
    let mut chars = inner.chars();
    while let Some(c) = chars.next() {
        if c != '\\' {
            out.push(c);
            continue;
        }
        match chars.next() {
            Some('n') => out.push('\n'),
            Some('t') => out.push('\t'),
            Some('r') => out.push('\r'),
            Some(other @ ('"' | '\\' | '$')) => out.push(other),
            Some(other) => {
                out.push('\\');
                out.push(other);
            }
            None => out.push('\\'),
        }
    }
    out
}

fn is_plain(value: &str) -> bool {
    !value.is_empty()
        && value.chars().all(|c| c.is_ascii_alphanumeric() || "_-./:@,+=%~?&!*".contains(c))
        && !value.contains(" #")
}

/// Keeps the preferred quote style when it can carry `value`, otherwise picks the simplest that can.
fn quote_for(value: &str, preferred: Quote) -> Quote {
    match preferred {
        Quote::Single if !value.contains('\'') && !value.contains('\n') => Quote::Single,
        Quote::Double => Quote::Double,
        _ if is_plain(value) || value.is_empty() => Quote::None,
        _ if !value.contains('\'') && !value.contains('\n') => Quote::Single,
        _ => Quote::Double,
    }
}

fn format_entry(entry: &EnvEntry) -> String {
    let prefix = if entry.export { "export " } else { "" };
    let value = match entry.quote {
        Quote::None => entry.value.clone(),
        Quote::Single => format!("'{}'", entry.value),
        Quote::Double => {
            let escaped =
                entry.value.replace('\\', "\\\\").replace('"', "\\\"").replace('\n', "\\n").replace('$', "\\$");
            format!("\"{escaped}\"")
        }
    };
    format!("{prefix}{}={value}", entry.key)
}

#[cfg(test)]
#[path = "parse_tests.rs"]
mod tests;
