//! Schemas, extensions, enums (values added in place), composite types, domains, and sequences.

use super::{Plan, phase};
use crate::diff::compare::delta;
use crate::diff::model::{CompositeType, Domain, EnumType, Sequence};
use crate::pg::ident::quote_literal;

pub(super) fn plan(plan: &mut Plan) {
    let (source, target) = (plan.source, plan.target);
    let schemas = delta(&source.schemas, &target.schemas);
    for schema in schemas.added {
        plan.push(phase::SCHEMA, "create schema", &schema.name, format!("CREATE SCHEMA {}", schema.name), false);
    }
    for schema in schemas.removed {
        plan.dropped.insert(schema.name.clone());
        plan.push(phase::DROP_SCHEMA, "drop schema", &schema.name, format!("DROP SCHEMA {}", schema.name), true);
    }
    let extensions = delta(&source.extensions, &target.extensions);
    for e in extensions.added {
        let sql = format!("CREATE EXTENSION IF NOT EXISTS {} WITH SCHEMA {}", e.name, e.schema);
        plan.push(phase::EXTENSION, "create extension", &e.name, sql, false);
    }
    for (wanted, present) in extensions.changed {
        if wanted.schema != present.schema {
            let sql = format!("ALTER EXTENSION {} SET SCHEMA {}", wanted.name, wanted.schema);
            plan.push(phase::EXTENSION, "move extension", &wanted.name, sql, false);
        }
        if wanted.version != present.version {
            plan.warnings.push(format!(
                "extension {} is version {} on the source and {} on the target; the diff leaves versions alone \
                 (ALTER EXTENSION {} UPDATE updates it where the target has that version)",
                wanted.name, wanted.version, present.version, wanted.name
            ));
        }
    }
    for e in extensions.removed {
        plan.push(phase::DROP_EXTENSION, "drop extension", &e.name, format!("DROP EXTENSION {}", e.name), true);
    }
    enums(plan);
    composites(plan);
    domains(plan);
    sequences(plan);
}

fn create_enum(value: &EnumType) -> String {
    let labels: Vec<String> = value.labels.iter().map(|l| quote_literal(l)).collect();
    format!("CREATE TYPE {} AS ENUM ({})", value.key, labels.join(", "))
}

fn enums(plan: &mut Plan) {
    let d = delta(&plan.source.enums, &plan.target.enums);
    for value in d.added {
        plan.push(phase::ENUM, "create enum", &value.key, create_enum(value), false);
    }
    for (wanted, present) in d.changed {
        let mut kept = wanted.labels.iter().filter(|l| present.labels.contains(l));
        let in_order = present.labels.iter().all(|l| wanted.labels.contains(l))
            && present.labels.iter().all(|l| kept.next() == Some(l));
        if in_order {
            for (i, label) in wanted.labels.iter().enumerate() {
                if present.labels.contains(label) {
                    continue;
                }
                let place = match i.checked_sub(1).and_then(|before| wanted.labels.get(before)) {
                    Some(before) => format!(" AFTER {}", quote_literal(before)),
                    None => {
                        wanted.labels.get(1).map(|next| format!(" BEFORE {}", quote_literal(next))).unwrap_or_default()
                    }
                };
                let sql = format!("ALTER TYPE {} ADD VALUE {}{place}", wanted.key, quote_literal(label));
                plan.push(phase::ENUM, "add enum value", &wanted.key, sql, false);
            }
            plan.warnings.push(format!(
                "{}: new enum values cannot be used in the transaction that adds them; if the script uses them, \
                 run the ADD VALUE statements in a migration of their own first",
                wanted.key
            ));
        } else {
            plan.warnings.push(format!(
                "{}: enum values were removed or reordered; the type is dropped and created again, which fails \
                 while columns use it",
                wanted.key
            ));
            plan.recreated.insert(wanted.key.clone());
            plan.push(phase::DROP_TYPE, "drop enum", &wanted.key, format!("DROP TYPE {}", wanted.key), true);
            plan.push(phase::ENUM, "create enum", &wanted.key, create_enum(wanted), true);
        }
    }
    for value in d.removed {
        plan.dropped.insert(value.key.clone());
        plan.push(phase::DROP_TYPE, "drop enum", &value.key, format!("DROP TYPE {}", value.key), true);
    }
}

fn create_composite(value: &CompositeType) -> String {
    let attributes: Vec<String> = value.attributes.iter().map(|(n, t)| format!("{n} {t}")).collect();
    format!("CREATE TYPE {} AS ({})", value.key, attributes.join(", "))
}

fn composites(plan: &mut Plan) {
    let d = delta(&plan.source.composites, &plan.target.composites);
    for value in d.added {
        plan.push(phase::COMPOSITE, "create type", &value.key, create_composite(value), false);
    }
    for (wanted, present) in d.changed {
        // ALTER TYPE keeps the target's order and appends: use it when that yields the source's order.
        let mut result: Vec<(String, String)> = Vec::new();
        let mut alters = Vec::new();
        for (name, kind) in &present.attributes {
            match wanted.attributes.iter().find(|(n, _)| n == name) {
                None => alters.push((format!("DROP ATTRIBUTE {name}"), true)),
                Some((_, new_kind)) => {
                    if new_kind != kind {
                        plan.warnings.push(format!(
                            "{}.{name}: changing an attribute's type fails while a table column uses the type",
                            wanted.key
                        ));
                        alters.push((format!("ALTER ATTRIBUTE {name} TYPE {new_kind}"), false));
                    }
                    result.push((name.clone(), new_kind.clone()));
                }
            }
        }
        for (name, kind) in &wanted.attributes {
            if !present.attributes.iter().any(|(n, _)| n == name) {
                alters.push((format!("ADD ATTRIBUTE {name} {kind}"), false));
                result.push((name.clone(), kind.clone()));
            }
        }
        if result == wanted.attributes {
            for (alter, destructive) in alters {
                let sql = format!("ALTER TYPE {} {alter}", wanted.key);
                plan.push(phase::COMPOSITE, "alter type", &wanted.key, sql, destructive);
            }
        } else {
            plan.recreated.insert(wanted.key.clone());
            plan.push(phase::DROP_TYPE, "drop type", &wanted.key, format!("DROP TYPE {}", wanted.key), true);
            plan.push(phase::COMPOSITE, "create type", &wanted.key, create_composite(wanted), true);
        }
    }
    for value in d.removed {
        plan.dropped.insert(value.key.clone());
        plan.push(phase::DROP_TYPE, "drop type", &value.key, format!("DROP TYPE {}", value.key), true);
    }
}

