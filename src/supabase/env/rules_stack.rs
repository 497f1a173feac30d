//! Rules about the stack's wiring: public URLs (http, mixed schemes, hosts that disagree), required
//! variables, infrastructure values that must not change, numbers (pool sizes against max_connections,
//! JWT_EXPIRY), project names and Dokploy container prefixes, unreadable and duplicate lines.

use super::EnvFile;
use super::project::check_project_name;
use super::template::{FIXED, Need, TEMPLATE};
use super::url::{URL_VARIABLES, parse_url, urls_of};
use crate::supabase::finding::{Finding, Severity};

/// Connections PostgreSQL keeps for superusers (`superuser_reserved_connections`).
const SUPERUSER_RESERVED: i64 = 3;
/// Connections the other services (auth, rest, realtime, storage, meta, analytics) hold: an estimate.
const SERVICES_ESTIMATE: i64 = 30;
const KEY_VARIABLES: [&str; 3] = ["JWT_SECRET", "ANON_KEY", "SERVICE_ROLE_KEY"];

pub fn check(file: &EnvFile, max_connections: i64, out: &mut Vec<Finding>) {
    lines(file, out);
    urls(file, out);
    required(file, out);
    fixed(file, out);
    numbers(file, max_connections, out);
    names(file, out);
}

fn lines(file: &EnvFile, out: &mut Vec<Finding>) {
    for line in file.unparsed_lines() {
        out.push(
            Finding::new("line_unparsed", Severity::Warning, &format!("line {line}"))
                .expected("KEY=value, a comment or a blank line")
                .message(format!("line {line} is not an assignment; docker compose refuses the file or skips the line"))
                .fix(format!("fix or comment out line {line}")),
        );
    }
    for duplicate in file.duplicate_keys() {
        let key = &duplicate.key;
        let values: Vec<&str> = file.entries().filter(|e| e.key == *key).map(|e| e.value.as_str()).collect();
        let differ = values.windows(2).any(|pair| pair[0] != pair[1]);
        let (severity, effect) = if differ {
            (Severity::Warning, "the values differ, and an edit of an earlier line has no effect")
        } else {
            (Severity::Info, "the values are the same")
        };
        let (lines, winner) = (duplicate.lines_text(), duplicate.winning_line());
        out.push(
            Finding::new("variable_duplicate", severity, key)
                .current(file.get(key).unwrap_or_default())
                .expected("one assignment")
                .message(format!(
                    "{key} is assigned on {lines}; docker compose (and supamcp) use the last one, line {winner}: {effect}"
                ))
                .fix(format!("keep the assignment you mean and remove the others ({lines})")),
        );
    }
}

fn urls(file: &EnvFile, out: &mut Vec<Finding>) {
    let mut http_public = Vec::new();
    let mut https_public = false;
    for variable in URL_VARIABLES {
        let Some(value) = file.get(variable) else { continue };
        for url in urls_of(variable, value) {
            let Some(parsed) = parse_url(&url) else {
                out.push(Finding::new("url_invalid", Severity::Critical, variable).current(&url)
                    .expected("scheme://host[:port][/path]")
                    .message(format!("{variable} holds {url:?}, which is not an absolute URL; auth builds its redirects and mail links from it"))
                    .fix(format!("write {variable} as https://your-domain")));
                continue;
            };
            let local = parsed.is_local();
            match parsed.scheme.to_ascii_lowercase().as_str() {
                "https" if !local => https_public = true,
                "http" if !local => http_public.push(variable),
                _ => {}
            }
            if parsed.scheme.eq_ignore_ascii_case("http") && !(local && variable == "SITE_URL") {
                let severity = if local { Severity::Info } else { Severity::Warning };
                let why = if local {
                    "a local URL: fine on this machine, unreachable for anyone else"
                } else {
                    "sessions, tokens and redirects travel unencrypted, and browsers on an https site block the calls as mixed content"
                };
                out.push(
                    Finding::new("url_http", severity, variable)
                        .current(&url)
                        .expected(url.replacen("http://", "https://", 1))
                        .message(format!("{variable} uses http:// ({why})"))
                        .fix("serve the stack over HTTPS and switch the URL variables together (convert_protocols)"),
                );
            }
        }
    }
    http_public.dedup();
    if https_public && !http_public.is_empty() {
        out.push(Finding::new("url_mixed_scheme", Severity::Warning, http_public[0])
            .expected("https:// on every public URL")
            .message(format!("the public URLs mix https and http ({} use http): the usual cause of JWT and redirect errors after enabling HTTPS", http_public.join(", ")))
            .fix("convert the URL variables together with convert_protocols"));
    }
    let host = |name: &str| file.get(name).and_then(|v| parse_url(v).map(|u| u.host.to_ascii_lowercase()));
    let api = host("API_EXTERNAL_URL");
    let pairs = [
        ("SUPABASE_PUBLIC_URL", host("SUPABASE_PUBLIC_URL")),
        ("SUPABASE_HOST", file.get("SUPABASE_HOST").map(|h| h.trim().to_ascii_lowercase())),
    ];
    for (variable, other) in pairs {
        if let (Some(api), Some(other)) = (&api, other)
            && !other.is_empty()
            && api != &other
        {
            out.push(Finding::new("url_host_mismatch", Severity::Warning, variable).current(file.get(variable).unwrap_or_default())
                    .expected(format!("host {api}, as in API_EXTERNAL_URL"))
                    .message(format!("{variable} names host {other} but API_EXTERNAL_URL names {api}: Studio, auth links and clients reach different gateways"))
                    .fix(format!("use the domain that routes to kong:8000 in both {variable} and API_EXTERNAL_URL")));
        }
    }
}

