//! Content checksums from COPY streams, computed in this process as the bytes pass: every row of a binary or text
//! COPY stream is hashed on its own and the hashes are summed, so the checksum ignores row order and costs the
//! server nothing. The row hash is XXH3-64, a fixed function, so a checksum recorded today (a backup's manifest)
//! still matches one computed by a later release.

use super::tables::Checksum;
use crate::failure::Failure;

const SIGNATURE: &[u8] = b"PGCOPY\n\xff\r\n\0";

/// Splits a COPY stream into rows across chunk boundaries and sums their hashes.
pub struct RowHasher {
    binary: bool,
    header_done: bool,
    ended: bool,
    pending: Vec<u8>,
    rows: i64,
    sum: u64,
}

fn malformed(why: &str) -> Failure {
    Failure::new(
        "cannot read the COPY stream",
        why.to_owned(),
        "report this as a supamcp bug, with the table's column types",
    )
}

fn be_i32(bytes: &[u8]) -> i32 {
    i32::from_be_bytes([bytes[0], bytes[1], bytes[2], bytes[3]])
}

impl RowHasher {
    pub fn new(binary: bool) -> Self {
        RowHasher { binary, header_done: !binary, ended: false, pending: Vec::new(), rows: 0, sum: 0 }
    }

    fn add(&mut self, row: &[u8]) {
        self.sum = self.sum.wrapping_add(xxhash_rust::xxh3::xxh3_64(row));
        self.rows += 1;
    }

    /// Feeds the next chunk of the stream. Whole rows are hashed straight from the chunk; only a row split
    /// across chunks is copied aside.
    pub fn feed(&mut self, chunk: &[u8]) -> Result<(), Failure> {
        if self.pending.is_empty() {
            let consumed = self.rows_in(chunk)?;
            self.pending.extend_from_slice(&chunk[consumed..]);
        } else {
            let mut data = std::mem::take(&mut self.pending);
            data.extend_from_slice(chunk);
            let consumed = self.rows_in(&data)?;
            data.drain(..consumed);
            self.pending = data;
        }
        Ok(())
    }

    /// Hashes the whole rows at the start of `data`; returns how many bytes they took.
    fn rows_in(&mut self, data: &[u8]) -> Result<usize, Failure> {
        if self.binary { self.binary_rows(data) } else { Ok(self.text_rows(data)) }
    }

    fn text_rows(&mut self, data: &[u8]) -> usize {
        let mut start = 0;
        while let Some(end) = data[start..].iter().position(|b| *b == b'\n') {
            self.add(&data[start..start + end]);
            start += end + 1;
        }
        start
    }

    fn binary_rows(&mut self, data: &[u8]) -> Result<usize, Failure> {
        let mut at = 0;
        if !self.header_done {
            if data.len() < SIGNATURE.len() + 8 {
                return Ok(0);
            }
            if !data.starts_with(SIGNATURE) {
                return Err(malformed("the binary COPY signature is missing"));
            }
            let extension = be_i32(&data[SIGNATURE.len() + 4..]).max(0) as usize;
            let header = SIGNATURE.len() + 8 + extension;
            if data.len() < header {
                return Ok(0);
            }
            at = header;
            self.header_done = true;
        }
        while !self.ended && data.len() >= at + 2 {
            let fields = i16::from_be_bytes([data[at], data[at + 1]]);
            if fields == -1 {
                self.ended = true;
                at += 2;
                break;
            }
            let mut end = at + 2;
            let mut complete = true;
            for _ in 0..fields.max(0) {
                if data.len() < end + 4 {
                    complete = false;
                    break;
                }
                let len = be_i32(&data[end..]);
                end += 4 + len.max(0) as usize;
                if data.len() < end {
                    complete = false;
                    break;
                }
            }
            if !complete {
                break;
            }
            self.add(&data[at..end]);
            at = end;
        }
        Ok(at)
    }

    pub fn finish(self) -> Result<Checksum, Failure> {
        let leftover = if self.binary { !self.ended || !self.pending.is_empty() } else { !self.pending.is_empty() };
        if leftover {
            return Err(malformed("the stream ended inside a row"));
        }
        Ok(Checksum { rows: self.rows, sum: self.sum.to_string() })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn binary_stream(rows: &[&[&[u8]]]) -> Vec<u8> {
        let mut out = SIGNATURE.to_vec();
        out.extend_from_slice(&0i32.to_be_bytes());
        out.extend_from_slice(&0i32.to_be_bytes());
        for row in rows {
            out.extend_from_slice(&(row.len() as i16).to_be_bytes());
            for field in *row {
                out.extend_from_slice(&(field.len() as i32).to_be_bytes());
                out.extend_from_slice(field);
            }
        }
        out.extend_from_slice(&(-1i16).to_be_bytes());
        out
    }

    fn checksum(stream: &[u8], chunk: usize, binary: bool) -> Checksum {
        let mut hasher = RowHasher::new(binary);
        for piece in stream.chunks(chunk) {
            hasher.feed(piece).unwrap();
        }
        hasher.finish().unwrap()
    }

    #[test]
    fn chunking_and_row_order_do_not_change_the_checksum() {
        let a: &[&[u8]] = &[b"1", b"alpha"];
        let b: &[&[u8]] = &[b"2", b""];
        let c: &[&[u8]] = &[b"3", b"gamma gamma"];
        let forward = binary_stream(&[a, b, c]);
        let reversed = binary_stream(&[c, b, a]);
        let whole = checksum(&forward, forward.len(), true);
        assert_eq!(whole.rows, 3);
        for chunk in [1, 2, 3, 7, 19] {
            assert_eq!(checksum(&forward, chunk, true), whole, "chunk {chunk}");
            assert_eq!(checksum(&reversed, chunk, true), whole, "reversed, chunk {chunk}");
        }
        let changed = binary_stream(&[a, b, &[b"3", b"gamma gammb"]]);
        assert_ne!(checksum(&changed, 5, true), whole);
    }

    #[test]
    fn text_streams_and_truncation() {
        let text = b"1\talpha\n2\t\\N\n";
        assert_eq!(checksum(text, 3, false).rows, 2);
        let mut hasher = RowHasher::new(true);
        let stream = binary_stream(&[&[b"1"]]);
        hasher.feed(&stream[..stream.len() - 3]).unwrap();
        assert!(hasher.finish().is_err(), "a cut stream is an error");
    }
}
