//! What the fake's Supabase template makes: the compose row (`sourceType:"raw"`, appName
//! `<project>-supabase-<6>`), the generated env (random values; Dokploy's broken role-less keys when
//! asked), 15 file mounts, a kong:8000 domain on `<project>-<6hex>-127-0-0-1.sslip.io` with https off,
//! and, after a deploy, 13 containers `<appName>-<service>-1` with their deployment and container logs.

use super::State;
use super::procedures::{Fail, insert_project, not_found};
use serde_json::{Value, json};
use supamcp::supabase::keys::jwt::encode_hs256;
use supamcp::supabase::keys::random_lower_alnum;

/// The template's services and whether each has a health check.
pub const SERVICES: &[(&str, bool)] = &[
    ("studio", true),
    ("kong", true),
    ("auth", true),
    ("rest", false),
    ("realtime", true),
    ("storage", true),
    ("imgproxy", true),
    ("meta", false),
    ("functions", false),
    ("analytics", true),
    ("db", true),
    ("vector", true),
    ("supavisor", true),
];

const MOUNTS: &[&str] = &[
    "/volumes/api/kong-entrypoint.sh",
    "/volumes/api/kong.yml",
    "/volumes/snippets/.gitkeep",
    "/volumes/db/init/data.sql",
    "/volumes/db/_supabase.sql",
    "/volumes/db/jwt.sql",
    "/volumes/db/logs.sql",
    "/volumes/db/pooler.sql",
    "/volumes/db/realtime.sql",
    "/volumes/db/roles.sql",
    "/volumes/db/webhooks.sql",
    "/volumes/functions/hello/index.ts",
    "/volumes/functions/main/index.ts",
    "/volumes/logs/vector.yml",
    "/volumes/pooler/pooler.exs",
];

/// An excerpt of the template's docker-compose.yml, cut to what the tools read: kong; the storage service with
/// its settings as literals in its environment, as Supabase's stock compose has them; the functions service as
/// the template writes it (the files directory mounted at /home/deno/functions, its environment); db.
const COMPOSE_FILE: &str = r#"name: supabase
services:
  kong:
    image: kong/kong:3.9.1
    expose: ["8000", "8443"]
  storage:
    image: supabase/storage-api:v1.60.4
    environment:
      ANON_KEY: ${ANON_KEY}
      SERVICE_KEY: ${SERVICE_ROLE_KEY}
      FILE_SIZE_LIMIT: 52428800
      STORAGE_BACKEND: file
      FILE_STORAGE_BACKEND_PATH: /var/lib/storage
      TENANT_ID: ${STORAGE_TENANT_ID}
      REGION: ${REGION}
      GLOBAL_S3_BUCKET: ${GLOBAL_S3_BUCKET}
      ENABLE_IMAGE_TRANSFORMATION: "true"
      IMGPROXY_URL: http://imgproxy:5001
    volumes:
      - ../files/volumes/storage:/var/lib/storage:z
  functions:
    image: supabase/edge-runtime:v1.74.0
    restart: unless-stopped
    volumes:
      - ../files/volumes/functions:/home/deno/functions:Z
      - deno-cache:/root/.cache/deno
    environment:
      JWT_SECRET: ${JWT_SECRET}
      SUPABASE_URL: http://kong:8000
      SUPABASE_ANON_KEY: ${ANON_KEY}
      SUPABASE_SERVICE_ROLE_KEY: ${SERVICE_ROLE_KEY}
      VERIFY_JWT: "${FUNCTIONS_VERIFY_JWT}"
    command:
      [
        "start",
        "--main-service",
        "/home/deno/functions/main"
      ]
  db:
    image: supabase/postgres:17.6.1.136
"#;

fn slug(text: &str) -> String {
    let lowered: String =
        text.to_lowercase().chars().map(|c| if c.is_ascii_alphanumeric() { c } else { '-' }).collect();
    lowered.split('-').filter(|p| !p.is_empty()).collect::<Vec<_>>().join("-")
}

