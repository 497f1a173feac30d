//! The post-data step of a copy (indexes, constraints, triggers, policies ...) run the way `pg_restore -j` runs
//! it: the index builds and the primary-key, unique and exclusion constraints, which take most of its time, run
//! on several target connections at once; everything else follows in dump order, in one transaction. Each build
//! is its own transaction and is skipped when its object already exists, so a rerun after a failure goes on
//! from where the last one stopped.

use crate::failure::Failure;
use crate::pg::catalog::query_failure;
use crate::pg::pool::Database;
use crate::pg::sql_errors::sql_failure;
use crate::pg::sql_lex::{Token, split_statements, tokenize};
use futures_util::{FutureExt, StreamExt, TryStreamExt};
use std::time::Duration;
use tokio_postgres::types::Type;

/// What a build creates, to tell whether an earlier run already did.
#[derive(Debug, PartialEq, Eq)]
enum Creates {
    Index { schema: String, name: String },
    Constraint { schema: String, table: String, name: String },
}

/// One index or key build, with the session settings the dump had made before it.
#[derive(Debug)]
struct Build<'a> {
    settings: Vec<&'a str>,
    sql: &'a str,
    creates: Creates,
}

/// A post-data dump cut into the builds that may run side by side and the ordered rest.
#[derive(Debug)]
struct Plan<'a> {
    builds: Vec<Build<'a>>,
    rest: Vec<&'a str>,
}

impl Creates {
    fn label(&self) -> String {
        match self {
            Creates::Index { schema, name } => format!("index {schema}.{name}"),
            Creates::Constraint { schema, table, name } => format!("constraint {name} of {schema}.{table}"),
        }
    }
}

fn names(tokens: &[Token<'_>]) -> Vec<String> {
    tokens.iter().map(|t| t.name().unwrap_or_else(|| t.text.to_owned())).collect()
}

/// `schema.table` at the start of `words` (after an optional ONLY): the schema, the table and the words after.
fn qualified(words: &[String]) -> Option<(String, String, &[String])> {
    let words = if words.first().map(String::as_str) == Some("only") { &words[1..] } else { words };
    match words {
        [schema, dot, table, rest @ ..] if dot == "." => Some((schema.clone(), table.clone(), rest)),
        _ => None,
    }
}

/// The object a statement builds, when it is an index or a key pg_dump writes in post-data.
fn creates(statement: &str) -> Option<Creates> {
    let tokens = tokenize(statement).ok()?;
    let words = names(&tokens);
    let words: Vec<String> = words.into_iter().filter(|w| w != ";").collect();
    match words.as_slice() {
        [create, index, name, on, rest @ ..] | [create, _, index, name, on, rest @ ..]
            if create == "create" && index == "index" && on == "on" =>
        {
            let (schema, _, _) = qualified(rest)?;
            Some(Creates::Index { schema, name: name.clone() })
        }
        [alter, table, rest @ ..] if alter == "alter" && table == "table" => {
            let (schema, table, rest) = qualified(rest)?;
            match rest {
                [add, constraint, name, kind, ..]
                    if add == "add"
                        && constraint == "constraint"
                        && matches!(kind.as_str(), "primary" | "unique" | "exclude") =>
                {
                    Some(Creates::Constraint { schema, table, name: name.clone() })
                }
                _ => None,
            }
        }
        _ => None,
    }
}

fn is_setting(statement: &str) -> bool {
    let Ok(tokens) = tokenize(statement) else { return false };
    match tokens.as_slice() {
        [set, ..] if set.is_word("set") => true,
        [select, schema, dot, function, ..] => {
            select.is_word("select")
                && schema.is_word("pg_catalog")
                && dot.is_punct('.')
                && function.is_word("set_config")
        }
        _ => false,
    }
}

fn plan(dump: &str) -> Result<Plan<'_>, Failure> {
    let statements = split_statements(dump).map_err(|e| {
        Failure::new("cannot read pg_dump's post-data output", e.to_string(), "report this as a supamcp bug")
    })?;
    let mut plan = Plan { builds: Vec::new(), rest: Vec::new() };
    let mut settings = Vec::new();
    for statement in statements {
        if is_setting(statement) {
            settings.push(statement);
            plan.rest.push(statement);
        } else if let Some(creates) = creates(statement) {
            plan.builds.push(Build { settings: settings.clone(), sql: statement, creates });
        } else {
            plan.rest.push(statement);
        }
    }
    Ok(plan)
}

