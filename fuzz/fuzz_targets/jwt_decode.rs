//! Fuzzes the JWT decoder and the key validator: no token, secret or JWT_KEYS/JWT_JWKS text may panic.
//! Run with `cargo fuzz run jwt_decode` from the repository root.
#![no_main]

use libfuzzer_sys::fuzz_target;
use supamcp::supabase::keys::{asymmetric, jwt, validate_keys};

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    if let Ok(decoded) = jwt::decode(&text) {
        let _ = decoded.verifies_hs256("a-secret-of-at-least-thirty-two-chars");
    }
    let _ = asymmetric::parse_jwt_keys(&text);
    let _ = asymmetric::parse_jwks(&text);
    let parts: Vec<&str> = text.splitn(4, '\n').collect();
    let get = |name: &str| match name {
        "JWT_SECRET" => parts.first().copied(),
        "ANON_KEY" | "ANON_KEY_ASYMMETRIC" => parts.get(1).copied(),
        "SERVICE_ROLE_KEY" | "JWT_KEYS" => parts.get(2).copied(),
        "JWT_JWKS" | "SUPABASE_SECRET_KEY" => parts.get(3).copied(),
        _ => None,
    };
    let _ = validate_keys(get, 1_800_000_000);
});
