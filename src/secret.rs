//! `Secret`: the one wrapper for passwords, keys and tokens. Its `Debug` and `Display` redact, so a secret
//! cannot reach a log line or a tool reply by accident; `expose()` is the only way to the value.

use serde::{Deserialize, Deserializer};
use std::fmt;

/// A secret string. Printing it shows `[redacted]`; read it with [`Secret::expose`].
#[derive(Clone, PartialEq, Eq)]
pub struct Secret(String);

impl Secret {
    pub fn new(value: impl Into<String>) -> Self {
        Secret(value.into())
    }

    /// The secret value itself. Call this only where the value is sent to the service that needs it.
    pub fn expose(&self) -> &str {
        &self.0
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Secret([redacted])")
    }
}

impl fmt::Display for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("[redacted]")
    }
}

impl<'de> Deserialize<'de> for Secret {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        String::deserialize(deserializer).map(Secret)
    }
}

impl From<String> for Secret {
    fn from(value: String) -> Self {
        Secret(value)
    }
}

impl From<&str> for Secret {
    fn from(value: &str) -> Self {
        Secret(value.to_owned())
    }
}

/// Shows the first and last characters of a long secret and hides the rest, so a user can tell which
/// key is meant without the key being revealed: `eyJh…Xk2Q (208 chars)`. Short secrets are hidden whole.
pub fn redact_hint(value: &str) -> String {
    let count = value.chars().count();
    if count < 24 {
        return format!("[redacted, {count} chars]");
    }
    let head: String = value.chars().take(4).collect();
    let tail: String = value.chars().skip(count - 4).collect();
    format!("{head}…{tail} ({count} chars)")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_and_display_never_show_the_value() {
        let secret = Secret::new("hunter2-very-secret");
        assert_eq!(format!("{secret:?}"), "Secret([redacted])");
        assert_eq!(format!("{secret}"), "[redacted]");
        assert_eq!(secret.expose(), "hunter2-very-secret");
    }

    #[test]
    fn redact_hint_hides_short_values_whole() {
        assert_eq!(redact_hint("short"), "[redacted, 5 chars]");
        let long = "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9xyz1";
        assert_eq!(redact_hint(long), "eyJh…xyz1 (40 chars)");
    }
}
