//! A small GraphQL reader for the fake: operations with selection sets, arguments (strings, block strings,
//! numbers, enums, variables), aliases and inline fragments. Enough for the Content API's documented shapes;
//! anything else is a syntax error, as a GraphQL server reports it.

use serde_json::Value;
use std::collections::BTreeMap;

#[derive(Clone, Debug)]
pub enum Arg {
    Str(String),
    Int(i64),
    Enum(String),
}

#[derive(Clone, Debug)]
pub enum Selection {
    Field { alias: Option<String>, name: String, args: BTreeMap<String, Arg>, children: Vec<Selection> },
    Fragment { on: String, children: Vec<Selection> },
}

#[derive(Debug, PartialEq)]
enum Tok {
    Name(String),
    Str(String),
    Num(i64),
    P(char),
    Spread,
}

fn lex(text: &str) -> Result<Vec<Tok>, String> {
    let c: Vec<char> = text.chars().collect();
    let mut out = Vec::new();
    let mut i = 0;
    while i < c.len() {
        match c[i] {
            '#' => {
                while i < c.len() && c[i] != '\n' {
                    i += 1;
                }
            }
            ch if ch.is_whitespace() || ch == ',' => i += 1,
            '.' if c.get(i + 1) == Some(&'.') && c.get(i + 2) == Some(&'.') => {
                out.push(Tok::Spread);
                i += 3;
            }
            '"' => {
                let block = c.get(i + 1) == Some(&'"') && c.get(i + 2) == Some(&'"');
                i += if block { 3 } else { 1 };
                let mut s = String::new();
                loop {
                    let Some(&ch) = c.get(i) else { return Err("Syntax Error: Unterminated string.".into()) };
                    if block && ch == '"' && c.get(i + 1) == Some(&'"') && c.get(i + 2) == Some(&'"') {
                        i += 3;
                        break;
                    }
                    if !block && ch == '"' {
                        i += 1;
                        break;
                    }
                    if ch == '\\' && !block {
                        i += 1;
                        s.push(match c.get(i) {
                            Some('n') => '\n',
                            Some(other) => *other,
                            None => return Err("Syntax Error: Unterminated string.".into()),
                        });
                    } else {
                        s.push(ch);
                    }
                    i += 1;
                }
                out.push(Tok::Str(s));
            }
            ch if ch.is_ascii_digit() || ch == '-' => {
                let start = i;
                i += 1;
                while i < c.len() && c[i].is_ascii_digit() {
                    i += 1;
                }
                let n: String = c[start..i].iter().collect();
                out.push(Tok::Num(n.parse().map_err(|_| format!("Syntax Error: Invalid number \"{n}\"."))?));
            }
            ch if ch.is_alphabetic() || ch == '_' => {
                let start = i;
                while i < c.len() && (c[i].is_alphanumeric() || c[i] == '_') {
                    i += 1;
                }
                out.push(Tok::Name(c[start..i].iter().collect()));
            }
            ch if "{}():$!=[]@".contains(ch) => {
                out.push(Tok::P(ch));
                i += 1;
            }
            ch => return Err(format!("Syntax Error: Unexpected character: \"{ch}\".")),
        }
    }
    Ok(out)
}

struct Parser<'a> {
    toks: Vec<Tok>,
    at: usize,
    variables: &'a Value,
}

impl Parser<'_> {
    fn peek(&self) -> Option<&Tok> {
        self.toks.get(self.at)
    }

    fn expect(&mut self, p: char) -> Result<(), String> {
        match self.toks.get(self.at) {
            Some(Tok::P(c)) if *c == p => {
                self.at += 1;
                Ok(())
            }
            other => Err(format!("Syntax Error: Expected \"{p}\", found {other:?}.")),
        }
    }

    fn name(&mut self) -> Result<String, String> {
        match self.toks.get(self.at) {
            Some(Tok::Name(n)) => {
                self.at += 1;
                Ok(n.clone())
            }
            other => Err(format!("Syntax Error: Expected Name, found {other:?}.")),
        }
    }

    fn selections(&mut self) -> Result<Vec<Selection>, String> {
        self.expect('{')?;
        let mut out = Vec::new();
        while self.peek() != Some(&Tok::P('}')) {
            if self.peek().is_none() {
                return Err("Syntax Error: Expected Name, found <EOF>.".into());
            }
            if self.peek() == Some(&Tok::Spread) {
                self.at += 1;
                let on = self.name()?;
                if on != "on" {
                    return Err("named fragments are not supported by this fake".into());
                }
                let on = self.name()?;
                out.push(Selection::Fragment { on, children: self.selections()? });
                continue;
            }
            let mut name = self.name()?;
            let mut alias = None;
            if self.peek() == Some(&Tok::P(':')) {
                self.at += 1;
                alias = Some(name);
                name = self.name()?;
            }
            let mut args = BTreeMap::new();
            if self.peek() == Some(&Tok::P('(')) {
                self.at += 1;
                while self.peek() != Some(&Tok::P(')')) {
                    let arg = self.name()?;
                    self.expect(':')?;
                    args.insert(arg, self.value()?);
                }
                self.at += 1;
            }
            let children = if self.peek() == Some(&Tok::P('{')) { self.selections()? } else { Vec::new() };
            out.push(Selection::Field { alias, name, args, children });
        }
        self.at += 1;
        Ok(out)
    }

    fn value(&mut self) -> Result<Arg, String> {
        let tok = self.toks.get(self.at).ok_or("Syntax Error: Unexpected <EOF>.")?;
        self.at += 1;
        Ok(match tok {
            Tok::Str(s) => Arg::Str(s.clone()),
            Tok::Num(n) => Arg::Int(*n),
            Tok::Name(n) => Arg::Enum(n.clone()),
            Tok::P('$') => {
                let var = self.name()?;
                match self.variables.get(&var) {
                    Some(Value::String(s)) => Arg::Str(s.clone()),
                    Some(Value::Number(n)) => Arg::Int(n.as_i64().unwrap_or_default()),
                    _ => return Err(format!("Variable \"${var}\" of required type was not provided.")),
                }
            }
            other => return Err(format!("Syntax Error: Unexpected {other:?}.")),
        })
    }
}

/// The root selections of the one operation in `text`.
pub fn parse(text: &str, variables: &Value) -> Result<Vec<Selection>, String> {
    let mut parser = Parser { toks: lex(text)?, at: 0, variables };
    if let Some(Tok::Name(keyword)) = parser.peek() {
        if keyword != "query" {
            return Err(format!("Syntax Error: Unexpected Name \"{keyword}\"."));
        }
        parser.at += 1;
        if let Some(Tok::Name(_)) = parser.peek() {
            parser.at += 1;
        }
        if parser.peek() == Some(&Tok::P('(')) {
            // variable definitions: skipped up to the closing parenthesis
            while parser.peek().is_some() && parser.peek() != Some(&Tok::P(')')) {
                parser.at += 1;
            }
            parser.expect(')')?;
        }
    }
    let selections = parser.selections()?;
    if parser.at != parser.toks.len() {
        return Err("Syntax Error: Unexpected text after the operation.".into());
    }
    Ok(selections)
}
