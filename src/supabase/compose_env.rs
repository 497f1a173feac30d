//! One service's `environment:` block in a docker-compose file, read and edited line by line so the rest of the
//! file stays byte for byte: the stock self-hosted compose keeps some settings as literals there (the storage
//! service's `FILE_SIZE_LIMIT: 52428800`), others as `${VAR}` references resolved from the `.env`. Block style
//! only (a mapping `KEY: value` or a list `- KEY=value`), which is what Supabase's and Dokploy's compose files use.

use crate::failure::Failure;
use crate::supabase::env::EnvFile;

/// How the block writes its entries.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Style {
    Mapping,
    List,
}

/// An entry's value as written.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Value {
    /// A literal (quotes removed).
    Literal(String),
    /// `${VAR}`, `${VAR:-default}`, `${VAR-default}`, `${VAR:?message}` or `$VAR`.
    Reference { variable: String, default: Option<String>, empty_is_unset: bool },
}

impl Value {
    /// The value the service gets, given the `.env` docker compose reads.
    pub fn resolve(&self, env: &EnvFile) -> Option<String> {
        match self {
            Value::Literal(text) => Some(text.clone()),
            Value::Reference { variable, default, empty_is_unset } => match env.get(variable) {
                Some(value) if !(value.is_empty() && *empty_is_unset) => Some(value.to_owned()),
                _ => default.clone(),
            },
        }
    }
}

/// One entry of the block.
#[derive(Clone, Debug)]
pub struct Entry {
    /// Index of its line in the file.
    pub line: usize,
    pub key: String,
    pub value: Value,
}

/// A service's environment block.
#[derive(Clone, Debug)]
pub struct ServiceEnv {
    lines: Vec<String>,
    pub service: String,
    pub style: Style,
    /// The indentation of the entries.
    indent: String,
    /// The line after which a new entry goes.
    last_line: usize,
    pub entries: Vec<Entry>,
}

fn indent_of(line: &str) -> usize {
    line.len() - line.trim_start_matches(' ').len()
}

fn is_blank(line: &str) -> bool {
    let trimmed = line.trim();
    trimmed.is_empty() || trimmed.starts_with('#')
}

fn unquote(raw: &str) -> String {
    let text = raw.trim();
    let quoted = |q: char| text.len() >= 2 && text.starts_with(q) && text.ends_with(q);
    if quoted('"') || quoted('\'') {
        return text[1..text.len() - 1].to_owned();
    }
    match text.find(" #") {
        Some(cut) => text[..cut].trim_end().to_owned(),
        None => text.to_owned(),
    }
}

/// Reads `${VAR...}` / `$VAR` when the whole value is one reference.
fn parse_value(raw: &str) -> Value {
    let text = unquote(raw);
    if let Some(inner) = text.strip_prefix("${").and_then(|t| t.strip_suffix('}'))
        && !inner.contains(['{', '}', '$'])
    {
        let name_end = inner.find(|c: char| !(c.is_ascii_alphanumeric() || c == '_')).unwrap_or(inner.len());
        let (variable, rest) = inner.split_at(name_end);
        let (default, empty_is_unset) = match rest {
            "" => (None, true),
            r if r.starts_with(":-") => (Some(r[2..].to_owned()), true),
            r if r.starts_with('-') => (Some(r[1..].to_owned()), false),
            r if r.starts_with(":?") || r.starts_with('?') => (None, true),
            _ => return Value::Literal(text),
        };
        if !variable.is_empty() {
            return Value::Reference { variable: variable.to_owned(), default, empty_is_unset };
        }
    }
    if let Some(variable) = text.strip_prefix('$')
        && !variable.is_empty()
        && variable.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
    {
        return Value::Reference { variable: variable.to_owned(), default: None, empty_is_unset: false };
    }
    Value::Literal(text)
}

fn unsupported(service: &str, why: impl Into<String>) -> Failure {
    Failure::new(
        format!("cannot read the environment of the compose file's '{service}' service"),
        why,
        "give the service an `environment:` block in block style (KEY: value lines), as Supabase's compose file does",
    )
}

