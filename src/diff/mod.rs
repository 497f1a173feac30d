//! Schema diff: the catalog model of a database (`model`), loaded in bulk (`extract`), compared model against
//! model (`compare`) and planned into ordered DDL (`plan`) that turns a target into the source. Destructive
//! statements (data loss, objects the source does not have) are marked and held back unless allowed.
//! No rmcp here: `groups::migrations::diff` declares the tool.

pub mod compare;
pub mod extract;
pub mod model;
pub mod plan;
pub mod scratch;

pub use extract::{ExtractOptions, extract};
pub use model::Catalog;
pub use plan::Statement;

use serde::Serialize;

/// How to diff.
#[derive(Clone, Copy, Debug, Default)]
pub struct DiffOptions {
    /// Put destructive statements into the script (in their place) instead of holding them back.
    pub allow_destructive: bool,
}

/// DDL that turns the target into the source.
#[derive(Clone, Debug, Default, Serialize, schemars::JsonSchema)]
pub struct Diff {
    /// The script's statements, in execution order.
    pub statements: Vec<Statement>,
    /// Destructive statements left out of the script (allow_destructive: false), in execution order.
    pub held_back: Vec<Statement>,
    /// What to check by hand: renames that look like drop + add, type changes, enum values, versions.
    pub warnings: Vec<String>,
}

impl Diff {
    pub fn is_empty(&self) -> bool {
        self.statements.is_empty() && self.held_back.is_empty()
    }

    /// The statements as one script ready to run (or to save as a migration).
    pub fn script(&self) -> String {
        render(&self.statements)
    }

    /// The held-back statements as a script of their own.
    pub fn held_back_script(&self) -> String {
        render(&self.held_back)
    }
}

/// The statements joined with `;`. Function bodies are not checked at creation (as pg_dump does), so a
/// function may name tables created later in the script.
pub fn render(statements: &[Statement]) -> String {
    if statements.is_empty() {
        return String::new();
    }
    let mut out = String::new();
    if statements.iter().any(|s| s.kind.ends_with("function")) {
        out.push_str("SET check_function_bodies = false;\n\n");
    }
    for statement in statements {
        out.push_str(&statement.sql);
        out.push_str(";\n\n");
    }
    out
}

/// The statements that turn `target` into `source`.
pub fn diff(source: &Catalog, target: &Catalog, options: DiffOptions) -> Diff {
    let (statements, mut warnings) = plan::plan(source, target);
    for (side, catalog) in [("source", source), ("target", target)] {
        if !catalog.unsupported.is_empty() {
            warnings.push(format!(
                "the {side} has objects the diff does not cover; compare them by hand: {}",
                catalog.unsupported.join(", ")
            ));
        }
    }
    let (statements, held_back) = if options.allow_destructive {
        (statements, Vec::new())
    } else {
        statements.into_iter().partition(|s| !s.destructive)
    };
    Diff { statements, held_back, warnings }
}
