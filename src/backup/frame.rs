//! The encrypted archive format: a header, then AES-256-GCM frames of at most 1 MiB of plaintext each.
//!
//! Header (35 bytes): magic `SUPAMCPB`, format version (1), key kind (0 raw key, 1 Argon2id passphrase),
//! compression (0 none, 1 zstd, 2 gzip), a random 16-byte salt and an 8-byte key check (a hash of the archive key,
//! so a wrong key is told apart from a damaged archive). Frame: length of the ciphertext (u32, big endian), a
//! final-frame flag byte, then ciphertext and its 16-byte tag. The nonce is the frame's index (u64) and the
//! final flag, and the header is the associated data of every frame, so a frame moved, dropped, repeated or
//! flipped to or from final fails authentication, a stream ending before its final frame is truncated, and
//! bytes after the final frame are refused.

use super::compress::Compression;
use super::key::{BackupKey, KeyKind};
use crate::failure::Failure;
use aes_gcm::aead::{AeadInPlace, KeyInit};
use aes_gcm::{Aes256Gcm, Nonce, Tag};
use sha2::{Digest, Sha256};
use std::io::{self, Read, Write};

pub const MAGIC: &[u8; 8] = b"SUPAMCPB";
pub const VERSION: u8 = 1;
pub const HEADER_LEN: usize = 35;
pub const CHUNK: usize = 1 << 20;
const TAG_LEN: usize = 16;

/// An io::Error carrying a [`Failure`], so the failure survives the Read/Write plumbing.
pub fn io_failure(failure: Failure) -> io::Error {
    io::Error::new(io::ErrorKind::InvalidData, failure)
}

/// The [`Failure`] inside an io::Error, or one describing it.
pub fn failure_of(error: io::Error, what: &str) -> Failure {
    match error.get_ref().and_then(|inner| inner.downcast_ref::<Failure>()) {
        Some(failure) => failure.clone(),
        None if error.raw_os_error() == Some(libc::EFBIG) => Failure::new(
            what.to_owned(),
            format!("{error} (EFBIG)"),
            "the file-size limit (ulimit -f / RLIMIT_FSIZE) of this process is too low: raise or remove it where \
             supamcp is started",
        ),
        None => Failure::new(what.to_owned(), error.to_string(), "check the disk and the archive, then retry"),
    }
}

fn damaged(why: &str) -> Failure {
    Failure::new(
        "the backup archive does not authenticate",
        why.to_owned(),
        "the archive was changed, truncated or damaged after it was written: restore another backup",
    )
}

fn key_check(key: &[u8; 32]) -> [u8; 8] {
    let digest = Sha256::new().chain_update(b"supamcp key check").chain_update(key).finalize();
    let mut check = [0u8; 8];
    check.copy_from_slice(&digest[..8]);
    check
}

fn nonce(index: u64, last: bool) -> [u8; 12] {
    let mut nonce = [0u8; 12];
    nonce[..8].copy_from_slice(&index.to_be_bytes());
    nonce[11] = u8::from(last);
    nonce
}

fn cipher(key: &[u8; 32]) -> Result<Aes256Gcm, Failure> {
    Aes256Gcm::new_from_slice(key).map_err(|_| Failure::new("bad key length", "AES-256 needs 32 bytes", "report this"))
}

/// Encrypts what is written to it into frames written to `inner`. Call [`Sealer::finish`] to write the final frame.
pub struct Sealer<W: Write> {
    inner: W,
    cipher: Aes256Gcm,
    header: [u8; HEADER_LEN],
    index: u64,
    buffer: Vec<u8>,
}

impl<W: Write> Sealer<W> {
    /// Writes the header for `key` and `compression` to `inner`.
    pub fn new(mut inner: W, key: &BackupKey, compression: Compression) -> Result<Self, Failure> {
        let salt: [u8; 16] = rand::random();
        let archive_key = key.archive_key(&salt)?;
        let mut header = [0u8; HEADER_LEN];
        header[..8].copy_from_slice(MAGIC);
        header[8] = VERSION;
        header[9] = key.kind() as u8;
        header[10] = compression.code();
        header[11..27].copy_from_slice(&salt);
        header[27..35].copy_from_slice(&key_check(&archive_key));
        inner.write_all(&header).map_err(|e| failure_of(e, "cannot write the archive"))?;
        Ok(Sealer { inner, cipher: cipher(&archive_key)?, header, index: 0, buffer: Vec::with_capacity(CHUNK) })
    }

    fn seal(&mut self, last: bool) -> io::Result<()> {
        let nonce = nonce(self.index, last);
        let tag = self
            .cipher
            .encrypt_in_place_detached(Nonce::from_slice(&nonce), &self.header, &mut self.buffer)
            .map_err(|_| io::Error::other("encryption failed"))?;
        let length = u32::try_from(self.buffer.len() + TAG_LEN).map_err(io::Error::other)?;
        self.inner.write_all(&length.to_be_bytes())?;
        self.inner.write_all(&[u8::from(last)])?;
        self.inner.write_all(&self.buffer)?;
        self.inner.write_all(tag.as_slice())?;
        self.buffer.clear();
        self.index += 1;
        Ok(())
    }

    /// Seals what is buffered as the final frame and hands back the inner writer.
    pub fn finish(mut self) -> io::Result<W> {
        self.seal(true)?;
        self.inner.flush()?;
        Ok(self.inner)
    }
}

