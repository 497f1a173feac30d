//! What the generator reads from the catalog: schemas, relations, columns, types, functions and
//! relationships, in the shape the renderer needs.

/// A relation's kind, which decides where it appears: tables and foreign tables under `Tables`, views
/// and materialized views under `Views`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RelKind {
    Table,
    Foreign,
    View,
    Materialized,
}

/// A table, foreign table, view or materialized view.
#[derive(Clone, Debug)]
pub struct Relation {
    pub id: u32,
    pub schema: String,
    pub name: String,
    pub kind: RelKind,
    /// Views only: INSERT works (auto-updatable or through INSTEAD triggers/rules).
    pub insert_enabled: bool,
    /// Views only: UPDATE works.
    pub update_enabled: bool,
}

/// One column of a relation.
#[derive(Clone, Debug)]
pub struct Column {
    pub table_id: u32,
    pub name: String,
    /// The type name (a domain's base type), e.g. `int4`, `_text`, `todo_status`.
    pub format: String,
    /// The schema of that type.
    pub type_schema: String,
    pub is_identity: bool,
    pub identity_always: bool,
    pub is_generated: bool,
    pub is_nullable: bool,
    pub is_updatable: bool,
    pub has_default: bool,
}

/// A type of any schema: enums carry their labels, composites their attributes.
#[derive(Clone, Debug)]
pub struct PgType {
    pub id: u32,
    pub name: String,
    pub schema: String,
    /// `format_type(oid, null)`: schema-qualified when not on the search path.
    pub format: String,
    pub enums: Vec<String>,
    /// Composite attributes: (name, type oid), in attribute order.
    pub attributes: Vec<(String, u32)>,
    /// The relation behind a row or composite type.
    pub relation_id: Option<u32>,
}

/// How an argument is passed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ArgMode {
    In,
    Out,
    InOut,
    Variadic,
    Table,
}

/// One argument of a function.
#[derive(Clone, Debug)]
pub struct Arg {
    pub mode: ArgMode,
    pub name: String,
    pub type_id: u32,
    pub has_default: bool,
}

impl Arg {
    /// In, inout and variadic arguments: the ones a caller passes.
    pub fn is_input(&self) -> bool {
        matches!(self.mode, ArgMode::In | ArgMode::InOut | ArgMode::Variadic)
    }
}

/// A function (not a procedure, aggregate or trigger function).
#[derive(Clone, Debug)]
pub struct Function {
    pub id: u32,
    pub schema: String,
    pub name: String,
    /// Every argument, sorted by name.
    pub args: Vec<Arg>,
    /// `pg_get_function_arguments`.
    pub argument_types: String,
    /// `pg_get_function_identity_arguments`.
    pub identity_argument_types: String,
    pub return_type_id: u32,
    /// `pg_get_function_result`.
    pub return_type: String,
    pub return_type_relation_id: Option<u32>,
    pub returns_set: bool,
    /// The row estimate of a set-returning function (`ROWS`), when not zero.
    pub rows: Option<f32>,
}

/// A foreign key seen from one relation (tables, and views that expose the key columns).
#[derive(Clone, Debug, PartialEq)]
pub struct Relationship {
    pub foreign_key_name: String,
    pub schema: String,
    pub relation: String,
    /// None (printed `null`) when the constraint's schema name needs quotes: the generator's column query
    /// then finds nothing.
    pub columns: Option<Vec<String>>,
    pub is_one_to_one: bool,
    pub referenced_schema: String,
    pub referenced_relation: String,
    pub referenced_columns: Option<Vec<String>>,
}

/// Everything the generator needs, sorted as the generator sorts it.
#[derive(Clone, Debug, Default)]
pub struct Catalog {
    /// Included schema names that exist and the caller may use.
    pub schemas: Vec<String>,
    pub relations: Vec<Relation>,
    pub columns: Vec<Column>,
    pub types: Vec<PgType>,
    pub functions: Vec<Function>,
    pub relationships: Vec<Relationship>,
}
