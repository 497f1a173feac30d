//! Checks made before any source is sent or written: the slug rules of the Supabase CLI and API
//! (`^[A-Za-z][A-Za-z0-9_-]*$`), safe relative file names, the entrypoint among the files, size limits (the
//! deploy endpoint's 20 MB), secrets pasted into the source (a service-role JWT, an `sb_secret_` key, a
//! personal access token: refused), and npm:/jsr: imports without a deno.json or import map (the official
//! server's opaque-500 case: a warning).

use super::{Deploy, IMPORT_MAP_NAMES, SourceFile};
use crate::failure::Failure;
use base64::Engine;

/// The most bytes all files of one function may hold.
pub const MAX_TOTAL_BYTES: usize = 20 * 1024 * 1024;
/// The most files one function may have.
pub const MAX_FILES: usize = 1000;
/// The longest slug.
pub const MAX_SLUG_LEN: usize = 128;

/// The slug rules: a letter first, then letters, digits, `_` and `-`.
pub fn check_slug(slug: &str) -> Result<(), Failure> {
    let mut chars = slug.chars();
    let first_ok = chars.next().is_some_and(|c| c.is_ascii_alphabetic());
    let rest_ok = chars.all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-');
    if first_ok && rest_ok && slug.len() <= MAX_SLUG_LEN {
        return Ok(());
    }
    Err(Failure::new(
        format!("'{slug}' is not a valid function name"),
        format!("a slug starts with a letter and holds only letters, digits, _ and - (at most {MAX_SLUG_LEN})"),
        "rename it, e.g. hello-world",
    ))
}

/// A file name that stays inside the function's directory: relative, no `..`, no empty or hidden-system parts.
pub fn check_file_name(name: &str) -> Result<(), Failure> {
    let bad = |why: &str| {
        Failure::new(
            format!("file name '{name}' cannot be used"),
            why.to_owned(),
            "give paths relative to the function's root, such as index.ts or lib/util.ts",
        )
    };
    if name.is_empty() || name.starts_with('/') || name.contains('\\') || name.contains('\0') {
        return Err(bad("it is empty, absolute or holds a backslash or NUL"));
    }
    if name.split('/').any(|part| part.is_empty() || part == "." || part == "..") {
        return Err(bad("it has an empty, . or .. segment"));
    }
    Ok(())
}

/// Checks a deploy before anything is sent; returns the warnings to pass on.
pub fn check_deploy(deploy: &Deploy) -> Result<Vec<String>, Failure> {
    check_slug(&deploy.slug)?;
    if deploy.files.is_empty() {
        return Err(Failure::new("nothing to deploy", "no files were given", "pass files or a directory"));
    }
    if deploy.files.len() > MAX_FILES {
        return Err(Failure::new(
            "too many files",
            format!("{} files (at most {MAX_FILES})", deploy.files.len()),
            "deploy only the function's own sources",
        ));
    }
    let mut total = 0;
    for (index, file) in deploy.files.iter().enumerate() {
        check_file_name(&file.name)?;
        if deploy.files[..index].iter().any(|earlier| earlier.name == file.name) {
            return Err(Failure::new(
                format!("file '{}' is given twice", file.name),
                "each path may appear once",
                "remove the duplicate",
            ));
        }
        total += file.content.len();
    }
    if total > MAX_TOTAL_BYTES {
        return Err(Failure::new(
            "the function is too large",
            format!("{total} bytes of source (the deploy endpoint takes at most {MAX_TOTAL_BYTES})"),
            "leave out generated or vendored files; import large dependencies with npm: or jsr: instead",
        ));
    }
    if !deploy.files.iter().any(|f| f.name == deploy.entrypoint_path) {
        let names: Vec<&str> = deploy.files.iter().map(|f| f.name.as_str()).take(10).collect();
        return Err(Failure::new(
            format!("the entrypoint {} is not among the files", deploy.entrypoint_path),
            format!("files: {}", names.join(", ")),
            "add it or pass entrypoint_path naming one of the files",
        ));
    }
    if let Some(map) = &deploy.import_map_path
        && !deploy.files.iter().any(|f| &f.name == map)
    {
        return Err(Failure::new(
            format!("the import map {map} is not among the files"),
            "import_map_path names a file that is not sent",
            "add the file or leave import_map_path out",
        ));
    }
    for file in &deploy.files {
        if let Some(kind) = pasted_secret(&file.content) {
            return Err(Failure::new(
                format!("{} holds {kind}", file.name),
                "secrets in source are readable by anyone who can read the function (get_edge_function, the dashboard)",
                "remove it and read it at run time with Deno.env.get(...) after set_function_secrets; \
                 SUPABASE_SERVICE_ROLE_KEY is already set in every function",
            ));
        }
    }
    let mut warnings = Vec::new();
    let has_map = deploy.import_map_path.is_some()
        || deploy.files.iter().any(|f| IMPORT_MAP_NAMES.contains(&f.name.rsplit('/').next().unwrap_or_default()));
    let bare = deploy.files.iter().find(|f| uses_registry_imports(&f.content));
    if let (false, Some(file)) = (has_map, bare) {
        warnings.push(format!(
            "{} imports npm: or jsr: packages and no deno.json or import_map.json is sent: if the bundler cannot \
             resolve them the deploy fails with an opaque internal error; add a deno.json with the imports",
            file.name
        ));
    }
    if let Some(kind) = deploy.files.iter().find_map(|f| anon_jwt(&f.content)) {
        warnings.push(format!("the source holds {kind}: prefer Deno.env.get('SUPABASE_ANON_KEY')"));
    }
    Ok(warnings)
}

