//! SQL identifier quoting: the one place that turns a name (database, role, schema) into SQL text.
//! Values never go through here; they are bind parameters.

/// Quotes `name` as a PostgreSQL identifier: wrapped in double quotes, inner double quotes doubled.
pub fn quote_ident(name: &str) -> String {
    let mut out = String::with_capacity(name.len() + 2);
    out.push('"');
    for c in name.chars() {
        if c == '"' {
            out.push('"');
        }
        out.push(c);
    }
    out.push('"');
    out
}

#[cfg(test)]
mod tests {
    use super::quote_ident;

    #[test]
    fn plain_names_are_wrapped() {
        assert_eq!(quote_ident("postgres"), "\"postgres\"");
        assert_eq!(quote_ident("Mixed Case"), "\"Mixed Case\"");
    }

    #[test]
    fn double_quotes_are_doubled() {
        assert_eq!(quote_ident("a\"b"), "\"a\"\"b\"");
        assert_eq!(quote_ident("\"; drop table x; --"), "\"\"\"; drop table x; --\"");
    }
}
