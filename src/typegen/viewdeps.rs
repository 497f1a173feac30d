//! Relationships: the foreign keys between tables, plus the ones views inherit when they expose the key
//! columns (followed through views of views), as PostgREST and the generator derive them.
//!
//! View columns are traced to their origin by reading the view's rewrite rule (`pg_node_tree` text): each
//! target entry of the view's query names the table and column it comes from.

use super::introspect::schema_filter;
use super::model::Relationship;
use crate::failure::Failure;
use crate::pg::catalog::query_failure;
use std::collections::{HashMap, HashSet};
use tokio_postgres::Client;

fn foreign_keys_sql() -> String {
    format!(
        "select k.conname::text, n1.nspname::text, tab.relname::text, n2.nspname::text, other.relname::text, \
           k.conrelid, k.confrelid, \
           case when {referencing} then array(select a.attname::text from unnest(k.conkey) with ordinality u(num, ord) \
                 join pg_attribute a on a.attrelid = k.conrelid and a.attnum = u.num order by u.ord) end, \
           case when {referencing} then array(select a.attname::text from unnest(k.confkey) with ordinality u(num, ord) \
                 join pg_attribute a on a.attrelid = k.confrelid and a.attnum = u.num order by u.ord) end, \
           k.conkey, k.confkey, {own}, {referencing} \
         from pg_constraint k \
           join pg_namespace n1 on n1.oid = k.connamespace \
           join pg_class tab on tab.oid = k.conrelid \
           join pg_class other on other.oid = k.confrelid \
           join pg_namespace n2 on n2.oid = other.relnamespace \
         where k.contype = 'f' and k.conparentid = 0",
        own = schema_filter("n1.nspname"),
        referencing = schema_filter("k.connamespace::regnamespace::text"),
    )
}

/// Unique and primary key column lists (in attribute order) per table, for one-to-one detection.
fn uniques_sql() -> String {
    format!(
        "select u.conrelid, u.connamespace, array(select a.attname::text from unnest(u.conkey) c(num) \
           join pg_attribute a on a.attrelid = u.conrelid and a.attnum = c.num order by a.attnum) \
         from pg_constraint u where u.contype in ('p', 'u') and {}",
        schema_filter("u.connamespace::regnamespace::text")
    )
}

fn views_sql() -> String {
    format!(
        "select c.oid, n.nspname::text, c.relname::text, r.ev_action::text, \
           array(select a.attnum::int4 from pg_attribute a where a.attrelid = c.oid and a.attnum > 0 order by a.attnum), \
           array(select a.attname::text from pg_attribute a where a.attrelid = c.oid and a.attnum > 0 order by a.attnum) \
         from pg_class c join pg_namespace n on n.oid = c.relnamespace join pg_rewrite r on r.ev_class = c.oid \
         where c.relkind in ('v', 'm') and {}",
        schema_filter("n.nspname")
    )
}

struct ForeignKey {
    relationship: Relationship,
    table: u32,
    referenced: u32,
    keys: Vec<i16>,
    referenced_keys: Vec<i16>,
    own_schema_included: bool,
    referencing_included: bool,
}

struct View {
    id: u32,
    schema: String,
    name: String,
    /// resno -> (origin relation, origin column)
    origins: HashMap<i32, (u32, i32)>,
    columns: HashMap<i32, String>,
}

/// Table relationships and the view relationships derived from them, unsorted.
pub async fn relationships(client: &Client, schemas: &[&str]) -> Result<Vec<Relationship>, Failure> {
    let (fk_sql, uq_sql, v_sql) = (foreign_keys_sql(), uniques_sql(), views_sql());
    let (fk_rows, unique_rows, view_rows) = futures_util::try_join!(
        async { client.query(&fk_sql, &[&schemas]).await.map_err(query_failure) },
        async { client.query(&uq_sql, &[&schemas]).await.map_err(query_failure) },
        async { client.query(&v_sql, &[&schemas]).await.map_err(query_failure) },
    )?;
    let mut uniques: HashMap<u32, Vec<Vec<String>>> = HashMap::new();
    for row in &unique_rows {
        uniques.entry(row.get(0)).or_default().push(row.get(2));
    }
    let keys: Vec<ForeignKey> = fk_rows
        .iter()
        .map(|row| {
            // The generator reads the key's columns under a filter on the regnamespace text of the
            // constraint's schema (quoted when the name needs quotes): they are null when it does not pass.
            let columns: Option<Vec<String>> = row.get(7);
            let table: u32 = row.get(5);
            let is_one_to_one =
                columns.as_ref().is_some_and(|c| uniques.get(&table).is_some_and(|lists| lists.contains(c)));
            ForeignKey {
                relationship: Relationship {
                    foreign_key_name: row.get(0),
                    schema: row.get(1),
                    relation: row.get(2),
                    columns,
                    is_one_to_one,
                    referenced_schema: row.get(3),
                    referenced_relation: row.get(4),
                    referenced_columns: row.get(8),
                },
                table,
                referenced: row.get(6),
                keys: row.get(9),
                referenced_keys: row.get(10),
                own_schema_included: row.get(11),
                referencing_included: row.get(12),
            }
        })
        .collect();
    let views: Vec<View> = view_rows
        .iter()
        .map(|row| {
            let numbers: Vec<i32> = row.get(4);
            let names: Vec<String> = row.get(5);
            View {
                id: row.get(0),
                schema: row.get(1),
                name: row.get(2),
                origins: target_origins(&row.get::<_, String>(3)),
                columns: numbers.into_iter().zip(names).collect(),
            }
        })
        .collect();
    let table_relationships: Vec<&ForeignKey> = keys.iter().filter(|k| k.own_schema_included).collect();
    let dependencies = key_dependencies(&views, &keys);
    let mut out: Vec<Relationship> = table_relationships.iter().map(|k| k.relationship.clone()).collect();
    for key in &table_relationships {
        out.extend(expand(&key.relationship, &dependencies));
    }
    Ok(out)
}

