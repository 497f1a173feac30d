//! Project and container-prefix names: Dokploy app names and compose project names become container,
//! network and volume names, so they must start with a lowercase letter, use only `[a-z0-9-]`, be at most
//! 32 characters and avoid names the host already uses. Includes a sanitiser that makes any text valid.

use serde::Serialize;

pub const MAX_PROJECT_NAME: usize = 32;

/// Names that clash with Dokploy's own services or Docker's built-in networks.
pub const RESERVED_NAMES: &[&str] = &[
    "dokploy",
    "dokploy-postgres",
    "dokploy-redis",
    "dokploy-traefik",
    "traefik",
    "docker",
    "bridge",
    "host",
    "none",
    "default",
    "ingress",
];

/// Why a name is invalid; empty when it is valid.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, schemars::JsonSchema)]
pub struct NameCheck {
    pub name: String,
    pub valid: bool,
    pub problems: Vec<String>,
    /// A valid name close to the input.
    pub suggestion: String,
}

/// Checks `name` against the rules.
pub fn check_project_name(name: &str) -> NameCheck {
    let mut problems = Vec::new();
    if name.is_empty() {
        problems.push("the name is empty".to_owned());
    }
    if !name.starts_with(|c: char| c.is_ascii_lowercase()) && !name.is_empty() {
        problems.push("it must start with a lowercase letter (a-z)".to_owned());
    }
    let bad: String = {
        let mut seen: Vec<char> =
            name.chars().filter(|c| !(c.is_ascii_lowercase() || c.is_ascii_digit() || *c == '-')).collect();
        seen.dedup();
        seen.into_iter().collect()
    };
    if !bad.is_empty() {
        problems.push(format!("it may contain only a-z, 0-9 and '-'; found {bad:?}"));
    }
    let length = name.chars().count();
    if length > MAX_PROJECT_NAME {
        problems.push(format!("it has {length} characters; at most {MAX_PROJECT_NAME} are allowed"));
    }
    if RESERVED_NAMES.contains(&name) {
        problems.push(format!("'{name}' is reserved (Dokploy's own services or a Docker network)"));
    }
    NameCheck { name: name.to_owned(), valid: problems.is_empty(), problems, suggestion: sanitize_project_name(name) }
}

/// Turns any text into a valid project name: lowercases, maps other characters to '-', collapses and
/// trims dashes, prefixes a letter when needed, cuts to 32 characters and avoids reserved names.
pub fn sanitize_project_name(raw: &str) -> String {
    let mut name = String::with_capacity(raw.len());
    for c in raw.chars().flat_map(char::to_lowercase) {
        let mapped = if c.is_ascii_lowercase() || c.is_ascii_digit() { c } else { '-' };
        if !(mapped == '-' && (name.is_empty() || name.ends_with('-'))) {
            name.push(mapped);
        }
    }
    if !name.starts_with(|c: char| c.is_ascii_lowercase()) {
        name.insert_str(0, if name.is_empty() { "supabase" } else { "app-" });
    }
    name.truncate(MAX_PROJECT_NAME);
    while name.ends_with('-') {
        name.pop();
    }
    if RESERVED_NAMES.contains(&name.as_str()) {
        name.truncate(MAX_PROJECT_NAME - 4);
        name.push_str("-app");
    }
    name
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn rules_and_suggestions() {
        assert!(check_project_name("supabase-prod-1").valid);
        let check = check_project_name("My Supabase_App");
        assert!(!check.valid);
        assert_eq!(check.problems.len(), 2, "{:?}", check.problems);
        assert_eq!(check.suggestion, "my-supabase-app");
        assert_eq!(sanitize_project_name("1st"), "app-1st");
        assert_eq!(sanitize_project_name("--"), "supabase");
        assert_eq!(sanitize_project_name("Dokploy"), "dokploy-app");
        assert!(!check_project_name("traefik").valid);
        assert!(!check_project_name(&"a".repeat(33)).valid);
    }

    proptest! {
        #[test]
        fn sanitised_names_are_always_valid(raw in "\\PC{0,60}") {
            let name = sanitize_project_name(&raw);
            prop_assert!(check_project_name(&name).valid, "{raw:?} -> {name:?}");
        }
    }
}
