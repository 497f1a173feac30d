//! A SQL lexer that reads SQL the way PostgreSQL's scanner (scan.l) does, for what matters here: where
//! strings, quoted identifiers, comments and statements begin and end, and which names a statement
//! spells. It knows '' strings, E'' escapes, U&'' and U&"" with their Unicode escapes and UESCAPE,
//! "quoted identifiers", $tag$ dollar quoting, -- comments (ended by a newline or a carriage return, as
//! PostgreSQL ends them) and nested /* */ comments, $n parameters and numbers. It splits scripts into
//! statements byte-exactly (semicolons inside quotes, parentheses and BEGIN ATOMIC bodies do not split)
//! and gives the read-only guard the names of a statement. Plain '' strings are read with
//! standard_conforming_strings on: callers that let the guard judge SQL set it for the transaction.

use super::sql_unicode::{decode_unicode_escapes, is_valid_uescape};

/// A token with its byte range in the source.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Token<'a> {
    pub kind: TokenKind,
    pub text: &'a str,
    pub start: usize,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TokenKind {
    /// A keyword or unquoted identifier.
    Word,
    /// `"name"`, or `U&"name"` with its optional `UESCAPE 'c'` clause (the text spans both).
    QuotedIdent,
    Str,
    Number,
    Param,
    Punct,
}

/// PostgreSQL keeps the first NAMEDATALEN - 1 bytes of a longer identifier.
const MAX_IDENTIFIER_BYTES: usize = 63;

impl Token<'_> {
    /// The identifier or keyword it names, as PostgreSQL resolves it: lowercased (ASCII only) when unquoted,
    /// unescaped when quoted, Unicode escapes decoded, truncated to 63 bytes.
    pub fn name(&self) -> Option<String> {
        let full = match self.kind {
            TokenKind::Word => self.text.to_ascii_lowercase(),
            TokenKind::QuotedIdent if is_unicode_prefix(self.text.as_bytes()) => {
                let (body, escape) = unicode_ident_parts(self.text)?;
                decode_unicode_escapes(&body, escape).ok()?
            }
            TokenKind::QuotedIdent => self.text[1..self.text.len().saturating_sub(1)].replace("\"\"", "\""),
            _ => return None,
        };
        Some(truncate_identifier(full))
    }

    pub fn is_word(&self, word: &str) -> bool {
        self.kind == TokenKind::Word && self.text.eq_ignore_ascii_case(word)
    }

    pub fn is_punct(&self, c: char) -> bool {
        self.kind == TokenKind::Punct && self.text.starts_with(c)
    }
}

fn truncate_identifier(mut name: String) -> String {
    if name.len() > MAX_IDENTIFIER_BYTES {
        let mut end = MAX_IDENTIFIER_BYTES;
        while !name.is_char_boundary(end) {
            end -= 1;
        }
        name.truncate(end);
    }
    name
}

/// Input the lexer cannot finish: an unterminated string, identifier, comment or dollar quote, or an
/// invalid Unicode escape.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
#[error("{what} that starts at byte {start} is never closed")]
pub struct LexError {
    pub what: &'static str,
    pub start: usize,
}

/// `U&` or `u&` right before a quote.
fn is_unicode_prefix(bytes: &[u8]) -> bool {
    bytes.len() > 2 && (bytes[0] == b'u' || bytes[0] == b'U') && bytes[1] == b'&' && matches!(bytes[2], b'"' | b'\'')
}

/// White space as PostgreSQL's scanner has it (`space`, with \v as since PostgreSQL 16).
fn is_space(c: u8) -> bool {
    matches!(c, b' ' | b'\t' | b'\n' | b'\r' | b'\x0b' | b'\x0c')
}

fn is_ident_start(c: u8) -> bool {
    c.is_ascii_alphabetic() || c == b'_' || c >= 0x80
}

fn is_ident_cont(c: u8) -> bool {
    is_ident_start(c) || c.is_ascii_digit() || c == b'$'
}

fn dollar_tag(rest: &str) -> Option<usize> {
    let bytes = rest.as_bytes();
    let mut end = 1;
    while end < bytes.len() && (bytes[end].is_ascii_alphanumeric() || bytes[end] == b'_' || bytes[end] >= 0x80) {
        end += 1;
    }
    let valid_start = end == 1 || !bytes[1].is_ascii_digit();
    (end < bytes.len() && bytes[end] == b'$' && valid_start).then_some(end + 1)
}

/// The end of the comment or white space at `i`, or `None` when neither starts there.
fn skip_trivia(bytes: &[u8], i: usize) -> Result<Option<usize>, LexError> {
    let c = bytes[i];
    if is_space(c) {
        return Ok(Some(i + 1));
    }
    if c == b'-' && bytes.get(i + 1) == Some(&b'-') {
        let mut end = i;
        while end < bytes.len() && bytes[end] != b'\n' && bytes[end] != b'\r' {
            end += 1;
        }
        return Ok(Some(end));
    }
    if c == b'/' && bytes.get(i + 1) == Some(&b'*') {
        let (mut depth, mut j) = (0usize, i);
        loop {
            if j + 1 >= bytes.len() {
                return Err(LexError { what: "a /* comment", start: i });
            }
            if bytes[j] == b'/' && bytes[j + 1] == b'*' {
                depth += 1;
                j += 2;
            } else if bytes[j] == b'*' && bytes[j + 1] == b'/' {
                depth -= 1;
                j += 2;
                if depth == 0 {
                    return Ok(Some(j));
                }
            } else {
                j += 1;
            }
        }
    }
    Ok(None)
}