impl ServiceEnv {
    /// The environment block of `service` under `services:` in `compose` (the text of a docker-compose file).
    pub fn find(compose: &str, service: &str) -> Result<ServiceEnv, Failure> {
        let lines: Vec<String> = compose.split_inclusive('\n').map(str::to_owned).collect();
        let content = |i: usize| lines[i].trim_end_matches(['\n', '\r']);
        let services = (0..lines.len())
            .find(|&i| content(i).trim_end() == "services:")
            .ok_or_else(|| unsupported(service, "the file has no top-level `services:`"))?;
        let service_indent = (services + 1..lines.len())
            .find(|&i| !is_blank(content(i)))
            .map(|i| indent_of(content(i)))
            .filter(|indent| *indent > 0)
            .ok_or_else(|| unsupported(service, "`services:` lists no service"))?;
        let header = format!("{service}:");
        let start = (services + 1..lines.len())
            .take_while(|&i| is_blank(content(i)) || indent_of(content(i)) >= service_indent)
            .find(|&i| indent_of(content(i)) == service_indent && content(i).trim() == header)
            .ok_or_else(|| unsupported(service, format!("there is no '{service}' service")))?;
        let body_end = (start + 1..lines.len())
            .find(|&i| !is_blank(content(i)) && indent_of(content(i)) <= service_indent)
            .unwrap_or(lines.len());
        let key_indent = (start + 1..body_end).find(|&i| !is_blank(content(i))).map(|i| indent_of(content(i)));
        let environment = (start + 1..body_end)
            .find(|&i| Some(indent_of(content(i))) == key_indent && content(i).trim_start().starts_with("environment:"))
            .ok_or_else(|| unsupported(service, "the service has no `environment:` block"))?;
        if !content(environment).trim().trim_end_matches(':').eq("environment") {
            return Err(unsupported(service, "its `environment:` is written inline (flow style)"));
        }
        let key_indent = indent_of(content(environment));
        let mut entries = Vec::new();
        let mut style = None;
        let mut indent = String::new();
        let mut last_line = environment;
        for i in environment + 1..body_end {
            let text = content(i);
            if is_blank(text) {
                continue;
            }
            if indent_of(text) <= key_indent {
                break;
            }
            let trimmed = text.trim();
            let (this_style, key, value) = match trimmed.strip_prefix("- ") {
                Some(item) => {
                    let item = unquote(item);
                    let (key, value) = item.split_once('=').unwrap_or((item.as_str(), ""));
                    (Style::List, key.trim().to_owned(), parse_value(value))
                }
                None => {
                    let (key, value) = trimmed
                        .split_once(':')
                        .ok_or_else(|| unsupported(service, format!("line {} is not `KEY: value`", i + 1)))?;
                    (Style::Mapping, unquote(key), parse_value(value))
                }
            };
            if style.is_some_and(|s| s != this_style) {
                return Err(unsupported(service, "the block mixes `KEY: value` and `- KEY=value` entries"));
            }
            style = Some(this_style);
            indent = " ".repeat(indent_of(text));
            last_line = i;
            entries.push(Entry { line: i, key, value });
        }
        let style = style.ok_or_else(|| unsupported(service, "its `environment:` block is empty"))?;
        Ok(ServiceEnv { lines, service: service.to_owned(), style, indent, last_line, entries })
    }

    pub fn entry(&self, key: &str) -> Option<&Entry> {
        self.entries.iter().rev().find(|e| e.key == key)
    }

    fn format(&self, key: &str, value: &str) -> String {
        match self.style {
            Style::Mapping => {
                let plain = !value.is_empty() && value.chars().all(|c| c.is_ascii_digit());
                if plain {
                    format!("{}{key}: {value}", self.indent)
                } else {
                    format!("{}{key}: \"{value}\"", self.indent)
                }
            }
            Style::List => format!("{}- {key}={value}", self.indent),
        }
    }

