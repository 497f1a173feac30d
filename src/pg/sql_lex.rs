//! A small SQL lexer that knows PostgreSQL's quoting: '' strings, E'' escapes, "quoted identifiers",
//! $tag$ dollar quoting, -- and nested /* */ comments, $n parameters. It splits scripts into statements
//! byte-exactly (semicolons inside quotes, parentheses and BEGIN ATOMIC bodies do not split) and gives
//! the read-only guard the words and calls of a statement.

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
    QuotedIdent,
    Str,
    Number,
    Param,
    Punct,
}

impl Token<'_> {
    /// The identifier or keyword it names: lowercased when unquoted, unescaped when quoted.
    pub fn name(&self) -> Option<String> {
        match self.kind {
            TokenKind::Word => Some(self.text.to_ascii_lowercase()),
            TokenKind::QuotedIdent => Some(self.text[1..self.text.len().saturating_sub(1)].replace("\"\"", "\"")),
            _ => None,
        }
    }

    pub fn is_word(&self, word: &str) -> bool {
        self.kind == TokenKind::Word && self.text.eq_ignore_ascii_case(word)
    }

    pub fn is_punct(&self, c: char) -> bool {
        self.kind == TokenKind::Punct && self.text.starts_with(c)
    }
}

/// Input the lexer cannot finish: an unterminated string, identifier, comment or dollar quote.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
#[error("{what} that starts at byte {start} is never closed")]
pub struct LexError {
    pub what: &'static str,
    pub start: usize,
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

/// Splits `sql` into tokens, skipping white space and comments.
pub fn tokenize(sql: &str) -> Result<Vec<Token<'_>>, LexError> {
    let bytes = sql.as_bytes();
    let mut tokens = Vec::new();
    let mut i = 0;
    while i < bytes.len() {
        let c = bytes[i];
        let start = i;
        let kind;
        if c.is_ascii_whitespace() {
            i += 1;
            continue;
        } else if c == b'-' && bytes.get(i + 1) == Some(&b'-') {
            while i < bytes.len() && bytes[i] != b'\n' {
                i += 1;
            }
            continue;
        } else if c == b'/' && bytes.get(i + 1) == Some(&b'*') {
            let mut depth = 0;
            loop {
                if i + 1 >= bytes.len() {
                    return Err(LexError { what: "a /* comment", start });
                }
                if bytes[i] == b'/' && bytes[i + 1] == b'*' {
                    depth += 1;
                    i += 2;
                } else if bytes[i] == b'*' && bytes[i + 1] == b'/' {
                    depth -= 1;
                    i += 2;
                    if depth == 0 {
                        break;
                    }
                } else {
                    i += 1;
                }
            }
            continue;
        } else if c == b'\'' || ((c == b'e' || c == b'E') && bytes.get(i + 1) == Some(&b'\'')) {
            let escapes = c != b'\'';
            i += if escapes { 2 } else { 1 };
            loop {
                match bytes.get(i) {
                    None => return Err(LexError { what: "a string", start }),
                    Some(b'\\') if escapes => i += 2,
                    Some(b'\'') if bytes.get(i + 1) == Some(&b'\'') => i += 2,
                    Some(b'\'') => {
                        i += 1;
                        break;
                    }
                    Some(_) => i += 1,
                }
            }
            kind = TokenKind::Str;
        } else if c == b'"' {
            i += 1;
            loop {
                match bytes.get(i) {
                    None => return Err(LexError { what: "a quoted identifier", start }),
                    Some(b'"') if bytes.get(i + 1) == Some(&b'"') => i += 2,
                    Some(b'"') => {
                        i += 1;
                        break;
                    }
                    Some(_) => i += 1,
                }
            }
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
        } else if c.is_ascii_alphabetic() || c == b'_' || c >= 0x80 {
            while i < bytes.len()
                && (bytes[i].is_ascii_alphanumeric() || bytes[i] == b'_' || bytes[i] == b'$' || bytes[i] >= 0x80)
            {
                i += 1;
            }
            kind = TokenKind::Word;
        } else if c.is_ascii_digit() || (c == b'.' && bytes.get(i + 1).is_some_and(u8::is_ascii_digit)) {
            while i < bytes.len() && (bytes[i].is_ascii_alphanumeric() || bytes[i] == b'.' || bytes[i] == b'_') {
                i += 1;
            }
            kind = TokenKind::Number;
        } else {
            i += sql[i..].chars().next().map_or(1, char::len_utf8);
            kind = TokenKind::Punct;
        }
        tokens.push(Token { kind, text: &sql[start..i], start });
    }
    Ok(tokens)
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