/// The end of a quoted run that opens at `i` with `quote` (doubled quotes stay inside; backslash escapes
/// the next byte when `backslash`).
fn quoted_end(bytes: &[u8], i: usize, quote: u8, backslash: bool, what: &'static str) -> Result<usize, LexError> {
    let mut j = i + 1;
    loop {
        match bytes.get(j) {
            None => return Err(LexError { what, start: i }),
            Some(b'\\') if backslash => j += 2,
            Some(&c) if c == quote && bytes.get(j + 1) == Some(&quote) => j += 2,
            Some(&c) if c == quote => return Ok(j + 1),
            Some(_) => j += 1,
        }
    }
}

/// After a U& literal ending at `end`: the end of its `UESCAPE 'c'` clause, when one follows (across
/// white space and comments, as the parser's lookahead reads it).
fn uescape_end(sql: &str, end: usize, start: usize) -> Result<Option<usize>, LexError> {
    let bytes = sql.as_bytes();
    let mut j = end;
    while j < bytes.len() {
        match skip_trivia(bytes, j)? {
            Some(next) => j = next,
            None => break,
        }
    }
    let word_end = j + 7;
    let is_uescape = bytes.len() >= word_end
        && sql[j..].get(..7).is_some_and(|w| w.eq_ignore_ascii_case("uescape"))
        && bytes.get(word_end).is_none_or(|&c| !is_ident_cont(c));
    if !is_uescape {
        return Ok(None);
    }
    let mut k = word_end;
    while k < bytes.len() {
        match skip_trivia(bytes, k)? {
            Some(next) => k = next,
            None => break,
        }
    }
    let invalid = LexError { what: "a UESCAPE clause without a valid one-character escape", start };
    if bytes.get(k) != Some(&b'\'') {
        return Err(invalid);
    }
    let close = quoted_end(bytes, k, b'\'', false, "a UESCAPE string")?;
    let inner = sql[k + 1..close - 1].replace("''", "'");
    let mut chars = inner.chars();
    match (chars.next(), chars.next()) {
        (Some(c), None) if is_valid_uescape(c) => Ok(Some(close)),
        _ => Err(invalid),
    }
}

/// The body of a `U&"..."` token (quotes undoubled) and its escape character.
fn unicode_ident_parts(text: &str) -> Option<(String, char)> {
    let close = quoted_end(text.as_bytes(), 2, b'"', false, "").ok()?;
    Some((text[3..close - 1].replace("\"\"", "\""), escape_of(&text[close..])))
}

/// The escape character a U& literal's trailing `UESCAPE 'c'` clause names (already validated by the
/// lexer), or the backslash when there is none.
fn escape_of(clause: &str) -> char {
    let Some(body) = clause.strip_suffix('\'') else { return '\\' };
    let mut chars = body.chars().rev();
    match (chars.next(), chars.next()) {
        (Some(c), Some('\'')) => c,
        _ => '\\',
    }
}

/// The end of a number starting at `i`, as PostgreSQL reads one: digits, a fraction, an exponent. Letters
/// right after it start a new token (PostgreSQL 15 reads `1from` as `1 from`; 16 refuses it).
fn number_end(bytes: &[u8], i: usize) -> usize {
    let digits = |mut j: usize| {
        while j < bytes.len() && bytes[j].is_ascii_digit() {
            j += 1;
        }
        j
    };
    let mut j = digits(i);
    if bytes.get(j) == Some(&b'.') && bytes.get(j + 1) != Some(&b'.') {
        j = digits(j + 1);
    }
    if matches!(bytes.get(j), Some(b'e' | b'E')) {
        let sign = usize::from(matches!(bytes.get(j + 1), Some(b'+' | b'-')));
        if bytes.get(j + 1 + sign).is_some_and(u8::is_ascii_digit) {
            j = digits(j + 1 + sign);
        }
    }
    j
}

