//! The catalog model of a database: one struct per object kind, each map keyed by a stable identity (the
//! schema-qualified, quoted name; `regprocedure` text for functions; `table.name` for objects that live on a
//! table). Definitions are the server's own canonical text (`pg_get_*def`, `format_type`, `pg_get_expr`),
//! read with `search_path = pg_catalog` so every name in them is schema-qualified.

use std::collections::{BTreeMap, BTreeSet};

#[derive(Clone, Debug, Default)]
pub struct Catalog {
    pub server_major: u32,
    /// The schemas the model covers (quoted names).
    pub schemas: BTreeMap<String, Schema>,
    pub extensions: BTreeMap<String, Extension>,
    pub enums: BTreeMap<String, EnumType>,
    pub composites: BTreeMap<String, CompositeType>,
    pub domains: BTreeMap<String, Domain>,
    pub sequences: BTreeMap<String, Sequence>,
    pub tables: BTreeMap<String, Table>,
    pub constraints: BTreeMap<String, Constraint>,
    pub indexes: BTreeMap<String, Index>,
    pub views: BTreeMap<String, View>,
    pub functions: BTreeMap<String, Function>,
    pub triggers: BTreeMap<String, Trigger>,
    pub policies: BTreeMap<String, Policy>,
    /// `kind object grantee privilege` -> the grant.
    pub grants: BTreeMap<String, Grant>,
    /// `kind object` -> the comment.
    pub comments: BTreeMap<String, Comment>,
    pub publications: BTreeMap<String, Publication>,
    /// `publication table` -> membership.
    pub publication_tables: BTreeMap<String, PublicationTable>,
    /// View or materialized view -> the relations and functions its query uses.
    pub view_deps: BTreeMap<String, BTreeSet<String>>,
    /// Objects in the covered schemas the model does not cover (partitioned, foreign and inheriting tables,
    /// aggregates), as "kind name".
    pub unsupported: Vec<String>,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Schema {
    pub name: String,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Extension {
    pub name: String,
    pub schema: String,
    pub version: String,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct EnumType {
    pub key: String,
    pub labels: Vec<String>,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CompositeType {
    pub key: String,
    /// `(quoted name, type with collation)` in order.
    pub attributes: Vec<(String, String)>,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Domain {
    pub key: String,
    pub base_type: String,
    pub not_null: bool,
    pub default: Option<String>,
    /// `(quoted constraint name, definition)`.
    pub checks: Vec<(String, String)>,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Sequence {
    pub key: String,
    pub data_type: String,
    pub start: i64,
    pub increment: i64,
    pub min: i64,
    pub max: i64,
    pub cache: i64,
    pub cycle: bool,
    /// `table.column` the sequence is OWNED BY.
    pub owned_by: Option<String>,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Table {
    pub key: String,
    pub columns: Vec<Column>,
    pub rls_enabled: bool,
    pub rls_forced: bool,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Column {
    /// Quoted.
    pub name: String,
    pub data_type: String,
    /// A collation other than the type's, quoted and qualified.
    pub collation: Option<String>,
    pub not_null: bool,
    pub default: Option<String>,
    /// The default calls a function of the database's own: it is set once the functions exist.
    pub default_calls_function: bool,
    /// `GENERATED ALWAYS AS (expr) STORED`.
    pub generated: Option<String>,
    /// `a` (ALWAYS) or `d` (BY DEFAULT) for identity columns.
    pub identity: Option<char>,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Constraint {
    pub table: String,
    pub name: String,
    /// p, u, c, f, x.
    pub kind: char,
    pub definition: String,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Index {
    pub key: String,
    pub table: String,
    pub definition: String,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct View {
    pub key: String,
    pub materialized: bool,
    pub definition: String,
    /// `WITH (...)` options such as security_invoker=true.
    pub options: Vec<String>,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Function {
    /// `regprocedure` text: `public.f(integer,text)`.
    pub key: String,
    pub procedure: bool,
    /// `pg_get_function_arguments`: names and defaults (CREATE OR REPLACE cannot change them).
    pub arguments: String,
    pub result: Option<String>,
    pub definition: String,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Trigger {
    pub table: String,
    pub name: String,
    pub definition: String,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Policy {
    pub table: String,
    pub name: String,
    pub permissive: bool,
    /// ALL, SELECT, INSERT, UPDATE, DELETE.
    pub command: String,
    /// Quoted role names, or PUBLIC.
    pub roles: Vec<String>,
    pub using: Option<String>,
    pub with_check: Option<String>,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Grant {
    /// TABLE, SEQUENCE, FUNCTION, PROCEDURE, SCHEMA.
    pub kind: String,
    pub object: String,
    pub grantee: String,
    pub privilege: String,
    pub grantable: bool,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Comment {
    /// The COMMENT ON object kind: TABLE, COLUMN, VIEW, FUNCTION, TYPE, ...
    pub kind: String,
    pub object: String,
    pub text: String,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Publication {
    pub name: String,
    pub all_tables: bool,
    /// The `publish` option: insert, update, delete, truncate.
    pub publish: String,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PublicationTable {
    pub publication: String,
    pub table: String,
}
