//! The public URL variables: a minimal URL reader (scheme, host, the rest), localhost detection, and the
//! HTTP↔HTTPS converter that rewrites exactly those variables and nothing else.

use super::EnvFile;
use serde::Serialize;

/// Variables that hold the stack's public URLs; ADDITIONAL_REDIRECT_URLS is a comma-separated list.
pub const URL_VARIABLES: [&str; 4] =
    ["SITE_URL", "API_EXTERNAL_URL", "SUPABASE_PUBLIC_URL", "ADDITIONAL_REDIRECT_URLS"];

/// A URL split into the parts the rules need.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Url<'a> {
    pub scheme: &'a str,
    /// The host without port or credentials, lowercased by the caller when comparing.
    pub host: &'a str,
    /// Everything after the scheme's `://`.
    pub rest: &'a str,
}

impl Url<'_> {
    pub fn is_local(&self) -> bool {
        let host = self.host.to_ascii_lowercase();
        host == "localhost"
            || host.ends_with(".localhost")
            || host.starts_with("127.")
            || host == "[::1]"
            || host == "0.0.0.0"
            || host == "host.docker.internal"
    }
}

/// Reads `scheme://host[:port][/...]`; `None` when there is no scheme or no host.
pub fn parse_url(text: &str) -> Option<Url<'_>> {
    let (scheme, rest) = text.trim().split_once("://")?;
    if scheme.is_empty() || !scheme.chars().all(|c| c.is_ascii_alphanumeric() || "+-.".contains(c)) {
        return None;
    }
    let authority = rest.split(['/', '?', '#']).next().unwrap_or_default();
    let authority = authority.rsplit_once('@').map(|(_, host)| host).unwrap_or(authority);
    let host = if authority.starts_with('[') {
        authority.split_inclusive(']').next().unwrap_or(authority)
    } else {
        authority.split(':').next().unwrap_or(authority)
    };
    (!host.is_empty()).then_some(Url { scheme, host, rest })
}

/// The URLs a variable holds (one, or several for ADDITIONAL_REDIRECT_URLS), trimmed, empties dropped.
pub fn urls_of(variable: &str, value: &str) -> Vec<String> {
    if variable == "ADDITIONAL_REDIRECT_URLS" {
        value.split(',').map(str::trim).filter(|u| !u.is_empty()).map(str::to_owned).collect()
    } else if value.trim().is_empty() {
        Vec::new()
    } else {
        vec![value.trim().to_owned()]
    }
}

/// Which way to convert.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, schemars::JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum Protocol {
    Http,
    Https,
}

impl Protocol {
    pub fn scheme(self) -> &'static str {
        match self {
            Protocol::Http => "http",
            Protocol::Https => "https",
        }
    }
}

/// One rewritten variable.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, schemars::JsonSchema)]
pub struct UrlChange {
    pub variable: String,
    pub before: String,
    pub after: String,
}

/// Rewrites the URL variables of `file` to `to`. Local URLs (localhost, 127.x, ...) are kept unless
/// `include_localhost`. Nothing else in the file changes. Returns the changes made.
pub fn convert_protocols(file: &mut EnvFile, to: Protocol, include_localhost: bool) -> Vec<UrlChange> {
    let from = match to {
        Protocol::Http => "https",
        Protocol::Https => "http",
    };
    let mut changes = Vec::new();
    for variable in URL_VARIABLES {
        let Some(value) = file.get(variable).map(str::to_owned) else {
            continue;
        };
        let rewrite = |url: &str| -> String {
            match parse_url(url) {
                Some(parsed)
                    if parsed.scheme.eq_ignore_ascii_case(from) && (include_localhost || !parsed.is_local()) =>
                {
                    format!("{}://{}", to.scheme(), parsed.rest)
                }
                _ => url.to_owned(),
            }
        };
        let after = if variable == "ADDITIONAL_REDIRECT_URLS" {
            value
                .split(',')
                .map(|part| {
                    let trimmed = part.trim();
                    if trimmed.is_empty() { part.to_owned() } else { part.replacen(trimmed, &rewrite(trimmed), 1) }
                })
                .collect::<Vec<_>>()
                .join(",")
        } else {
            rewrite(&value)
        };
        if after != value && file.set(variable, &after) {
            changes.push(UrlChange { variable: variable.to_owned(), before: value, after });
        }
    }
    changes
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_hosts() {
        let url = parse_url("https://user:pw@Example.com:8443/x?y").unwrap_or_else(|| panic!("no url"));
        assert_eq!((url.scheme, url.host), ("https", "Example.com"));
        assert_eq!(parse_url("http://[::1]:8000").map(|u| u.host), Some("[::1]"));
        assert!(parse_url("http://localhost:3000").is_some_and(|u| u.is_local()));
        assert_eq!(parse_url("example.com"), None);
        assert_eq!(parse_url("http://"), None);
    }

    #[test]
    fn converts_only_url_variables_and_keeps_localhost() {
        let text = "SITE_URL=http://localhost:3000\nAPI_EXTERNAL_URL=http://a.example\n\
                    ADDITIONAL_REDIRECT_URLS=http://a.example/*,http://localhost:3000/*\nOTHER=http://a.example\n";
        let mut file = EnvFile::parse(text).unwrap_or_default();
        let changes = convert_protocols(&mut file, Protocol::Https, false);
        assert_eq!(changes.len(), 2);
        assert_eq!(
            file.to_string(),
            "SITE_URL=http://localhost:3000\nAPI_EXTERNAL_URL=https://a.example\n\
             ADDITIONAL_REDIRECT_URLS=https://a.example/*,http://localhost:3000/*\nOTHER=http://a.example\n"
        );
        let changes = convert_protocols(&mut file, Protocol::Https, true);
        assert_eq!(
            changes.iter().map(|c| c.variable.as_str()).collect::<Vec<_>>(),
            ["SITE_URL", "ADDITIONAL_REDIRECT_URLS"]
        );
        assert_eq!(convert_protocols(&mut file, Protocol::Https, true), vec![]);
    }
}
