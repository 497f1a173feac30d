//! Function secrets of a stack on Dokploy. What a function reads with `Deno.env` is the functions container's
//! environment (the stock main router hands it to every worker), which the compose file's `functions` service
//! sets under `environment:`. Dokploy's compose env is only substituted into the compose file, never injected,
//! so a secret is two things: `NAME=value` in the compose env (encrypted at rest by Dokploy) and the line
//! `NAME: ${NAME}` under the functions service's environment. A name the compose file uses anywhere else is a
//! variable of the stack, not a function secret, and is refused. The compose file is edited as text (the line
//! is added or removed, nothing else moves); shapes this reader does not know are refused with the fix.

use super::secrets::{SecretDigest, digest};
use crate::failure::Failure;
use crate::supabase::env::EnvFile;

/// One entry of the functions service's environment.
#[derive(Clone, Debug, PartialEq, Eq)]
struct Entry {
    line: usize,
    name: String,
    value: String,
}

/// Where the functions service and its environment are in the compose file.
#[derive(Debug)]
struct Located {
    /// The line after which an entry is added.
    insert_after: usize,
    /// The text before a new entry's name: indentation, and `- ` in list form.
    lead: String,
    list_form: bool,
    /// `environment:` must be added first (at this indentation) because the service has none.
    add_key: Option<String>,
    entries: Vec<Entry>,
}

fn indent(line: &str) -> usize {
    line.len() - line.trim_start_matches(' ').len()
}

fn blank(line: &str) -> bool {
    let trimmed = line.trim();
    trimmed.is_empty() || trimmed.starts_with('#')
}

fn unquote(text: &str) -> &str {
    let t = text.trim();
    for q in ['"', '\''] {
        if t.len() >= 2 && t.starts_with(q) && t.ends_with(q) {
            return &t[1..t.len() - 1];
        }
    }
    t
}

fn unsupported(why: &str) -> Failure {
    Failure::new(
        "cannot find the functions service's environment in the compose file",
        why.to_owned(),
        "function secrets on Dokploy need a `functions` service with an `environment:` mapping, as in Dokploy's \
         Supabase template; add it in Dokploy's editor and call again",
    )
}

fn locate(lines: &[&str]) -> Result<Located, Failure> {
    let services = lines
        .iter()
        .position(|l| l.trim_end() == "services:")
        .ok_or_else(|| unsupported("the compose file has no top-level `services:`"))?;
    let service_indent = lines[services + 1..]
        .iter()
        .find(|l| !blank(l))
        .map(|l| indent(l))
        .filter(|i| *i > 0)
        .ok_or_else(|| unsupported("`services:` lists nothing"))?;
    let start = (services + 1..lines.len())
        .find(|&i| indent(lines[i]) == service_indent && lines[i].trim_end().trim_start() == "functions:")
        .ok_or_else(|| unsupported("there is no `functions:` service"))?;
    let end = (start + 1..lines.len()).find(|&i| !blank(lines[i]) && indent(lines[i]) <= service_indent);
    let end = end.unwrap_or(lines.len());
    let body: Vec<usize> = (start + 1..end).filter(|&i| !blank(lines[i])).collect();
    let key_indent = body.first().map_or(service_indent + 2, |&i| indent(lines[i]));
    let Some(&env_line) =
        body.iter().find(|&&i| indent(lines[i]) == key_indent && lines[i].trim_start().starts_with("environment:"))
    else {
        return Ok(Located {
            insert_after: body.last().copied().unwrap_or(start),
            lead: " ".repeat(key_indent + 2),
            list_form: false,
            add_key: Some(" ".repeat(key_indent)),
            entries: Vec::new(),
        });
    };
    if lines[env_line].trim() != "environment:" {
        return Err(unsupported("the functions service's environment is written inline"));
    }
    let mut entries = Vec::new();
    let mut last = env_line;
    let mut lead = None;
    let mut list_form = false;
    for &i in body.iter().filter(|&&i| i > env_line) {
        if indent(lines[i]) <= key_indent {
            break;
        }
        last = i;
        let text = lines[i].trim_start();
        let (name, value) = if let Some(item) = text.strip_prefix("- ") {
            list_form = true;
            let item = unquote(item);
            item.split_once('=').map_or((item, ""), |(n, v)| (n, v))
        } else {
            text.split_once(':')
                .map(|(n, v)| (n, unquote(v)))
                .ok_or_else(|| unsupported("an entry is not NAME: value"))?
        };
        lead.get_or_insert_with(|| {
            let spaces = " ".repeat(indent(lines[i]));
            if list_form { format!("{spaces}- ") } else { spaces }
        });
        entries.push(Entry { line: i, name: unquote(name).to_owned(), value: value.to_owned() });
    }
    Ok(Located {
        insert_after: last,
        lead: lead.unwrap_or_else(|| " ".repeat(key_indent + 2)),
        list_form,
        add_key: None,
        entries,
    })
}

