//! The one place identifiers are quoted for SQL text. Values never go through here: they are parameters.

/// Quotes an identifier: `my "table"` becomes `"my ""table"""`.
pub fn quote_ident(name: &str) -> String {
    format!("\"{}\"", name.replace('"', "\"\""))
}

/// Quotes a string literal for the few statements that take no parameters (SET TRANSACTION SNAPSHOT).
pub fn quote_literal(value: &str) -> String {
    format!("'{}'", value.replace('\'', "''"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quotes_and_escapes() {
        assert_eq!(quote_ident("users"), "\"users\"");
        assert_eq!(quote_ident("a\"; drop table x; --"), "\"a\"\"; drop table x; --\"");
        assert_eq!(quote_literal("it's"), "'it''s'");
    }
}
