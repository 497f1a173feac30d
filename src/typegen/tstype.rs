//! TypeScript type expressions as the generator writes them, and their layout: each expression becomes a
//! [`Doc`] with the break rules of the formatter (type literals, unions, arrays, tuples, intersections).

use super::doc::{Doc, align, broken_group, concat, group, if_break, indent, text};

/// A type expression.
#[derive(Clone, Debug, PartialEq)]
pub enum Ts {
    /// Text printed as is: `number`, `Json`, `Database["public"]["Enums"]["e"]`, `"literal"`.
    Raw(String),
    /// `T[]`.
    Array(Box<Ts>),
    /// `A | B`.
    Union(Vec<Ts>),
    /// `A & B`.
    Intersection(Vec<Ts>),
    /// `[A, B]`.
    Tuple(Vec<Ts>),
    /// `{ a: A; b?: B }`; `broken` when the source put the members on their own lines (the formatter
    /// keeps such literals expanded).
    Object { members: Vec<Member>, broken: bool },
}

/// One member of a type literal.
#[derive(Clone, Debug, PartialEq)]
pub struct Member {
    /// The property name (printed bare when it is an identifier).
    pub key: String,
    pub optional: bool,
    pub ty: Ts,
}

impl Member {
    /// `name: ty`.
    pub fn new(name: &str, ty: Ts) -> Member {
        Member { key: name.to_string(), optional: false, ty }
    }

    /// `name?: ty`.
    pub fn optional(name: &str, ty: Ts) -> Member {
        Member { key: name.to_string(), optional: true, ty }
    }
}

/// Raw text.
pub fn raw(s: &str) -> Ts {
    Ts::Raw(s.to_string())
}

/// A string literal type.
pub fn literal(value: &str) -> Ts {
    Ts::Raw(quote(value))
}

/// An expanded type literal.
pub fn object(members: Vec<Member>) -> Ts {
    Ts::Object { members, broken: true }
}

/// An inline type literal, expanded only when it does not fit.
pub fn inline_object(members: Vec<Member>) -> Ts {
    Ts::Object { members, broken: false }
}

/// A string as the formatter prints it: double quotes unless the text holds more of them than single
/// quotes; escapes as `JSON.stringify` writes them.
pub fn quote(value: &str) -> String {
    let doubles = value.matches('"').count();
    let singles = value.matches('\'').count();
    let json = serde_json::to_string(value).unwrap_or_default();
    let inner = &json[1..json.len().saturating_sub(1).max(1)];
    if doubles > singles {
        format!("'{}'", inner.replace("\\\"", "\"").replace('\'', "\\'"))
    } else {
        format!("\"{inner}\"")
    }
}

/// A property key: bare when it is an identifier name, else quoted.
pub fn key(name: &str) -> String {
    let mut chars = name.chars();
    let identifier = match chars.next() {
        Some(first) => {
            (first == '$' || first == '_' || first.is_alphabetic())
                && chars.all(|c| c == '$' || c == '_' || c.is_alphanumeric() || c == '\u{200c}' || c == '\u{200d}')
        }
        None => false,
    };
    if identifier { name.to_string() } else { quote(name) }
}

fn is_object(ts: &Ts) -> bool {
    matches!(ts, Ts::Object { .. })
}

/// Where a union sits: unions in array elements get parentheses.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Place {
    Property,
    ArrayElement,
    Other,
}

/// The layout of a type expression.
pub fn to_doc(ts: &Ts) -> Doc {
    doc_in(ts, Place::Other)
}

fn doc_in(ts: &Ts, place: Place) -> Doc {
    match ts {
        Ts::Raw(s) => text(s.clone()),
        Ts::Array(element) => concat(vec![doc_in(element, Place::ArrayElement), text("[]")]),
        Ts::Union(members) => union_doc(members, place),
        Ts::Intersection(parts) => intersection_doc(parts),
        Ts::Tuple(items) => {
            if items.is_empty() {
                return text("[]");
            }
            let mut inner = vec![Doc::SoftLine];
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    inner.push(text(","));
                    inner.push(Doc::Line);
                }
                inner.push(to_doc(item));
            }
            group(concat(vec![
                text("["),
                indent(concat(inner)),
                if_break(text(","), text("")),
                Doc::SoftLine,
                text("]"),
            ]))
        }
        Ts::Object { members, broken } => object_doc(members, *broken),
    }
}

