//! A reader for PostgreSQL's `pg_node_tree` text (`{NODE :field value ...}`, lists in parentheses),
//! enough to find the origin table and column of each output column of a view's query.

/// A parsed value.
#[derive(Debug)]
enum Value {
    Node(Vec<(String, Value)>),
    List(Vec<Value>),
    Atom(String),
}

/// Splits node-tree text into tokens: `(`, `)`, `{`, `}` alone; anything else up to whitespace or one
/// of those, with backslash escapes.
pub fn tokens(text: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut chars = text.chars().peekable();
    while let Some(&c) = chars.peek() {
        if c.is_whitespace() {
            chars.next();
        } else if matches!(c, '(' | ')' | '{' | '}') {
            out.push(c.to_string());
            chars.next();
        } else {
            let mut token = String::new();
            while let Some(&c) = chars.peek() {
                if c.is_whitespace() || matches!(c, '(' | ')' | '{' | '}') {
                    break;
                }
                chars.next();
                if c == '\\' {
                    if let Some(escaped) = chars.next() {
                        token.push(escaped);
                    }
                } else {
                    token.push(c);
                }
            }
            out.push(token);
        }
    }
    out
}

fn parse(tokens: &[String], at: &mut usize) -> Value {
    let Some(token) = tokens.get(*at) else { return Value::Atom(String::new()) };
    *at += 1;
    match token.as_str() {
        "{" => {
            let mut fields = Vec::new();
            // The node's type name comes first.
            if let Some(name) = tokens.get(*at) {
                fields.push((String::new(), Value::Atom(name.clone())));
                *at += 1;
            }
            while let Some(t) = tokens.get(*at) {
                if t == "}" {
                    *at += 1;
                    break;
                }
                if let Some(field) = t.strip_prefix(':') {
                    *at += 1;
                    let value = match tokens.get(*at).map(String::as_str) {
                        None | Some("}") => Value::Atom(String::new()),
                        Some(next) if next.starts_with(':') => Value::Atom(String::new()),
                        Some(_) => parse(tokens, at),
                    };
                    fields.push((field.to_string(), value));
                } else {
                    // A datum's bytes and the like: values without a field name.
                    let value = parse(tokens, at);
                    fields.push((String::new(), value));
                }
            }
            Value::Node(fields)
        }
        "(" => {
            let mut items = Vec::new();
            while let Some(t) = tokens.get(*at) {
                if t == ")" {
                    *at += 1;
                    break;
                }
                items.push(parse(tokens, at));
            }
            Value::List(items)
        }
        other => Value::Atom(other.to_string()),
    }
}

fn field<'a>(fields: &'a [(String, Value)], name: &str) -> Option<&'a Value> {
    fields.iter().find(|(n, _)| n == name).map(|(_, v)| v)
}

fn number<T: std::str::FromStr>(fields: &[(String, Value)], name: &str) -> Option<T> {
    match field(fields, name) {
        Some(Value::Atom(a)) => a.parse().ok(),
        _ => None,
    }
}

/// (resno, resorigtbl, resorigcol) of every target entry of the first query of a rule action.
pub fn first_target_list(tokens: &[String]) -> Vec<(i32, u32, i32)> {
    let mut at = 0;
    let root = parse(tokens, &mut at);
    let query = match &root {
        Value::List(items) => items.first(),
        node @ Value::Node(_) => Some(node),
        Value::Atom(_) => None,
    };
    let Some(Value::Node(fields)) = query else { return Vec::new() };
    let Some(Value::List(entries)) = field(fields, "targetList") else { return Vec::new() };
    entries
        .iter()
        .filter_map(|entry| match entry {
            Value::Node(f) => Some((number(f, "resno")?, number(f, "resorigtbl")?, number(f, "resorigcol")?)),
            _ => None,
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_the_origins_of_a_view_query() {
        let tree = "({QUERY :commandType 1 :utilityStmt <> :rtable ({RTE :alias <> :eref {ALIAS :aliasname t \
                    :colnames (\"id\" \"a\\ b\")}}) :targetList ({TARGETENTRY :expr {VAR :varno 1 :location 7} \
                    :resno 1 :resname id :resorigtbl 16400 :resorigcol 1 :resjunk false} {TARGETENTRY :expr \
                    {CONST :consttype 23 :constvalue 4 [ 1 0 0 0 0 0 0 0 ]} :resno 2 :resname c :resorigtbl 0 \
                    :resorigcol 0 :resjunk false}) :override 0})";
        assert_eq!(first_target_list(&tokens(tree)), vec![(1, 16400, 1), (2, 0, 0)]);
    }
}