/// The project (and environment) a create call names, by version.
pub(super) fn resolve_parent(state: &State, input: &Value, legacy: bool) -> Result<(String, Option<String>), Fail> {
    if legacy {
        let id = input["projectId"].as_str().unwrap_or_default();
        state.projects.iter().find(|p| p["projectId"] == id).ok_or_else(|| not_found("Project"))?;
        return Ok((id.to_owned(), None));
    }
    let id = input["environmentId"].as_str().unwrap_or_default();
    let env = state.environments.iter().find(|e| e["environmentId"] == id).ok_or_else(|| not_found("Environment"))?;
    Ok((env["projectId"].as_str().unwrap_or_default().to_owned(), Some(id.to_owned())))
}

pub fn insert_compose(
    state: &mut State,
    project_id: &str,
    environment_id: Option<&str>,
    name: &str,
    app_name: Option<&str>,
    env: &str,
) -> Value {
    let compose_id = state.id("C");
    let suffix = random_lower_alnum(6);
    let app_name = match app_name {
        Some(base) => format!("{}-{suffix}", slug(base)),
        None => format!("compose-parse-digital-panel-{suffix}"),
    };
    let compose = json!({"composeId": compose_id, "name": name, "appName": app_name, "description": null, "env": env,
        "composeFile": "", "refreshToken": "r", "sourceType": "github", "composeType": "docker-compose",
        "composePath": "./docker-compose.yml", "command": "", "createEnvFile": true, "suffix": "", "randomize": false,
        "composeStatus": "idle", "environmentId": environment_id, "projectId": if environment_id.is_none() { json!(project_id) } else { Value::Null },
        "createdAt": chrono::Utc::now().to_rfc3339(), "serverId": null, "icon": null});
    state.composes.push(compose.clone());
    compose
}

/// The env lines Dokploy generates from the template for `host`.
pub fn generated_env(host: &str, broken_keys: bool) -> String {
    let secret = random_lower_alnum(32);
    let now = chrono::Utc::now().timestamp();
    let (anon, service) = if broken_keys {
        let same = encode_hs256(&json!({"iat": now, "exp": 1_893_456_000, "iss": "dokploy"}), &secret);
        (same.clone(), same)
    } else {
        let claims = |role: &str| json!({"iat": now, "exp": 1_893_456_000, "role": role, "iss": "supabase"});
        (encode_hs256(&claims("anon"), &secret), encode_hs256(&claims("service_role"), &secret))
    };
    let pw = || random_lower_alnum(32);
    let uuid = uuid::Uuid::new_v4();
    let lines = [
        "# Secrets".to_owned(),
        format!("SUPABASE_HOST={host}"),
        format!("POSTGRES_PASSWORD={}", pw()),
        format!("JWT_SECRET={secret}"),
        format!("ANON_KEY={anon}"),
        format!("SERVICE_ROLE_KEY={service}"),
        "DASHBOARD_USERNAME=supabase".to_owned(),
        format!("DASHBOARD_PASSWORD={}", pw()),
        format!("SECRET_KEY_BASE={}", random_lower_alnum(64)),
        format!("VAULT_ENC_KEY={}", pw()),
        format!("PG_META_CRYPTO_KEY={}", pw()),
        format!("LOGFLARE_PUBLIC_ACCESS_TOKEN={}", pw()),
        format!("LOGFLARE_PRIVATE_ACCESS_TOKEN={}", pw()),
        "POSTGRES_HOST=db\nPOSTGRES_DB=postgres\nPOSTGRES_PORT=5432\nPOSTGRES_USER=postgres".to_owned(),
        "POOLER_PROXY_PORT_TRANSACTION=6543\nPOOLER_DEFAULT_POOL_SIZE=20\nPOOLER_MAX_CLIENT_CONN=100".to_owned(),
        format!("POOLER_TENANT_ID={uuid}\nPOOLER_DB_POOL_SIZE=5"),
        "KONG_HTTP_PORT=8000\nKONG_HTTPS_PORT=8443".to_owned(),
        "PGRST_DB_SCHEMAS=public,storage,graphql_public\nPGRST_DB_MAX_ROWS=1000\nPGRST_DB_EXTRA_SEARCH_PATH=public".to_owned(),
        "SITE_URL=http://localhost:3000".to_owned(),
        format!("ADDITIONAL_REDIRECT_URLS=https://{host}/*,http://localhost:3000/*"),
        "JWT_EXPIRY=3600\nDISABLE_SIGNUP=false".to_owned(),
        format!("API_EXTERNAL_URL=https://{host}"),
        "JWT_KEYS=[]".to_owned(),
        "MAILER_URLPATHS_CONFIRMATION=\"/auth/v1/verify\"\nMAILER_URLPATHS_INVITE=\"/auth/v1/verify\"".to_owned(),
        "MAILER_URLPATHS_RECOVERY=\"/auth/v1/verify\"\nMAILER_URLPATHS_EMAIL_CHANGE=\"/auth/v1/verify\"".to_owned(),
        "ENABLE_EMAIL_SIGNUP=true\nENABLE_EMAIL_AUTOCONFIRM=false\nSMTP_ADMIN_EMAIL=admin@example.com".to_owned(),
        "SMTP_HOST=supabase-mail\nSMTP_PORT=2500\nSMTP_USER=fake_mail_user\nSMTP_PASS=fake_mail_password".to_owned(),
        "SMTP_SENDER_NAME=fake_sender\nENABLE_ANONYMOUS_USERS=false\nENABLE_PHONE_SIGNUP=true\nENABLE_PHONE_AUTOCONFIRM=true".to_owned(),
        "STUDIO_DEFAULT_ORGANIZATION=Default Organization\nSTUDIO_DEFAULT_PROJECT=Default Project".to_owned(),
        format!("SUPABASE_PUBLIC_URL=https://{host}"),
        "GLOBAL_S3_BUCKET=stub\nREGION=stub\nSTORAGE_TENANT_ID=stub".to_owned(),
        format!("S3_PROTOCOL_ACCESS_KEY_ID={}", random_lower_alnum(24)),
        format!("S3_PROTOCOL_ACCESS_KEY_SECRET={}", random_lower_alnum(48)),
        "IMGPROXY_AUTO_WEBP=true\nOPENAI_API_KEY=\nFUNCTIONS_VERIFY_JWT=false\nDOCKER_SOCKET_LOCATION=/var/run/docker.sock".to_owned(),
        "GOOGLE_PROJECT_ID=GOOGLE_PROJECT_ID\nGOOGLE_PROJECT_NUMBER=GOOGLE_PROJECT_NUMBER".to_owned(),
    ];
    lines.join("\n")
}

