//! Function secrets: names and SHA-256 digests, never values. On cloud the Management API gives the digests
//! itself; on a self-hosted stack the secrets live in the functions directory's `.env` (the file self-hosted
//! Studio keeps them in and the functions service reads with `env_file`), changed through the .env rewriter
//! with a timestamped copy of the old file first. Names starting with `SUPABASE_` are reserved.

use crate::failure::Failure;
use crate::secret::Secret;
use crate::supabase::env::EnvFile;
use serde::Serialize;
use sha2::{Digest, Sha256};
use std::path::{Path, PathBuf};

/// A secret as it may be shown.
#[derive(Clone, Debug, Serialize, schemars::JsonSchema)]
pub struct SecretDigest {
    pub name: String,
    /// Hex SHA-256 of the value: compare it with `sha256sum` of a value you hold.
    pub sha256: Option<String>,
    pub updated_at: Option<String>,
}

/// The hex SHA-256 of a value, as the Management API reports secrets.
pub fn digest(value: &str) -> String {
    hex::encode(Sha256::digest(value.as_bytes()))
}

/// A secret name: letters, digits and `_`, not starting with a digit, not `SUPABASE_*`.
pub fn check_name(name: &str) -> Result<(), Failure> {
    let shaped = name.chars().next().is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
        && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_');
    if !shaped {
        return Err(Failure::new(
            format!("'{name}' is not a valid secret name"),
            "names hold letters, digits and _ and do not start with a digit",
            "rename it, e.g. STRIPE_API_KEY",
        ));
    }
    if name.to_ascii_uppercase().starts_with("SUPABASE_") {
        return Err(Failure::new(
            format!("'{name}' is reserved"),
            "names starting with SUPABASE_ are set by Supabase itself in every function",
            "choose another name",
        ));
    }
    Ok(())
}

/// The secrets file of a functions directory.
pub fn env_path(functions_dir: &Path) -> PathBuf {
    functions_dir.join(".env")
}

fn read(path: &Path) -> Result<EnvFile, Failure> {
    if path.exists() { crate::supabase::env::read_file(path) } else { crate::supabase::env::parse_text("", "") }
}

/// Names and digests of the secrets in a functions directory's `.env`.
pub fn list_file(functions_dir: &Path) -> Result<Vec<SecretDigest>, Failure> {
    let file = read(&env_path(functions_dir))?;
    let mut found: Vec<SecretDigest> = Vec::new();
    for entry in file.entries() {
        found.retain(|s| s.name != entry.key);
        found.push(SecretDigest { name: entry.key.clone(), sha256: Some(digest(&entry.value)), updated_at: None });
    }
    found.sort_by(|a, b| a.name.cmp(&b.name));
    Ok(found)
}

/// Sets and unsets secrets in the functions directory's `.env`; returns the copy of the old file.
pub fn change_file(
    functions_dir: &Path,
    set: &[(String, Secret)],
    unset: &[String],
) -> Result<Option<PathBuf>, Failure> {
    let path = env_path(functions_dir);
    let mut file = read(&path)?;
    let mut changed = false;
    for (name, value) in set {
        changed |= file.set(name, value.expose());
    }
    for name in unset {
        changed |= file.unset(name);
    }
    if !changed {
        return Ok(None);
    }
    crate::supabase::env::backup_and_write(&path, &file.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_and_digests() {
        assert!(check_name("STRIPE_KEY").is_ok());
        assert!(check_name("SUPABASE_URL").is_err());
        assert!(check_name("1X").is_err());
        assert!(check_name("A-B").is_err());
        assert_eq!(digest("abc"), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
    }

    #[test]
    fn the_env_file_keeps_values_and_a_copy() {
        let dir = tempfile::tempdir().unwrap();
        assert!(list_file(dir.path()).unwrap().is_empty());
        let none = change_file(dir.path(), &[("A".into(), Secret::new("one"))], &[]).unwrap();
        assert!(none.is_none(), "a new file has nothing to copy");
        let copy = change_file(dir.path(), &[("B".into(), Secret::new("two"))], &["A".into()]).unwrap();
        assert!(copy.unwrap().exists());
        let listed = list_file(dir.path()).unwrap();
        assert_eq!(listed.len(), 1);
        assert_eq!(listed[0].sha256.as_deref(), Some(digest("two").as_str()));
    }
}