async fn exists(client: &tokio_postgres::Client, creates: &Creates) -> Result<bool, Failure> {
    let rows = match creates {
        Creates::Index { schema, name } => {
            client
                .query_typed(
                    "select exists(select 1 from pg_class c join pg_namespace n on n.oid = c.relnamespace \
                     where n.nspname = $1 and c.relname = $2)",
                    &[(schema, Type::TEXT), (name, Type::TEXT)],
                )
                .await
        }
        Creates::Constraint { schema, table, name } => {
            client
                .query_typed(
                    "select exists(select 1 from pg_constraint k join pg_class c on c.oid = k.conrelid \
                     join pg_namespace n on n.oid = c.relnamespace \
                     where n.nspname = $1 and c.relname = $2 and k.conname = $3)",
                    &[(schema, Type::TEXT), (table, Type::TEXT), (name, Type::TEXT)],
                )
                .await
        }
    }
    .map_err(query_failure)?;
    Ok(rows.first().is_some_and(|r| r.get::<_, bool>(0)))
}

async fn run_build(target: &Database, build: &Build<'_>) -> Result<(), Failure> {
    let client = target.client().await?;
    if exists(&client, &build.creates).await? {
        return Ok(());
    }
    let mut sql = String::from("BEGIN;\n");
    for setting in &build.settings {
        sql.push_str(setting);
        sql.push_str(";\n");
    }
    sql.push_str(build.sql);
    sql.push_str(";\nCOMMIT;\nRESET ALL;");
    client.batch_execute(&sql).await.map_err(|e| {
        let mut failure = sql_failure(&e, None, Duration::ZERO);
        failure.what = format!("cannot build the {} on the target", build.creates.label());
        failure
    })
}

/// Applies a post-data dump to `target`: builds on up to `parallel` connections, then the rest in one
/// transaction.
pub async fn apply(target: &Database, dump: &str, parallel: usize) -> Result<(), Failure> {
    let plan = plan(dump)?;
    let mut builds = Vec::with_capacity(plan.builds.len());
    for build in &plan.builds {
        builds.push(run_build(target, build).boxed());
    }
    futures_util::stream::iter(builds).buffer_unordered(parallel.max(1)).try_collect::<Vec<()>>().await?;
    let mut client = target.client().await?;
    let rest = plan.rest.iter().map(|s| format!("{s};")).collect::<Vec<_>>().join("\n");
    let outcome = super::schema::apply(&mut client, &rest).await;
    // The dump's SET statements are session settings: leave the pooled connection as it was.
    client.batch_execute("RESET ALL").await.map_err(query_failure)?;
    outcome
}

#[cfg(test)]
mod tests {
    use super::*;

    const DUMP: &str = r#"SET statement_timeout = 0;
SELECT pg_catalog.set_config('search_path', '', false);
SET default_tablespace = '';
--
-- Name: t t_pkey; Type: CONSTRAINT
--
ALTER TABLE ONLY "public"."t"
    ADD CONSTRAINT "t_pkey" PRIMARY KEY ("id");
ALTER TABLE ONLY "app"."odd ""name"""
    ADD CONSTRAINT "u; x" UNIQUE ("a");
CREATE UNIQUE INDEX "t_lower" ON "public"."t" USING "btree" ("lower"("h"));
CREATE INDEX "p_idx" ON ONLY "public"."p" USING "btree" ("id");
ALTER INDEX "public"."p_idx" ATTACH PARTITION "public"."p1_idx";
ALTER TABLE ONLY "public"."c"
    ADD CONSTRAINT "c_t_fkey" FOREIGN KEY ("t") REFERENCES "public"."t"("id");
CREATE TRIGGER "tr" BEFORE INSERT ON "public"."t" FOR EACH ROW EXECUTE FUNCTION "public"."f"();
"#;

    #[test]
    fn index_and_key_builds_are_told_from_the_ordered_rest() {
        let plan = plan(DUMP).unwrap();
        let built: Vec<&Creates> = plan.builds.iter().map(|b| &b.creates).collect();
        assert_eq!(
            built,
            [
                &Creates::Constraint { schema: "public".into(), table: "t".into(), name: "t_pkey".into() },
                &Creates::Constraint { schema: "app".into(), table: "odd \"name\"".into(), name: "u; x".into() },
                &Creates::Index { schema: "public".into(), name: "t_lower".into() },
                &Creates::Index { schema: "public".into(), name: "p_idx".into() },
            ]
        );
        assert_eq!(plan.builds[0].settings.len(), 3, "every build carries the dump's settings");
        assert_eq!(plan.rest.len(), 6, "settings, attach, foreign key and trigger stay ordered: {:?}", plan.rest);
        assert!(plan.rest[3].contains("ATTACH PARTITION"));
        assert!(plan.rest[4].contains("FOREIGN KEY"));
    }

    #[test]
    fn statements_that_build_nothing_are_not_builds() {
        assert_eq!(creates("ALTER TABLE ONLY \"public\".\"t\" ADD CONSTRAINT \"k\" CHECK (a > 0) NOT VALID"), None);
        assert_eq!(creates("ALTER TABLE \"public\".\"t\" CLUSTER ON \"t_pkey\""), None);
        assert_eq!(creates("CREATE POLICY \"p\" ON \"public\".\"t\" USING (true)"), None);
    }
}
