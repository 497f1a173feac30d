//! Moving a Supabase stack to another domain or scheme: the public URL variables follow the kong
//! domain (API_EXTERNAL_URL, SUPABASE_PUBLIC_URL, SUPABASE_HOST; SITE_URL and ADDITIONAL_REDIRECT_URLS
//! where they pointed at the old domain or at the template's localhost default).

use crate::supabase::env::EnvFile;
use crate::supabase::env::url::{UrlChange, parse_url};

fn host_of(url: &str) -> Option<String> {
    parse_url(url).map(|u| u.host.split(':').next().unwrap_or(u.host).to_ascii_lowercase())
}

/// Rewrites the URL variables of `file` for `host` with https or http; `old_host` is the domain the
/// stack had before (its URLs are moved too). Returns the changes.
pub fn retarget_urls(file: &mut EnvFile, old_host: Option<&str>, host: &str, https: bool) -> Vec<UrlChange> {
    let scheme = if https { "https" } else { "http" };
    let public = format!("{scheme}://{host}");
    let old = old_host.map(str::to_ascii_lowercase);
    let ours = |url: &str| host_of(url).is_some_and(|h| Some(&h) == old.as_ref() || h == host.to_ascii_lowercase());
    let mut wanted: Vec<(&str, String)> =
        vec![("API_EXTERNAL_URL", public.clone()), ("SUPABASE_PUBLIC_URL", public.clone())];
    if file.get("SUPABASE_HOST").is_some() {
        wanted.push(("SUPABASE_HOST", host.to_owned()));
    }
    let site = file.get("SITE_URL").unwrap_or_default().to_owned();
    let site_is_default = site.is_empty() || site == "http://localhost:3000";
    if site_is_default || ours(&site) {
        wanted.push(("SITE_URL", public.clone()));
    }
    let redirects = file.get("ADDITIONAL_REDIRECT_URLS").unwrap_or_default().to_owned();
    let mut entries: Vec<String> = redirects
        .split(',')
        .map(str::trim)
        .filter(|e| !e.is_empty())
        .map(|e| if ours(e) { format!("{public}/*") } else { e.to_owned() })
        .collect();
    if !entries.iter().any(|e| e.starts_with(&public)) {
        entries.insert(0, format!("{public}/*"));
    }
    entries.dedup();
    wanted.push(("ADDITIONAL_REDIRECT_URLS", entries.join(",")));
    let mut changes = Vec::new();
    for (variable, value) in wanted {
        let before = file.get(variable).unwrap_or_default().to_owned();
        if file.set(variable, &value) {
            changes.push(UrlChange { variable: variable.to_owned(), before, after: value });
        }
    }
    changes
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn moves_every_url_of_the_old_domain() {
        let text = "SUPABASE_HOST=old.sslip.io\nAPI_EXTERNAL_URL=https://old.sslip.io\nSUPABASE_PUBLIC_URL=https://old.sslip.io\nSITE_URL=http://localhost:3000\nADDITIONAL_REDIRECT_URLS=https://old.sslip.io/*,http://localhost:3000/*\n";
        let mut file = EnvFile::parse(text).unwrap_or_default();
        let changes = retarget_urls(&mut file, Some("old.sslip.io"), "db.example.com", true);
        assert_eq!(changes.len(), 5);
        assert_eq!(file.get("SITE_URL"), Some("https://db.example.com"));
        assert_eq!(file.get("ADDITIONAL_REDIRECT_URLS"), Some("https://db.example.com/*,http://localhost:3000/*"));
    }

    #[test]
    fn keeps_an_app_site_url() {
        let mut file = EnvFile::parse("SITE_URL=https://app.example.com\n").unwrap_or_default();
        retarget_urls(&mut file, None, "db.example.com", false);
        assert_eq!(file.get("SITE_URL"), Some("https://app.example.com"));
        assert_eq!(file.get("API_EXTERNAL_URL"), Some("http://db.example.com"));
    }
}
