//! Changes -> ordered statements. Every statement gets a phase; the phases put drops in reverse dependency
//! order (policies and triggers, views, constraints, functions, columns and tables, types, schemas) and creates
//! in dependency order (schemas, extensions, types, sequences, tables, functions, constraints, views in
//! topological order of what their queries use, indexes, triggers, policies, ownership, grants, comments,
//! publications). Within a phase the order of pushing is kept.

mod access;
mod routines;
mod tables;
mod types;

use super::model::Catalog;
use serde::Serialize;
use std::collections::{BTreeMap, BTreeSet};

/// One DDL statement of a diff.
#[derive(Clone, Debug, Serialize, schemars::JsonSchema)]
pub struct Statement {
    pub sql: String,
    /// What it does, e.g. "create table", "drop column", "add enum value".
    pub kind: String,
    /// The object it changes.
    pub object: String,
    /// Loses data or removes an object the source does not have.
    pub destructive: bool,
    #[serde(skip)]
    #[schemars(skip)]
    pub(crate) phase: u16,
}

pub(crate) mod phase {
    pub const DROP_POLICY: u16 = 10;
    pub const DROP_TRIGGER: u16 = 11;
    pub const DROP_MEMBERSHIP: u16 = 12;
    pub const DROP_VIEW: u16 = 20;
    pub const DROP_FOREIGN_KEY: u16 = 30;
    pub const DROP_CONSTRAINT: u16 = 31;
    pub const DROP_INDEX: u16 = 32;
    pub const DROP_FUNCTION: u16 = 40;
    pub const DROP_DEFAULT: u16 = 45;
    pub const DROP_COLUMN: u16 = 50;
    pub const DROP_TABLE: u16 = 51;
    /// Functions the source lacks: once the triggers, defaults and tables using them are gone.
    pub const DROP_REMOVED_FUNCTION: u16 = 52;
    pub const DROP_SEQUENCE: u16 = 60;
    pub const DROP_TYPE: u16 = 61;
    pub const DROP_EXTENSION: u16 = 70;
    pub const DROP_SCHEMA: u16 = 71;
    pub const DROP_PUBLICATION: u16 = 72;
    pub const SCHEMA: u16 = 100;
    pub const EXTENSION: u16 = 101;
    pub const ENUM: u16 = 110;
    pub const DOMAIN: u16 = 111;
    pub const COMPOSITE: u16 = 112;
    pub const SEQUENCE: u16 = 120;
    pub const TABLE: u16 = 130;
    pub const COLUMN: u16 = 131;
    pub const FUNCTION: u16 = 140;
    pub const LATE_DEFAULT: u16 = 141;
    pub const CONSTRAINT: u16 = 150;
    pub const FOREIGN_KEY: u16 = 151;
    pub const VIEW: u16 = 160;
    pub const INDEX: u16 = 170;
    pub const TRIGGER: u16 = 180;
    pub const RLS: u16 = 181;
    pub const POLICY: u16 = 182;
    pub const OWNED_BY: u16 = 190;
    pub const GRANT: u16 = 200;
    pub const COMMENT: u16 = 210;
    pub const PUBLICATION: u16 = 220;
}

/// The planner's working state: the two catalogs, the statements so far, and what is dropped or recreated
/// (objects that live on them need no drop of their own, and lose their grants and comments).
pub(crate) struct Plan<'a> {
    pub source: &'a Catalog,
    pub target: &'a Catalog,
    pub statements: Vec<Statement>,
    pub warnings: Vec<String>,
    /// Objects dropped and not created again.
    pub dropped: BTreeSet<String>,
    /// Objects dropped and created again.
    pub recreated: BTreeSet<String>,
    /// Tables whose columns are dropped or change type: views over them are recreated.
    pub reshaped: BTreeSet<String>,
}

impl Plan<'_> {
    pub fn push(&mut self, phase: u16, kind: &str, object: &str, sql: String, destructive: bool) {
        self.statements.push(Statement { sql, kind: kind.to_owned(), object: object.to_owned(), destructive, phase });
    }

    /// The object is gone from the target by the time its dependents are handled.
    pub fn gone(&self, key: &str) -> bool {
        self.dropped.contains(key) || self.recreated.contains(key)
    }
}