/// Whether the text imports `npm:` or `jsr:` specifiers.
fn uses_registry_imports(text: &str) -> bool {
    ["\"npm:", "'npm:", "\"jsr:", "'jsr:", "`npm:", "`jsr:"].iter().any(|needle| text.contains(needle))
}

/// The kind of secret pasted into `text`, if any: a JWT whose role is service_role or supabase_admin, an
/// `sb_secret_` key, a personal access token `sbp_<40 hex>`.
pub fn pasted_secret(text: &str) -> Option<&'static str> {
    if tokens_after(text, "sb_secret_").any(|rest| rest.len() >= 10) {
        return Some("an sb_secret_ API key");
    }
    if tokens_after(text, "sbp_").any(|rest| rest.len() >= 40 && rest.chars().all(|c| c.is_ascii_hexdigit())) {
        return Some("a Supabase personal access token");
    }
    jwt_roles(text).find(|role| role == "service_role" || role == "supabase_admin").map(|_| "a service-role JWT")
}

fn anon_jwt(text: &str) -> Option<&'static str> {
    jwt_roles(text).next().map(|_| "a JWT")
}

/// The word-character runs that follow each `prefix` in `text`.
fn tokens_after<'a>(text: &'a str, prefix: &'a str) -> impl Iterator<Item = &'a str> + 'a {
    text.match_indices(prefix).map(move |(at, _)| {
        let rest = &text[at + prefix.len()..];
        let end = rest.find(|c: char| !(c.is_ascii_alphanumeric() || c == '_' || c == '-')).unwrap_or(rest.len());
        &rest[..end]
    })
}

/// The `role` claim of every JWT-shaped token in `text` (`eyJ...`.`eyJ...`.signature).
fn jwt_roles(text: &str) -> impl Iterator<Item = String> + '_ {
    tokens_after_dots(text).filter_map(|token| {
        let mut parts = token.split('.');
        let (_header, payload, signature) = (parts.next()?, parts.next()?, parts.next()?);
        if parts.next().is_some() || signature.len() < 16 || !payload.starts_with("eyJ") {
            return None;
        }
        let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD.decode(payload.trim_end_matches('=')).ok()?;
        let claims: serde_json::Value = serde_json::from_slice(&bytes).ok()?;
        Some(claims.get("role").and_then(|r| r.as_str()).unwrap_or("none").to_owned())
    })
}

