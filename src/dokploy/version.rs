//! The Dokploy version and what it decides: the project → environment → compose hierarchy from v0.25.0,
//! the plain project → compose shape before it, and which procedures exist. An unknown or unparsable
//! version is a warning, never an error: the client then assumes the newest shape it knows.

use serde::Serialize;
use std::fmt;

/// The newest Dokploy version the client was written against.
pub const NEWEST_KNOWN: Version = Version { major: 0, minor: 30, patch: 2 };
/// The oldest version whose API shapes the client knows.
pub const OLDEST_KNOWN: Version = Version { major: 0, minor: 20, patch: 0 };

/// A Dokploy release, as `settings.getDokployVersion` reports it (`"v0.30.2"`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, schemars::JsonSchema)]
pub struct Version {
    pub major: u32,
    pub minor: u32,
    pub patch: u32,
}

impl Version {
    pub const fn new(major: u32, minor: u32, patch: u32) -> Version {
        Version { major, minor, patch }
    }

    /// Parses `v0.30.2`, `0.30.2`, `v0.30.2-canary.3` (the suffix is ignored) and `v0.30`.
    pub fn parse(text: &str) -> Option<Version> {
        let trimmed = text.trim().trim_matches('"');
        let bare = trimmed.strip_prefix('v').unwrap_or(trimmed);
        let core = bare.split(['-', '+']).next()?;
        let mut parts = core.split('.');
        let major = parts.next()?.parse().ok()?;
        let minor = parts.next()?.parse().ok()?;
        let patch = match parts.next() {
            Some(part) => part.parse().ok()?,
            None => 0,
        };
        Some(Version { major, minor, patch })
    }

    /// Services live in environments (v0.25.0+); before, `compose.create` took a `projectId`.
    pub fn has_environments(self) -> bool {
        self >= Version::new(0, 25, 0)
    }

    /// `compose.saveEnvironment` exists (v0.29.0+); before, the env goes through `compose.update`.
    pub fn has_save_environment(self) -> bool {
        self >= Version::new(0, 29, 0)
    }

    /// `compose.readLogs` (container logs over REST) exists (v0.29.0+).
    pub fn has_compose_read_logs(self) -> bool {
        self >= Version::new(0, 29, 0)
    }

    /// `deployment.readLogs` exists (v0.29.6+).
    pub fn has_deployment_read_logs(self) -> bool {
        self >= Version::new(0, 29, 6)
    }

    /// The template's `${jwt:secret:payload}` helper makes role-less, identical keys before v0.25.6.
    pub fn template_keys_are_broken(self) -> bool {
        self < Version::new(0, 25, 6)
    }
}

impl fmt::Display for Version {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "v{}.{}.{}", self.major, self.minor, self.patch)
    }
}

/// What the client concluded from the reported version.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, schemars::JsonSchema)]
pub struct VersionInfo {
    /// The version text as Dokploy reported it.
    pub reported: String,
    /// The version the client acts on (the newest known one when the report was unparsable).
    pub version: Version,
    /// True when the API has environments (v0.25.0+).
    pub environments: bool,
    /// Set when the version is outside what the client was written against.
    pub warning: Option<String>,
}

impl VersionInfo {
    pub fn from_reported(reported: &str) -> VersionInfo {
        let parsed = Version::parse(reported);
        let version = parsed.unwrap_or(NEWEST_KNOWN);
        let warning = match parsed {
            None => Some(format!(
                "Dokploy reported version {reported:?}, which is not a version number; assuming the {NEWEST_KNOWN} API"
            )),
            Some(v) if v > NEWEST_KNOWN && (v.major, v.minor) != (NEWEST_KNOWN.major, NEWEST_KNOWN.minor) => {
                Some(format!(
                    "Dokploy {v} is newer than the newest version supamcp knows ({NEWEST_KNOWN}); calls use the {NEWEST_KNOWN} API"
                ))
            }
            Some(v) if v < OLDEST_KNOWN => Some(format!(
                "Dokploy {v} is older than the oldest version supamcp knows ({OLDEST_KNOWN}); calls use the pre-0.25 API and may fail: upgrade Dokploy"
            )),
            Some(_) => None,
        };
        VersionInfo { reported: reported.to_owned(), version, environments: version.has_environments(), warning }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_the_reported_forms() {
        assert_eq!(Version::parse("v0.30.2"), Some(Version::new(0, 30, 2)));
        assert_eq!(Version::parse("\"v0.25.0-canary.1\""), Some(Version::new(0, 25, 0)));
        assert_eq!(Version::parse("0.24"), Some(Version::new(0, 24, 0)));
        assert_eq!(Version::parse("canary"), None);
    }

    #[test]
    fn environments_start_at_0_25() {
        assert!(!Version::new(0, 24, 9).has_environments());
        assert!(Version::new(0, 25, 0).has_environments());
        assert!(Version::new(0, 25, 5).template_keys_are_broken());
        assert!(!Version::new(0, 25, 6).template_keys_are_broken());
    }

    #[test]
    fn unknown_versions_warn_instead_of_failing() {
        assert_eq!(VersionInfo::from_reported("v0.30.9").warning, None);
        let newer = VersionInfo::from_reported("v0.31.0");
        assert!(newer.warning.is_some_and(|w| w.contains("newer")));
        let garbage = VersionInfo::from_reported("dev");
        assert!(garbage.environments);
        assert!(garbage.warning.is_some());
        let old = VersionInfo::from_reported("v0.19.0");
        assert!(!old.environments && old.warning.is_some());
    }
}