/// Every statement that turns `target` into `source`, in execution order, and the planner's warnings.
pub fn plan(source: &Catalog, target: &Catalog) -> (Vec<Statement>, Vec<String>) {
    let mut plan = Plan {
        source,
        target,
        statements: Vec::new(),
        warnings: Vec::new(),
        dropped: BTreeSet::new(),
        recreated: BTreeSet::new(),
        reshaped: BTreeSet::new(),
    };
    types::plan(&mut plan);
    tables::plan(&mut plan);
    routines::plan(&mut plan);
    tables::plan_indexes(&mut plan);
    access::plan(&mut plan);
    let mut statements = plan.statements;
    statements.sort_by_key(|s| s.phase);
    (statements, plan.warnings)
}

/// `keys` ordered so that each comes after the keys it depends on (`deps`, restricted to `keys`).
pub(crate) fn topological(keys: &BTreeSet<String>, deps: &BTreeMap<String, BTreeSet<String>>) -> Vec<String> {
    fn visit(
        key: &str,
        keys: &BTreeSet<String>,
        deps: &BTreeMap<String, BTreeSet<String>>,
        seen: &mut BTreeSet<String>,
        out: &mut Vec<String>,
    ) {
        if !seen.insert(key.to_owned()) {
            return;
        }
        for dep in deps.get(key).into_iter().flatten() {
            if keys.contains(dep) {
                visit(dep, keys, deps, seen, out);
            }
        }
        out.push(key.to_owned());
    }
    let mut seen = BTreeSet::new();
    let mut out = Vec::new();
    for key in keys {
        visit(key, keys, deps, &mut seen, &mut out);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    use crate::diff::model::{Column, EnumType, Table};

    fn catalog_with(labels: &[&str], column: Column) -> Catalog {
        let mut catalog = Catalog::default();
        let labels = labels.iter().map(|s| s.to_string()).collect();
        catalog.enums.insert("public.mood".into(), EnumType { key: "public.mood".into(), labels });
        let table = Table { key: "public.t".into(), columns: vec![column], rls_enabled: false, rls_forced: false };
        catalog.tables.insert("public.t".into(), table);
        catalog
    }

    fn column(data_type: &str, default: Option<&str>, not_null: bool) -> Column {
        Column {
            name: "c".into(),
            data_type: data_type.into(),
            collation: None,
            not_null,
            default: default.map(str::to_owned),
            default_calls_function: false,
            generated: None,
            identity: None,
        }
    }

    #[test]
    fn enum_values_are_added_in_place_and_column_changes_are_ordered() {
        let source = catalog_with(&["a", "b", "c", "d"], column("bigint", Some("1"), true));
        let target = catalog_with(&["b", "d"], column("integer", Some("0"), false));
        let (statements, warnings) = plan(&source, &target);
        let sql: Vec<&str> = statements.iter().map(|s| s.sql.as_str()).collect();
        assert_eq!(
            sql,
            vec![
                "ALTER TABLE public.t ALTER COLUMN c DROP DEFAULT",
                "ALTER TYPE public.mood ADD VALUE 'a' BEFORE 'b'",
                "ALTER TYPE public.mood ADD VALUE 'c' AFTER 'b'",
                "ALTER TABLE public.t ALTER COLUMN c TYPE bigint USING c::bigint",
                "ALTER TABLE public.t ALTER COLUMN c SET NOT NULL",
                "ALTER TABLE public.t ALTER COLUMN c SET DEFAULT 1",
            ]
        );
        assert!(statements.iter().all(|s| !s.destructive));
        assert!(warnings.iter().any(|w| w.contains("cannot be used in the transaction")));
    }

    #[test]
    fn removed_enum_values_recreate_the_type_destructively() {
        let source = catalog_with(&["a"], column("integer", None, false));
        let target = catalog_with(&["a", "b"], column("integer", None, false));
        let (statements, _) = plan(&source, &target);
        let kinds: Vec<(&str, bool)> = statements.iter().map(|s| (s.kind.as_str(), s.destructive)).collect();
        assert_eq!(kinds, vec![("drop enum", true), ("create enum", true)]);
    }

    #[test]
    fn topological_puts_dependencies_first() {
        let keys: BTreeSet<String> = ["a", "b", "c"].iter().map(|s| s.to_string()).collect();
        let deps: BTreeMap<String, BTreeSet<String>> =
            [("a".to_owned(), ["c".to_owned()].into()), ("c".to_owned(), ["b".to_owned(), "x".to_owned()].into())]
                .into();
        assert_eq!(topological(&keys, &deps), vec!["b", "c", "a"]);
    }
}
