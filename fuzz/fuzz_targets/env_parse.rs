//! Fuzzes the `.env` parser and every rule: no input may panic, and an unedited file must round-trip
//! byte for byte. Run with `cargo fuzz run env_parse` from the repository root.
#![no_main]

use libfuzzer_sys::fuzz_target;
use supamcp::supabase::env::{self, CheckOptions, EnvFile, FixOptions};

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    if let Ok(file) = EnvFile::parse(text) {
        assert_eq!(file.to_string(), text);
        let _ = env::check(&file, &CheckOptions::default());
        let _ = env::fix(&file, &FixOptions::default());
    }
});
