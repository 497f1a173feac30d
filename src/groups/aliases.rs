//! Parameters that go by two names: supamcp's and the official Supabase MCP server's (`sql` and `query` on
//! execute_sql, ...). A call gives one of them; both or neither is a clear error.

use crate::failure::Failure;

/// The value of whichever of the two parameters the call gave.
pub fn one_of<T>(name: &str, value: Option<T>, alias: &str, alias_value: Option<T>) -> Result<T, Failure> {
    match (value, alias_value) {
        (Some(value), None) | (None, Some(value)) => Ok(value),
        (None, None) => Err(Failure::new(
            format!("{name} is missing"),
            format!("the call gave neither {name} nor {alias}"),
            format!("pass {name} (or {alias}, the same parameter under the official Supabase server's name)"),
        )),
        (Some(_), Some(_)) => Err(Failure::new(
            format!("both {name} and {alias} were given"),
            format!("{alias} is another name for {name}"),
            format!("pass only {name}"),
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::one_of;

    #[test]
    fn exactly_one_of_the_two_names_is_accepted() {
        assert_eq!(one_of("sql", Some(1), "query", None).ok(), Some(1));
        assert_eq!(one_of("sql", None, "query", Some(2)).ok(), Some(2));
        let neither = one_of::<u8>("sql", None, "query", None).err().map(|f| f.to_string()).unwrap_or_default();
        assert!(neither.contains("sql is missing"), "{neither}");
        let both = one_of("sql", Some(1), "query", Some(2)).err().map(|f| f.to_string()).unwrap_or_default();
        assert!(both.contains("both sql and query"), "{both}");
    }
}
