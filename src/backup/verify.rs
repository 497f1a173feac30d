//! `verify_backup`'s work: the whole archive read back without restoring: size and SHA-256 against the manifest,
//! every frame authenticated, the stream decompressed, and the plain bytes handed to `pg_restore --list`, whose
//! table of contents must be a pg_dump custom archive holding the data of every table the manifest lists.

use super::key::BackupKey;
use super::manifest::Manifest;
use super::pipeline::DrainingSink;
use super::process::{DumpProcess, no_events};
use super::read;
use super::store::Store;
use crate::failure::Failure;
use crate::pg::client_programs;
use serde::Serialize;
use std::io::{Read, Write};
use tokio_util::sync::CancellationToken;

#[derive(Clone, Debug, Serialize, schemars::JsonSchema)]
pub struct VerifyReport {
    pub backup_id: String,
    pub archive_bytes: u64,
    /// Bytes of the pg_dump archive inside (after decryption and decompression).
    pub plain_bytes: u64,
    pub encryption: String,
    /// Entries in the archive's table of contents.
    pub toc_entries: usize,
    /// Tables of the manifest with a TABLE DATA entry in the archive.
    pub tables_with_data: usize,
    pub checks: Vec<String>,
}

/// The (schema, table) of each TABLE DATA line of `pg_restore --list` output.
pub fn table_data_entries(list: &str) -> Vec<(String, String)> {
    list.lines()
        .filter(|line| !line.starts_with(';'))
        .filter_map(|line| {
            let words: Vec<&str> = line.split_whitespace().collect();
            let at = words.windows(2).position(|w| w == ["TABLE", "DATA"])?;
            Some((words.get(at + 2)?.to_string(), words.get(at + 3)?.to_string()))
        })
        .collect()
}

pub async fn verify(
    store: &Store,
    id: &str,
    key: Option<&BackupKey>,
    cancel: &CancellationToken,
) -> Result<VerifyReport, Failure> {
    let manifest: Manifest = read::manifest(store, id).await?;
    let pg_restore = client_programs::for_server("pg_restore", manifest.server_major, "")?;
    let mut command = crate::child_env::command(&pg_restore);
    command.arg("--list").stdin(std::process::Stdio::piped());
    command.stdout(std::process::Stdio::piped()).stderr(std::process::Stdio::piped());
    let mut process = DumpProcess::spawn(command, "pg_restore", no_events(), 0)?;
    let stdin = process.take_stdin()?;
    let mut stdout = process.take_stdout()?;
    let listing = std::thread::spawn(move || {
        let mut text = String::new();
        let _ = (&mut stdout).take(64 << 20).read_to_string(&mut text);
        let _ = std::io::copy(&mut stdout, &mut std::io::sink());
        text
    });
    let (sender, receiver) = std::sync::mpsc::channel();
    let feeder = DrainingSink::new(stdin);
    let sink = Box::new(HeadReport { inner: feeder, report: Some(sender) });
    let streamed = read::stream_plain(store, &manifest, key, sink, cancel).await;
    let head: Vec<u8> = receiver.recv().unwrap_or_default();
    let plain_bytes = match streamed {
        Ok(bytes) => bytes,
        Err(failure) => {
            process.kill_and_reap().await;
            return Err(failure);
        }
    };
    let listed = process.wait().await;
    let list = tokio::task::spawn_blocking(move || listing.join().unwrap_or_default()).await.unwrap_or_default();
    let mut checks = vec![
        format!("archive size {} and SHA-256 match the manifest", manifest.archive.size),
        if manifest.archive.encryption == "none" {
            "not encrypted".to_owned()
        } else {
            "every frame authenticated up to the final one".to_owned()
        },
        format!("decompressed ({:?}) to {plain_bytes} bytes", manifest.archive.compression),
    ];
    if head != b"PGDMP" {
        return Err(Failure::new(
            format!("backup {id} does not hold a pg_dump archive"),
            "the decrypted stream does not start with PGDMP",
            "the backup is damaged: use another one",
        ));
    }
    checks.push("the plain stream is a pg_dump custom archive".to_owned());
    listed.map_err(|mut failure| {
        failure.what = format!("pg_restore cannot read the table of contents of backup {id}");
        failure
    })?;
    let entries = table_data_entries(&list);
    let missing: Vec<String> = manifest
        .tables
        .iter()
        .filter(|t| !entries.iter().any(|(s, n)| *s == t.schema && *n == t.name))
        .map(|t| format!("{}.{}", t.schema, t.name))
        .collect();
    if !missing.is_empty() {
        return Err(Failure::new(
            format!("backup {id} lacks data the manifest lists"),
            format!("no TABLE DATA entry for {}", missing.join(", ")),
            "the backup is inconsistent: use another one",
        ));
    }
    checks.push(format!("pg_restore --list reads it; all {} tables of the manifest have data", manifest.tables.len()));
    Ok(VerifyReport {
        backup_id: manifest.id.clone(),
        archive_bytes: manifest.archive.size,
        plain_bytes,
        encryption: manifest.archive.encryption.clone(),
        toc_entries: list.lines().filter(|l| !l.starts_with(';') && !l.trim().is_empty()).count(),
        tables_with_data: manifest.tables.len(),
        checks,
    })
}

/// Hands the first bytes seen back when the stream is done (dropped).
struct HeadReport {
    inner: DrainingSink<std::process::ChildStdin>,
    report: Option<std::sync::mpsc::Sender<Vec<u8>>>,
}

impl Write for HeadReport {
    fn write(&mut self, data: &[u8]) -> std::io::Result<usize> {
        self.inner.write(data)
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl Drop for HeadReport {
    fn drop(&mut self) {
        if let Some(report) = self.report.take() {
            let _ = report.send(std::mem::take(&mut self.inner.head));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn table_data_lines_are_parsed() {
        let list = ";\n; Archive created at 2026-01-01\n215; 1259 16390 TABLE public todos postgres\n\
                    3401; 0 16390 TABLE DATA public todos postgres\n3402; 0 16400 TABLE DATA auth users supabase_auth_admin\n";
        assert_eq!(
            table_data_entries(list),
            vec![("public".to_owned(), "todos".to_owned()), ("auth".to_owned(), "users".to_owned())]
        );
    }
}