fn required(file: &EnvFile, out: &mut Vec<Finding>) {
    for (variable, default, need) in TEMPLATE {
        if KEY_VARIABLES.contains(variable) {
            continue;
        }
        let value = file.get(variable);
        let (rule, severity) = match (need, value) {
            (Need::Required, None) => ("required_missing", Severity::Critical),
            (Need::Required, Some(v)) if v.trim().is_empty() => ("required_missing", Severity::Critical),
            (Need::Expected, None) => ("variable_missing", Severity::Info),
            _ => continue,
        };
        let expected =
            if default.is_empty() { "a value".to_owned() } else { format!("a value (template default {default:?})") };
        out.push(
            Finding::new(rule, severity, variable)
                .expected(expected)
                .message(format!(
                    "{variable} is {} in this file; the current Supabase docker stack reads it",
                    if value.is_some() { "empty" } else { "missing" }
                ))
                .fix(format!("add {variable} (fix_config adds it with a generated or default value)")),
        );
    }
}

fn fixed(file: &EnvFile, out: &mut Vec<Finding>) {
    for (variable, expected) in FIXED {
        let Some(value) = file.get(variable) else { continue };
        let port = variable.ends_with("_PORT") || variable.contains("PORT_");
        let not_a_number = port && value.trim().parse::<u16>().is_err();
        if value.trim() == *expected || value.trim().is_empty() || not_a_number {
            continue;
        }
        let severity = if port { Severity::Warning } else { Severity::Critical };
        out.push(Finding::new("infra_changed", severity, variable).current(value).expected(*expected)
            .message(format!("{variable} is {value:?}; the stack's containers are wired to {expected:?} (service names, init scripts, Dokploy's kong:8000 domain), so changing it here breaks them"))
            .fix(format!("set {variable}={expected}; change published ports in the compose file instead")));
    }
}

fn integer(file: &EnvFile, variable: &str, out: &mut Vec<Finding>) -> Option<i64> {
    let value = file.get(variable)?.trim();
    if value.is_empty() {
        return None;
    }
    match value.parse::<i64>() {
        Ok(number) => Some(number),
        Err(_) => {
            out.push(
                Finding::new("value_not_integer", Severity::Critical, variable)
                    .current(value)
                    .expected("a whole number")
                    .message(format!("{variable} must be a whole number; the service reading it fails to start"))
                    .fix(format!("write {variable} as digits only")),
            );
            None
        }
    }
}