/// `${NAME}`, `${NAME:-default}` and `${NAME-default}` replaced from `env` (missing: empty or the default).
fn resolve(value: &str, env: &EnvFile) -> String {
    let mut out = String::new();
    let mut rest = value;
    while let Some(start) = rest.find("${") {
        out.push_str(&rest[..start]);
        let Some(len) = rest[start..].find('}') else { break };
        let inner = &rest[start + 2..start + len];
        let (name, default) = match inner.split_once(":-").or_else(|| inner.split_once('-')) {
            Some((n, d)) => (n, d),
            None => (inner, ""),
        };
        out.push_str(env.get(name).filter(|v| !v.is_empty()).unwrap_or(default));
        rest = &rest[start + len + 1..];
    }
    out.push_str(rest);
    out
}

/// What the functions see: every entry of the service's environment, with the digest of its resolved value.
pub fn list(compose_file: &str, env: &EnvFile) -> Result<Vec<SecretDigest>, Failure> {
    let lines: Vec<&str> = compose_file.lines().collect();
    let mut found: Vec<SecretDigest> = locate(&lines)?
        .entries
        .iter()
        .map(|e| SecretDigest { name: e.name.clone(), sha256: Some(digest(&resolve(&e.value, env))), updated_at: None })
        .collect();
    found.sort_by(|a, b| a.name.cmp(&b.name));
    Ok(found)
}

fn references(text: &str, name: &str) -> usize {
    ["${NAME}", "${NAME:", "${NAME-"].iter().map(|p| text.matches(&p.replace("NAME", name)).count()).sum()
}

/// The compose file and env after setting and unsetting function secrets; refuses names of the stack.
pub fn plan(
    compose_file: &str,
    env: &EnvFile,
    set: &[(String, &str)],
    unset: &[String],
) -> Result<(String, EnvFile), Failure> {
    let mut lines: Vec<String> = compose_file.lines().map(str::to_owned).collect();
    let mut env = env.clone();
    for name in unset {
        let refs: Vec<&str> = lines.iter().map(String::as_str).collect();
        let located = locate(&refs)?;
        let wired = located.entries.iter().find(|e| &e.name == name && e.value == format!("${{{name}}}"));
        let Some(entry) = wired.cloned() else {
            return Err(Failure::new(
                format!("'{name}' is not a function secret of this stack"),
                "the functions service does not read it as NAME: ${NAME}",
                "list_function_secrets gives the names",
            ));
        };
        let elsewhere: usize =
            refs.iter().enumerate().filter(|(i, _)| *i != entry.line).map(|(_, l)| references(l, name)).sum();
        if elsewhere > 0 {
            return Err(stack_variable(name));
        }
        lines.remove(entry.line);
        env.unset(name);
    }
    for (name, value) in set {
        let refs: Vec<&str> = lines.iter().map(String::as_str).collect();
        let located = locate(&refs)?;
        let existing = located.entries.iter().find(|e| &e.name == name).cloned();
        let own = format!("${{{name}}}");
        if existing.as_ref().is_some_and(|entry| entry.value != own) {
            return Err(Failure::new(
                format!("the functions service sets '{name}' itself"),
                "its compose file gives it a fixed value or another variable",
                "choose another name",
            ));
        }
        let skip = existing.as_ref().map(|e| e.line);
        let elsewhere: usize =
            refs.iter().enumerate().filter(|(i, _)| Some(*i) != skip).map(|(_, l)| references(l, name)).sum();
        if elsewhere > 0 {
            return Err(stack_variable(name));
        }
        env.set(name, value);
        if existing.is_none() {
            let entry = if located.list_form {
                format!("{}{name}={own}", located.lead)
            } else {
                format!("{}{name}: {own}", located.lead)
            };
            let mut added = Vec::new();
            if let Some(key_indent) = &located.add_key {
                added.push(format!("{key_indent}environment:"));
            }
            added.push(entry);
            let at = located.insert_after + 1;
            lines.splice(at..at, added);
        }
    }
    let mut text = lines.join("\n");
    if compose_file.ends_with('\n') {
        text.push('\n');
    }
    Ok((text, env))
}

