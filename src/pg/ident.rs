//! The one place identifiers are quoted for SQL text. Values never go through here: they are parameters.

/// Quotes an identifier: `my "table"` becomes `"my ""table"""`.
pub fn quote_ident(name: &str) -> String {
    format!("\"{}\"", name.replace('"', "\"\""))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quotes_and_escapes() {
        assert_eq!(quote_ident("users"), "\"users\"");
        assert_eq!(quote_ident("a\"; drop table x; --"), "\"a\"\"; drop table x; --\"");
    }
}
