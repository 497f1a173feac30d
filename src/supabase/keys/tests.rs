//! Key tests: every validation rule on a minted key, property tests (generate → validate is clean; any
//! single corruption is reported), a bounded decoder fuzz, and PyJWT as an independent verifier.

use super::asymmetric::{PUBLISHABLE_PREFIX, opaque_key};
use super::jwt::{decode, encode_hs256};
use super::*;
use crate::secret::Secret;
use proptest::prelude::*;
use serde_json::json;
use std::collections::HashMap;

const NOW: i64 = 1_800_000_000;
const SECRET: &str = "test-secret-with-more-than-32-characters";

fn full_set(asymmetric: bool) -> HashMap<&'static str, String> {
    let options = GenerateOptions { asymmetric, now: NOW, other_secrets: false, ..GenerateOptions::default() };
    let keys = generate(&options).unwrap_or_else(|e| panic!("{e}"));
    keys.vars.iter().map(|(k, v)| (*k, v.expose().to_owned())).collect()
}

fn rules(vars: &HashMap<&'static str, String>, now: i64) -> Vec<(String, String)> {
    let mut found: Vec<(String, String)> =
        validate_keys(|k| vars.get(k).map(String::as_str), now).into_iter().map(|f| (f.rule, f.variable)).collect();
    found.sort();
    found
}

fn pairs(expected: &[(&str, &str)]) -> Vec<(String, String)> {
    let mut out: Vec<(String, String)> = expected.iter().map(|(r, v)| (r.to_string(), v.to_string())).collect();
    out.sort();
    out
}

fn token(claims: serde_json::Value, secret: &str) -> String {
    encode_hs256(&claims, secret)
}

#[test]
fn generated_sets_are_clean() {
    assert_eq!(rules(&full_set(false), NOW), vec![]);
    assert_eq!(rules(&full_set(true), NOW), vec![]);
}

#[test]
fn each_legacy_problem_has_its_rule() {
    let anon = |claims| token(claims, SECRET);
    type Case<'a> = (&'a str, String, Vec<(&'a str, &'a str)>);
    let cases: Vec<Case> = vec![
        (
            "wrong secret",
            token(legacy_claims("anon", NOW, NOW + 1_000_000_000), "another-secret-of-32-characters-or-more"),
            vec![("jwt_bad_signature", "ANON_KEY")],
        ),
        ("no role", anon(json!({"iss": "supabase", "exp": NOW + 100_000_000})), vec![("jwt_role_missing", "ANON_KEY")]),
        (
            "wrong role",
            anon(legacy_claims("service_role", NOW - 1, NOW + 100_000_000)),
            vec![("jwt_role_wrong", "ANON_KEY")],
        ),
        (
            "dokploy",
            anon(json!({"role": "anon", "iss": "dokploy", "exp": 1_893_456_000})),
            vec![("jwt_iss_dokploy", "ANON_KEY")],
        ),
        (
            "demo iss",
            anon(json!({"role": "anon", "iss": "supabase-demo", "exp": NOW + 100_000_000})),
            vec![("jwt_demo_key", "ANON_KEY")],
        ),
        ("expired", anon(legacy_claims("anon", NOW - 100, NOW - 31)), vec![("jwt_expired", "ANON_KEY")]),
        ("inside leeway", anon(legacy_claims("anon", NOW - 100, NOW - 29)), vec![("jwt_expiring", "ANON_KEY")]),
        ("expiring", anon(legacy_claims("anon", NOW, NOW + 29 * 86_400)), vec![("jwt_expiring", "ANON_KEY")]),
        ("no exp is accepted", anon(json!({"role": "anon"})), vec![]),
        ("exp text", anon(json!({"role": "anon", "exp": "soon"})), vec![("jwt_claim_invalid", "ANON_KEY")]),
        (
            "future iat",
            anon(legacy_claims("anon", NOW + 3600, NOW + 100_000_000)),
            vec![("jwt_not_yet_valid", "ANON_KEY")],
        ),
        ("hex", "ab".repeat(256), vec![("jwt_not_a_jwt", "ANON_KEY")]),
        ("garbage", "not a key".into(), vec![("jwt_not_a_jwt", "ANON_KEY")]),
        ("alg none", "eyJhbGciOiJub25lIn0.eyJyb2xlIjoiYW5vbiJ9.".into(), vec![("jwt_alg", "ANON_KEY")]),
        ("empty", String::new(), vec![("key_missing", "ANON_KEY")]),
    ];
    for (name, value, expected) in cases {
        let mut vars = full_set(false);
        vars.insert("JWT_SECRET", SECRET.into());
        let service = token(legacy_claims("service_role", NOW, NOW + 100_000_000), SECRET);
        vars.insert("SERVICE_ROLE_KEY", service);
        vars.insert("ANON_KEY", value);
        assert_eq!(rules(&vars, NOW), pairs(&expected), "case {name}");
    }
}