fn stack_variable(name: &str) -> Failure {
    Failure::new(
        format!("'{name}' is a variable of the stack, not a function secret"),
        "the compose file uses it outside the functions service's own NAME: ${NAME} line",
        "choose another name (dokploy_update_env changes the stack's variables)",
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    const COMPOSE: &str = "services:\n  kong:\n    image: kong\n    environment:\n      KONG_X: ${JWT_SECRET}\n  functions:\n    image: supabase/edge-runtime:v1.74.0\n    volumes:\n      - ../files/volumes/functions:/home/deno/functions:Z\n    environment:\n      JWT_SECRET: ${JWT_SECRET}\n      SUPABASE_URL: http://kong:8000\n      VERIFY_JWT: \"${FUNCTIONS_VERIFY_JWT}\"\n    command: [\"start\"]\n  analytics:\n    image: logflare\n";

    fn env(text: &str) -> EnvFile {
        crate::supabase::env::parse_text(text, "test").unwrap()
    }

    #[test]
    fn lists_what_the_functions_see() {
        let listed = list(COMPOSE, &env("JWT_SECRET=abc\nFUNCTIONS_VERIFY_JWT=false\n")).unwrap();
        let names: Vec<&str> = listed.iter().map(|s| s.name.as_str()).collect();
        assert_eq!(names, ["JWT_SECRET", "SUPABASE_URL", "VERIFY_JWT"]);
        assert_eq!(listed[0].sha256.as_deref(), Some(digest("abc").as_str()));
        assert_eq!(listed[2].sha256.as_deref(), Some(digest("false").as_str()));
    }

    #[test]
    fn a_secret_is_an_env_value_and_one_line_in_the_service() {
        let (file, env) = plan(COMPOSE, &env("JWT_SECRET=abc\n"), &[("STRIPE_KEY".into(), "sk_1")], &[]).unwrap();
        assert!(
            file.contains(
                "      VERIFY_JWT: \"${FUNCTIONS_VERIFY_JWT}\"\n      STRIPE_KEY: ${STRIPE_KEY}\n    command"
            )
        );
        assert_eq!(env.get("STRIPE_KEY"), Some("sk_1"));
        let (again, env2) = plan(&file, &env, &[("STRIPE_KEY".into(), "sk_2")], &[]).unwrap();
        assert_eq!(again, file, "already wired");
        assert_eq!(env2.get("STRIPE_KEY"), Some("sk_2"));
        let (back, env3) = plan(&again, &env2, &[], &["STRIPE_KEY".into()]).unwrap();
        assert_eq!(back, COMPOSE);
        assert_eq!(env3.get("STRIPE_KEY"), None);
    }

    #[test]
    fn stack_variables_and_fixed_values_are_refused() {
        let base = env("JWT_SECRET=abc\n");
        assert!(plan(COMPOSE, &base, &[("JWT_SECRET".into(), "x")], &[]).unwrap_err().what.contains("stack"));
        assert!(plan(COMPOSE, &base, &[("SUPABASE_URL".into(), "x")], &[]).unwrap_err().what.contains("itself"));
        assert!(plan(COMPOSE, &base, &[], &["SUPABASE_URL".into()]).is_err());
        assert!(plan("services:\n  db:\n    image: x\n", &base, &[("A".into(), "1")], &[]).is_err());
    }

    #[test]
    fn list_form_and_a_missing_environment() {
        let listy = "services:\n  functions:\n    image: x\n    environment:\n      - A=1\n";
        let (file, _) = plan(listy, &env(""), &[("B".into(), "2")], &[]).unwrap();
        assert_eq!(file, "services:\n  functions:\n    image: x\n    environment:\n      - A=1\n      - B=${B}\n");
        let bare = "services:\n  functions:\n    image: x\n  db:\n    image: y\n";
        let (file, _) = plan(bare, &env(""), &[("B".into(), "2")], &[]).unwrap();
        assert_eq!(
            file,
            "services:\n  functions:\n    image: x\n    environment:\n      B: ${B}\n  db:\n    image: y\n"
        );
    }
}
