//! Bucket limits as the Storage service reads them: a size given as bytes or as "50MB" (decimal units B, KB,
//! MB, GB, as the service's own parser), allowed MIME types with `type/*` wildcards, and the content type of a
//! file guessed from its extension when the caller gives none.

use crate::failure::Failure;

/// Bytes of a size such as `52428800`, `"50MB"`, `"1.5GB"`, `"500 KB"` (units are decimal, as Storage's).
pub fn parse_size(raw: &str) -> Result<u64, Failure> {
    let text = raw.trim().replace(' ', "").to_ascii_uppercase();
    let invalid = || {
        Failure::new(
            format!("'{raw}' is not a size"),
            "sizes are a number of bytes or a number with B, KB, MB or GB (decimal units: 1MB = 1000000 bytes)",
            "pass e.g. 52428800 or \"50MB\"",
        )
    };
    let split = text.find(|c: char| !(c.is_ascii_digit() || c == '.')).unwrap_or(text.len());
    let (number, unit) = text.split_at(split);
    let factor: f64 = match unit {
        "" | "B" => 1.0,
        "KB" => 1e3,
        "MB" => 1e6,
        "GB" => 1e9,
        _ => return Err(invalid()),
    };
    let value: f64 = number.parse().map_err(|_| invalid())?;
    let bytes = (value * factor).round();
    if !bytes.is_finite() || !(0.0..=9.0e15).contains(&bytes) {
        return Err(invalid());
    }
    Ok(bytes as u64)
}

/// Whether `content_type` is allowed by `allowed` (`None` or empty: everything). `image/*` matches every
/// image type; parameters (`; charset=...`) and case are ignored.
pub fn mime_allowed(allowed: Option<&[String]>, content_type: &str) -> bool {
    let Some(allowed) = allowed.filter(|list| !list.is_empty()) else { return true };
    let essence = essence(content_type);
    allowed.iter().any(|pattern| {
        let pattern = essence_of(pattern);
        match pattern.strip_suffix("/*") {
            Some(family) => essence.split('/').next() == Some(family),
            None => pattern == "*/*" || pattern == "*" || pattern == essence,
        }
    })
}

fn essence(content_type: &str) -> String {
    essence_of(content_type)
}

fn essence_of(raw: &str) -> String {
    raw.split(';').next().unwrap_or_default().trim().to_ascii_lowercase()
}

/// The content type of a file name by its extension; `application/octet-stream` when unknown.
pub fn guess_content_type(name: &str) -> &'static str {
    let extension = name.rsplit_once('.').map(|(_, e)| e.to_ascii_lowercase()).unwrap_or_default();
    match extension.as_str() {
        "png" => "image/png",
        "jpg" | "jpeg" => "image/jpeg",
        "gif" => "image/gif",
        "webp" => "image/webp",
        "avif" => "image/avif",
        "svg" => "image/svg+xml",
        "ico" => "image/x-icon",
        "bmp" => "image/bmp",
        "tif" | "tiff" => "image/tiff",
        "heic" => "image/heic",
        "pdf" => "application/pdf",
        "json" => "application/json",
        "xml" => "application/xml",
        "zip" => "application/zip",
        "gz" | "tgz" => "application/gzip",
        "tar" => "application/x-tar",
        "wasm" => "application/wasm",
        "js" | "mjs" => "text/javascript",
        "css" => "text/css",
        "html" | "htm" => "text/html",
        "txt" | "log" => "text/plain",
        "md" => "text/markdown",
        "csv" => "text/csv",
        "mp4" => "video/mp4",
        "webm" => "video/webm",
        "mov" => "video/quicktime",
        "mp3" => "audio/mpeg",
        "wav" => "audio/wav",
        "ogg" => "audio/ogg",
        "woff" => "font/woff",
        "woff2" => "font/woff2",
        "ttf" => "font/ttf",
        _ => "application/octet-stream",
    }
}

/// Whether a content type is text that may be shown inline.
pub fn is_text(content_type: &str) -> bool {
    let essence = essence(content_type);
    essence.starts_with("text/")
        || matches!(
            essence.as_str(),
            "application/json" | "application/xml" | "application/javascript" | "image/svg+xml"
        )
        || essence.ends_with("+json")
}

/// A size for people: `52.4 MB`.
pub fn human(bytes: u64) -> String {
    let units = [(1e9, "GB"), (1e6, "MB"), (1e3, "KB")];
    for (factor, unit) in units {
        if bytes as f64 >= factor {
            return format!("{:.1} {unit}", bytes as f64 / factor);
        }
    }
    format!("{bytes} B")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes_parse_as_storage_parses_them() {
        assert_eq!(parse_size("52428800").unwrap(), 52_428_800);
        assert_eq!(parse_size("50MB").unwrap(), 50_000_000);
        assert_eq!(parse_size("1.5gb").unwrap(), 1_500_000_000);
        assert_eq!(parse_size("500 KB").unwrap(), 500_000);
        assert_eq!(parse_size("7B").unwrap(), 7);
        for bad in ["", "MB", "5 TB", "-1", "1e3", "lots"] {
            assert!(parse_size(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn mime_wildcards_match_families() {
        let allowed = vec!["image/*".to_owned(), "application/pdf".to_owned()];
        assert!(mime_allowed(Some(&allowed), "image/png"));
        assert!(mime_allowed(Some(&allowed), "Application/PDF; charset=binary"));
        assert!(!mime_allowed(Some(&allowed), "text/plain"));
        assert!(mime_allowed(None, "text/plain"));
        assert!(mime_allowed(Some(&[]), "text/plain"));
    }

    #[test]
    fn content_types_follow_extensions() {
        assert_eq!(guess_content_type("a/b/photo.JPG"), "image/jpeg");
        assert_eq!(guess_content_type("noext"), "application/octet-stream");
        assert!(is_text("text/plain;charset=UTF-8"));
        assert!(!is_text("image/png"));
        assert_eq!(human(52_428_800), "52.4 MB");
    }
}