/// Splits `sql` into tokens, skipping white space and comments.
pub fn tokenize(sql: &str) -> Result<Vec<Token<'_>>, LexError> {
    let bytes = sql.as_bytes();
    let mut tokens = Vec::new();
    let mut i = 0;
    while i < bytes.len() {
        if let Some(next) = skip_trivia(bytes, i)? {
            i = next;
            continue;
        }
        let c = bytes[i];
        let start = i;
        let kind;
        if is_unicode_prefix(&bytes[i..]) {
            let quote = bytes[i + 2];
            let what = if quote == b'"' { "a U&\"\" identifier" } else { "a U&'' string" };
            let close = quoted_end(bytes, i + 2, quote, false, what)?;
            i = uescape_end(sql, close, start)?.unwrap_or(close);
            kind = if quote == b'"' { TokenKind::QuotedIdent } else { TokenKind::Str };
            let token = Token { kind, text: &sql[start..i], start };
            validate_unicode_token(&token, sql, start, close)?;
            tokens.push(token);
            continue;
        } else if c == b'\'' || ((c == b'e' || c == b'E') && bytes.get(i + 1) == Some(&b'\'')) {
            let escapes = c != b'\'';
            let open = if escapes { i + 1 } else { i };
            i = quoted_end(bytes, open, b'\'', escapes, "a string")?;
            kind = TokenKind::Str;
        } else if c == b'"' {
            i = quoted_end(bytes, i, b'"', false, "a quoted identifier")?;
            kind = TokenKind::QuotedIdent;
        } else if c == b'$' && bytes.get(i + 1).is_some_and(u8::is_ascii_digit) {
            i += 1;
            while i < bytes.len() && bytes[i].is_ascii_digit() {
                i += 1;
            }
            kind = TokenKind::Param;
        } else if let Some(tag_len) = (c == b'$').then(|| dollar_tag(&sql[i..])).flatten() {
            let tag = &sql[i..i + tag_len];
            let body_start = i + tag_len;
            let close = sql[body_start..].find(tag).ok_or(LexError { what: "a dollar-quoted string", start })?;
            i = body_start + close + tag_len;
            kind = TokenKind::Str;
        } else if is_ident_start(c) {
            while i < bytes.len() && is_ident_cont(bytes[i]) {
                i += 1;
            }
            kind = TokenKind::Word;
        } else if c.is_ascii_digit() || (c == b'.' && bytes.get(i + 1).is_some_and(u8::is_ascii_digit)) {
            i = number_end(bytes, i);
            kind = TokenKind::Number;
        } else {
            i += sql[i..].chars().next().map_or(1, char::len_utf8);
            kind = TokenKind::Punct;
        }
        tokens.push(Token { kind, text: &sql[start..i], start });
    }
    Ok(tokens)
}

/// A U& literal whose escapes PostgreSQL would refuse is refused here too, so that every name the guard
/// reads is the name PostgreSQL resolves.
fn validate_unicode_token(token: &Token<'_>, sql: &str, start: usize, close: usize) -> Result<(), LexError> {
    let quote = if token.kind == TokenKind::QuotedIdent { "\"" } else { "'" };
    let body = sql[start + 3..close - 1].replace(&quote.repeat(2), quote);
    decode_unicode_escapes(&body, escape_of(&sql[close..start + token.text.len()]))
        .map(|_| ())
        .map_err(|_| LexError { what: "a U& literal with an invalid Unicode escape", start })
}
/// Splits a script into statements: byte-exact slices without the separating semicolon, trimmed of
/// surrounding white space; empty statements are dropped. Comments stay inside the statement they
/// precede.
pub fn split_statements(sql: &str) -> Result<Vec<&str>, LexError> {
    Ok(split_for_history(sql)?.into_iter().filter(|piece| has_code(piece)).collect())
}

/// Splits a migration file as the Supabase CLI stores it in `supabase_migrations.schema_migrations.statements`:
/// like [`split_statements`], but a piece holding only comments is kept (the CLI keeps it too), so the stored
/// statements of a file are the same whichever tool applied it.
pub fn split_for_history(sql: &str) -> Result<Vec<&str>, LexError> {
    let tokens = tokenize(sql)?;
    let mut pieces = Vec::new();
    let mut start = 0;
    for end in boundaries(&tokens) {
        pieces.push(sql[start..end].trim());
        start = end + 1;
    }
    pieces.push(sql[start..].trim());
    pieces.retain(|piece| !piece.is_empty());
    Ok(pieces)
}

/// Byte offsets of the semicolons that end statements.
fn boundaries(tokens: &[Token<'_>]) -> Vec<usize> {
    let mut ends = Vec::new();
    let mut parens = 0i32;
    let mut atomic_depth = 0i32;
    for (index, token) in tokens.iter().enumerate() {
        if token.is_punct('(') {
            parens += 1;
        } else if token.is_punct(')') {
            parens -= 1;
        } else if (token.is_word("atomic") && index > 0 && tokens[index - 1].is_word("begin"))
            || (atomic_depth > 0 && token.is_word("case"))
        {
            atomic_depth += 1;
        } else if atomic_depth > 0 && token.is_word("end") {
            atomic_depth -= 1;
        } else if token.is_punct(';') && parens <= 0 && atomic_depth == 0 {
            ends.push(token.start);
        }
    }
    ends
}

/// True when `piece` holds more than comments and white space.
fn has_code(piece: &str) -> bool {
    tokenize(piece).map(|t| !t.is_empty()).unwrap_or(true)
}

#[cfg(test)]
#[path = "sql_lex_tests.rs"]
mod tests;