fn object_doc(members: &[Member], broken: bool) -> Doc {
    if members.is_empty() {
        return text("{}");
    }
    let mut inner = vec![Doc::Line];
    for (i, member) in members.iter().enumerate() {
        if i > 0 {
            inner.push(if_break(text(""), text(";")));
            inner.push(Doc::Line);
        }
        inner.push(member_doc(member));
    }
    let contents = concat(vec![text("{"), indent(concat(inner)), Doc::Line, text("}")]);
    if broken { broken_group(contents) } else { group(contents) }
}

/// `key?: type`.
pub fn member_doc(member: &Member) -> Doc {
    let name = key(&member.key);
    let head = format!("{name}{}: ", if member.optional { "?" } else { "" });
    concat(vec![text(head), doc_in(&member.ty, Place::Property)])
}

fn is_null(ts: &Ts) -> bool {
    matches!(ts, Ts::Raw(s) if s == "null")
}

fn union_doc(members: &[Ts], place: Place) -> Doc {
    let hug = members.iter().filter(|m| is_null(m)).count() + 1 == members.len() && members.iter().any(is_object);
    if hug {
        let mut parts = Vec::new();
        for (i, m) in members.iter().enumerate() {
            if i > 0 {
                parts.push(text(" | "));
            }
            parts.push(doc_in(m, Place::Other));
        }
        return concat(parts);
    }
    let mut code = vec![if_break(concat(vec![Doc::Line, text("| ")]), text(""))];
    for (i, m) in members.iter().enumerate() {
        if i > 0 {
            code.push(Doc::Line);
            code.push(text("| "));
        }
        code.push(align(2, doc_in(m, Place::Other)));
    }
    match place {
        Place::ArrayElement => {
            concat(vec![text("("), group(concat(vec![indent(concat(code)), Doc::SoftLine])), text(")")])
        }
        Place::Property | Place::Other => group(indent(concat(code))),
    }
}

fn intersection_doc(parts: &[Ts]) -> Doc {
    let mut out = Vec::new();
    let mut was_indented = false;
    for (i, part) in parts.iter().enumerate() {
        let d = doc_in(part, Place::Other);
        if i == 0 {
            out.push(d);
            continue;
        }
        let (before, now) = (is_object(&parts[i - 1]), is_object(part));
        if !before && !now {
            out.push(indent(concat(vec![text(" &"), Doc::Line, d])));
        } else if before && now {
            out.push(text(" & "));
            out.push(if was_indented { indent(d) } else { d });
        } else {
            if i > 1 {
                was_indented = true;
            }
            out.push(text(" & "));
            out.push(if i > 1 { indent(d) } else { d });
        }
    }
    group(concat(out))
}

#[cfg(test)]
mod tests {
    use super::super::doc::print;
    use super::*;

    #[test]
    fn keys_and_strings_are_quoted_only_where_needed() {
        assert_eq!(key("user_id"), "user_id");
        assert_eq!(key("café"), "café");
        assert_eq!(key("my col"), "\"my col\"");
        assert_eq!(key("1abc"), "\"1abc\"");
        assert_eq!(quote("say \"hi\""), "'say \"hi\"'");
    }

    #[test]
    fn long_unions_break_one_member_per_line() {
        let labels = ["cccccccccccccccccc", "dddddddddddddddddddddd", "eeeeeeeeeeeeeeeeeeeeeeeeeeeeee", "ff"];
        let member = Member::new("en", Ts::Union(labels.iter().map(|l| literal(l)).collect()));
        let printed = print(member_doc(&member), 2, 80, "");
        assert_eq!(
            printed,
            "en:\n    | \"cccccccccccccccccc\"\n    | \"dddddddddddddddddddddd\"\n    | \"eeeeeeeeeeeeeeeeeeeeeeeeeeeeee\"\n    | \"ff\""
        );
    }
}
