//! `describe_table`: one relation in depth: columns (types, defaults, identity, generated, collation),
//! primary key, foreign keys both ways, indexes, other constraints, RLS policies, triggers and grants.
//! The section queries run pipelined on one connection.

use super::cells::Cells;
use super::query_failure;
use crate::failure::Failure;
use schemars::JsonSchema;
use serde::Serialize;
use tokio_postgres::GenericClient;
use tokio_postgres::types::{ToSql, Type};

#[derive(Debug, Serialize, JsonSchema)]
pub struct TableDetail {
    pub schema: String,
    pub name: String,
    pub kind: String,
    pub owner: String,
    pub rls_enabled: bool,
    pub rls_forced: bool,
    pub estimated_rows: Option<i64>,
    pub size_bytes: i64,
    pub comment: Option<String>,
    /// The query of a view or materialized view.
    pub view_definition: Option<String>,
    pub columns: Vec<Column>,
    pub primary_key: Option<Vec<String>>,
    pub foreign_keys: Vec<ForeignKey>,
    pub referenced_by: Vec<ForeignKey>,
    pub indexes: Vec<Index>,
    pub constraints: Vec<Constraint>,
    pub policies: Vec<Policy>,
    pub triggers: Vec<Trigger>,
    pub grants: Vec<Grant>,
}

#[derive(Debug, Serialize, JsonSchema)]
pub struct Column {
    pub name: String,
    #[serde(rename = "type")]
    pub type_name: String,
    pub nullable: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub default: Option<String>,
    /// "always" or "by default" for identity columns.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub identity: Option<String>,
    /// The expression of a stored generated column.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub generated: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub collation: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub comment: Option<String>,
}

#[derive(Debug, Serialize, JsonSchema)]
pub struct ForeignKey {
    pub name: String,
    pub table: String,
    pub columns: Vec<String>,
    pub references: String,
    pub referenced_columns: Vec<String>,
    pub definition: String,
}

#[derive(Debug, Serialize, JsonSchema)]
pub struct Index {
    pub name: String,
    pub definition: String,
    pub unique: bool,
    pub primary: bool,
    pub valid: bool,
}

#[derive(Debug, Serialize, JsonSchema)]
pub struct Constraint {
    pub name: String,
    /// check, unique, exclusion or not null.
    pub kind: String,
    pub definition: String,
}

#[derive(Debug, Serialize, JsonSchema)]
pub struct Policy {
    pub name: String,
    pub command: String,
    pub permissive: bool,
    pub roles: Vec<String>,
    pub using: Option<String>,
    pub with_check: Option<String>,
}

#[derive(Debug, Serialize, JsonSchema)]
pub struct Trigger {
    pub name: String,
    pub definition: String,
    pub enabled: bool,
}

#[derive(Debug, Serialize, JsonSchema)]
pub struct Grant {
    pub grantee: String,
    pub privileges: Vec<String>,
}

/// A relation's head row (oid, kind, owner, RLS, size...); callers add the `where`.
pub const HEADER: &str = "select c.oid, case c.relkind when 'r' then 'table' when 'p' then 'partitioned table' \
    when 'f' then 'foreign table' when 'v' then 'view' when 'm' then 'materialized view' else c.relkind::text end, \
    pg_get_userbyid(c.relowner)::text, c.relrowsecurity, c.relforcerowsecurity, \
    case when c.reltuples < 0 then null else c.reltuples::int8 end, pg_total_relation_size(c.oid), \
    obj_description(c.oid, 'pg_class'), case when c.relkind in ('v','m') then pg_get_viewdef(c.oid) end \
    from pg_class c join pg_namespace n on n.oid = c.relnamespace";

/// Columns of a [`HEADER`] row.
pub const HEADER_COLUMNS: usize = 9;

const COLUMNS: &str = "select a.attname::text, format_type(a.atttypid, a.atttypmod), not a.attnotnull, \
    case when a.attgenerated = '' then pg_get_expr(d.adbin, d.adrelid) end, \
    case a.attidentity when 'a' then 'always' when 'd' then 'by default' end, \
    case when a.attgenerated <> '' then pg_get_expr(d.adbin, d.adrelid) end, \
    case when a.attcollation <> t.typcollation then co.collname::text end, col_description(a.attrelid, a.attnum) \
    from pg_attribute a join pg_type t on t.oid = a.atttypid \
    left join pg_attrdef d on d.adrelid = a.attrelid and d.adnum = a.attnum \
    left join pg_collation co on co.oid = a.attcollation \
    where a.attrelid = $1 and a.attnum > 0 and not a.attisdropped order by a.attnum";