#[test]
fn secret_problems_and_identical_keys() {
    let mut vars = full_set(false);
    vars.insert("JWT_SECRET", "short".into());
    let found = rules(&vars, NOW);
    assert!(found.contains(&("jwt_secret_short".into(), "JWT_SECRET".into())), "{found:?}");
    vars.insert("JWT_SECRET", DEMO_JWT_SECRET.into());
    let demo = token(
        json!({"role": "anon", "iss": "supabase-demo", "iat": 1_641_769_200, "exp": 1_799_535_600}),
        DEMO_JWT_SECRET,
    );
    vars.insert("ANON_KEY", demo);
    vars.remove("SERVICE_ROLE_KEY");
    assert_eq!(
        rules(&vars, 1_700_000_000),
        pairs(&[("jwt_secret_demo", "JWT_SECRET"), ("jwt_demo_key", "ANON_KEY"), ("key_missing", "SERVICE_ROLE_KEY")])
    );
    let mut same = full_set(false);
    let anon = same["ANON_KEY"].clone();
    same.insert("SERVICE_ROLE_KEY", anon);
    assert_eq!(
        rules(&same, NOW),
        pairs(&[("jwt_role_wrong", "SERVICE_ROLE_KEY"), ("jwt_keys_identical", "SERVICE_ROLE_KEY")])
    );
}

#[test]
fn new_system_problems() {
    let mut vars = full_set(true);
    vars.insert("SUPABASE_PUBLISHABLE_KEY", "sb_publishable_tooshort".into());
    vars.insert("SUPABASE_SECRET_KEY", opaque_key(PUBLISHABLE_PREFIX));
    let other = full_set(true);
    vars.insert("JWT_JWKS", other["JWT_JWKS"].clone());
    vars.insert("SERVICE_ROLE_KEY_ASYMMETRIC", other["SERVICE_ROLE_KEY_ASYMMETRIC"].clone());
    assert_eq!(
        rules(&vars, NOW),
        pairs(&[
            ("opaque_key_malformed", "SUPABASE_PUBLISHABLE_KEY"),
            ("opaque_key_malformed", "SUPABASE_SECRET_KEY"),
            ("jwt_jwks_mismatch", "JWT_JWKS"),
            ("jwt_bad_signature", "SERVICE_ROLE_KEY_ASYMMETRIC"),
        ])
    );
    let mut rotated = full_set(true);
    rotated.insert("JWT_SECRET", SECRET.into());
    assert_eq!(
        rules(&rotated, NOW),
        pairs(&[
            ("jwt_bad_signature", "ANON_KEY"),
            ("jwt_bad_signature", "SERVICE_ROLE_KEY"),
            ("jwt_keys_secret_mismatch", "JWT_KEYS"),
        ])
    );
    let mut broken = full_set(true);
    broken.insert("JWT_KEYS", "[{\"kty\":\"EC\"}]".into());
    assert_eq!(rules(&broken, NOW), pairs(&[("jwt_keys_invalid", "JWT_KEYS")]));
}

#[test]
fn findings_never_show_a_key() {
    let mut vars = full_set(false);
    vars.insert("JWT_SECRET", "short-secret".into());
    for finding in validate_keys(|k| vars.get(k).map(String::as_str), NOW) {
        let text = serde_json::to_string(&finding).unwrap_or_default();
        for value in vars.values() {
            assert!(!text.contains(value.as_str()), "{text}");
        }
    }
}

