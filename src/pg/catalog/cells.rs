//! One row of a catalog query read by column position, whether it came over a connection
//! ([`tokio_postgres::Row`]) or as JSON through the Management API (an object whose keys are `c0`, `c1`, ...,
//! as [`positional`] names them), so the code that turns catalog rows into replies is written once.

use serde::de::DeserializeOwned;
use serde_json::{Map, Value};

/// Typed access to the cells of a row, by position.
pub trait Cells {
    fn cell<T: CellValue>(&self, index: usize) -> T;
}

/// A value a cell can hold: what both tokio-postgres and JSON can give.
pub trait CellValue: for<'a> tokio_postgres::types::FromSql<'a> + DeserializeOwned + Default {}
impl<T: for<'a> tokio_postgres::types::FromSql<'a> + DeserializeOwned + Default> CellValue for T {}

impl Cells for tokio_postgres::Row {
    /// A NULL or mistyped cell reads as the type's default (the queries' columns are typed to match).
    fn cell<T: CellValue>(&self, index: usize) -> T {
        self.try_get::<_, Option<T>>(index).ok().flatten().unwrap_or_default()
    }
}

impl Cells for Map<String, Value> {
    fn cell<T: CellValue>(&self, index: usize) -> T {
        let Some(value) = self.get(&format!("c{index}")) else {
            return T::default();
        };
        // node-postgres hands int8 and numeric over as text: read such a string as the number it holds.
        serde_json::from_value(value.clone())
            .ok()
            .or_else(|| value.as_str().and_then(|text| serde_json::from_str(text).ok()))
            .unwrap_or_default()
    }
}

/// `sql` wrapped so its columns are named `c0`..`c{count-1}` by position, with `key` (an expression over
/// the lateral source) first as `key`: `select <key> as key, q.* from <source> cross join lateral (<sql>) q(c0, ...)`.
pub fn positional(sql: &str, count: usize, key: &str, source: &str) -> String {
    format!("select {key} as key, q.* from {source} cross join lateral ({sql}) q({})", column_names(count))
}

/// `sql` with its `count` columns renamed `c0`..`c{count-1}`: `select * from (<sql>) q(c0, ...)`.
pub fn named(sql: &str, count: usize) -> String {
    format!("select * from ({sql}) q({})", column_names(count))
}

fn column_names(count: usize) -> String {
    (0..count).map(|i| format!("c{i}")).collect::<Vec<_>>().join(", ")
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn json_rows_read_by_position_and_null_reads_as_default() {
        let row = json!({"c0": "name", "c1": true, "c2": null, "c3": ["a", "b"], "c4": 7, "c5": "8192"})
            .as_object()
            .cloned()
            .unwrap();
        assert_eq!(row.cell::<String>(0), "name");
        assert!(row.cell::<bool>(1));
        assert_eq!(row.cell::<Option<String>>(2), None);
        assert_eq!(row.cell::<Vec<String>>(3), vec!["a", "b"]);
        assert_eq!(row.cell::<Option<i64>>(4), Some(7));
        assert_eq!(row.cell::<i64>(5), 8192, "int8 as text");
        assert_eq!(row.cell::<String>(5), "8192");
        assert_eq!(row.cell::<String>(9), "");
    }

    #[test]
    fn positional_names_every_column() {
        let sql = positional("select 1, 2", 2, "t.oid", "unnest($1::oid[]) t(oid)");
        assert_eq!(
            sql,
            "select t.oid as key, q.* from unnest($1::oid[]) t(oid) cross join lateral (select 1, 2) q(c0, c1)"
        );
    }
}
