//! Which tables stream Postgres Changes: the members of the `supabase_realtime` publication with their replica
//! identity (what old rows carry on UPDATE and DELETE), row-level security and SELECT policies (what a subscriber
//! may see), and the migration that adds tables to it or takes them out. The publication is created when it is
//! missing, as Supabase creates it (no tables, every operation); the down file takes the tables out again and
//! restores each table's previous replica identity.

use super::PUBLICATION;
use crate::failure::Failure;
use crate::pg::catalog::query_failure;
use crate::pg::ident::quote_ident;
use schemars::JsonSchema;
use serde::Serialize;

/// One table of the publication.
#[derive(Clone, Debug, Serialize, JsonSchema)]
pub struct RealtimeTable {
    pub schema: String,
    pub table: String,
    /// default (primary key), full, index or nothing.
    pub replica_identity: String,
    pub rls_enabled: bool,
    /// Policies that let some role SELECT rows (FOR SELECT or ALL): with RLS on and none, nobody receives events.
    pub select_policies: i64,
    /// Columns the old row of UPDATE/DELETE events carries (with RLS on, Realtime sends only the primary key).
    pub old_row_columns: Vec<String>,
}

/// The publication and its tables.
#[derive(Clone, Debug, Serialize, JsonSchema)]
pub struct PublicationReport {
    pub publication: String,
    pub exists: bool,
    /// FOR ALL TABLES: every table streams; tables cannot be added or dropped one by one.
    pub all_tables: bool,
    /// The operations it publishes (insert, update, delete, truncate).
    pub operations: Vec<String>,
    pub tables: Vec<RealtimeTable>,
}

const PUBLICATION_SQL: &str = "select puballtables, array_remove(array[case when pubinsert then 'insert' end, \
    case when pubupdate then 'update' end, case when pubdelete then 'delete' end, \
    case when pubtruncate then 'truncate' end], null) from pg_catalog.pg_publication where pubname = $1";

/// Tables with their identity facts; `$1` the publication, `$2` a list of regclass oids (null: its members).
const TABLES_SQL: &str = "with t as ( \
    select c.oid, n.nspname::text as schema, c.relname::text as name, c.relreplident, c.relrowsecurity \
    from pg_catalog.pg_class c join pg_catalog.pg_namespace n on n.oid = c.relnamespace \
    where case when $2::oid[] is null \
      then exists (select 1 from pg_catalog.pg_publication_tables p \
                   where p.pubname = $1 and p.schemaname = n.nspname and p.tablename = c.relname) \
      else c.oid = any($2) end) \
  select t.schema, t.name, case t.relreplident when 'd' then 'default' when 'f' then 'full' \
      when 'i' then 'index' else 'nothing' end, t.relrowsecurity, \
    (select count(*) from pg_catalog.pg_policies p where p.schemaname = t.schema and p.tablename = t.name \
       and p.cmd in ('SELECT', 'ALL')), \
    array(select a.attname::text from pg_catalog.pg_attribute a where a.attrelid = t.oid and a.attnum > 0 \
      and not a.attisdropped and ((t.relreplident = 'f' and not t.relrowsecurity) or exists ( \
        select 1 from pg_catalog.pg_index i where i.indrelid = t.oid and a.attnum = any(i.indkey::int2[]) \
          and case when t.relreplident = 'i' and not t.relrowsecurity then i.indisreplident \
                   when t.relreplident = 'n' then false else i.indisprimary end)) \
      order by a.attnum), \
    (select ic.relname::text from pg_catalog.pg_index i join pg_catalog.pg_class ic on ic.oid = i.indexrelid \
       where i.indrelid = t.oid and i.indisreplident) \
  from t order by 1, 2";

/// A table with its identity index (for `replica identity using index`), as the catalog holds it.
struct Row {
    table: RealtimeTable,
    identity_index: Option<String>,
}

async fn rows(client: &tokio_postgres::Client, oids: Option<&[u32]>) -> Result<Vec<Row>, Failure> {
    let oids: Option<Vec<u32>> = oids.map(<[u32]>::to_vec);
    let rows = client.query(TABLES_SQL, &[&PUBLICATION, &oids]).await.map_err(query_failure)?;
    rows.iter()
        .map(|row| {
            Ok(Row {
                table: RealtimeTable {
                    schema: row.try_get(0)?,
                    table: row.try_get(1)?,
                    replica_identity: row.try_get(2)?,
                    rls_enabled: row.try_get(3)?,
                    select_policies: row.try_get(4)?,
                    old_row_columns: row.try_get(5)?,
                },
                identity_index: row.try_get(6)?,
            })
        })
        .collect::<Result<_, tokio_postgres::Error>>()
        .map_err(query_failure)
}

/// The publication `supabase_realtime` and the tables it streams.
pub async fn list(client: &tokio_postgres::Client) -> Result<PublicationReport, Failure> {
    let publication = client.query_opt(PUBLICATION_SQL, &[&PUBLICATION]).await.map_err(query_failure)?;
    let (exists, all_tables, operations) = match publication {
        Some(row) => (true, row.try_get(0).map_err(query_failure)?, row.try_get(1).map_err(query_failure)?),
        None => (false, false, Vec::new()),
    };
    let tables = if exists { rows(client, None).await?.into_iter().map(|r| r.table).collect() } else { Vec::new() };
    Ok(PublicationReport { publication: PUBLICATION.to_owned(), exists, all_tables, operations, tables })
}

/// What a call asks for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Change {
    /// Add the tables (and optionally set REPLICA IDENTITY FULL).
    Enable { full_identity: bool },
    /// Take the tables out (and optionally set the replica identity back to default).
    Disable { reset_identity: bool },
}

