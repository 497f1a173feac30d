//! Functions under `Functions`: which ones PostgREST can call, their `Args` and `Returns`, `SetofOptions`
//! for functions returning rows of a relation, overloads, and the error types the generator emits for
//! overloads PostgREST cannot tell apart.

use super::context::{Context, nullable};
use super::model::{Arg, ArgMode, Function};
use super::tstype::{Member, Ts, inline_object, literal, object, raw};

/// json, jsonb and text: the types a single unnamed argument may have.
const UNNAMED_ARG_TYPES: [u32; 3] = [114, 3802, 25];

/// A callable function with its input arguments.
pub struct Callable<'a> {
    pub function: &'a Function,
    pub inputs: Vec<&'a Arg>,
}

impl<'a> Context<'a> {
    /// The name of the relation (or composite type) a function returns rows of.
    fn return_table_name(&self, f: &Function) -> Option<&'a str> {
        let relation_id = f.return_type_relation_id?;
        if let Some(r) = self.relations_by_id.get(&relation_id) {
            return Some(r.name.as_str());
        }
        self.types_by_id.get(&f.return_type_id).filter(|t| t.relation_id.is_some()).map(|t| t.name.as_str())
    }

    fn is_row_type(&self, type_id: u32) -> bool {
        self.types_by_id.get(&type_id).is_some_and(|t| t.relation_id.is_some())
    }

    /// Whether PostgREST exposes the function (and so the generator lists it).
    pub fn callable(&self, f: &'a Function) -> Option<Callable<'a>> {
        let inputs: Vec<&Arg> = f.args.iter().filter(|a| a.is_input()).collect();
        let all_named = !inputs.iter().any(|a| a.name.is_empty());
        let unnamed_ok =
            inputs.iter().all(|a| !a.name.is_empty() || (a.has_default && UNNAMED_ARG_TYPES.contains(&a.type_id)));
        let single = inputs.len() == 1
            && inputs[0].name.is_empty()
            && (UNNAMED_ARG_TYPES.contains(&inputs[0].type_id) || self.is_row_type(inputs[0].type_id));
        (inputs.is_empty() || all_named || unnamed_ok || single).then_some(Callable { function: f, inputs })
    }

    /// Whether `c` is a computed field of relation `id`: one argument of the relation's row type.
    pub fn is_computed_field_of(&self, c: &Callable<'_>, id: u32, name: &str) -> bool {
        if let Some(t) = c.inputs.first().filter(|_| c.inputs.len() == 1).and_then(|a| self.types_by_id.get(&a.type_id))
            && t.relation_id.is_some()
        {
            return t.relation_id == Some(id);
        }
        c.function.argument_types == name
    }

    /// The return type without the set marker.
    pub fn return_type(&self, schema: &str, f: &Function) -> Ts {
        let table_args: Vec<&Arg> = f.args.iter().filter(|a| a.mode == ArgMode::Table).collect();
        if !table_args.is_empty() {
            return object(table_args.iter().map(|a| Member::new(&a.name, self.arg_type(schema, a.type_id))).collect());
        }
        let relation =
            f.return_type_relation_id.and_then(|id| self.relations_by_id.get(&id)).filter(|r| r.schema == schema);
        if let Some(r) = relation {
            return object(
                self.columns(r.id)
                    .iter()
                    .map(|c| {
                        Member::new(
                            &c.name,
                            nullable(self.ts_type(schema, &c.format, Some(&c.type_schema)), c.is_nullable),
                        )
                    })
                    .collect(),
            );
        }
        match self.types_by_id.get(&f.return_type_id) {
            Some(t) => self.ts_type(schema, &t.name, Some(&t.schema)),
            None => raw("unknown"),
        }
    }

    fn arg_type(&self, schema: &str, type_id: u32) -> Ts {
        match self.types_by_id.get(&type_id) {
            Some(t) => self.ts_type(schema, &t.name, Some(&t.schema)),
            None => raw("unknown"),
        }
    }

    fn args_type(&self, schema: &str, inputs: &[&Arg]) -> Ts {
        if inputs.is_empty() {
            return raw("Record<PropertyKey, never>");
        }
        inline_object(
            inputs
                .iter()
                .map(|a| Member { optional: a.has_default, ..Member::new(&a.name, self.arg_type(schema, a.type_id)) })
                .collect(),
        )
    }

    /// `Returns` (with `[]` for sets) and the `SetofOptions` member when the function returns rows of a
    /// relation.
    fn returns_members(&self, f: &Function, returns: Ts) -> Vec<Member> {
        let table = self.return_table_name(f);
        let many = f.rows.is_some_and(|rows| rows > 1.0);
        let setof_table = f.returns_set && f.return_type_relation_id.is_some();
        let mut setof = table.map(|to| setof_options("*", to, !many, f.returns_set));
        if f.args.len() == 1
            && let Some(source) = self.types_by_id.get(&f.args[0].type_id).filter(|t| t.relation_id.is_some())
        {
            match table {
                Some(to) if setof_table => setof = Some(setof_options(&source.format, to, !many, true)),
                Some(to) => setof = Some(setof_options(&source.format, to, true, false)),
                None => {}
            }
        }
        let collapsible = !many && table.is_some();
        let returns = if f.returns_set && !collapsible { Ts::Array(Box::new(returns)) } else { returns };
        let mut members = vec![Member::new("Returns", returns)];
        members.extend(setof);
        members
    }

    /// The type of one function name: one signature, or the union of its overloads.
    pub fn signatures(&self, schema: &str, overloads: &[Callable<'_>]) -> Ts {
        let mut out: Vec<Ts> = overloads
            .iter()
            .map(|c| {
                let f = c.function;
                let mut returns = self.return_type(schema, f);
                let error = self.conflict(schema, overloads, c).or_else(|| {
                    self.table_row_error(c).then(|| {
                        format!("the function {schema}.{} with parameter or with a single unnamed json/jsonb parameter, but no matches were found in the schema cache", f.name)
                    })
                });
                if let Some(message) = error {
                    returns = Ts::Intersection(vec![inline_object(vec![Member::new("error", raw("true"))]), literal(&message)]);
                }
                let mut members = vec![Member::new("Args", self.args_type(schema, &c.inputs))];
                members.extend(self.returns_members(f, returns));
                inline_object(members)
            })
            .collect();
        if out.len() == 1 { out.remove(0) } else { Ts::Union(out) }
    }

    fn table_row_error(&self, c: &Callable<'_>) -> bool {
        c.inputs.len() == 1
            && c.inputs[0].name.is_empty()
            && self.is_row_type(c.inputs[0].type_id)
            && self.return_table_name(c.function).is_none()
    }

    fn type_name(&self, id: u32) -> &str {
        self.types_by_id.get(&id).map(|t| t.name.as_str()).unwrap_or("unknown")
    }

    /// The error message for overloads PostgREST cannot choose between, if `c` is one of them.
    fn conflict(&self, schema: &str, all: &[Callable<'_>], c: &Callable<'_>) -> Option<String> {
        if all.len() <= 1 {
            return None;
        }
        let name = &c.function.name;
        let tail = "Try renaming the parameters or the function itself in the database so function overloading can be resolved";
        if c.inputs.is_empty() {
            let other = all.iter().find(|o| {
                o.function.id != c.function.id
                    && o.inputs.len() == 1
                    && o.inputs[0].name.is_empty()
                    && o.inputs[0].has_default
            })?;
            let returns = self.type_name(other.function.return_type_id);
            return Some(format!(
                "Could not choose the best candidate function between: {schema}.{name}(), {schema}.{name}( => {returns}). {tail}"
            ));
        }
        if c.inputs.len() == 1 && !c.inputs[0].name.is_empty() {
            let mut group: Vec<&Callable<'_>> = vec![c];
            group.extend(all.iter().filter(|o| {
                o.function.id != c.function.id
                    && o.inputs.len() == 1
                    && o.inputs[0].name == c.inputs[0].name
                    && o.inputs[0].type_id != c.inputs[0].type_id
            }));
            if group.len() == 1 {
                return None;
            }
            group.sort_by_key(|o| o.inputs.first().map(|a| a.type_id).unwrap_or(0));
            let list: Vec<String> = group
                .iter()
                .map(|o| {
                    let args: Vec<String> =
                        o.inputs.iter().map(|a| format!("{} => {}", a.name, self.type_name(a.type_id))).collect();
                    format!("{schema}.{name}({})", args.join(", "))
                })
                .collect();
            return Some(format!("Could not choose the best candidate function between: {}. {tail}", list.join(", ")));
        }
        None
    }
}

fn setof_options(from: &str, to: &str, one_to_one: bool, set: bool) -> Member {
    Member::new(
        "SetofOptions",
        object(vec![
            Member::new("from", literal(from)),
            Member::new("to", literal(to)),
            Member::new("isOneToOne", raw(if one_to_one { "true" } else { "false" })),
            Member::new("isSetofReturn", raw(if set { "true" } else { "false" })),
        ]),
    )
}