impl<W: Write> Write for Sealer<W> {
    fn write(&mut self, data: &[u8]) -> io::Result<usize> {
        if self.buffer.len() == CHUNK {
            self.seal(false)?;
        }
        let take = data.len().min(CHUNK - self.buffer.len());
        self.buffer.extend_from_slice(&data[..take]);
        Ok(take)
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

/// What an archive header says.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Header {
    pub key_kind: KeyKind,
    pub compression: Compression,
}

/// Decrypts and authenticates an archive read from `inner`.
pub struct Opener<R: Read> {
    inner: R,
    cipher: Aes256Gcm,
    header: [u8; HEADER_LEN],
    pub info: Header,
    index: u64,
    plain: Vec<u8>,
    position: usize,
    done: bool,
}

impl<R: Read> Opener<R> {
    /// Reads the header and checks that `key` is the archive's key.
    pub fn new(mut inner: R, key: &BackupKey) -> Result<Self, Failure> {
        let mut header = [0u8; HEADER_LEN];
        inner.read_exact(&mut header).map_err(|_| damaged("the archive is shorter than its header"))?;
        if &header[..8] != MAGIC {
            return Err(Failure::new(
                "this is not an encrypted supamcp archive",
                "its first bytes are not SUPAMCPB",
                "pass the .archive file of a backup; an unencrypted backup is read without a key",
            ));
        }
        if header[8] != VERSION {
            return Err(Failure::new(
                "unknown archive format version",
                format!("version {} (this supamcp reads {VERSION})", header[8]),
                "use the supamcp version that wrote the backup",
            ));
        }
        let key_kind = match header[9] {
            0 => KeyKind::Raw,
            1 => KeyKind::Passphrase,
            other => return Err(damaged(&format!("unknown key kind {other} in the header"))),
        };
        let compression = Compression::from_code(header[10]).ok_or_else(|| damaged("unknown compression"))?;
        if key_kind != key.kind() {
            return Err(wrong_key(&format!(
                "the archive was sealed with a {key_kind:?} key, the given one is a {:?}",
                key.kind()
            )));
        }
        let mut salt = [0u8; 16];
        salt.copy_from_slice(&header[11..27]);
        let archive_key = key.archive_key(&salt)?;
        if key_check(&archive_key) != header[27..35] {
            return Err(wrong_key("the key's check value differs from the archive's"));
        }
        Ok(Opener {
            inner,
            cipher: cipher(&archive_key)?,
            header,
            info: Header { key_kind, compression },
            index: 0,
            plain: Vec::new(),
            position: 0,
            done: false,
        })
    }

    fn next_frame(&mut self) -> Result<(), Failure> {
        let mut prefix = [0u8; 5];
        let mut filled = 0;
        while filled < prefix.len() {
            let n = self.inner.read(&mut prefix[filled..]).map_err(|e| failure_of(e, "cannot read the archive"))?;
            if n == 0 {
                return Err(damaged("the archive ends before its final frame (truncated)"));
            }
            filled += n;
        }
        let length = u32::from_be_bytes([prefix[0], prefix[1], prefix[2], prefix[3]]) as usize;
        let last = match prefix[4] {
            0 => false,
            1 => true,
            _ => return Err(damaged("a frame flag is neither 0 nor 1")),
        };
        if !(TAG_LEN..=CHUNK + TAG_LEN).contains(&length) {
            return Err(damaged("a frame length is out of range"));
        }
        self.plain.resize(length, 0);
        self.inner.read_exact(&mut self.plain).map_err(|_| damaged("the archive ends inside a frame (truncated)"))?;
        let body = length - TAG_LEN;
        let tag = *Tag::from_slice(&self.plain[body..]);
        self.plain.truncate(body);
        let nonce = nonce(self.index, last);
        self.cipher.decrypt_in_place_detached(Nonce::from_slice(&nonce), &self.header, &mut self.plain, &tag).map_err(
            |_| damaged(&format!("frame {} fails authentication (tampered, reordered or damaged)", self.index)),
        )?;
        self.index += 1;
        self.position = 0;
        if last {
            self.done = true;
            let mut extra = [0u8; 1];
            if self.inner.read(&mut extra).map_err(|e| failure_of(e, "cannot read the archive"))? != 0 {
                return Err(damaged("bytes follow the final frame"));
            }
        }
        Ok(())
    }
}

fn wrong_key(why: &str) -> Failure {
    Failure::new(
        "wrong backup key",
        why.to_owned(),
        "use the key whose id the backup's manifest names (key_id); list_backups shows it",
    )
}

impl<R: Read> Read for Opener<R> {
    fn read(&mut self, out: &mut [u8]) -> io::Result<usize> {
        while self.position == self.plain.len() {
            if self.done {
                return Ok(0);
            }
            self.next_frame().map_err(io_failure)?;
        }
        let n = out.len().min(self.plain.len() - self.position);
        out[..n].copy_from_slice(&self.plain[self.position..self.position + n]);
        self.position += n;
        Ok(n)
    }
}

/// The header of an archive without decrypting it.
pub fn is_encrypted(first_bytes: &[u8]) -> bool {
    first_bytes.starts_with(MAGIC)
}

#[cfg(test)]
#[path = "frame_tests.rs"]
mod tests;