/// PyJWT checks our tokens independently (install: pip install 'pyjwt[crypto]').
#[test]
fn pyjwt_verifies_generated_keys() {
    let options = GenerateOptions { asymmetric: true, other_secrets: false, ..GenerateOptions::default() };
    let keys = generate(&options).unwrap_or_else(|e| panic!("{e}"));
    let vars: HashMap<&str, &str> = keys.vars.iter().map(|(k, v)| (*k, v.expose())).collect();
    let script = r#"
import json, sys, jwt
from jwt.algorithms import ECAlgorithm
v = json.load(sys.stdin)
for name, role in (("ANON_KEY", "anon"), ("SERVICE_ROLE_KEY", "service_role")):
    c = jwt.decode(v[name], v["JWT_SECRET"], algorithms=["HS256"])
    assert c["role"] == role and c["iss"] == "supabase", c
ec = [k for k in json.loads(v["JWT_JWKS"])["keys"] if k["kty"] == "EC"][0]
key = ECAlgorithm.from_jwk(json.dumps(ec))
for name, role in (("ANON_KEY_ASYMMETRIC", "anon"), ("SERVICE_ROLE_KEY_ASYMMETRIC", "service_role")):
    assert jwt.get_unverified_header(v[name])["kid"] == ec["kid"]
    c = jwt.decode(v[name], key, algorithms=["ES256"])
    assert c["role"] == role, c
priv = [k for k in json.loads(v["JWT_KEYS"]) if "sign" in k.get("key_ops", [])][0]
signed = jwt.encode({"role": "x"}, ECAlgorithm.from_jwk(json.dumps(priv)), algorithm="ES256")
jwt.decode(signed, key, algorithms=["ES256"])
print("ok")
"#;
    let input = serde_json::to_string(&vars).unwrap_or_default();
    let mut child = std::process::Command::new("python3")
        .args(["-c", script])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap_or_else(|e| panic!("python3 is needed: {e}"));
    if let Some(mut stdin) = child.stdin.take() {
        std::io::Write::write_all(&mut stdin, input.as_bytes()).unwrap_or_else(|e| panic!("{e}"));
    }
    let output = child.wait_with_output().unwrap_or_else(|e| panic!("{e}"));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(output.status.success(), "PyJWT rejected the keys (pip install 'pyjwt[crypto]'): {stderr}");
    assert_eq!(String::from_utf8_lossy(&output.stdout).trim(), "ok");
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    #[test]
    fn generate_then_validate_is_clean(length in 32usize..80, days in 31u32..4000, secret in "[ -~]{32,64}") {
        let given = (length % 2 == 0).then(|| Secret::new(secret));
        let options = GenerateOptions { jwt_secret: given, jwt_secret_length: length, lifetime_days: days,
            asymmetric: length % 3 == 0, other_secrets: false, now: NOW };
        let keys = generate(&options).unwrap_or_else(|e| panic!("{e}"));
        let found = validate_keys(|k| keys.get(k), NOW);
        prop_assert!(found.is_empty(), "{:?}", found);
    }

    #[test]
    fn any_single_corruption_is_reported(which in 0usize..3, position in 0usize..400, byte in 0u8..128) {
        let mut vars = full_set(false);
        let name = ["JWT_SECRET", "ANON_KEY", "SERVICE_ROLE_KEY"][which];
        let mut bytes = vars[name].clone().into_bytes();
        let index = position % bytes.len();
        prop_assume!(bytes[index] != byte && byte.is_ascii_graphic());
        bytes[index] = byte;
        let corrupted = String::from_utf8(bytes).unwrap_or_default();
        // A change inside the last base64url character may only touch its unused padding bits.
        let same_token = decode(&corrupted).ok().zip(decode(&vars[name]).ok())
            .is_some_and(|(a, b)| a.signature == b.signature && a.header == b.header && a.claims == b.claims);
        prop_assume!(!same_token);
        vars.insert(name, corrupted);
        prop_assert!(!validate_keys(|k| vars.get(k).map(String::as_str), NOW).is_empty());
    }

    #[test]
    fn decoder_never_panics(text in "\\PC{0,300}", parts in proptest::collection::vec("[A-Za-z0-9_=-]{0,40}", 0..5)) {
        let _ = decode(&text);
        let _ = decode(&parts.join("."));
        let vars: HashMap<&str, String> = [("ANON_KEY", text.clone()), ("SERVICE_ROLE_KEY", parts.join(".")), ("JWT_SECRET", text)].into();
        let _ = validate_keys(|k| vars.get(k).map(String::as_str), NOW);
    }
}
