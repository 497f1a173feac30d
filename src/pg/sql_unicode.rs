//! Unicode escapes of `U&"..."` identifiers and `U&'...'` strings, decoded as PostgreSQL decodes them:
//! `\XXXX` and `\+XXXXXX` (or the UESCAPE character instead of the backslash), a doubled escape character
//! for itself, UTF-16 surrogate pairs joined, and everything else refused.

/// Why an escape sequence is not one PostgreSQL accepts.
#[derive(Debug, PartialEq, Eq)]
pub struct InvalidEscape;

/// A character PostgreSQL accepts after UESCAPE: not a hex digit, `+`, a quote or white space.
pub fn is_valid_uescape(c: char) -> bool {
    !(c.is_ascii_hexdigit() || matches!(c, '+' | '\'' | '"' | ' ' | '\t' | '\n' | '\r' | '\x0b' | '\x0c'))
}

fn hex_value(chars: &[char]) -> Option<u32> {
    let text: String = chars.iter().collect();
    (chars.iter().all(char::is_ascii_hexdigit)).then(|| u32::from_str_radix(&text, 16).ok()).flatten()
}

/// Reads one escape at `chars[i]` (the escape character): the code unit and how many chars it used.
fn escape_at(chars: &[char], i: usize, escape: char) -> Result<(u32, usize), InvalidEscape> {
    if chars.get(i + 1) == Some(&'+') {
        let digits = chars.get(i + 2..i + 8).ok_or(InvalidEscape)?;
        return hex_value(digits).map(|v| (v, 8)).ok_or(InvalidEscape);
    }
    if chars.get(i + 1) == Some(&escape) {
        return Err(InvalidEscape);
    }
    let digits = chars.get(i + 1..i + 5).ok_or(InvalidEscape)?;
    hex_value(digits).map(|v| (v, 5)).ok_or(InvalidEscape)
}

fn is_high_surrogate(code: u32) -> bool {
    (0xD800..=0xDBFF).contains(&code)
}

fn is_low_surrogate(code: u32) -> bool {
    (0xDC00..=0xDFFF).contains(&code)
}

/// Decodes the body of a U& literal (quotes already undoubled) with `escape` as the escape character.
pub fn decode_unicode_escapes(body: &str, escape: char) -> Result<String, InvalidEscape> {
    let chars: Vec<char> = body.chars().collect();
    let mut out = String::with_capacity(body.len());
    let mut i = 0;
    while i < chars.len() {
        if chars[i] != escape {
            out.push(chars[i]);
            i += 1;
            continue;
        }
        if chars.get(i + 1) == Some(&escape) {
            out.push(escape);
            i += 2;
            continue;
        }
        let (mut code, used) = escape_at(&chars, i, escape)?;
        i += used;
        if is_high_surrogate(code) {
            if chars.get(i) != Some(&escape) {
                return Err(InvalidEscape);
            }
            let (low, used) = escape_at(&chars, i, escape)?;
            if !is_low_surrogate(low) {
                return Err(InvalidEscape);
            }
            i += used;
            code = 0x10000 + ((code - 0xD800) << 10) + (low - 0xDC00);
        } else if is_low_surrogate(code) {
            return Err(InvalidEscape);
        }
        if code == 0 {
            return Err(InvalidEscape);
        }
        out.push(char::from_u32(code).ok_or(InvalidEscape)?);
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_decode_as_postgres_decodes_them() {
        assert_eq!(decode_unicode_escapes(r"pg_terminate_backen\0064", '\\'), Ok("pg_terminate_backend".into()));
        assert_eq!(decode_unicode_escapes(r"\+000070g", '\\'), Ok("pg".into()));
        assert_eq!(decode_unicode_escapes("!0070g!!", '!'), Ok("pg!".into()));
        assert_eq!(decode_unicode_escapes(r"\D83D\DE00", '\\'), Ok("\u{1F600}".into()));
        assert_eq!(decode_unicode_escapes(r"a\\b", '\\'), Ok(r"a\b".into()));
    }

    #[test]
    fn invalid_escapes_are_refused() {
        for body in [r"\00", r"\zzzz", r"\0000", r"\D83D", r"\DE00", r"\+11FFFF", r"\D83Dx", "\\"] {
            assert_eq!(decode_unicode_escapes(body, '\\'), Err(InvalidEscape), "{body}");
        }
        for c in ['a', 'F', '+', '\'', '"', ' ', '\n'] {
            assert!(!is_valid_uescape(c), "{c:?}");
        }
        assert!(is_valid_uescape('!'));
    }
}
