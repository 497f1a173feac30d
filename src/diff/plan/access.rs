//! Row level security (enablement and policies), grants, comments and publication membership. Objects that
//! are recreated lost theirs: the source's are applied again; objects that are dropped need no revoke.

use super::{Plan, phase};
use crate::diff::compare::delta;
use crate::diff::model::{Comment, Grant, Policy};
use crate::pg::ident::quote_literal;
use std::collections::BTreeMap;

pub(super) fn plan(plan: &mut Plan) {
    rls(plan);
    policies(plan);
    grants(plan);
    comments(plan);
    publications(plan);
}

/// `(dropped, recreated)` for an object named by key, `key.column` or `name ON key`.
fn fate(plan: &Plan, object: &str) -> (bool, bool) {
    let owner = |set: &std::collections::BTreeSet<String>| {
        set.contains(object)
            || set.iter().any(|k| object.starts_with(&format!("{k}.")) || object.ends_with(&format!(" ON {k}")))
    };
    (owner(&plan.dropped), owner(&plan.recreated))
}

fn rls(plan: &mut Plan) {
    for table in plan.source.tables.values() {
        let (enabled, forced) =
            plan.target.tables.get(&table.key).map(|t| (t.rls_enabled, t.rls_forced)).unwrap_or((false, false));
        if table.rls_enabled != enabled {
            let word = if table.rls_enabled { "ENABLE" } else { "DISABLE" };
            let sql = format!("ALTER TABLE {} {word} ROW LEVEL SECURITY", table.key);
            plan.push(phase::RLS, "row level security", &table.key, sql, false);
        }
        if table.rls_forced != forced {
            let word = if table.rls_forced { "FORCE" } else { "NO FORCE" };
            let sql = format!("ALTER TABLE {} {word} ROW LEVEL SECURITY", table.key);
            plan.push(phase::RLS, "row level security", &table.key, sql, false);
        }
    }
}

fn create_policy_sql(p: &Policy) -> String {
    let mut sql = format!(
        "CREATE POLICY {} ON {} AS {} FOR {} TO {}",
        p.name,
        p.table,
        if p.permissive { "PERMISSIVE" } else { "RESTRICTIVE" },
        p.command,
        p.roles.join(", ")
    );
    if let Some(using) = &p.using {
        sql.push_str(&format!(" USING ({using})"));
    }
    if let Some(check) = &p.with_check {
        sql.push_str(&format!(" WITH CHECK ({check})"));
    }
    sql
}

fn policies(plan: &mut Plan) {
    let d = delta(&plan.source.policies, &plan.target.policies);
    let mut create = d.added;
    for (wanted, present) in d.changed {
        let sql = format!("DROP POLICY {} ON {}", present.name, present.table);
        plan.push(phase::DROP_POLICY, "drop policy", &format!("{}.{}", present.table, present.name), sql, false);
        create.push(wanted);
    }
    for p in d.removed {
        // Also on tables being dropped: a policy may use another dropped table, which then cannot go first.
        let sql = format!("DROP POLICY {} ON {}", p.name, p.table);
        let with_table = plan.dropped.contains(&p.table);
        plan.push(phase::DROP_POLICY, "drop policy", &format!("{}.{}", p.table, p.name), sql, with_table);
    }
    for p in create {
        plan.push(phase::POLICY, "create policy", &format!("{}.{}", p.table, p.name), create_policy_sql(p), false);
    }
}

fn grant_sql(g: &Grant) -> String {
    let option = if g.grantable { " WITH GRANT OPTION" } else { "" };
    format!("GRANT {} ON {} {} TO {}{option}", g.privilege, g.kind, g.object, g.grantee)
}

fn grants(plan: &mut Plan) {
    let target: BTreeMap<String, Grant> = plan
        .target
        .grants
        .iter()
        .filter(|(_, g)| !fate(plan, &g.object).1)
        .map(|(k, g)| (k.clone(), g.clone()))
        .collect();
    let d = delta(&plan.source.grants, &target);
    let mut give = d.added;
    for (wanted, present) in d.changed {
        let sql =
            format!("REVOKE {} ON {} {} FROM {}", present.privilege, present.kind, present.object, present.grantee);
        plan.push(phase::GRANT, "revoke", &present.object, sql, false);
        give.push(wanted);
    }
    for g in d.removed {
        if !fate(plan, &g.object).0 {
            let sql = format!("REVOKE {} ON {} {} FROM {}", g.privilege, g.kind, g.object, g.grantee);
            plan.push(phase::GRANT, "revoke", &g.object, sql, false);
        }
    }
    for g in give {
        plan.push(phase::GRANT, "grant", &g.object, grant_sql(g), false);
    }
}

fn comment_sql(c: &Comment, text: Option<&str>) -> String {
    let value = text.map(quote_literal).unwrap_or_else(|| "NULL".to_owned());
    format!("COMMENT ON {} {} IS {value}", c.kind, c.object)
}

fn comments(plan: &mut Plan) {
    let target: BTreeMap<String, Comment> = plan
        .target
        .comments
        .iter()
        .filter(|(_, c)| !fate(plan, &c.object).1)
        .map(|(k, c)| (k.clone(), c.clone()))
        .collect();
    let d = delta(&plan.source.comments, &target);
    for c in d.added.into_iter().chain(d.changed.into_iter().map(|(wanted, _)| wanted)) {
        plan.push(phase::COMMENT, "comment", &c.object, comment_sql(c, Some(&c.text)), false);
    }
    for c in d.removed {
        if !fate(plan, &c.object).0 {
            plan.push(phase::COMMENT, "comment", &c.object, comment_sql(c, None), false);
        }
    }
}

fn publications(plan: &mut Plan) {
    let d = delta(&plan.source.publications, &plan.target.publications);
    for p in d.added {
        let all = if p.all_tables { " FOR ALL TABLES" } else { "" };
        let sql = format!("CREATE PUBLICATION {}{all} WITH (publish = {})", p.name, quote_literal(&p.publish));
        plan.push(phase::PUBLICATION, "create publication", &p.name, sql, false);
    }
    for (wanted, present) in d.changed {
        if wanted.all_tables != present.all_tables {
            plan.warnings.push(format!(
                "publication {}: FOR ALL TABLES differs; drop and create it by hand (it is left alone)",
                wanted.name
            ));
        }
        if wanted.publish != present.publish {
            let sql = format!("ALTER PUBLICATION {} SET (publish = {})", wanted.name, quote_literal(&wanted.publish));
            plan.push(phase::PUBLICATION, "alter publication", &wanted.name, sql, false);
        }
    }
    for p in d.removed {
        plan.push(phase::DROP_PUBLICATION, "drop publication", &p.name, format!("DROP PUBLICATION {}", p.name), true);
    }
    let members = delta(&plan.source.publication_tables, &plan.target.publication_tables);
    for m in members.added {
        let sql = format!("ALTER PUBLICATION {} ADD TABLE {}", m.publication, m.table);
        plan.push(phase::PUBLICATION, "publication add table", &m.table, sql, false);
    }
    for m in members.removed {
        if !plan.gone(&m.table) && plan.source.publications.contains_key(&m.publication) {
            let sql = format!("ALTER PUBLICATION {} DROP TABLE {}", m.publication, m.table);
            plan.push(phase::DROP_MEMBERSHIP, "publication drop table", &m.table, sql, false);
        }
    }
}
