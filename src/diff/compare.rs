//! Model against model: for each kind, what the source has that the target lacks, what the target has that the
//! source lacks, and what both have with a different definition. The planner turns these into statements.

use super::model::Column;
use std::collections::BTreeMap;

/// The differences of one object kind, borrowed from the two catalogs.
#[derive(Debug)]
pub struct Delta<'a, T> {
    /// In the source only: to create.
    pub added: Vec<&'a T>,
    /// In the target only: to drop.
    pub removed: Vec<&'a T>,
    /// In both, different: `(source, target)`.
    pub changed: Vec<(&'a T, &'a T)>,
}

impl<T> Delta<'_, T> {
    pub fn is_empty(&self) -> bool {
        self.added.is_empty() && self.removed.is_empty() && self.changed.is_empty()
    }
}

/// Compares two maps of one kind by key, objects by equality.
pub fn delta<'a, T: PartialEq>(source: &'a BTreeMap<String, T>, target: &'a BTreeMap<String, T>) -> Delta<'a, T> {
    let mut out = Delta { added: Vec::new(), removed: Vec::new(), changed: Vec::new() };
    for (key, wanted) in source {
        match target.get(key) {
            None => out.added.push(wanted),
            Some(present) if present != wanted => out.changed.push((wanted, present)),
            Some(_) => {}
        }
    }
    out.removed = target.iter().filter(|(key, _)| !source.contains_key(*key)).map(|(_, value)| value).collect();
    out
}

/// What to do with one column present on both sides.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct ColumnChange {
    /// Generated expression changed (or a column became / stopped being generated): drop and add again.
    pub replace: bool,
    pub data_type: bool,
    pub default: bool,
    pub not_null: bool,
    pub identity: bool,
}

impl ColumnChange {
    pub fn of(source: &Column, target: &Column) -> ColumnChange {
        if source.generated != target.generated {
            return ColumnChange { replace: true, ..ColumnChange::default() };
        }
        ColumnChange {
            replace: false,
            data_type: source.data_type != target.data_type || source.collation != target.collation,
            default: source.default != target.default,
            not_null: source.not_null != target.not_null,
            identity: source.identity != target.identity,
        }
    }
}

/// Columns of one table present on both sides: `(source, target)` pairs by name; columns only in the source;
/// columns only in the target.
pub fn columns<'a>(
    source: &'a [Column],
    target: &'a [Column],
) -> (Vec<(&'a Column, &'a Column)>, Vec<&'a Column>, Vec<&'a Column>) {
    let mut both = Vec::new();
    let mut added = Vec::new();
    for column in source {
        match target.iter().find(|t| t.name == column.name) {
            Some(present) => both.push((column, present)),
            None => added.push(column),
        }
    }
    let removed = target.iter().filter(|t| !source.iter().any(|s| s.name == t.name)).collect();
    (both, added, removed)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn delta_sorts_objects_into_added_removed_changed() {
        let source: BTreeMap<String, i32> = [("a".into(), 1), ("b".into(), 2), ("c".into(), 3)].into();
        let target: BTreeMap<String, i32> = [("b".into(), 2), ("c".into(), 4), ("d".into(), 5)].into();
        let d = delta(&source, &target);
        assert_eq!(d.added, vec![&1]);
        assert_eq!(d.removed, vec![&5]);
        assert_eq!(d.changed, vec![(&3, &4)]);
        assert!(!d.is_empty());
        assert!(delta(&source, &source).is_empty());
    }
}
