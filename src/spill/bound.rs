//! Byte budgets for the rows a reply carries: a preview of a spilled result and a page of `read_result` or of a
//! `supamcp://results/...` resource are cut by size, not only by row count. A value longer than its share of the
//! budget is cut at a character boundary and ends with a marker that gives its full length, so one 5 MB cell
//! yields a few kilobytes, and many small rows stop at the budget. At least one row is always carried (clipped),
//! so paging always moves on.

use super::{ColumnInfo, row_object};
use serde_json::{Map, Value};

/// The byte budget of a preview or a page (the rows as JSON): 64 KiB.
pub const PAGE_BUDGET_BYTES: usize = 64 * 1024;
/// The longest single value carried whole (before its share of the budget lowers it for wide rows).
pub const VALUE_CAP_BYTES: usize = 4 * 1024;
/// A value is never cut shorter than this, however many columns share the budget.
const MIN_VALUE_BYTES: usize = 64;

/// Rows that fit a budget.
#[derive(Debug, Default)]
pub struct Bounded {
    pub rows: Vec<Map<String, Value>>,
    /// Values that were cut (each ends with the marker naming its full length).
    pub truncated_values: u64,
    /// Serialized size of `rows`.
    pub bytes: usize,
    /// The budget stopped the rows before the source ran out.
    pub cut_by_budget: bool,
}

/// Collects rows into a [`Bounded`] until `budget` bytes; values longer than their share are cut.
pub struct Bounder<'a> {
    columns: &'a [ColumnInfo],
    budget: usize,
    value_cap: usize,
    bounded: Bounded,
}

impl<'a> Bounder<'a> {
    pub fn new(columns: &'a [ColumnInfo], budget: usize) -> Self {
        let share = budget / (columns.len().max(1) + 1);
        let value_cap = share.clamp(MIN_VALUE_BYTES, VALUE_CAP_BYTES);
        Bounder { columns, budget, value_cap, bounded: Bounded::default() }
    }

    /// Adds a row if it fits (the first row always does, clipped); false once the budget is spent.
    pub fn push(&mut self, values: Vec<Value>) -> bool {
        if self.bounded.cut_by_budget {
            return false;
        }
        let mut cut = 0;
        let values: Vec<Value> = values.into_iter().map(|v| clip_value(v, self.value_cap, &mut cut)).collect();
        let row = row_object(self.columns, values);
        let size = serde_json::to_vec(&row).map_or(0, |bytes| bytes.len()) + 1;
        if !self.bounded.rows.is_empty() && self.bounded.bytes + size > self.budget {
            self.bounded.cut_by_budget = true;
            return false;
        }
        self.bounded.bytes += size;
        self.bounded.truncated_values += cut;
        self.bounded.rows.push(row);
        true
    }

    pub fn finish(self) -> Bounded {
        self.bounded
    }
}

/// Cuts `rows` to `budget` bytes (see [`Bounder`]).
pub fn bound_rows(columns: &[ColumnInfo], rows: Vec<Vec<Value>>, budget: usize) -> Bounded {
    let mut bounder = Bounder::new(columns, budget);
    for row in rows {
        if !bounder.push(row) {
            break;
        }
    }
    bounder.finish()
}

/// The marker that ends a cut value (a caller reads the rest with SQL: `substr(column, start, length)`).
pub fn marker(full_bytes: usize) -> String {
    format!("…[truncated: {full_bytes} bytes in full]")
}

/// A value within `cap` bytes: a long string keeps its head and gets the marker; a long array or object
/// becomes the head of its JSON text plus the marker. `cut` counts the values cut.
pub fn clip_value(value: Value, cap: usize, cut: &mut u64) -> Value {
    let full = match &value {
        Value::String(s) if s.len() > cap => s.len(),
        Value::String(_) | Value::Null | Value::Bool(_) | Value::Number(_) => return value,
        other => {
            let text = other.to_string();
            if text.len() <= cap {
                return value;
            }
            *cut += 1;
            return Value::String(format!("{}{}", head(&text, cap), marker(text.len())));
        }
    };
    *cut += 1;
    let Value::String(s) = value else { return value };
    Value::String(format!("{}{}", head(&s, cap), marker(full)))
}

/// `text` within `cap` bytes: its head and the marker when it is longer.
pub fn clip_text(text: String, cap: usize) -> String {
    if text.len() <= cap {
        return text;
    }
    format!("{}{}", head(&text, cap), marker(text.len()))
}

/// The longest prefix of `text` within `bytes`, cut at a character boundary.
fn head(text: &str, bytes: usize) -> &str {
    let mut end = bytes.min(text.len());
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    &text[..end]
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn columns(n: usize) -> Vec<ColumnInfo> {
        (0..n).map(|i| ColumnInfo { name: format!("c{i}"), type_name: "text".into() }).collect()
    }

    #[test]
    fn a_huge_value_is_cut_with_its_full_length() {
        let huge = "é".repeat(2_500_000);
        let bounded = bound_rows(&columns(1), vec![vec![json!(huge)]], PAGE_BUDGET_BYTES);
        assert_eq!((bounded.rows.len(), bounded.truncated_values), (1, 1));
        let text = bounded.rows[0]["c0"].as_str().unwrap_or_default();
        assert!(text.len() < VALUE_CAP_BYTES + 200, "{}", text.len());
        assert!(text.ends_with("…[truncated: 5000000 bytes in full]"), "{}", text.len());
        assert!(bounded.bytes <= PAGE_BUDGET_BYTES);
    }

    #[test]
    fn many_small_rows_stop_at_the_budget() {
        let rows: Vec<Vec<Value>> = (0..100_000).map(|i| vec![json!(i), json!("x")]).collect();
        let bounded = bound_rows(&columns(2), rows, 4096);
        assert!(bounded.cut_by_budget);
        assert!(
            bounded.bytes <= 4096 && bounded.rows.len() > 100,
            "{} rows, {} bytes",
            bounded.rows.len(),
            bounded.bytes
        );
        assert_eq!(bounded.truncated_values, 0);
    }

    #[test]
    fn wide_rows_share_the_budget_and_one_row_always_passes() {
        let row: Vec<Value> = (0..500).map(|_| json!("y".repeat(1000))).collect();
        let bounded = bound_rows(&columns(500), vec![row.clone(), row], 8192);
        assert_eq!(bounded.rows.len(), 1, "the first row is carried, clipped");
        assert_eq!(bounded.truncated_values, 500);
        let mut cut = 0;
        assert_eq!(clip_value(json!({"a": [1, 2]}), 64, &mut cut), json!({"a": [1, 2]}));
        let big = clip_value(json!({"a": "z".repeat(500)}), 64, &mut cut);
        assert!(big.as_str().is_some_and(|s| s.starts_with("{\"a\":\"zzz") && s.contains("508 bytes in full")));
    }
}