/// `compose.deployTemplate {id:"supabase"}`: compose, env, mounts and the kong domain; no deploy.
pub fn deploy_template(state: &mut State, project_id: &str, environment_id: Option<&str>, project_name: &str) -> Value {
    let host = format!("{}-{}-127-0-0-1.sslip.io", slug(project_name), &uuid::Uuid::new_v4().simple().to_string()[..6]);
    let broken = state.faults.broken_template_keys || state.parsed_version().template_keys_are_broken();
    let env = generated_env(&host, broken);
    let base = format!("{project_name} supabase");
    let mut compose = insert_compose(state, project_id, environment_id, "supabase", Some(&base), &env);
    let compose_id = compose["composeId"].as_str().unwrap_or_default().to_owned();
    if let Some(stored) = state.compose_mut(&compose_id) {
        stored["sourceType"] = json!("raw");
        stored["composeFile"] = json!(COMPOSE_FILE);
        stored["icon"] = json!("data:image/svg+xml;base64,PHN2Zy8+");
        compose = stored.clone();
    }
    for path in MOUNTS {
        let mount_id = state.id("M");
        state.mounts.push(json!({"mountId": mount_id, "type": "file", "filePath": path, "content": "", "serviceType": "compose", "composeId": compose_id}));
    }
    insert_domain(
        state,
        &json!({"host": host, "port": 8000, "serviceName": "kong", "composeId": compose_id, "domainType": "compose"}),
    );
    compose
}

pub fn insert_domain(state: &mut State, input: &Value) -> Value {
    let domain_id = state.id("O");
    let field = |name: &str, default: Value| if input[name].is_null() { default } else { input[name].clone() };
    let domain = json!({"domainId": domain_id, "host": input["host"].as_str().unwrap_or_default().trim(),
        "https": field("https", json!(false)), "port": field("port", json!(3000)), "path": field("path", json!("/")),
        "serviceName": field("serviceName", Value::Null), "domainType": field("domainType", json!("application")),
        "certificateType": field("certificateType", json!("none")), "composeId": field("composeId", Value::Null),
        "uniqueConfigKey": state.next_id, "createdAt": chrono::Utc::now().to_rfc3339(), "enabled": true});
    state.domains.push(domain.clone());
    domain
}

