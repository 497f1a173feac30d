//! `multipart/form-data` as the Management API's function endpoints use it: the deploy body (a `metadata`
//! part of JSON, then one `file` part per source file whose filename is its relative path, typed
//! `application/typescript` as the official server sends them) and the `/body` reply read back into parts.

use crate::failure::Failure;

/// One part of a multipart body.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Part {
    pub name: String,
    pub filename: Option<String>,
    pub content_type: Option<String>,
    pub data: Vec<u8>,
}

/// A fresh boundary that no source text contains.
fn boundary_for(parts: &[Part]) -> String {
    loop {
        let candidate = format!("supamcp-{}", uuid::Uuid::new_v4().simple());
        let needle = candidate.as_bytes();
        if !parts.iter().any(|p| p.data.windows(needle.len()).any(|w| w == needle)) {
            return candidate;
        }
    }
}

/// A quoted header parameter value; `"`, CR and LF are percent-encoded as browsers do.
fn quoted(value: &str) -> String {
    value.replace('"', "%22").replace('\r', "%0D").replace('\n', "%0A")
}

/// Encodes `parts`; returns the Content-Type (with its boundary) and the body.
pub fn encode(parts: &[Part]) -> (String, Vec<u8>) {
    let boundary = boundary_for(parts);
    let mut body = Vec::new();
    for part in parts {
        body.extend_from_slice(format!("--{boundary}\r\n").as_bytes());
        let mut disposition = format!("Content-Disposition: form-data; name=\"{}\"", quoted(&part.name));
        if let Some(filename) = &part.filename {
            disposition.push_str(&format!("; filename=\"{}\"", quoted(filename)));
        }
        body.extend_from_slice(disposition.as_bytes());
        body.extend_from_slice(b"\r\n");
        if let Some(content_type) = &part.content_type {
            body.extend_from_slice(format!("Content-Type: {content_type}\r\n").as_bytes());
        }
        body.extend_from_slice(b"\r\n");
        body.extend_from_slice(&part.data);
        body.extend_from_slice(b"\r\n");
    }
    body.extend_from_slice(format!("--{boundary}--\r\n").as_bytes());
    (format!("multipart/form-data; boundary={boundary}"), body)
}

/// The boundary of a `multipart/*` Content-Type.
pub fn boundary_of(content_type: &str) -> Option<String> {
    if !content_type.trim_start().to_ascii_lowercase().starts_with("multipart/") {
        return None;
    }
    content_type.split(';').skip(1).find_map(|param| {
        let (key, value) = param.split_once('=')?;
        key.trim().eq_ignore_ascii_case("boundary").then(|| value.trim().trim_matches('"').to_owned())
    })
}

fn unreadable(why: &str) -> Failure {
    Failure::new(
        "the function's source reply is unreadable",
        format!("malformed multipart body: {why}"),
        "retry; if it repeats, report it with the function's slug",
    )
}

/// Splits a multipart body into its parts.
pub fn decode(content_type: &str, body: &[u8]) -> Result<Vec<Part>, Failure> {
    let boundary = boundary_of(content_type).ok_or_else(|| unreadable("no multipart boundary in the content type"))?;
    let delimiter = format!("--{boundary}");
    let delimiter = delimiter.as_bytes();
    let mut positions = Vec::new();
    let mut from = 0;
    while let Some(found) = find(&body[from..], delimiter) {
        positions.push(from + found);
        from += found + delimiter.len();
    }
    let mut parts = Vec::new();
    for pair in positions.windows(2) {
        let start = pair[0] + delimiter.len();
        let mut section = &body[start..pair[1]];
        section = section.strip_prefix(b"\r\n").ok_or_else(|| unreadable("no line break after a boundary"))?;
        section = section.strip_suffix(b"\r\n").unwrap_or(section);
        let split = find(section, b"\r\n\r\n").ok_or_else(|| unreadable("a part has no header end"))?;
        let headers = String::from_utf8_lossy(&section[..split]);
        let data = section[split + 4..].to_vec();
        let mut part = Part { name: String::new(), filename: None, content_type: None, data };
        for line in headers.split("\r\n") {
            let Some((key, value)) = line.split_once(':') else { continue };
            match key.trim().to_ascii_lowercase().as_str() {
                "content-disposition" => {
                    for param in value.split(';').skip(1) {
                        let Some((k, v)) = param.split_once('=') else { continue };
                        let v = v.trim().trim_matches('"').replace("%22", "\"");
                        match k.trim() {
                            "name" => part.name = v,
                            "filename" => part.filename = Some(v),
                            _ => {}
                        }
                    }
                }
                "content-type" => part.content_type = Some(value.trim().to_owned()),
                _ => {}
            }
        }
        parts.push(part);
    }
    let closed = positions.last().is_some_and(|last| body[last + delimiter.len()..].starts_with(b"--"));
    if !closed {
        return Err(unreadable("the closing boundary is missing"));
    }
    Ok(parts)
}

fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack.windows(needle.len()).position(|window| window == needle)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parts_round_trip() {
        let parts = vec![
            Part {
                name: "metadata".into(),
                filename: None,
                content_type: Some("application/json".into()),
                data: br#"{"entrypoint_path":"index.ts"}"#.to_vec(),
            },
            Part {
                name: "file".into(),
                filename: Some("lib/a \"b\".ts".into()),
                content_type: Some("application/typescript".into()),
                data: b"export const x = 1;\r\n\r\n--not-a-boundary\n".to_vec(),
            },
        ];
        let (content_type, body) = encode(&parts);
        assert!(content_type.starts_with("multipart/form-data; boundary=supamcp-"));
        assert_eq!(decode(&content_type, &body).unwrap(), parts);
    }

    #[test]
    fn boundaries_and_truncation() {
        assert_eq!(boundary_of("multipart/form-data; boundary=\"abc\"").as_deref(), Some("abc"));
        assert_eq!(boundary_of("application/json"), None);
        let (content_type, body) =
            encode(&[Part { name: "a".into(), filename: None, content_type: None, data: vec![] }]);
        assert!(decode(&content_type, &body[..body.len() - 6]).is_err());
    }
}
