//! A file written on a blocking thread of its own while the caller keeps receiving: chunks go through a
//! bounded channel, are gathered into 1 MiB writes, and the file is flushed and synced to disk at the end. A
//! download thus overlaps the network, the checksum and the disk instead of waiting for each write in turn.

use bytes::Bytes;
use std::fs::File;
use std::io::{BufWriter, Write};
use tokio::sync::mpsc;
use tokio::task::JoinHandle;

/// Bytes gathered before one write to the file.
const WRITE_BUFFER: usize = 1 << 20;
/// Chunks in flight between the receiver and the writer (a chunk is at most a few hundred KiB).
const QUEUE: usize = 8;

/// The sending side of a file being written.
pub struct PipelinedWrite {
    chunks: Option<mpsc::Sender<Bytes>>,
    writer: JoinHandle<std::io::Result<()>>,
}

impl PipelinedWrite {
    /// Starts writing `file` from the chunks sent to it.
    pub fn start(file: File) -> PipelinedWrite {
        let (chunks, mut received) = mpsc::channel::<Bytes>(QUEUE);
        let writer = tokio::task::spawn_blocking(move || {
            let mut out = BufWriter::with_capacity(WRITE_BUFFER, file);
            while let Some(chunk) = received.blocking_recv() {
                out.write_all(&chunk)?;
            }
            let file = out.into_inner().map_err(|e| e.into_error())?;
            file.sync_all()
        });
        PipelinedWrite { chunks: Some(chunks), writer }
    }

    /// Queues `chunk`; an error means the writer stopped (its error comes from [`PipelinedWrite::finish`]).
    pub async fn send(&mut self, chunk: Bytes) -> Result<(), ()> {
        match &self.chunks {
            Some(chunks) => chunks.send(chunk).await.map_err(|_| ()),
            None => Err(()),
        }
    }

    /// Waits until every queued chunk is written and the file is on disk.
    pub async fn finish(mut self) -> std::io::Result<()> {
        self.chunks = None;
        match self.writer.await {
            Ok(result) => result,
            Err(e) => Err(std::io::Error::other(format!("the writer thread stopped: {e}"))),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::PipelinedWrite;
    use bytes::Bytes;

    #[tokio::test]
    async fn every_chunk_lands_in_order() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("out.bin");
        let mut write = PipelinedWrite::start(std::fs::File::create(&path).unwrap());
        let mut expected = Vec::new();
        for n in 0..300u32 {
            let chunk: Vec<u8> = (0..(n * 37 % 9000)).map(|i| (i + n) as u8).collect();
            expected.extend_from_slice(&chunk);
            write.send(Bytes::from(chunk)).await.unwrap();
        }
        write.finish().await.unwrap();
        assert_eq!(std::fs::read(&path).unwrap(), expected);
    }
}
