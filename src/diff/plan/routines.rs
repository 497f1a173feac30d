//! Functions and procedures (CREATE OR REPLACE where the signature allows), views and materialized views
//! (dropped dependents first, created in dependency order), and triggers.

use super::{Plan, phase, topological};
use crate::diff::compare::delta;
use crate::diff::model::View;
use std::collections::BTreeSet;

pub(super) fn plan(plan: &mut Plan) {
    functions(plan);
    views(plan);
    triggers(plan);
}

fn drop_function_sql(key: &str, procedure: bool) -> String {
    format!("DROP {} {key}", if procedure { "PROCEDURE" } else { "FUNCTION" })
}

fn functions(plan: &mut Plan) {
    let d = delta(&plan.source.functions, &plan.target.functions);
    for f in d.added {
        plan.push(phase::FUNCTION, "create function", &f.key, f.definition.clone(), false);
    }
    for (wanted, present) in d.changed {
        let replaceable = wanted.procedure == present.procedure
            && wanted.arguments == present.arguments
            && wanted.result == present.result;
        if !replaceable {
            plan.recreated.insert(wanted.key.clone());
            plan.push(
                phase::DROP_FUNCTION,
                "drop function",
                &present.key,
                drop_function_sql(&present.key, present.procedure),
                false,
            );
        }
        plan.push(phase::FUNCTION, "replace function", &wanted.key, wanted.definition.clone(), false);
    }
    for f in d.removed {
        plan.dropped.insert(f.key.clone());
        plan.push(phase::DROP_REMOVED_FUNCTION, "drop function", &f.key, drop_function_sql(&f.key, f.procedure), true);
    }
}

fn create_view_sql(view: &View) -> String {
    let kind = if view.materialized { "MATERIALIZED VIEW" } else { "VIEW" };
    let options = if view.options.is_empty() { String::new() } else { format!(" WITH ({})", view.options.join(", ")) };
    format!("CREATE {kind} {}{options} AS\n{}", view.key, view.definition)
}

fn drop_view_sql(view: &View) -> String {
    format!("DROP {} {}", if view.materialized { "MATERIALIZED VIEW" } else { "VIEW" }, view.key)
}

fn views(plan: &mut Plan) {
    let (source, target) = (plan.source, plan.target);
    let d = delta(&source.views, &target.views);
    // Views of the target to drop: changed ones, removed ones, and every view using something that is dropped,
    // recreated or reshaped (found by walking the target's dependencies until nothing new turns up).
    let mut dirty: BTreeSet<String> = d.changed.iter().map(|(w, _)| w.key.clone()).collect();
    dirty.extend(d.removed.iter().map(|v| v.key.clone()));
    loop {
        let before = dirty.len();
        for (view, uses) in &target.view_deps {
            if !dirty.contains(view)
                && uses.iter().any(|u| dirty.contains(u) || plan.gone(u) || plan.reshaped.contains(u))
            {
                dirty.insert(view.clone());
            }
        }
        if dirty.len() == before {
            break;
        }
    }
    dirty.retain(|key| target.views.contains_key(key));
    // Drop dependents first: the reverse of the target's dependency order.
    for key in topological(&dirty, &target.view_deps).iter().rev() {
        let Some(view) = target.views.get(key) else { continue };
        let removed = !source.views.contains_key(key);
        if removed {
            plan.dropped.insert(key.clone());
        } else {
            plan.recreated.insert(key.clone());
        }
        let kind = if view.materialized { "drop materialized view" } else { "drop view" };
        plan.push(phase::DROP_VIEW, kind, key, drop_view_sql(view), removed);
    }
    let mut create: BTreeSet<String> = d.added.iter().map(|v| v.key.clone()).collect();
    create.extend(dirty.into_iter().filter(|k| source.views.contains_key(k)));
    for key in topological(&create, &source.view_deps) {
        let Some(view) = source.views.get(&key) else { continue };
        let kind = if view.materialized { "create materialized view" } else { "create view" };
        plan.push(phase::VIEW, kind, &key, create_view_sql(view), false);
    }
}

fn triggers(plan: &mut Plan) {
    let d = delta(&plan.source.triggers, &plan.target.triggers);
    let mut create = d.added;
    for (wanted, present) in d.changed {
        if !plan.gone(&present.table) {
            let sql = format!("DROP TRIGGER {} ON {}", present.name, present.table);
            plan.push(phase::DROP_TRIGGER, "drop trigger", &format!("{}.{}", present.table, present.name), sql, false);
        }
        create.push(wanted);
    }
    for t in d.removed {
        if !plan.gone(&t.table) {
            let sql = format!("DROP TRIGGER {} ON {}", t.name, t.table);
            plan.push(phase::DROP_TRIGGER, "drop trigger", &format!("{}.{}", t.table, t.name), sql, false);
        }
    }
    // Triggers of recreated views are gone with them.
    let on_recreated: Vec<_> = plan
        .source
        .triggers
        .values()
        .filter(|t| {
            plan.recreated.contains(&t.table)
                && plan.target.triggers.get(&format!("{}.{}", t.table, t.name)) == Some(*t)
        })
        .collect();
    create.extend(on_recreated);
    for t in create {
        plan.push(phase::TRIGGER, "create trigger", &format!("{}.{}", t.table, t.name), t.definition.clone(), false);
    }
}