fn numbers(file: &EnvFile, max_connections: i64, out: &mut Vec<Finding>) {
    for variable in ["POSTGRES_PORT", "POOLER_PROXY_PORT_TRANSACTION", "KONG_HTTP_PORT", "KONG_HTTPS_PORT", "SMTP_PORT"]
    {
        integer(file, variable, out);
    }
    let pool = integer(file, "POOLER_DEFAULT_POOL_SIZE", out);
    let clients = integer(file, "POOLER_MAX_CLIENT_CONN", out);
    let db_pool = integer(file, "POOLER_DB_POOL_SIZE", out).unwrap_or(5);
    if let Some(pool) = pool {
        let available = max_connections - SUPERUSER_RESERVED;
        let used = pool + db_pool;
        let finding = |severity, why: String| {
            Finding::new("pooler_pool_too_large", severity, "POOLER_DEFAULT_POOL_SIZE")
                .current(&pool.to_string())
                .expected(format!(
                    "at most {} with max_connections={max_connections}",
                    (available - SERVICES_ESTIMATE - db_pool).max(1)
                ))
                .message(why)
                .fix("lower POOLER_DEFAULT_POOL_SIZE, or raise max_connections in PostgreSQL")
        };
        if used > available {
            out.push(finding(Severity::Critical, format!("POOLER_DEFAULT_POOL_SIZE + POOLER_DB_POOL_SIZE = {used} exceed the {available} connections PostgreSQL allows (max_connections {max_connections} minus {SUPERUSER_RESERVED} reserved): clients get \"too many connections\"")));
        } else if used > available - SERVICES_ESTIMATE {
            out.push(finding(Severity::Warning, format!("the pooler may open {used} connections, leaving fewer than the ~{SERVICES_ESTIMATE} the other services hold out of {available}")));
        }
        if pool < 1 {
            out.push(
                Finding::new("pooler_pool_too_small", Severity::Critical, "POOLER_DEFAULT_POOL_SIZE")
                    .current(&pool.to_string())
                    .expected("at least 1")
                    .message("a pool size below 1 lets no client through")
                    .fix("set POOLER_DEFAULT_POOL_SIZE=20"),
            );
        }
        if let Some(clients) = clients.filter(|c| *c < pool) {
            out.push(Finding::new("pooler_clients_below_pool", Severity::Warning, "POOLER_MAX_CLIENT_CONN").current(&clients.to_string())
                .expected(format!("at least POOLER_DEFAULT_POOL_SIZE ({pool})"))
                .message("POOLER_MAX_CLIENT_CONN is smaller than the pool: the pool can never be used fully and clients are refused early")
                .fix("set POOLER_MAX_CLIENT_CONN=100 (the template default) or higher"));
        }
    }
    if let Some(expiry) = integer(file, "JWT_EXPIRY", out) {
        let (severity, why) = match expiry {
            i64::MIN..=0 => (Severity::Critical, "every access token is already expired when it is issued"),
            1..=299 => (Severity::Warning, "clients refresh their session every few minutes"),
            604_801.. => {
                (Severity::Warning, "stolen access tokens stay valid for more than a week (Supabase caps it at 604800)")
            }
            _ => return,
        };
        out.push(
            Finding::new("jwt_expiry_range", severity, "JWT_EXPIRY")
                .current(&expiry.to_string())
                .expected("300 to 604800 seconds (template default 3600)")
                .message(format!("JWT_EXPIRY={expiry}: {why}"))
                .fix("set JWT_EXPIRY=3600"),
        );
    }
}

fn names(file: &EnvFile, out: &mut Vec<Finding>) {
    for (variable, rule) in [
        ("APP_NAME", "project_name_invalid"),
        ("COMPOSE_PROJECT_NAME", "project_name_invalid"),
        ("CONTAINER_PREFIX", "container_prefix_invalid"),
    ] {
        let Some(value) = file.get(variable).filter(|v| !v.is_empty()) else { continue };
        let check = check_project_name(value);
        if !check.valid {
            out.push(
                Finding::new(rule, Severity::Critical, variable)
                    .current(value)
                    .expected(check.suggestion.clone())
                    .message(format!(
                        "{variable} {value:?} becomes part of container, network and volume names: {}",
                        check.problems.join("; ")
                    ))
                    .fix(format!("use {:?} (lowercase letter first, a-z 0-9 '-', at most 32)", check.suggestion)),
            );
        }
    }
}