/// Constraints touching the table: its own (kind, columns) and foreign keys pointing at it.
const CONSTRAINTS: &str = "select con.conname::text, con.contype::text, pg_get_constraintdef(con.oid), \
    con.conrelid::regclass::text, con.confrelid::regclass::text, \
    array(select attname::text from unnest(con.conkey) with ordinality k(n, i) join pg_attribute on attrelid = con.conrelid and attnum = k.n order by k.i), \
    array(select attname::text from unnest(con.confkey) with ordinality k(n, i) join pg_attribute on attrelid = con.confrelid and attnum = k.n order by k.i), \
    con.conrelid = $1 \
    from pg_constraint con where con.conrelid = $1 or con.confrelid = $1 order by con.conname";

const INDEXES: &str = "select ic.relname::text, pg_get_indexdef(i.indexrelid), i.indisunique, i.indisprimary, i.indisvalid \
    from pg_index i join pg_class ic on ic.oid = i.indexrelid where i.indrelid = $1 order by ic.relname";

const POLICIES: &str = "select p.polname::text, case p.polcmd when 'r' then 'SELECT' when 'a' then 'INSERT' \
    when 'w' then 'UPDATE' when 'd' then 'DELETE' else 'ALL' end, p.polpermissive, \
    array(select case when r = 0 then 'public' else pg_get_userbyid(r)::text end from unnest(p.polroles) r), \
    pg_get_expr(p.polqual, p.polrelid), pg_get_expr(p.polwithcheck, p.polrelid) \
    from pg_policy p where p.polrelid = $1 order by p.polname";

const TRIGGERS: &str = "select t.tgname::text, pg_get_triggerdef(t.oid), t.tgenabled <> 'D' \
    from pg_trigger t where t.tgrelid = $1 and not t.tgisinternal order by t.tgname";

const GRANTS: &str = "select case when g.grantee = 0 then 'PUBLIC' else pg_get_userbyid(g.grantee)::text end, \
    array_agg(g.privilege_type::text order by g.privilege_type) \
    from pg_class c, aclexplode(c.relacl) g where c.oid = $1 group by 1 order by 1";

/// The section queries of one relation (each takes its oid as `$1`), with the number of columns each returns:
/// columns, constraints, indexes, policies, triggers, grants.
pub const SECTIONS: [(&str, usize); 6] =
    [(COLUMNS, 8), (CONSTRAINTS, 8), (INDEXES, 5), (POLICIES, 6), (TRIGGERS, 3), (GRANTS, 2)];

fn not_found(schema: &str, table: &str, similar: &[String]) -> Failure {
    let why = if similar.is_empty() {
        format!("no table, view or materialized view {schema}.{table} exists")
    } else {
        format!("no relation {schema}.{table}; similar names: {}", similar.join(", "))
    };
    Failure::new(
        format!("table {schema}.{table} not found"),
        why,
        "check the name with list_tables (names are case-sensitive when quoted)",
    )
}

