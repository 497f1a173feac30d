//! The `Database` type and the helpers around it, laid out as the generator's formatter lays them out.

use super::collate::compare;
use super::context::{Context, nullable};
use super::doc::print;
use super::functions::Callable;
use super::model::{Catalog, Column, RelKind, Relation, Relationship};
use super::tstype::{Member, Ts, key, literal, member_doc, object, quote, raw};
use std::collections::HashMap;

/// What to generate.
#[derive(Clone, Debug, Default)]
pub struct Options {
    /// Adds the `__InternalSupabase` block with this PostgREST version.
    pub postgrest_version: Option<String>,
    /// Writes `isOneToOne` in relationships.
    pub detect_one_to_one: bool,
}

const JSON_TYPE: &str = "export type Json =\n  | string\n  | number\n  | boolean\n  | null\n  | { [key: string]: Json | undefined }\n  | Json[]\n\n";

const HELPERS: &str = include_str!("helpers.ts.txt");

/// The TypeScript file, exactly as `postgres-meta` prints it (including its final empty line).
///
/// The `Database` object, its schemas and their sections are always expanded, so every member of a section
/// starts a line of its own: each one is laid out on its own, and memory stays bounded by one member.
pub fn render(catalog: &Catalog, options: &Options) -> String {
    let ctx = Context::new(catalog);
    let mut out = String::with_capacity(HELPERS.len() + 4096 + catalog.columns.len() * 120);
    out.push_str(JSON_TYPE);
    out.push_str("export type Database = {\n");
    if let Some(version) = &options.postgrest_version {
        out.push_str(
            "  // Allows to automatically instantiate createClient with right options\n  \
             // instead of createClient<Database, { PostgrestVersion: 'XX' }>(URL, KEY)\n  __InternalSupabase: {\n",
        );
        push_member(&mut out, &Member::new("PostgrestVersion", literal(version)), 4);
        out.push_str("  }\n");
    }
    for schema in &catalog.schemas {
        out.push_str(&format!("  {}: {{\n", key(schema)));
        for (title, members) in schema_sections(&ctx, schema, options) {
            out.push_str(&format!("    {title}: {{\n"));
            if members.is_empty() {
                out.push_str("      [_ in never]: never\n");
            }
            for member in &members {
                push_member(&mut out, member, 6);
            }
            out.push_str("    }\n");
        }
        out.push_str("  }\n");
    }
    out.push_str("}\n\n");
    out.push_str(HELPERS);
    out.push_str(&constants(&ctx));
    out.push('\n');
    out
}

/// One member on lines of its own at `indent`.
fn push_member(out: &mut String, member: &Member, indent: usize) {
    out.push_str(&" ".repeat(indent));
    out.push_str(&print(member_doc(member), indent, 80, ""));
    out.push('\n');
}

fn schema_sections(ctx: &Context<'_>, schema: &str, options: &Options) -> [(&'static str, Vec<Member>); 5] {
    let in_schema = |kinds: &[RelKind]| -> Vec<&Relation> {
        let mut list: Vec<&Relation> =
            ctx.catalog.relations.iter().filter(|r| r.schema == schema && kinds.contains(&r.kind)).collect();
        list.sort_by(|a, b| compare(&a.name, &b.name));
        list
    };
    let callables: Vec<Callable<'_>> =
        ctx.catalog.functions.iter().filter(|f| f.schema == schema).filter_map(|f| ctx.callable(f)).collect();
    let relationships = relationships_of(ctx.catalog, schema);
    let tables = in_schema(&[RelKind::Table, RelKind::Foreign])
        .into_iter()
        .map(|t| Member::new(&t.name, table_type(ctx, schema, t, &callables, &relationships, options)))
        .collect();
    let views = in_schema(&[RelKind::View, RelKind::Materialized])
        .into_iter()
        .map(|v| Member::new(&v.name, view_type(ctx, schema, v, &callables, &relationships, options)))
        .collect();
    let enums = ctx
        .catalog
        .types
        .iter()
        .filter(|t| t.schema == schema && !t.enums.is_empty())
        .map(|t| Member::new(&t.name, Ts::Union(t.enums.iter().map(|l| literal(l)).collect())))
        .collect();
    let composites = ctx
        .catalog
        .types
        .iter()
        .filter(|t| t.schema == schema && !t.attributes.is_empty())
        .map(|t| {
            let fields = t
                .attributes
                .iter()
                .map(|(name, type_id)| {
                    let ty = match ctx.types_by_id.get(type_id) {
                        Some(a) => nullable(ctx.ts_type(schema, &a.name, Some(&a.schema)), true),
                        None => raw("unknown"),
                    };
                    Member::new(name, ty)
                })
                .collect();
            Member::new(&t.name, object(fields))
        })
        .collect();
    [
        ("Tables", tables),
        ("Views", views),
        ("Functions", functions(ctx, schema, callables)),
        ("Enums", enums),
        ("CompositeTypes", composites),
    ]
}

fn functions(ctx: &Context<'_>, schema: &str, mut callables: Vec<Callable<'_>>) -> Vec<Member> {
    callables.sort_by(|a, b| compare(&a.function.name, &b.function.name));
    let mut order: Vec<String> = Vec::new();
    let mut groups: HashMap<String, Vec<Callable<'_>>> = HashMap::new();
    for c in callables {
        if !groups.contains_key(&c.function.name) {
            order.push(c.function.name.clone());
        }
        groups.entry(c.function.name.clone()).or_default().push(c);
    }
    order
        .into_iter()
        .filter_map(|name| {
            let mut overloads = groups.remove(&name)?;
            overloads.sort_by(|a, b| {
                compare(&a.function.argument_types, &b.function.argument_types)
                    .then_with(|| compare(&a.function.return_type, &b.function.return_type))
            });
            Some(Member::new(&name, ctx.signatures(schema, &overloads)))
        })
        .collect()
}