    /// Points `key` at the `.env` variable of the same name (`${KEY:-<previous literal>}`, so removing the
    /// variable restores what the file said), adding the entry when the block lacks it. Returns the line as it
    /// was (None when added) and as it is now; nothing when the entry already is a reference.
    pub fn refer_to_env(&mut self, key: &str) -> Option<(Option<String>, String)> {
        let line_ending = |line: &str| if line.ends_with("\r\n") { "\r\n" } else { "\n" };
        match self.entry(key).cloned() {
            Some(Entry { value: Value::Reference { .. }, .. }) => None,
            Some(Entry { line, value: Value::Literal(old), .. }) => {
                let before = self.lines[line].trim_end_matches(['\n', '\r']).to_owned();
                let after = self.format(key, &format!("${{{key}:-{old}}}"));
                let ending = line_ending(&self.lines[line]);
                self.lines[line] = format!("{after}{ending}");
                self.reparse();
                Some((Some(before.trim().to_owned()), after.trim().to_owned()))
            }
            None => {
                let after = self.format(key, &format!("${{{key}}}"));
                let at = self.last_line;
                if !self.lines[at].ends_with('\n') {
                    self.lines[at].push('\n');
                }
                self.lines.insert(at + 1, format!("{after}\n"));
                self.reparse();
                Some((None, after.trim().to_owned()))
            }
        }
    }

    fn reparse(&mut self) {
        if let Ok(again) = ServiceEnv::find(&self.text(), &self.service) {
            *self = again;
        }
    }

    /// The whole compose file as it is now.
    pub fn text(&self) -> String {
        self.lines.concat()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const COMPOSE: &str = "name: supabase\nservices:\n  storage:\n    image: supabase/storage-api:v1.44.2\n    \
        environment:\n      ANON_KEY: ${ANON_KEY}\n      FILE_SIZE_LIMIT: 52428800 # 50 MB\n      \
        ENABLE_IMAGE_TRANSFORMATION: \"true\"\n      REGION: ${REGION:-stub}\n    volumes:\n      - ./s:/s\n  \
        imgproxy:\n    environment:\n      - IMGPROXY_BIND=:5001\n";

    #[test]
    fn values_resolve_from_literals_and_the_env() {
        let env = EnvFile::parse("ANON_KEY=anon\nREGION=\n").unwrap();
        let block = ServiceEnv::find(COMPOSE, "storage").unwrap();
        assert_eq!(block.style, Style::Mapping);
        let get = |key: &str| block.entry(key).unwrap().value.resolve(&env);
        assert_eq!(get("FILE_SIZE_LIMIT").as_deref(), Some("52428800"));
        assert_eq!(get("ENABLE_IMAGE_TRANSFORMATION").as_deref(), Some("true"));
        assert_eq!(get("ANON_KEY").as_deref(), Some("anon"));
        assert_eq!(get("REGION").as_deref(), Some("stub"), "an empty value takes the :- default");
        let list = ServiceEnv::find(COMPOSE, "imgproxy").unwrap();
        assert_eq!(list.style, Style::List);
        assert_eq!(list.entry("IMGPROXY_BIND").unwrap().value, Value::Literal(":5001".into()));
        assert!(ServiceEnv::find(COMPOSE, "rest").unwrap_err().why.contains("no 'rest' service"));
        let nested = "services:\n  storage:\n    x-extra:\n      environment:\n        A: b\n";
        assert!(ServiceEnv::find(nested, "storage").unwrap_err().why.contains("no `environment:` block"));
    }

    #[test]
    fn a_literal_becomes_a_reference_keeping_it_as_default_and_only_that_line_changes() {
        let mut block = ServiceEnv::find(COMPOSE, "storage").unwrap();
        let (before, after) = block.refer_to_env("FILE_SIZE_LIMIT").unwrap();
        assert_eq!(before.as_deref(), Some("FILE_SIZE_LIMIT: 52428800 # 50 MB"));
        assert_eq!(after, "FILE_SIZE_LIMIT: \"${FILE_SIZE_LIMIT:-52428800}\"");
        assert!(block.refer_to_env("REGION").is_none(), "already a reference");
        let (added_before, added) = block.refer_to_env("STORAGE_BACKEND").unwrap();
        assert!(added_before.is_none());
        assert_eq!(added, "STORAGE_BACKEND: \"${STORAGE_BACKEND}\"");
        let text = block.text();
        assert_eq!(text.lines().count(), COMPOSE.lines().count() + 1);
        assert!(
            text.contains("      REGION: ${REGION:-stub}\n      STORAGE_BACKEND: \"${STORAGE_BACKEND}\"\n    volumes:")
        );
        let env = EnvFile::parse("").unwrap();
        let again = ServiceEnv::find(&text, "storage").unwrap();
        assert_eq!(again.entry("FILE_SIZE_LIMIT").unwrap().value.resolve(&env).as_deref(), Some("52428800"));
    }
}
