//! The ranges of the timeouts a caller passes (execute_sql's timeout_ms, the migration tools' statement and lock
//! timeouts, the configured statement timeout): PostgreSQL reads statement_timeout and lock_timeout as a 32-bit
//! count of milliseconds and takes 0 as "no timeout", which a caller's value must never turn on by accident.
//! Values are checked before anything reaches the server, and the error names the parameter and the range.

use crate::failure::Failure;
use std::time::Duration;

/// The largest statement_timeout / lock_timeout PostgreSQL accepts (INT_MAX milliseconds, about 24.8 days).
pub const MAX_PG_TIMEOUT_MS: u64 = i32::MAX as u64;

/// The largest time limit of one HTTP probe (10 minutes).
pub const MAX_HTTP_TIMEOUT_MS: u64 = 600_000;

/// `ms` as a duration when it lies in 1 ..= `max`; otherwise a failure naming `param` and the range.
pub fn milliseconds(param: &str, ms: u64, max: u64) -> Result<Duration, Failure> {
    if (1..=max).contains(&ms) {
        return Ok(Duration::from_millis(ms));
    }
    let why = if ms == 0 {
        "0 would switch the time limit off".to_owned()
    } else {
        format!("{ms} ms is more than the largest accepted value")
    };
    Err(Failure::new(
        format!("{param} = {ms} is out of range"),
        why,
        format!("pass {param} from 1 to {max} (milliseconds)"),
    ))
}

/// A PostgreSQL statement or lock timeout (`param` names the argument in the error).
pub fn pg_timeout(param: &str, ms: u64) -> Result<Duration, Failure> {
    milliseconds(param, ms, MAX_PG_TIMEOUT_MS)
}

/// A PostgreSQL timeout the caller may leave out: `default` then.
pub fn pg_timeout_or(param: &str, ms: Option<u64>, default: Duration) -> Result<Duration, Failure> {
    ms.map_or(Ok(default), |ms| pg_timeout(param, ms))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn timeouts_outside_the_range_are_refused_with_the_range() {
        assert_eq!(pg_timeout("timeout_ms", 1).ok(), Some(Duration::from_millis(1)));
        assert_eq!(pg_timeout("timeout_ms", MAX_PG_TIMEOUT_MS).ok(), Some(Duration::from_millis(MAX_PG_TIMEOUT_MS)));
        for ms in [0, MAX_PG_TIMEOUT_MS + 1, u64::MAX] {
            let failure = pg_timeout("timeout_ms", ms).err().map(|f| f.text()).unwrap_or_default();
            assert!(failure.contains("timeout_ms") && failure.contains("1 to 2147483647"), "{failure}");
        }
        assert_eq!(pg_timeout_or("timeout_ms", None, Duration::from_secs(30)).ok(), Some(Duration::from_secs(30)));
        assert!(milliseconds("api_timeout_ms", 600_001, MAX_HTTP_TIMEOUT_MS).is_err());
    }
}