fn create_domain(value: &Domain) -> String {
    let mut sql = format!("CREATE DOMAIN {} AS {}", value.key, value.base_type);
    if let Some(default) = &value.default {
        sql.push_str(&format!(" DEFAULT {default}"));
    }
    if value.not_null {
        sql.push_str(" NOT NULL");
    }
    for (name, check) in &value.checks {
        sql.push_str(&format!(" CONSTRAINT {name} {check}"));
    }
    sql
}

fn domains(plan: &mut Plan) {
    let d = delta(&plan.source.domains, &plan.target.domains);
    for value in d.added {
        plan.push(phase::DOMAIN, "create domain", &value.key, create_domain(value), false);
    }
    for (wanted, present) in d.changed {
        if wanted.base_type != present.base_type {
            plan.recreated.insert(wanted.key.clone());
            plan.push(phase::DROP_TYPE, "drop domain", &wanted.key, format!("DROP DOMAIN {}", wanted.key), true);
            plan.push(phase::DOMAIN, "create domain", &wanted.key, create_domain(wanted), true);
            continue;
        }
        let key = &wanted.key;
        let mut alters = Vec::new();
        if wanted.default != present.default {
            alters.push(match &wanted.default {
                Some(default) => format!("ALTER DOMAIN {key} SET DEFAULT {default}"),
                None => format!("ALTER DOMAIN {key} DROP DEFAULT"),
            });
        }
        if wanted.not_null != present.not_null {
            let word = if wanted.not_null { "SET" } else { "DROP" };
            alters.push(format!("ALTER DOMAIN {key} {word} NOT NULL"));
        }
        for (name, check) in &present.checks {
            if !wanted.checks.iter().any(|(n, c)| n == name && c == check) {
                alters.push(format!("ALTER DOMAIN {key} DROP CONSTRAINT {name}"));
            }
        }
        for (name, check) in &wanted.checks {
            if !present.checks.iter().any(|(n, c)| n == name && c == check) {
                alters.push(format!("ALTER DOMAIN {key} ADD CONSTRAINT {name} {check}"));
            }
        }
        for sql in alters {
            plan.push(phase::DOMAIN, "alter domain", key, sql, false);
        }
    }
    for value in d.removed {
        plan.dropped.insert(value.key.clone());
        plan.push(phase::DROP_TYPE, "drop domain", &value.key, format!("DROP DOMAIN {}", value.key), true);
    }
}

fn sequence_options(s: &Sequence) -> String {
    format!(
        "AS {} INCREMENT BY {} MINVALUE {} MAXVALUE {} START WITH {} CACHE {} {}",
        s.data_type,
        s.increment,
        s.min,
        s.max,
        s.start,
        s.cache,
        if s.cycle { "CYCLE" } else { "NO CYCLE" }
    )
}

fn sequences(plan: &mut Plan) {
    let d = delta(&plan.source.sequences, &plan.target.sequences);
    for s in d.added {
        plan.push(
            phase::SEQUENCE,
            "create sequence",
            &s.key,
            format!("CREATE SEQUENCE {} {}", s.key, sequence_options(s)),
            false,
        );
        if let Some(owner) = &s.owned_by {
            plan.push(
                phase::OWNED_BY,
                "sequence owned by",
                &s.key,
                format!("ALTER SEQUENCE {} OWNED BY {owner}", s.key),
                false,
            );
        }
    }
    for (wanted, present) in d.changed {
        let options_differ =
            Sequence { owned_by: None, ..wanted.clone() } != Sequence { owned_by: None, ..present.clone() };
        if options_differ {
            // A narrower range may exclude the current value: start again from the source's start value.
            let restart = if wanted.min > present.min || wanted.max < present.max {
                plan.warnings
                    .push(format!("{}: the range narrows, so the sequence restarts at {}", wanted.key, wanted.start));
                " RESTART"
            } else {
                ""
            };
            let sql = format!("ALTER SEQUENCE {} {}{restart}", wanted.key, sequence_options(wanted));
            plan.push(phase::SEQUENCE, "alter sequence", &wanted.key, sql, false);
        }
        if wanted.owned_by != present.owned_by {
            let owner = wanted.owned_by.as_deref().unwrap_or("NONE");
            plan.push(
                phase::OWNED_BY,
                "sequence owned by",
                &wanted.key,
                format!("ALTER SEQUENCE {} OWNED BY {owner}", wanted.key),
                false,
            );
        }
    }
    for s in d.removed {
        plan.dropped.insert(s.key.clone());
        // A sequence owned by a dropped column or table goes with it: IF EXISTS.
        plan.push(phase::DROP_SEQUENCE, "drop sequence", &s.key, format!("DROP SEQUENCE IF EXISTS {}", s.key), true);
    }
}
