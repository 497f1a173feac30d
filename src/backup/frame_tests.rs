use super::*;
use crate::secret::Secret;

fn key(hex_byte: &str) -> BackupKey {
    BackupKey::parse(&Secret::new(hex_byte.repeat(32))).unwrap()
}

/// An archive of `len` bytes of data sealed with `key`, and the data.
fn sealed(len: usize, key: &BackupKey) -> (Vec<u8>, Vec<u8>) {
    let data: Vec<u8> = (0..len).map(|i| (i * 31 % 253) as u8).collect();
    let mut sealer = Sealer::new(Vec::new(), key, Compression::None).unwrap();
    for piece in data.chunks(100_000) {
        sealer.write_all(piece).unwrap();
    }
    (sealer.finish().unwrap(), data)
}

fn open(archive: &[u8], key: &BackupKey) -> Result<Vec<u8>, Failure> {
    let mut opener = Opener::new(archive, key)?;
    let mut out = Vec::new();
    opener.read_to_end(&mut out).map_err(|e| failure_of(e, "read"))?;
    Ok(out)
}

/// Byte offsets of each frame (its length prefix) in an archive.
fn frame_offsets(archive: &[u8]) -> Vec<(usize, usize)> {
    let mut offsets = Vec::new();
    let mut at = HEADER_LEN;
    while at < archive.len() {
        let len = u32::from_be_bytes([archive[at], archive[at + 1], archive[at + 2], archive[at + 3]]) as usize;
        offsets.push((at, 5 + len));
        at += 5 + len;
    }
    offsets
}

#[test]
fn round_trip_across_frames_and_empty() {
    let key = key("ab");
    for len in [0, 1, CHUNK, CHUNK + 1, 3 * CHUNK + 17] {
        let (archive, data) = sealed(len, &key);
        assert_eq!(open(&archive, &key).unwrap(), data, "{len} bytes");
    }
    let (archive, _) = sealed(3 * CHUNK, &key);
    assert_eq!(frame_offsets(&archive).len(), 3, "a full last chunk is the final frame; no empty frame follows");
}

#[test]
fn wrong_key_is_named() {
    let (archive, _) = sealed(10, &key("ab"));
    let failure = open(&archive, &key("cd")).unwrap_err();
    assert_eq!(failure.what, "wrong backup key");
}

#[test]
fn a_flipped_byte_fails_authentication() {
    let key = key("ab");
    let (archive, _) = sealed(2 * CHUNK + 5, &key);
    for position in [HEADER_LEN + 7, archive.len() / 2, archive.len() - 1] {
        let mut tampered = archive.clone();
        tampered[position] ^= 0x01;
        let failure = open(&tampered, &key).unwrap_err();
        assert!(failure.what.contains("does not authenticate"), "{position}: {failure}");
    }
    let mut header_changed = archive.clone();
    header_changed[10] = Compression::Gzip.code();
    assert!(open(&header_changed, &key).is_err(), "the header is authenticated");
}

#[test]
fn truncation_at_any_frame_boundary_or_inside_is_detected() {
    let key = key("ab");
    let (archive, _) = sealed(3 * CHUNK + 5, &key);
    for (start, len) in frame_offsets(&archive) {
        for cut in [start, start + 3, start + len / 2] {
            let failure = open(&archive[..cut], &key).unwrap_err();
            assert!(failure.why.contains("truncated"), "cut at {cut}: {failure}");
        }
    }
}

#[test]
fn reordered_dropped_and_appended_frames_fail() {
    let key = key("ab");
    let (archive, _) = sealed(3 * CHUNK + 5, &key);
    let frames = frame_offsets(&archive);
    let piece = |i: usize| &archive[frames[i].0..frames[i].0 + frames[i].1];
    let header = &archive[..HEADER_LEN];

    let swapped = [header, piece(1), piece(0), piece(2), piece(3)].concat();
    assert!(open(&swapped, &key).is_err(), "swapped frames");
    let dropped = [header, piece(0), piece(2), piece(3)].concat();
    assert!(open(&dropped, &key).is_err(), "a dropped middle frame");
    let appended = [archive.as_slice(), piece(3)].concat();
    assert!(open(&appended, &key).unwrap_err().why.contains("follow the final"), "bytes after the end");
    // The final flag is bound to the nonce: a middle frame marked final does not authenticate.
    let mut early_end = [header, piece(0)].concat();
    early_end[HEADER_LEN + 4] = 1;
    assert!(open(&early_end, &key).is_err(), "a frame flipped to final");
}

#[test]
fn another_archive_with_the_same_key_cannot_be_spliced() {
    let key = key("ab");
    let (first, _) = sealed(2 * CHUNK, &key);
    let (second, _) = sealed(2 * CHUNK, &key);
    let spliced = [&first[..HEADER_LEN], &second[HEADER_LEN..]].concat();
    assert!(open(&spliced, &key).is_err(), "each archive has its own subkey");
}

#[test]
fn a_passphrase_key_round_trips() {
    let key = BackupKey::parse(&Secret::new("a long enough passphrase")).unwrap();
    let (archive, data) = sealed(5000, &key);
    assert_eq!(open(&archive, &key).unwrap(), data);
}