/// Tokens starting with `eyJ` made of base64url characters and dots.
fn tokens_after_dots(text: &str) -> impl Iterator<Item = &str> + '_ {
    text.match_indices("eyJ").filter_map(move |(at, _)| {
        if at > 0 && text.as_bytes()[at - 1].is_ascii_alphanumeric() {
            return None;
        }
        let rest = &text[at..];
        let end =
            rest.find(|c: char| !(c.is_ascii_alphanumeric() || c == '_' || c == '-' || c == '.')).unwrap_or(rest.len());
        Some(&rest[..end])
    })
}

/// The files as given, or refused when a name repeats; sorted by name for stable output.
pub fn sorted(mut files: Vec<SourceFile>) -> Vec<SourceFile> {
    files.sort_by(|a, b| a.name.cmp(&b.name));
    files
}

#[cfg(test)]
mod tests {
    use super::*;

    fn deploy(files: &[(&str, &str)]) -> Deploy {
        Deploy {
            slug: "hello".into(),
            name: "hello".into(),
            entrypoint_path: "index.ts".into(),
            import_map_path: None,
            verify_jwt: true,
            files: files.iter().map(|(n, c)| SourceFile { name: (*n).into(), content: (*c).into() }).collect(),
        }
    }

    fn jwt(role: &str) -> String {
        let engine = base64::engine::general_purpose::URL_SAFE_NO_PAD;
        format!(
            "{}.{}.{}",
            engine.encode(br#"{"alg":"HS256","typ":"JWT"}"#),
            engine.encode(format!(r#"{{"role":"{role}","iss":"supabase"}}"#)),
            "c2lnbmF0dXJlc2lnbmF0dXJlc2ln"
        )
    }

    #[test]
    fn slugs_follow_the_cli_rules() {
        assert!(check_slug("hello-world_2").is_ok());
        for bad in ["", "2fast", "-x", "a/b", "a.b", "héllo", "../x"] {
            assert!(check_slug(bad).is_err(), "{bad}");
        }
        assert!(check_slug(&"a".repeat(129)).is_err());
    }

    #[test]
    fn names_stay_inside_the_function() {
        assert!(check_file_name("lib/util.ts").is_ok());
        for bad in ["/etc/passwd", "../x.ts", "a//b", "a/./b", "", "a\\b"] {
            assert!(check_file_name(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn entrypoint_sizes_and_duplicates_are_checked() {
        assert!(check_deploy(&deploy(&[("index.ts", "x")])).unwrap().is_empty());
        assert!(check_deploy(&deploy(&[("main.ts", "x")])).unwrap_err().what.contains("entrypoint"));
        assert!(check_deploy(&deploy(&[("index.ts", "x"), ("index.ts", "y")])).is_err());
        let big = "x".repeat(MAX_TOTAL_BYTES + 1);
        assert!(check_deploy(&deploy(&[("index.ts", &big)])).unwrap_err().what.contains("too large"));
    }

    #[test]
    fn pasted_secrets_are_refused_and_anon_keys_warned() {
        let service = format!("const key = '{}';", jwt("service_role"));
        assert!(check_deploy(&deploy(&[("index.ts", &service)])).unwrap_err().what.contains("service-role JWT"));
        let opaque = "const k = 'sb_secret_abcdefghijklmnop';";
        assert!(check_deploy(&deploy(&[("index.ts", opaque)])).is_err());
        let pat = format!("const t = 'sbp_{}';", "a1".repeat(20));
        assert!(check_deploy(&deploy(&[("index.ts", &pat)])).is_err());
        let anon = format!("const key = '{}';", jwt("anon"));
        let warnings = check_deploy(&deploy(&[("index.ts", &anon)])).unwrap();
        assert!(warnings.iter().any(|w| w.contains("SUPABASE_ANON_KEY")), "{warnings:?}");
        assert!(check_deploy(&deploy(&[("index.ts", "Deno.env.get('SB_SECRET')")])).unwrap().is_empty());
    }

    #[test]
    fn registry_imports_without_an_import_map_warn() {
        let source = "import Stripe from 'npm:stripe@14';";
        let warnings = check_deploy(&deploy(&[("index.ts", source)])).unwrap();
        assert!(warnings[0].contains("deno.json"), "{warnings:?}");
        let with_map = check_deploy(&deploy(&[("index.ts", source), ("deno.json", "{}")])).unwrap();
        assert!(with_map.is_empty());
    }
}
