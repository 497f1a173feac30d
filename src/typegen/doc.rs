//! A small document printer with the line-fitting rules of the formatter the generator runs (oxfmt, which
//! follows prettier): groups print flat when they fit in the rest of the line up to the next possible
//! break, else broken; a group that must break breaks every enclosing group.

/// A document to lay out.
#[derive(Clone, Debug)]
pub enum Doc {
    /// Literal text without newlines.
    Text(String),
    /// A space when flat, a newline when broken.
    Line,
    /// Nothing when flat, a newline when broken.
    SoftLine,
    /// Several documents in a row.
    Concat(Vec<Doc>),
    /// Contents laid out flat if they fit, else broken; `broken` forces the latter.
    Group { contents: Box<Doc>, broken: bool },
    /// Contents one indentation level (two spaces) deeper.
    Indent(Box<Doc>),
    /// Contents aligned `n` spaces deeper.
    Align(usize, Box<Doc>),
    /// The first when the enclosing group is broken, the second when it is flat.
    IfBreak(Box<Doc>, Box<Doc>),
}

/// Text.
pub fn text(s: impl Into<String>) -> Doc {
    Doc::Text(s.into())
}

/// A sequence.
pub fn concat(parts: Vec<Doc>) -> Doc {
    Doc::Concat(parts)
}

/// A group, flat when it fits.
pub fn group(contents: Doc) -> Doc {
    Doc::Group { contents: Box::new(contents), broken: false }
}

/// A group that is always broken.
pub fn broken_group(contents: Doc) -> Doc {
    Doc::Group { contents: Box::new(contents), broken: true }
}

/// One level deeper.
pub fn indent(contents: Doc) -> Doc {
    Doc::Indent(Box::new(contents))
}

/// `n` spaces deeper.
pub fn align(n: usize, contents: Doc) -> Doc {
    Doc::Align(n, Box::new(contents))
}

/// `broken` in a broken group, `flat` in a flat one.
pub fn if_break(broken: Doc, flat: Doc) -> Doc {
    Doc::IfBreak(Box::new(broken), Box::new(flat))
}

/// Marks groups holding a broken group as broken too, as the formatter does before printing.
fn propagate(doc: &mut Doc) -> bool {
    match doc {
        Doc::Text(_) | Doc::Line | Doc::SoftLine => false,
        // Every part is visited (no short cut): each nested group needs its own flag.
        Doc::Concat(parts) => parts.iter_mut().map(propagate).fold(false, |any, broke| any | broke),
        Doc::Group { contents, broken } => {
            let inner = propagate(contents);
            *broken |= inner;
            *broken
        }
        Doc::Indent(inner) | Doc::Align(_, inner) => propagate(inner),
        Doc::IfBreak(when_broken, when_flat) => {
            let a = propagate(when_broken);
            let b = propagate(when_flat);
            a || b
        }
    }
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Mode {
    Flat,
    Break,
}

/// Lays `doc` out starting at column `start` with `indent` spaces of indentation, in `width` columns;
/// `trailing` is text that follows on the same line (it counts when deciding whether a group fits).
pub fn print(mut doc: Doc, indent_by: usize, width: usize, trailing: &str) -> String {
    propagate(&mut doc);
    let mut out = String::new();
    let mut column = indent_by;
    let tail = Doc::Text(trailing.to_string());
    let mut stack: Vec<(usize, Mode, &Doc)> = vec![(indent_by, Mode::Break, &tail), (indent_by, Mode::Break, &doc)];
    // The stack is processed from its end: the document first, then the trailing text.
    while let Some((ind, mode, d)) = stack.pop() {
        match d {
            Doc::Text(s) => {
                out.push_str(s);
                column += s.chars().count();
            }
            Doc::Concat(parts) => {
                for part in parts.iter().rev() {
                    stack.push((ind, mode, part));
                }
            }
            Doc::Indent(inner) => stack.push((ind + 2, mode, inner)),
            Doc::Align(n, inner) => stack.push((ind + n, mode, inner)),
            Doc::Group { contents, broken } => {
                let next_mode = if !*broken
                    && (mode == Mode::Flat || fits(contents, &stack, width.saturating_sub(column) as isize))
                {
                    Mode::Flat
                } else {
                    Mode::Break
                };
                stack.push((ind, next_mode, contents));
            }
            Doc::IfBreak(when_broken, when_flat) => {
                stack.push((ind, mode, if mode == Mode::Break { when_broken } else { when_flat }));
            }
            Doc::Line | Doc::SoftLine => {
                if mode == Mode::Flat {
                    if matches!(d, Doc::Line) {
                        out.push(' ');
                        column += 1;
                    }
                } else {
                    while out.ends_with(' ') {
                        out.pop();
                    }
                    out.push('\n');
                    out.push_str(&" ".repeat(ind));
                    column = ind;
                }
            }
        }
    }
    out
}

/// Whether `doc` printed flat, followed by the rest of the stack up to its first break, fits in `room`.
fn fits(doc: &Doc, rest: &[(usize, Mode, &Doc)], mut room: isize) -> bool {
    let mut pending: Vec<(Mode, &Doc)> = vec![(Mode::Flat, doc)];
    let mut rest_index = rest.len();
    loop {
        let (mode, d) = match pending.pop() {
            Some(item) => item,
            None => {
                if rest_index == 0 {
                    return true;
                }
                rest_index -= 1;
                (rest[rest_index].1, rest[rest_index].2)
            }
        };
        match d {
            Doc::Text(s) => {
                room -= s.chars().count() as isize;
                if room < 0 {
                    return false;
                }
            }
            Doc::Concat(parts) => {
                for part in parts.iter().rev() {
                    pending.push((mode, part));
                }
            }
            Doc::Indent(inner) | Doc::Align(_, inner) => pending.push((mode, inner)),
            Doc::Group { contents, broken } => {
                let m = if *broken { Mode::Break } else { mode };
                pending.push((m, contents));
            }
            Doc::IfBreak(when_broken, when_flat) => {
                pending.push((mode, if mode == Mode::Break { when_broken } else { when_flat }));
            }
            Doc::Line => {
                if mode == Mode::Break {
                    return true;
                }
                room -= 1;
                if room < 0 {
                    return false;
                }
            }
            Doc::SoftLine => {
                if mode == Mode::Break {
                    return true;
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn object(members: Vec<Doc>) -> Doc {
        let mut inner = vec![Doc::Line];
        for (i, m) in members.into_iter().enumerate() {
            if i > 0 {
                inner.push(if_break(text(""), text(";")));
                inner.push(Doc::Line);
            }
            inner.push(m);
        }
        group(concat(vec![text("{"), indent(concat(inner)), Doc::Line, text("}")]))
    }

    #[test]
    fn flat_when_it_fits_broken_when_not() {
        let small = object(vec![text("a: number"), text("b: string")]);
        assert_eq!(print(small, 0, 80, ""), "{ a: number; b: string }");
        let big = object(vec![text("a".repeat(50) + ": number"), text("b".repeat(30) + ": string")]);
        let printed = print(big, 0, 80, "");
        assert_eq!(printed, format!("{{\n  {}: number\n  {}: string\n}}", "a".repeat(50), "b".repeat(30)));
    }

    #[test]
    fn a_broken_group_breaks_the_enclosing_groups() {
        let inner = broken_group(concat(vec![text("y"), Doc::Line, text("z")]));
        let doc = group(concat(vec![text("x"), Doc::Line, inner]));
        assert_eq!(print(doc, 0, 80, ""), "x\ny\nz");
    }
}