/// A key of a table whose columns a view exposes entirely.
struct Dependency {
    table_schema: String,
    table_name: String,
    view_schema: String,
    view_name: String,
    constraint: String,
    referencing: bool,
    /// Per key column, in key order: the view columns showing it.
    columns: Vec<Vec<String>>,
}

fn key_dependencies(views: &[View], keys: &[ForeignKey]) -> Vec<Dependency> {
    let by_id: HashMap<u32, &View> = views.iter().map(|v| (v.id, v)).collect();
    // (view, origin table, origin column) -> view column names
    let mut references: Vec<((u32, u32, i32), Vec<String>)> = Vec::new();
    let mut index: HashMap<(u32, u32, i32), usize> = HashMap::new();
    for view in views {
        let mut numbers: Vec<&i32> = view.origins.keys().collect();
        numbers.sort();
        for number in numbers {
            let Some(column) = view.columns.get(number) else { continue };
            let Some(&(mut table, mut origin)) = view.origins.get(number) else { continue };
            let mut path: HashSet<u32> = HashSet::from([table]);
            loop {
                let slot = *index.entry((view.id, table, origin)).or_insert_with(|| {
                    references.push(((view.id, table, origin), Vec::new()));
                    references.len() - 1
                });
                references[slot].1.push(column.clone());
                let Some(next) = by_id.get(&table).and_then(|v| v.origins.get(&origin)) else { break };
                let cycle = !path.insert(next.0);
                (table, origin) = *next;
                if cycle {
                    let slot = *index.entry((view.id, table, origin)).or_insert_with(|| {
                        references.push(((view.id, table, origin), Vec::new()));
                        references.len() - 1
                    });
                    references[slot].1.push(column.clone());
                    break;
                }
            }
        }
    }
    let mut out = Vec::new();
    for key in keys {
        for (referencing, table, columns, included) in [
            (false, key.table, &key.keys, true),
            (true, key.referenced, &key.referenced_keys, key.referencing_included),
        ] {
            if !included {
                continue;
            }
            let (table_schema, table_name) = if referencing {
                (&key.relationship.referenced_schema, &key.relationship.referenced_relation)
            } else {
                (&key.relationship.schema, &key.relationship.relation)
            };
            for view in views {
                let mut deps = Vec::new();
                for attnum in columns {
                    match index.get(&(view.id, table, i32::from(*attnum))) {
                        Some(&slot) => deps.push(references[slot].1.clone()),
                        None => break,
                    }
                }
                if deps.len() == columns.len() && !deps.is_empty() {
                    out.push(Dependency {
                        table_schema: table_schema.clone(),
                        table_name: table_name.clone(),
                        view_schema: view.schema.clone(),
                        view_name: view.name.clone(),
                        constraint: key.relationship.foreign_key_name.clone(),
                        referencing,
                        columns: deps,
                    });
                }
            }
        }
    }
    out
}

/// Every combination of view columns, one per key column.
fn combinations(columns: &[Vec<String>]) -> Vec<Option<Vec<String>>> {
    let all = columns.iter().fold(vec![Vec::new()], |acc: Vec<Vec<String>>, options| {
        acc.iter().flat_map(|prefix| options.iter().map(move |o| [prefix.clone(), vec![o.clone()]].concat())).collect()
    });
    all.into_iter().map(Some).collect()
}

fn expand(r: &Relationship, deps: &[Dependency]) -> Vec<Relationship> {
    let matches = |d: &&Dependency, referencing: bool| {
        d.referencing == referencing
            && d.constraint == r.foreign_key_name
            && if referencing {
                d.table_schema == r.referenced_schema && d.table_name == r.referenced_relation
            } else {
                d.table_schema == r.schema && d.table_name == r.relation
            }
    };
    let from_views: Vec<&Dependency> = deps.iter().filter(|d| matches(d, false)).collect();
    let to_views: Vec<&Dependency> = deps.iter().filter(|d| matches(d, true)).collect();
    let mut out = Vec::new();
    for d in &from_views {
        for columns in combinations(&d.columns) {
            out.push(Relationship {
                schema: d.view_schema.clone(),
                relation: d.view_name.clone(),
                columns,
                ..r.clone()
            });
        }
    }
    for d in &to_views {
        for referenced_columns in combinations(&d.columns) {
            out.push(Relationship {
                referenced_schema: d.view_schema.clone(),
                referenced_relation: d.view_name.clone(),
                referenced_columns,
                ..r.clone()
            });
        }
    }
    for d in &from_views {
        for columns in combinations(&d.columns) {
            for t in &to_views {
                for referenced_columns in combinations(&t.columns) {
                    out.push(Relationship {
                        schema: d.view_schema.clone(),
                        relation: d.view_name.clone(),
                        columns: columns.clone(),
                        referenced_schema: t.view_schema.clone(),
                        referenced_relation: t.view_name.clone(),
                        referenced_columns,
                        ..r.clone()
                    });
                }
            }
        }
    }
    out
}

/// resno -> (resorigtbl, resorigcol) of the target entries of the first query in a rule's action.
fn target_origins(tree: &str) -> HashMap<i32, (u32, i32)> {
    let tokens = super::nodetree::tokens(tree);
    super::nodetree::first_target_list(&tokens)
        .into_iter()
        .filter(|(_, table, _)| *table != 0)
        .map(|(resno, table, column)| (resno, (table, column)))
        .collect()
}
