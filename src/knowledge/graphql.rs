//! What a Content API GraphQL query asks, read without a schema: the arguments of `searchDocs(query, limit)`
//! and `error(code, service)`, and every string literal as a last resort. Used offline, where the query is
//! answered from the local base instead of being sent.

/// The search terms of a GraphQL query.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Terms {
    /// `searchDocs(query: ...)`.
    pub search: Option<String>,
    /// `searchDocs(limit: ...)`.
    pub limit: Option<usize>,
    /// `error(code: ...)` or `errors(code: ...)`.
    pub error_code: Option<String>,
    /// `error(service: ...)`: AUTH, REALTIME or STORAGE.
    pub service: Option<String>,
    /// Every string literal in the query.
    pub strings: Vec<String>,
}

impl Terms {
    /// The text to search the local base for: the search, else the error code, else the strings.
    pub fn text(&self) -> Option<String> {
        self.search.clone().or_else(|| self.error_code.clone()).or_else(|| {
            let joined = self.strings.join(" ");
            (!joined.trim().is_empty()).then_some(joined)
        })
    }
}

#[derive(Debug, PartialEq)]
enum Token {
    Name(String),
    Str(String),
    Punct(char),
    Other(String),
}

fn tokens(query: &str) -> Vec<Token> {
    let chars: Vec<char> = query.chars().collect();
    let mut out = Vec::new();
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        if c == '#' {
            while i < chars.len() && chars[i] != '\n' {
                i += 1;
            }
        } else if c.is_whitespace() || c == ',' {
            i += 1;
        } else if c == '"' {
            let block = chars.get(i + 1) == Some(&'"') && chars.get(i + 2) == Some(&'"');
            let mut text = String::new();
            i += if block { 3 } else { 1 };
            while i < chars.len() {
                if block && chars[i] == '"' && chars.get(i + 1) == Some(&'"') && chars.get(i + 2) == Some(&'"') {
                    i += 3;
                    break;
                }
                if !block && chars[i] == '"' {
                    i += 1;
                    break;
                }
                if chars[i] == '\\' && i + 1 < chars.len() {
                    i += 1;
                    text.push(match chars[i] {
                        'n' => '\n',
                        't' => '\t',
                        other => other,
                    });
                } else {
                    text.push(chars[i]);
                }
                i += 1;
            }
            out.push(Token::Str(text));
        } else if c.is_alphabetic() || c == '_' {
            let start = i;
            while i < chars.len() && (chars[i].is_alphanumeric() || chars[i] == '_') {
                i += 1;
            }
            out.push(Token::Name(chars[start..i].iter().collect()));
        } else if "(){}:[]!=@$".contains(c) {
            out.push(Token::Punct(c));
            i += 1;
        } else {
            let start = i;
            while i < chars.len() && !(chars[i].is_whitespace() || "(){}:[]!=@$,\"".contains(chars[i])) {
                i += 1;
            }
            i = i.max(start + 1);
            out.push(Token::Other(chars[start..i].iter().collect()));
        }
    }
    out
}

/// Reads the terms of `query`.
pub fn terms(query: &str) -> Terms {
    let tokens = tokens(query);
    let mut terms = Terms {
        strings: tokens.iter().filter_map(|t| if let Token::Str(s) = t { Some(s.clone()) } else { None }).collect(),
        ..Terms::default()
    };
    for (i, token) in tokens.iter().enumerate() {
        let Token::Name(field) = token else { continue };
        if tokens.get(i + 1) != Some(&Token::Punct('(')) {
            continue;
        }
        let mut j = i + 2;
        while j < tokens.len() && tokens[j] != Token::Punct(')') {
            match (tokens.get(j), tokens.get(j + 1), tokens.get(j + 2)) {
                (Some(Token::Name(arg)), Some(Token::Punct(':')), Some(value)) => {
                    let text = match value {
                        Token::Str(s) | Token::Name(s) | Token::Other(s) => Some(s.clone()),
                        Token::Punct(_) => None,
                    };
                    match (field.as_str(), arg.as_str(), text) {
                        ("searchDocs", "query", Some(v)) => terms.search = Some(v),
                        ("searchDocs", "limit", Some(v)) => terms.limit = v.parse().ok(),
                        ("error" | "errors", "code", Some(v)) => terms.error_code = Some(v),
                        ("error" | "errors", "service", Some(v)) => terms.service = Some(v),
                        _ => {}
                    }
                    j += 3;
                }
                _ => j += 1,
            }
        }
    }
    terms
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn search_docs_arguments() {
        let t = terms(
            r#"{ searchDocs(query: "row level \"security\"", limit: 3) { nodes { title href ... on Guide { subsections { nodes { title } } } } } }"#,
        );
        assert_eq!(t.search.as_deref(), Some("row level \"security\""));
        assert_eq!(t.limit, Some(3));
        assert_eq!(t.text().as_deref(), Some("row level \"security\""));
    }

    #[test]
    fn error_lookup_and_fallback_strings() {
        let t = terms(r#"query { error(code: "bad_jwt", service: AUTH) { code message httpStatusCode } }"#);
        assert_eq!((t.error_code.as_deref(), t.service.as_deref()), (Some("bad_jwt"), Some("AUTH")));
        let other = terms(
            r#"# comment "ignored"
            query Q { something(x: """block text""") { a } }"#,
        );
        assert_eq!(other.text().as_deref(), Some("block text"));
        assert_eq!(terms("{ schema }").text(), None);
    }
}
