//! Backup keys: `SUPAMCP_BACKUP_KEY` (or a per-call key) is 64 hex characters or the base64 of 32 bytes (a raw
//! AES-256 key), or else a passphrase stretched by Argon2id with the archive's salt. Each archive is sealed with
//! its own subkey, SHA-256 over the key and the archive's random salt, so GCM nonces never repeat under one key.
//! The key id is a short, non-secret fingerprint that tells which key a backup needs.

use crate::failure::Failure;
use crate::secret::Secret;
use base64::Engine;
use sha2::{Digest, Sha256};

/// How the archive key was derived from the configured value (stored in the archive header).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum KeyKind {
    Raw = 0,
    Passphrase = 1,
}

/// A configured backup key.
#[derive(Clone)]
pub struct BackupKey {
    kind: KeyKind,
    /// The raw key, or the passphrase bytes.
    material: Vec<u8>,
}

impl std::fmt::Debug for BackupKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "BackupKey({:?}, [redacted])", self.kind)
    }
}

/// Salt of the Argon2id run that only computes a passphrase's key id (never used to encrypt).
const KEY_ID_SALT: &[u8; 16] = b"supamcp-key-id-1";
const MIN_PASSPHRASE_CHARS: usize = 12;

impl BackupKey {
    /// Parses a configured key: 64 hex characters, base64 of 32 bytes, or a passphrase of 12+ characters.
    pub fn parse(value: &Secret) -> Result<BackupKey, Failure> {
        let text = value.expose().trim();
        if text.len() == 64
            && let Ok(bytes) = hex::decode(text)
        {
            return Ok(BackupKey { kind: KeyKind::Raw, material: bytes });
        }
        if let Ok(bytes) = base64::engine::general_purpose::STANDARD.decode(text)
            && bytes.len() == 32
        {
            return Ok(BackupKey { kind: KeyKind::Raw, material: bytes });
        }
        if text.chars().count() < MIN_PASSPHRASE_CHARS {
            return Err(Failure::new(
                "the backup key is too short",
                format!(
                    "it is neither a 32-byte key (64 hex characters or base64) nor a passphrase of {MIN_PASSPHRASE_CHARS}+ characters"
                ),
                "generate a key with `openssl rand -hex 32` and set SUPAMCP_BACKUP_KEY to it",
            ));
        }
        Ok(BackupKey { kind: KeyKind::Passphrase, material: text.as_bytes().to_vec() })
    }

    pub fn kind(&self) -> KeyKind {
        self.kind
    }

    /// The 32-byte key of this configured value for `salt` (raw keys ignore the salt here).
    fn base_key(&self, salt: &[u8; 16]) -> Result<[u8; 32], Failure> {
        match self.kind {
            KeyKind::Raw => {
                let mut key = [0u8; 32];
                key.copy_from_slice(&self.material);
                Ok(key)
            }
            KeyKind::Passphrase => {
                let mut key = [0u8; 32];
                argon2::Argon2::default().hash_password_into(&self.material, salt, &mut key).map_err(|e| {
                    Failure::new("cannot derive the key from the passphrase", e.to_string(), "use a raw 32-byte key")
                })?;
                Ok(key)
            }
        }
    }

    /// The subkey that seals the archive with this `salt`.
    pub fn archive_key(&self, salt: &[u8; 16]) -> Result<[u8; 32], Failure> {
        let base = self.base_key(salt)?;
        let mut hasher = Sha256::new();
        hasher.update(b"supamcp backup archive key v1");
        hasher.update(base);
        hasher.update(salt);
        Ok(hasher.finalize().into())
    }

    /// A 16-hex-character fingerprint naming this key; it reveals nothing usable about the key.
    pub fn id(&self) -> Result<String, Failure> {
        let base = self.base_key(KEY_ID_SALT)?;
        let mut hasher = Sha256::new();
        hasher.update(b"supamcp backup key id v1");
        hasher.update(base);
        Ok(hex::encode(&hasher.finalize()[..8]))
    }
}

/// The failure for an encrypted operation without a key.
pub fn missing_key(action: &str) -> Failure {
    Failure::new(
        format!("{action} needs a backup key"),
        "no key is configured: SUPAMCP_BACKUP_KEY is unset and the call gave no `key`",
        "set SUPAMCP_BACKUP_KEY to 64 hex characters (`openssl rand -hex 32`) or a long passphrase, or pass `key`; \
         for an unencrypted backup pass encrypt: false",
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hex_base64_and_passphrases_are_told_apart() {
        let hex_key = BackupKey::parse(&Secret::new("11".repeat(32))).unwrap();
        assert_eq!(hex_key.kind(), KeyKind::Raw);
        let b64 = base64::engine::general_purpose::STANDARD.encode([0x11u8; 32]);
        let b64_key = BackupKey::parse(&Secret::new(b64)).unwrap();
        assert_eq!(b64_key.id().unwrap(), hex_key.id().unwrap(), "the same 32 bytes give the same id");
        let pass = BackupKey::parse(&Secret::new("correct horse battery staple")).unwrap();
        assert_eq!(pass.kind(), KeyKind::Passphrase);
        assert_ne!(pass.id().unwrap(), hex_key.id().unwrap());
        assert!(BackupKey::parse(&Secret::new("short")).is_err());
    }

    #[test]
    fn archive_keys_differ_per_salt_and_ids_are_stable() {
        let key = BackupKey::parse(&Secret::new("ab".repeat(32))).unwrap();
        assert_ne!(key.archive_key(&[1; 16]).unwrap(), key.archive_key(&[2; 16]).unwrap());
        assert_eq!(key.id().unwrap(), key.id().unwrap());
        assert_eq!(key.id().unwrap().len(), 16);
        assert!(!format!("{key:?}").contains("abab"));
    }
}
