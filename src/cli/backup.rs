//! `supamcp backup decrypt [--key K] ARCHIVE OUT`: turns a backup archive back into the plain pg_dump custom
//! archive (decrypting and decompressing as its first bytes say), so `pg_restore` alone can read it:
//! `supamcp backup decrypt x.archive x.dump && pg_restore -l x.dump`. OUT `-` writes to stdout.

use crate::backup::compress::{Compression, decompressor};
use crate::backup::frame::{self, Opener};
use crate::backup::key::{BackupKey, missing_key};
use crate::failure::Failure;
use crate::secret::Secret;
use clap::{Args, Subcommand};
use std::io::{Read, Write};
use std::path::PathBuf;
use std::process::ExitCode;

#[derive(Clone, Debug, Args)]
pub struct BackupArgs {
    #[command(subcommand)]
    pub action: BackupAction,
}

#[derive(Clone, Debug, Subcommand)]
pub enum BackupAction {
    /// Write the plain pg_dump archive of a backup archive (decrypted, decompressed) for pg_restore.
    Decrypt(DecryptArgs),
}

#[derive(Clone, Debug, Args)]
pub struct DecryptArgs {
    /// The backup key (64 hex characters, base64 of 32 bytes, or the passphrase).
    #[arg(long, env = "SUPAMCP_BACKUP_KEY", hide_env_values = true)]
    pub key: Option<String>,
    /// The `<id>.archive` file.
    pub archive: PathBuf,
    /// Where the pg_dump archive goes; `-` for stdout.
    pub out: PathBuf,
}

const ZSTD_MAGIC: [u8; 4] = [0x28, 0xb5, 0x2f, 0xfd];
const GZIP_MAGIC: [u8; 2] = [0x1f, 0x8b];

fn io(what: &str) -> impl Fn(std::io::Error) -> Failure + '_ {
    move |e| frame::failure_of(e, what)
}

/// Decrypts (when encrypted) and decompresses `input` into `output`; returns the plain bytes.
pub fn decrypt(input: impl Read, output: &mut dyn Write, key: Option<&BackupKey>) -> Result<u64, Failure> {
    let mut input = std::io::BufReader::new(input);
    let head = std::io::BufRead::fill_buf(&mut input).map_err(io("cannot read the archive"))?.to_vec();
    if frame::is_encrypted(&head) {
        let key = key.ok_or_else(|| missing_key("decrypting the archive"))?;
        let mut opener = Opener::new(input, key)?;
        let compression = opener.info.compression;
        let copied = {
            let mut plain = decompressor(&mut opener, compression).map_err(io("cannot decompress"))?;
            std::io::copy(&mut plain, output).map_err(io("cannot decrypt the archive"))?
        };
        std::io::copy(&mut opener, &mut std::io::sink()).map_err(io("cannot decrypt the archive"))?;
        return Ok(copied);
    }
    let compression = if head.starts_with(&ZSTD_MAGIC) {
        Compression::Zstd
    } else if head.starts_with(&GZIP_MAGIC) {
        Compression::Gzip
    } else {
        Compression::None
    };
    let mut plain = decompressor(input, compression).map_err(io("cannot decompress"))?;
    std::io::copy(&mut plain, output).map_err(io("cannot decompress the archive"))
}

pub fn run(args: &BackupArgs) -> ExitCode {
    let BackupAction::Decrypt(args) = &args.action;
    let outcome = (|| {
        let key = args.key.as_ref().map(|k| BackupKey::parse(&Secret::new(k.clone()))).transpose()?;
        let input = std::fs::File::open(&args.archive).map_err(io("cannot open the archive"))?;
        if args.out.as_os_str() == "-" {
            let mut stdout = std::io::stdout().lock();
            let bytes = decrypt(input, &mut stdout, key.as_ref())?;
            stdout.flush().map_err(io("cannot write stdout"))?;
            return Ok(bytes);
        }
        let partial = args.out.with_extension("partial");
        // The plain archive holds the whole database: owner-only, and never through a planted symlink.
        let mut file = std::io::BufWriter::new(crate::fsutil::create_replacing(&partial, "--out")?);
        let written = decrypt(input, &mut file, key.as_ref()).and_then(|bytes| {
            file.flush().map_err(io("cannot write the output"))?;
            std::fs::rename(&partial, &args.out).map_err(io("cannot write the output"))?;
            Ok(bytes)
        });
        if written.is_err() {
            let _ = std::fs::remove_file(&partial);
        }
        written
    })();
    match outcome {
        Ok(bytes) => {
            eprintln!("supamcp: wrote {bytes} bytes of pg_dump archive");
            ExitCode::SUCCESS
        }
        Err(failure) => {
            eprintln!("supamcp: {failure}");
            ExitCode::from(1)
        }
    }
}