/// Relationships by relation name, for relations of `schema` that point into `schema`.
fn relationships_of<'a>(catalog: &'a Catalog, schema: &str) -> HashMap<&'a str, Vec<&'a Relationship>> {
    let mut map: HashMap<&str, Vec<&Relationship>> = HashMap::new();
    for r in &catalog.relationships {
        if r.schema == schema && r.referenced_schema == schema {
            map.entry(r.relation.as_str()).or_default().push(r);
        }
    }
    map
}

fn relationship_list(list: Option<&Vec<&Relationship>>, options: &Options) -> Ts {
    let items = list
        .map(|l| {
            l.iter()
                .map(|r| {
                    let mut members = vec![
                        Member::new("foreignKeyName", literal(&r.foreign_key_name)),
                        Member::new("columns", names_tuple(r.columns.as_deref())),
                    ];
                    if options.detect_one_to_one {
                        members.push(Member::new("isOneToOne", raw(if r.is_one_to_one { "true" } else { "false" })));
                    }
                    members.push(Member::new("referencedRelation", literal(&r.referenced_relation)));
                    members.push(Member::new("referencedColumns", names_tuple(r.referenced_columns.as_deref())));
                    object(members)
                })
                .collect()
        })
        .unwrap_or_default();
    Ts::Tuple(items)
}

/// `["a", "b"]`, or `null` when the generator found no column names.
fn names_tuple(names: Option<&[String]>) -> Ts {
    match names {
        Some(names) => Ts::Tuple(names.iter().map(|c| literal(c)).collect()),
        None => raw("null"),
    }
}

fn column_member(ctx: &Context<'_>, schema: &str, c: &Column, optional: bool, is_nullable: bool) -> Member {
    let ty = nullable(ctx.ts_type(schema, &c.format, Some(&c.type_schema)), is_nullable);
    Member { optional, ..Member::new(&c.name, ty) }
}

fn never(c: &Column) -> Member {
    Member::optional(&c.name, raw("never"))
}

fn row_type(ctx: &Context<'_>, schema: &str, r: &Relation, callables: &[Callable<'_>]) -> Ts {
    let mut members: Vec<Member> =
        ctx.columns(r.id).iter().map(|c| column_member(ctx, schema, c, false, c.is_nullable)).collect();
    for c in callables.iter().filter(|c| ctx.is_computed_field_of(c, r.id, &r.name)) {
        members.push(Member::new(&c.function.name, nullable(ctx.return_type(schema, c.function), true)));
    }
    object(members)
}

fn table_type(
    ctx: &Context<'_>,
    schema: &str,
    t: &Relation,
    callables: &[Callable<'_>],
    relationships: &HashMap<&str, Vec<&Relationship>>,
    options: &Options,
) -> Ts {
    let columns = ctx.columns(t.id);
    let write = |update: bool| -> Ts {
        object(
            columns
                .iter()
                .map(|c| {
                    if c.identity_always || c.is_generated {
                        never(c)
                    } else {
                        let optional = update || c.is_nullable || c.is_identity || c.has_default;
                        column_member(ctx, schema, c, optional, c.is_nullable)
                    }
                })
                .collect(),
        )
    };
    object(vec![
        Member::new("Row", row_type(ctx, schema, t, callables)),
        Member::new("Insert", write(false)),
        Member::new("Update", write(true)),
        Member::new("Relationships", relationship_list(relationships.get(t.name.as_str()), options)),
    ])
}

fn view_type(
    ctx: &Context<'_>,
    schema: &str,
    v: &Relation,
    callables: &[Callable<'_>],
    relationships: &HashMap<&str, Vec<&Relationship>>,
    options: &Options,
) -> Ts {
    let write = || -> Ts {
        object(
            ctx.columns(v.id)
                .iter()
                .map(|c| if c.is_updatable { column_member(ctx, schema, c, true, true) } else { never(c) })
                .collect(),
        )
    };
    let mut members = vec![Member::new("Row", row_type(ctx, schema, v, callables))];
    if v.insert_enabled {
        members.push(Member::new("Insert", write()));
    }
    if v.update_enabled {
        members.push(Member::new("Update", write()));
    }
    members.push(Member::new("Relationships", relationship_list(relationships.get(v.name.as_str()), options)));
    object(members)
}

/// `export const Constants = {...} as const`: every schema with its enum labels.
fn constants(ctx: &Context<'_>) -> String {
    let mut out = String::from("export const Constants = {\n");
    for schema in &ctx.catalog.schemas {
        let enums: Vec<_> = ctx.catalog.types.iter().filter(|t| &t.schema == schema && !t.enums.is_empty()).collect();
        out.push_str(&format!("  {}: {{\n", key(schema)));
        if enums.is_empty() {
            out.push_str("    Enums: {},\n");
        } else {
            out.push_str("    Enums: {\n");
            for e in enums {
                let labels: Vec<String> = e.enums.iter().map(|l| quote(l)).collect();
                let head = format!("      {}: ", key(&e.name));
                let flat = format!("{head}[{}],", labels.join(", "));
                if flat.chars().count() <= 80 {
                    out.push_str(&flat);
                    out.push('\n');
                } else {
                    out.push_str(&head);
                    out.push_str("[\n");
                    for l in labels {
                        out.push_str(&format!("        {l},\n"));
                    }
                    out.push_str("      ],\n");
                }
            }
            out.push_str("    },\n");
        }
        out.push_str("  },\n");
    }
    out.push_str("} as const\n");
    out
}
