//! The synchronous halves of the streams, run on a blocking thread so zstd and AES never stall the async
//! executor: dump bytes -> compressor -> sealer -> hasher -> bounded channel (to the store writer), and store
//! bytes (from a bounded channel) -> hasher -> opener -> decompressor -> a sink. The channels hold a few chunks,
//! so memory stays bounded whatever the archive size.

use super::compress::{Compression, Compressor, decompressor};
use super::frame::{Opener, Sealer, failure_of};
use super::key::BackupKey;
use crate::failure::Failure;
use sha2::{Digest, Sha256};
use std::io::{self, BufWriter, Read, Write};
use tokio::sync::mpsc;

/// Chunks in flight between the blocking thread and the store.
pub const CHANNEL_DEPTH: usize = 2;
const WRITE_BUFFER: usize = 256 * 1024;
pub const READ_CHUNK: usize = 256 * 1024;

/// Hashes, counts and sends what is written to it.
pub struct ChannelWriter {
    sender: mpsc::Sender<Vec<u8>>,
    hasher: Sha256,
    bytes: u64,
}

impl Write for ChannelWriter {
    fn write(&mut self, data: &[u8]) -> io::Result<usize> {
        self.hasher.update(data);
        self.bytes += data.len() as u64;
        self.sender
            .blocking_send(data.to_vec())
            .map_err(|_| io::Error::new(io::ErrorKind::BrokenPipe, "the store stopped accepting data"))?;
        Ok(data.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

/// Encrypting or passing through.
pub enum Sealing<W: Write> {
    Encrypt(Box<Sealer<W>>),
    Plain(W),
}

impl<W: Write> Write for Sealing<W> {
    fn write(&mut self, data: &[u8]) -> io::Result<usize> {
        match self {
            Sealing::Encrypt(sealer) => sealer.write(data),
            Sealing::Plain(inner) => inner.write(data),
        }
    }

    fn flush(&mut self) -> io::Result<()> {
        match self {
            Sealing::Encrypt(sealer) => sealer.flush(),
            Sealing::Plain(inner) => inner.flush(),
        }
    }
}

impl<W: Write> Sealing<W> {
    fn finish(self) -> io::Result<W> {
        match self {
            Sealing::Encrypt(sealer) => (*sealer).finish(),
            Sealing::Plain(inner) => Ok(inner),
        }
    }
}

/// What the writing half produced: bytes read from the source, archive bytes and their SHA-256.
pub struct Written {
    pub source_bytes: u64,
    pub archive_bytes: u64,
    pub sha256: String,
}

/// Reads `source` to its end, compressing and (with a key) encrypting into `sender`. `progress` gets the source
/// bytes read so far, every few MiB.
pub fn write_archive(
    mut source: impl Read,
    sender: mpsc::Sender<Vec<u8>>,
    compression: Compression,
    level: Option<i32>,
    key: Option<&BackupKey>,
    progress: &dyn Fn(u64),
) -> Result<Written, Failure> {
    let out = BufWriter::with_capacity(WRITE_BUFFER, ChannelWriter { sender, hasher: Sha256::new(), bytes: 0 });
    let sealing = match key {
        Some(key) => Sealing::Encrypt(Box::new(Sealer::new(out, key, compression)?)),
        None => Sealing::Plain(out),
    };
    let threads = super::compress::default_threads();
    let mut compressor =
        Compressor::new(sealing, compression, level, threads).map_err(|e| failure_of(e, "cannot start compression"))?;
    let mut buffer = vec![0u8; READ_CHUNK];
    let mut total = 0u64;
    let mut reported = 0u64;
    loop {
        let n = match source.read(&mut buffer) {
            Ok(0) => break,
            Ok(n) => n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(failure_of(e, "cannot read the dump stream")),
        };
        compressor.write_all(&buffer[..n]).map_err(|e| failure_of(e, "cannot write the archive"))?;
        total += n as u64;
        if total - reported >= 8 << 20 {
            progress(total);
            reported = total;
        }
    }
    let finish = |e| failure_of(e, "cannot finish the archive");
    let sealing = compressor.finish().map_err(finish)?;
    let out = sealing.finish().map_err(finish)?;
    let channel = out.into_inner().map_err(|e| finish(e.into_error()))?;
    Ok(Written { source_bytes: total, archive_bytes: channel.bytes, sha256: hex::encode(channel.hasher.finalize()) })
}

/// Reads chunks from a channel, hashing them.
pub struct ChannelReader {
    receiver: mpsc::Receiver<Result<Vec<u8>, Failure>>,
    current: Vec<u8>,
    position: usize,
    pub hasher: Sha256,
    pub bytes: u64,
}

impl ChannelReader {
    pub fn new(receiver: mpsc::Receiver<Result<Vec<u8>, Failure>>) -> Self {
        ChannelReader { receiver, current: Vec::new(), position: 0, hasher: Sha256::new(), bytes: 0 }
    }
}

impl Read for ChannelReader {
    fn read(&mut self, out: &mut [u8]) -> io::Result<usize> {
        while self.position == self.current.len() {
            match self.receiver.blocking_recv() {
                None => return Ok(0),
                Some(Err(failure)) => return Err(super::frame::io_failure(failure)),
                Some(Ok(chunk)) => {
                    self.hasher.update(&chunk);
                    self.bytes += chunk.len() as u64;
                    self.current = chunk;
                    self.position = 0;
                }
            }
        }
        let n = out.len().min(self.current.len() - self.position);
        out[..n].copy_from_slice(&self.current[self.position..self.position + n]);
        self.position += n;
        Ok(n)
    }
}

/// Decrypts (with a key) and decompresses `reader` into `sink`; returns the plain bytes written. The archive is
/// read to its end so its hash covers every byte.
pub fn read_archive(
    reader: &mut ChannelReader,
    compression: Compression,
    key: Option<&BackupKey>,
    sink: &mut dyn Write,
) -> Result<u64, Failure> {
    let copied = match key {
        Some(key) => {
            let mut opener = Opener::new(&mut *reader, key)?;
            if opener.info.compression != compression {
                return Err(Failure::new(
                    "the archive header and the manifest disagree on the compression",
                    format!("header {:?}, manifest {compression:?}", opener.info.compression),
                    "the manifest belongs to another archive: restore another backup",
                ));
            }
            let copied = {
                let mut plain =
                    decompressor(&mut opener, compression).map_err(|e| failure_of(e, "cannot decompress"))?;
                io::copy(&mut plain, sink).map_err(|e| failure_of(e, "cannot read the archive"))?
            };
            // Authenticate up to the final frame even where the decompressor stopped early.
            io::copy(&mut opener, &mut io::sink()).map_err(|e| failure_of(e, "cannot read the archive"))?;
            copied
        }
        None => {
            let mut plain = decompressor(&mut *reader, compression).map_err(|e| failure_of(e, "cannot decompress"))?;
            io::copy(&mut plain, sink).map_err(|e| failure_of(e, "cannot read the archive"))?
        }
    };
    io::copy(reader, &mut io::sink()).map_err(|e| failure_of(e, "cannot read the archive"))?;
    Ok(copied)
}

/// Writes into a child's stdin until the child stops reading (pg_restore exits once it has what it needs, e.g.
/// with --schema or --list), then swallows the rest, so the whole archive is still authenticated and hashed. The
/// child's exit status tells whether it stopped early by success or by failure.
pub struct DrainingSink<W: Write> {
    inner: Option<W>,
    /// The first bytes seen (the pg_dump archive magic).
    pub head: Vec<u8>,
}

impl<W: Write> DrainingSink<W> {
    pub fn new(inner: W) -> Self {
        DrainingSink { inner: Some(inner), head: Vec::new() }
    }
}

impl<W: Write> Write for DrainingSink<W> {
    fn write(&mut self, data: &[u8]) -> io::Result<usize> {
        if self.head.len() < 5 {
            let take = data.len().min(5 - self.head.len());
            self.head.extend_from_slice(&data[..take]);
        }
        if let Some(inner) = &mut self.inner
            && inner.write_all(data).is_err()
        {
            self.inner = None;
        }
        Ok(data.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        if let Some(inner) = &mut self.inner
            && inner.flush().is_err()
        {
            self.inner = None;
        }
        Ok(())
    }
}