pub fn deploy_log_start(app_name: &str) -> String {
    format!(
        "Initializing deployment\nStarting compose deployment\nRunning: docker compose -p {app_name} -f docker-compose.yml up -d --build --remove-orphans\n"
    )
}

pub fn deploy_log_end(app_name: &str, failed: bool) -> String {
    if failed {
        format!(
            "Container {app_name}-kong-1 Error\ndependency failed to start: container {app_name}-kong-1 is unhealthy\nError occurred ❌, check the logs for details.\n"
        )
    } else {
        let started: Vec<String> =
            SERVICES.iter().map(|(s, _)| format!("Container {app_name}-{s}-1 Started")).collect();
        format!("{}\nDocker Compose Deployed: ✅\n", started.join("\n"))
    }
}

/// The containers after a deploy: running (healthy where there is a health check), or kong exited
/// when the deploy failed, and `unhealthy` marked so.
pub fn containers(app_name: &str, failed: bool, unhealthy: Option<&str>) -> Vec<Value> {
    SERVICES
        .iter()
        .enumerate()
        .map(|(i, (service, checked))| {
            let (state, status) = if failed && *service == "kong" {
                ("exited", "Exited (1) 2 seconds ago".to_owned())
            } else if unhealthy == Some(service) {
                ("running", "Up 3 minutes (unhealthy)".to_owned())
            } else if *checked {
                ("running", "Up 3 minutes (healthy)".to_owned())
            } else {
                ("running", "Up 3 minutes".to_owned())
            };
            json!({"containerId": format!("{:012x}{i:04}", app_name.len() * 7919), "name": format!("{app_name}-{service}-1"), "state": state, "status": status})
        })
        .collect()
}

/// `docker container logs --timestamps` of one container: a few lines at each level, filtered by
/// `search` and cut to the last `tail` lines.
/// `docker container logs --timestamps --tail N --since S` of one container, as `compose.readLogs` runs it
/// (then grep for `search`): the lines a test set for it in `custom`, or a fixed sample. `since` is `all` or
/// `<n>[smhd]` before now.
pub fn container_log(
    container: &Value,
    custom: Option<&Vec<String>>,
    tail: usize,
    since: &str,
    search: &str,
) -> String {
    let name = container["name"].as_str().unwrap_or_default();
    let sample = vec![
        format!("2026-11-22T10:00:00.000000000Z INFO starting {name}"),
        "2026-11-22T10:00:01.000000000Z INFO listening on port 8000".to_owned(),
        "2026-11-22T10:00:02.000000000Z WARN slow request: GET /rest/v1/items took 1200ms".to_owned(),
        "2026-11-22T10:00:03.000000000Z ERROR connection refused: db:5432".to_owned(),
        "2026-11-22T10:00:04.000000000Z INFO ready".to_owned(),
    ];
    let lines = custom.cloned().unwrap_or(sample);
    let cutoff = since.strip_suffix(['s', 'm', 'h', 'd']).and_then(|n| n.parse::<i64>().ok()).map(|n| {
        let unit = match since.chars().last() {
            Some('m') => 60,
            Some('h') => 3600,
            Some('d') => 86_400,
            _ => 1,
        };
        chrono::Utc::now() - chrono::Duration::seconds(n * unit)
    });
    let recent = |line: &&String| {
        let stamp = line.split(' ').next().and_then(|t| chrono::DateTime::parse_from_rfc3339(t).ok());
        cutoff.is_none_or(|c| stamp.is_none_or(|t| t >= c))
    };
    let kept: Vec<&String> = lines.iter().filter(recent).filter(|l| search.is_empty() || l.contains(search)).collect();
    let start = kept.len().saturating_sub(tail);
    kept[start..].iter().map(|l| l.as_str()).collect::<Vec<_>>().join("\n")
}

/// Seeds a project with no compose (for conflict checks).
pub fn empty_project(state: &mut State, name: &str) -> String {
    insert_project(state, name).0
}
