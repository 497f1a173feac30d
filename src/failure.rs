//! `Failure`: the error every domain layer hands to the tools when a user can act on it: what failed,
//! why, and the fix. Tools render it as the error text of a tool result.

use std::fmt;

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Failure {
    pub what: String,
    pub why: String,
    pub fix: String,
}

impl Failure {
    pub fn new(what: impl Into<String>, why: impl Into<String>, fix: impl Into<String>) -> Self {
        Failure { what: what.into(), why: why.into(), fix: fix.into() }
    }

    pub fn text(&self) -> String {
        format!("{}: {}. Fix: {}", self.what, self.why, self.fix)
    }
}

impl fmt::Display for Failure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.text())
    }
}

impl std::error::Error for Failure {}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_has_what_why_fix() {
        let failure = Failure::new("connection refused", "nothing listens on db:5432", "start the database");
        assert_eq!(failure.text(), "connection refused: nothing listens on db:5432. Fix: start the database");
    }
}