pub async fn describe_table(client: &impl GenericClient, schema: &str, table: &str) -> Result<TableDetail, Failure> {
    let names: [(&(dyn ToSql + Sync), Type); 2] = [(&schema, Type::TEXT), (&table, Type::TEXT)];
    let header = format!("{HEADER} where n.nspname = $1 and c.relname = $2 and c.relkind in ('r','p','f','v','m')");
    let Some(head) = client.query_typed_opt(&header, &names).await.map_err(query_failure)? else {
        let similar = client
            .query_typed(
                "select n.nspname || '.' || c.relname from pg_class c join pg_namespace n on n.oid = c.relnamespace \
                 where c.relkind in ('r','p','f','v','m') and n.nspname not in ('pg_catalog', 'information_schema') \
                   and (lower(c.relname) = lower($2) or c.relname ilike '%' || $2 || '%') \
                 order by lower(c.relname) = lower($2) desc, n.nspname = $1 desc, 1 limit 5",
                &names,
            )
            .await
            .map_err(query_failure)?;
        let similar: Vec<String> = similar.iter().map(|r| r.get(0)).collect();
        return Err(not_found(schema, table, &similar));
    };
    let oid: u32 = head.get(0);
    let by_oid: [(&(dyn ToSql + Sync), Type); 1] = [(&oid, Type::OID)];
    let (columns, constraints, indexes, policies, triggers, grants) = futures_util::try_join!(
        client.query_typed(SECTIONS[0].0, &by_oid),
        client.query_typed(SECTIONS[1].0, &by_oid),
        client.query_typed(SECTIONS[2].0, &by_oid),
        client.query_typed(SECTIONS[3].0, &by_oid),
        client.query_typed(SECTIONS[4].0, &by_oid),
        client.query_typed(SECTIONS[5].0, &by_oid),
    )
    .map_err(query_failure)?;
    let sections = Sections {
        columns: &columns,
        constraints: &constraints,
        indexes: &indexes,
        policies: &policies,
        triggers: &triggers,
        grants: &grants,
    };
    Ok(assemble(schema, table, &head, sections))
}

/// The rows of one relation's section queries, in [`SECTIONS`] order.
pub struct Sections<'a, R> {
    pub columns: &'a [R],
    pub constraints: &'a [R],
    pub indexes: &'a [R],
    pub policies: &'a [R],
    pub triggers: &'a [R],
    pub grants: &'a [R],
}

/// A relation's detail from its [`HEADER`] row and its section rows (each read by column position).
pub fn assemble<R: Cells>(schema: &str, table: &str, head: &R, sections: Sections<'_, R>) -> TableDetail {
    let mut detail = TableDetail {
        schema: schema.to_owned(),
        name: table.to_owned(),
        kind: head.cell(1),
        owner: head.cell(2),
        rls_enabled: head.cell(3),
        rls_forced: head.cell(4),
        estimated_rows: head.cell(5),
        size_bytes: head.cell(6),
        comment: head.cell(7),
        view_definition: head.cell(8),
        columns: sections
            .columns
            .iter()
            .map(|r| Column {
                name: r.cell(0),
                type_name: r.cell(1),
                nullable: r.cell(2),
                default: r.cell(3),
                identity: r.cell(4),
                generated: r.cell(5),
                collation: r.cell(6),
                comment: r.cell(7),
            })
            .collect(),
        primary_key: None,
        foreign_keys: Vec::new(),
        referenced_by: Vec::new(),
        indexes: sections
            .indexes
            .iter()
            .map(|r| Index {
                name: r.cell(0),
                definition: r.cell(1),
                unique: r.cell(2),
                primary: r.cell(3),
                valid: r.cell(4),
            })
            .collect(),
        constraints: Vec::new(),
        policies: sections
            .policies
            .iter()
            .map(|r| Policy {
                name: r.cell(0),
                command: r.cell(1),
                permissive: r.cell(2),
                roles: r.cell(3),
                using: r.cell(4),
                with_check: r.cell(5),
            })
            .collect(),
        triggers: sections
            .triggers
            .iter()
            .map(|r| Trigger { name: r.cell(0), definition: r.cell(1), enabled: r.cell(2) })
            .collect(),
        grants: sections.grants.iter().map(|r| Grant { grantee: r.cell(0), privileges: r.cell(1) }).collect(),
    };
    for row in sections.constraints {
        let (name, kind, definition, own): (String, String, String, bool) =
            (row.cell(0), row.cell(1), row.cell(2), row.cell(7));
        let columns: Vec<String> = row.cell(5);
        match (kind.as_str(), own) {
            ("p", true) => detail.primary_key = Some(columns),
            ("f", _) => {
                let key = ForeignKey {
                    name,
                    table: row.cell(3),
                    columns,
                    references: row.cell(4),
                    referenced_columns: row.cell(6),
                    definition,
                };
                if own { detail.foreign_keys.push(key) } else { detail.referenced_by.push(key) }
            }
            (_, true) => {
                let kind = match kind.as_str() {
                    "c" => "check",
                    "u" => "unique",
                    "x" => "exclusion",
                    "n" => "not null",
                    "t" => "trigger",
                    other => other,
                };
                detail.constraints.push(Constraint { name, kind: kind.to_owned(), definition });
            }
            _ => {}
        }
    }
    detail
}
