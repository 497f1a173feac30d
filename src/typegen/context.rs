//! Lookups the renderer shares: relations by id and name, types by id and name, columns per relation,
//! and the mapping of a PostgreSQL type name to its TypeScript type.

use super::model::{Catalog, Column, PgType, RelKind, Relation};
use super::tstype::{Ts, literal, raw};
use std::collections::{HashMap, HashSet};

/// Indexes over one [`Catalog`].
pub struct Context<'a> {
    pub catalog: &'a Catalog,
    pub included: HashSet<&'a str>,
    pub relations_by_id: HashMap<u32, &'a Relation>,
    pub types_by_id: HashMap<u32, &'a PgType>,
    pub columns_by_relation: HashMap<u32, Vec<&'a Column>>,
    enums_by_name: HashMap<&'a str, Vec<&'a PgType>>,
    composites_by_name: HashMap<&'a str, Vec<&'a PgType>>,
    relations_by_name: HashMap<&'a str, Vec<&'a Relation>>,
}

impl<'a> Context<'a> {
    /// Builds the indexes.
    pub fn new(catalog: &'a Catalog) -> Context<'a> {
        let mut columns_by_relation: HashMap<u32, Vec<&Column>> = HashMap::new();
        for column in &catalog.columns {
            columns_by_relation.entry(column.table_id).or_default().push(column);
        }
        let mut enums_by_name: HashMap<&str, Vec<&PgType>> = HashMap::new();
        let mut composites_by_name: HashMap<&str, Vec<&PgType>> = HashMap::new();
        for t in &catalog.types {
            if !t.enums.is_empty() {
                enums_by_name.entry(t.name.as_str()).or_default().push(t);
            }
            if !t.attributes.is_empty() {
                composites_by_name.entry(t.name.as_str()).or_default().push(t);
            }
        }
        let mut relations_by_name: HashMap<&str, Vec<&Relation>> = HashMap::new();
        // Kind order of the lookup: tables, foreign tables, views, materialized views.
        for kind in [RelKind::Table, RelKind::Foreign, RelKind::View, RelKind::Materialized] {
            for r in catalog.relations.iter().filter(|r| r.kind == kind) {
                relations_by_name.entry(r.name.as_str()).or_default().push(r);
            }
        }
        Context {
            catalog,
            included: catalog.schemas.iter().map(String::as_str).collect(),
            relations_by_id: catalog.relations.iter().map(|r| (r.id, r)).collect(),
            types_by_id: catalog.types.iter().map(|t| (t.id, t)).collect(),
            columns_by_relation,
            enums_by_name,
            composites_by_name,
            relations_by_name,
        }
    }

    /// The columns of a relation, sorted by name.
    pub fn columns(&self, relation: u32) -> &[&'a Column] {
        self.columns_by_relation.get(&relation).map(Vec::as_slice).unwrap_or(&[])
    }

    /// The TypeScript type of PostgreSQL type `name` owned by `type_schema` (or, unknown, the schema
    /// being generated).
    pub fn ts_type(&self, schema: &str, name: &str, type_schema: Option<&str>) -> Ts {
        match name {
            "bool" => return raw("boolean"),
            "int2" | "int4" | "int8" | "float4" | "float8" | "numeric" => return raw("number"),
            "bytea" | "bpchar" | "varchar" | "date" | "text" | "citext" | "time" | "timetz" | "timestamp"
            | "timestamptz" | "uuid" | "vector" | "interval" => return raw("string"),
            "json" | "jsonb" => return raw("Json"),
            "void" => return raw("undefined"),
            "record" => return raw("Record<string, unknown>"),
            _ => {}
        }
        if let Some(element) = name.strip_prefix('_') {
            return Ts::Array(Box::new(self.ts_type(schema, element, type_schema)));
        }
        let preferred = type_schema.unwrap_or(schema);
        let pick = |candidates: &[&'a PgType]| -> &'a PgType {
            candidates.iter().find(|t| t.schema == preferred).copied().unwrap_or(candidates[0])
        };
        if let Some(candidates) = self.enums_by_name.get(name).filter(|c| !c.is_empty()) {
            let t = pick(candidates);
            if self.included.contains(t.schema.as_str()) {
                return raw(&format!("Database[{}][\"Enums\"][{}]", q(&t.schema), q(&t.name)));
            }
            return Ts::Union(t.enums.iter().map(|label| literal(label)).collect());
        }
        if let Some(candidates) = self.composites_by_name.get(name).filter(|c| !c.is_empty()) {
            let t = pick(candidates);
            if self.included.contains(t.schema.as_str()) {
                return raw(&format!("Database[{}][\"CompositeTypes\"][{}]", q(&t.schema), q(&t.name)));
            }
            return raw("unknown");
        }
        if let Some(candidates) = self.relations_by_name.get(name) {
            let relation = candidates.iter().find(|r| r.schema == preferred).or_else(|| candidates.first());
            if let Some(r) = relation.filter(|r| self.included.contains(r.schema.as_str())) {
                let section = if matches!(r.kind, RelKind::Table | RelKind::Foreign) { "Tables" } else { "Views" };
                return raw(&format!("Database[{}][\"{section}\"][{}][\"Row\"]", q(&r.schema), q(&r.name)));
            }
        }
        raw("unknown")
    }
}

fn q(s: &str) -> String {
    super::tstype::quote(s)
}

/// `T | null` as the generator writes it: NOT NULL json becomes `NonNullable<Json>`, `unknown` stays.
pub fn nullable(ts: Ts, is_nullable: bool) -> Ts {
    match ts {
        Ts::Raw(s) if s == "Json" && !is_nullable => raw("NonNullable<Json>"),
        Ts::Raw(s) if s == "unknown" || s == "any" || !is_nullable => Ts::Raw(s),
        Ts::Union(mut members) if is_nullable => {
            members.push(raw("null"));
            Ts::Union(members)
        }
        other if is_nullable => Ts::Union(vec![other, raw("null")]),
        other => other,
    }
}
