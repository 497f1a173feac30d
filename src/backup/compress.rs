//! Compression of the dump stream: zstd (multi-threaded, level 3 by default) or gzip, or none, as a `Write`
//! adaptor for backups and a `Read` adaptor for restores. Both work in small buffers.

use serde::{Deserialize, Serialize};
use std::io::{self, Read, Write};

/// The compression of an archive.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum Compression {
    /// zstd, multi-threaded (the default).
    #[default]
    Zstd,
    /// gzip (slower; for tools that only read gzip).
    Gzip,
    /// No compression (pg_dump's own is off too).
    None,
}

impl Compression {
    pub fn code(self) -> u8 {
        match self {
            Compression::None => 0,
            Compression::Zstd => 1,
            Compression::Gzip => 2,
        }
    }

    pub fn from_code(code: u8) -> Option<Compression> {
        match code {
            0 => Some(Compression::None),
            1 => Some(Compression::Zstd),
            2 => Some(Compression::Gzip),
            _ => None,
        }
    }
}

const ZSTD_JOB_SIZE: u32 = 2 << 20;

/// A compressing writer; [`Compressor::finish`] writes the trailer and returns the inner writer.
pub enum Compressor<W: Write> {
    Zstd(zstd::stream::write::Encoder<'static, W>),
    Gzip(flate2::write::GzEncoder<W>),
    None(W),
}

impl<W: Write> Compressor<W> {
    /// `level`: zstd 1..=19 (default 3) or gzip 1..=9 (default 6); `threads`: zstd workers (0: none).
    pub fn new(inner: W, compression: Compression, level: Option<i32>, threads: u32) -> io::Result<Self> {
        Ok(match compression {
            Compression::Zstd => {
                let mut encoder = zstd::stream::write::Encoder::new(inner, level.unwrap_or(3).clamp(1, 19))?;
                if threads > 0 {
                    encoder.multithread(threads)?;
                    // Each worker holds a job's input and output: 2 MiB jobs keep the peak near 30 MB.
                    encoder.set_parameter(zstd::stream::raw::CParameter::JobSize(ZSTD_JOB_SIZE))?;
                }
                Compressor::Zstd(encoder)
            }
            Compression::Gzip => {
                let level = u32::try_from(level.unwrap_or(6).clamp(1, 9)).unwrap_or(6);
                Compressor::Gzip(flate2::write::GzEncoder::new(inner, flate2::Compression::new(level)))
            }
            Compression::None => Compressor::None(inner),
        })
    }

    pub fn finish(self) -> io::Result<W> {
        match self {
            Compressor::Zstd(encoder) => encoder.finish(),
            Compressor::Gzip(encoder) => encoder.finish(),
            Compressor::None(mut inner) => {
                inner.flush()?;
                Ok(inner)
            }
        }
    }
}

impl<W: Write> Write for Compressor<W> {
    fn write(&mut self, data: &[u8]) -> io::Result<usize> {
        match self {
            Compressor::Zstd(encoder) => encoder.write(data),
            Compressor::Gzip(encoder) => encoder.write(data),
            Compressor::None(inner) => inner.write(data),
        }
    }

    fn flush(&mut self) -> io::Result<()> {
        match self {
            Compressor::Zstd(encoder) => encoder.flush(),
            Compressor::Gzip(encoder) => encoder.flush(),
            Compressor::None(inner) => inner.flush(),
        }
    }
}

/// A decompressing reader over `inner`.
pub fn decompressor<'a, R: Read + 'a>(inner: R, compression: Compression) -> io::Result<Box<dyn Read + 'a>> {
    Ok(match compression {
        Compression::Zstd => Box::new(zstd::stream::read::Decoder::new(inner)?),
        Compression::Gzip => Box::new(flate2::read::MultiGzDecoder::new(io::BufReader::new(inner))),
        Compression::None => Box::new(inner),
    })
}

/// zstd workers for this machine: the cores, at most 4.
pub fn default_threads() -> u32 {
    std::thread::available_parallelism().map(|n| n.get().min(4) as u32).unwrap_or(1)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_compression_round_trips() {
        let data: Vec<u8> = (0..300_000u32).flat_map(|i| (i % 251).to_le_bytes()).collect();
        for compression in [Compression::Zstd, Compression::Gzip, Compression::None] {
            let mut writer = Compressor::new(Vec::new(), compression, None, 2).unwrap();
            for piece in data.chunks(7_000) {
                writer.write_all(piece).unwrap();
            }
            let packed = writer.finish().unwrap();
            if compression != Compression::None {
                assert!(packed.len() < data.len() / 2, "{compression:?} compresses");
            }
            let mut out = Vec::new();
            decompressor(packed.as_slice(), compression).unwrap().read_to_end(&mut out).unwrap();
            assert_eq!(out, data, "{compression:?}");
            assert_eq!(Compression::from_code(compression.code()), Some(compression));
        }
    }
}