/// The migration of a change, and what it does per table.
#[derive(Clone, Debug, Serialize, JsonSchema)]
pub struct PublicationPlan {
    /// The publication is created by this migration (it was missing).
    pub creates_publication: bool,
    /// Tables the migration adds or removes.
    pub tables: Vec<String>,
    /// Tables already as asked (left alone).
    pub unchanged: Vec<String>,
    /// Tables whose replica identity the migration changes.
    pub identity_changes: Vec<String>,
    pub up: String,
    pub down: String,
}

impl PublicationPlan {
    pub fn is_empty(&self) -> bool {
        self.up.is_empty()
    }
}

/// Resolves `names` (`table` or `schema.table`, public by default) to relation oids, refusing unknown ones and
/// anything that is not an ordinary or partitioned table.
async fn resolve(client: &tokio_postgres::Client, names: &[String]) -> Result<Vec<u32>, Failure> {
    if names.is_empty() {
        return Err(Failure::new(
            "no table was named",
            "tables lists the tables to change",
            "pass tables: [\"todos\"]",
        ));
    }
    let mut oids = Vec::new();
    for name in names {
        let (schema, table) = name.split_once('.').unwrap_or(("public", name.as_str()));
        let row = client
            .query_opt(
                "select c.oid, c.relkind::text from pg_catalog.pg_class c \
                 join pg_catalog.pg_namespace n on n.oid = c.relnamespace where n.nspname = $1 and c.relname = $2",
                &[&schema, &table],
            )
            .await
            .map_err(query_failure)?;
        match row {
            Some(row) if matches!(row.get::<_, String>(1).as_str(), "r" | "p") => oids.push(row.get(0)),
            Some(_) => {
                return Err(Failure::new(
                    format!("{schema}.{table} is not a table"),
                    "publications hold ordinary and partitioned tables only (no views or materialized views)",
                    "name the table behind it",
                ));
            }
            None => {
                return Err(Failure::new(
                    format!("table {schema}.{table} does not exist"),
                    "names are read as schema.table (public when no schema is given), case-sensitive",
                    "check the name with list_tables",
                ));
            }
        }
    }
    Ok(oids)
}

fn qualified(table: &RealtimeTable) -> String {
    format!("{}.{}", quote_ident(&table.schema), quote_ident(&table.table))
}

fn identity_clause(identity: &str, index: Option<&str>) -> String {
    match (identity, index) {
        ("index", Some(index)) => format!("using index {}", quote_ident(index)),
        ("full", _) => "full".to_owned(),
        ("nothing", _) => "nothing".to_owned(),
        _ => "default".to_owned(),
    }
}

/// The migration that applies `change` to `names`.
pub async fn plan(
    client: &tokio_postgres::Client,
    names: &[String],
    change: Change,
) -> Result<PublicationPlan, Failure> {
    let report = list(client).await?;
    if report.all_tables {
        return Err(Failure::new(
            format!("publication {PUBLICATION} is FOR ALL TABLES"),
            "every table already streams; such a publication cannot add or drop single tables",
            "recreate it without FOR ALL TABLES (drop publication, create publication supabase_realtime) first",
        ));
    }
    let oids = resolve(client, names).await?;
    let targets = rows(client, Some(&oids)).await?;
    let member = |row: &Row| report.tables.iter().any(|t| t.schema == row.table.schema && t.table == row.table.table);
    let mut plan = PublicationPlan {
        creates_publication: false,
        tables: Vec::new(),
        unchanged: Vec::new(),
        identity_changes: Vec::new(),
        up: String::new(),
        down: String::new(),
    };
    let (mut moved, mut identity_up, mut identity_down) = (Vec::new(), String::new(), String::new());
    for row in &targets {
        let name = qualified(&row.table);
        let wanted_identity = match change {
            Change::Enable { full_identity: true } => Some("full"),
            Change::Disable { reset_identity: true } => Some("default"),
            _ => None,
        }
        .filter(|wanted| *wanted != row.table.replica_identity);
        let moves = matches!(change, Change::Enable { .. }) != member(row);
        if moves {
            moved.push(name.clone());
            plan.tables.push(format!("{}.{}", row.table.schema, row.table.table));
        }
        if let Some(wanted) = wanted_identity {
            plan.identity_changes.push(format!("{}.{}", row.table.schema, row.table.table));
            identity_up.push_str(&format!("alter table {name} replica identity {wanted};\n"));
            let previous = identity_clause(&row.table.replica_identity, row.identity_index.as_deref());
            identity_down.push_str(&format!("alter table {name} replica identity {previous};\n"));
        }
        if !moves && wanted_identity.is_none() {
            plan.unchanged.push(format!("{}.{}", row.table.schema, row.table.table));
        }
    }
    let publication = quote_ident(PUBLICATION);
    let (verb, undo) = match change {
        Change::Enable { .. } => ("add", "drop"),
        Change::Disable { .. } => ("drop", "add"),
    };
    let mut up = String::new();
    plan.creates_publication = !report.exists && matches!(change, Change::Enable { .. }) && !moved.is_empty();
    if plan.creates_publication {
        up.push_str(&format!("create publication {publication};\n"));
    }
    if !moved.is_empty() {
        up.push_str(&format!("alter publication {publication} {verb} table {};\n", moved.join(", ")));
    }
    up.push_str(&identity_up);
    let mut down = identity_down;
    if !moved.is_empty() {
        down.push_str(&format!("alter publication {publication} {undo} table {};\n", moved.join(", ")));
    }
    plan.up = up;
    plan.down = down;
    Ok(plan)
}
