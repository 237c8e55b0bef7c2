//! R29: a variable that the operation declares but the request does not provide (and that has no
//! default) is *absent*, not null (GraphQL spec §6.4.1 CoerceArgumentValues and §3.10 input
//! coercion: `{ a: $var, b: 123 }` with `{}` coerces to `{ b: 123 }`). async-graphql 7.2
//! gives such a variable the value null (`VariableDefinition::default_value`), so an omitted
//! field of a patch would clear it. This closes the gap before execution: every argument and
//! input-object field whose value is such a variable is removed from the request's copy of the
//! document, so it is absent exactly as if the client had not written it (an argument's default
//! applies, a patch keeps the field). In a list, where an item cannot be absent, it stays (and
//! is null, as the spec says). A definition no longer used is removed too, as validation would
//! otherwise report it unused.
use async_graphql::parser::types::{
    Directive, DocumentOperations, ExecutableDocument, OperationDefinition, Selection, SelectionSet,
};
use async_graphql::{Name, Positioned, Variables};
use async_graphql_value::Value;
use std::collections::HashSet;

/// The declared, nullable variables without a default that the request leaves out.
fn absent_of(doc: &ExecutableDocument, variables: &Variables, want: Option<&str>) -> HashSet<Name> {
    let Some(op) = super::order::operation(doc, want) else {
        return HashSet::new();
    };
    op.variable_definitions
        .iter()
        .filter(|d| {
            d.node.default_value.is_none()
                && d.node.var_type.node.nullable
                && variables.get(&d.node.name.node).is_none()
        })
        .map(|d| d.node.name.node.clone())
        .collect()
}

/// The document with every use of an absent variable removed (see the module documentation).
pub fn strip(doc: &mut ExecutableDocument, variables: &Variables, want: Option<&str>) {
    let absent = absent_of(doc, variables, want);
    if absent.is_empty() {
        return;
    }
    let mut u = Uses {
        absent: &absent,
        kept: HashSet::new(),
        removed: HashSet::new(),
    };
    let ops: Vec<&mut Positioned<OperationDefinition>> = match &mut doc.operations {
        DocumentOperations::Single(op) => vec![op],
        DocumentOperations::Multiple(ops) => ops.values_mut().collect(),
    };
    for op in ops {
        strip_directives(&mut op.node.directives, &mut u);
        strip_set(&mut op.node.selection_set.node, &mut u);
    }
    // Fragments are shared by the operations; a variable they use belongs to the one that
    // runs (validation refuses the others' uses).
    for f in doc.fragments.values_mut() {
        strip_set(&mut f.node.selection_set.node, &mut u);
    }
    // Only the definitions whose every use went: one never used stays for validation to refuse.
    let ops: Vec<&mut Positioned<OperationDefinition>> = match &mut doc.operations {
        DocumentOperations::Single(op) => vec![op],
        DocumentOperations::Multiple(ops) => ops.values_mut().collect(),
    };
    for op in ops {
        op.node.variable_definitions.retain(|d| {
            let n = &d.node.name.node;
            !u.removed.contains(n) || u.kept.contains(n)
        });
    }
}

/// The absent variables, and what became of their uses.
struct Uses<'a> {
    absent: &'a HashSet<Name>,
    /// Used where an item cannot be absent (a list): the definition stays.
    kept: HashSet<Name>,
    /// A use was removed.
    removed: HashSet<Name>,
}

impl Uses<'_> {
    /// Whether `v` is an absent variable (noting the removal of its use).
    fn drops(&mut self, v: &Value) -> bool {
        match v {
            Value::Variable(n) if self.absent.contains(n) => {
                self.removed.insert(n.clone());
                true
            }
            _ => false,
        }
    }
}

fn strip_set(set: &mut SelectionSet, u: &mut Uses<'_>) {
    for item in &mut set.items {
        match &mut item.node {
            Selection::Field(f) => {
                strip_args(&mut f.node.arguments, u);
                strip_directives(&mut f.node.directives, u);
                strip_set(&mut f.node.selection_set.node, u);
            }
            Selection::FragmentSpread(s) => strip_directives(&mut s.node.directives, u),
            Selection::InlineFragment(i) => {
                strip_directives(&mut i.node.directives, u);
                strip_set(&mut i.node.selection_set.node, u);
            }
        }
    }
}

fn strip_directives(ds: &mut [Positioned<Directive>], u: &mut Uses<'_>) {
    for d in ds {
        strip_args(&mut d.node.arguments, u);
    }
}

fn strip_args(args: &mut Vec<(Positioned<Name>, Positioned<Value>)>, u: &mut Uses<'_>) {
    args.retain(|(_, v)| !u.drops(&v.node));
    for (_, v) in args {
        strip_value(&mut v.node, u);
    }
}

fn strip_value(v: &mut Value, u: &mut Uses<'_>) {
    match v {
        Value::Object(fields) => {
            fields.retain(|_, f| !u.drops(f));
            for f in fields.values_mut() {
                strip_value(f, u);
            }
        }
        Value::List(items) => {
            for i in items {
                match i {
                    Value::Variable(n) if u.absent.contains(n) => {
                        u.kept.insert(n.clone());
                    }
                    other => strip_value(other, u),
                }
            }
        }
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn stripped(q: &str, vars: serde_json::Value) -> String {
        let mut doc = async_graphql::parser::parse_query(q).expect("parse");
        strip(&mut doc, &Variables::from_json(vars), None);
        let (_, op) = doc.operations.iter().next().expect("op");
        let defs: Vec<String> = op
            .node
            .variable_definitions
            .iter()
            .map(|d| d.node.name.node.to_string())
            .collect();
        let Selection::Field(f) = &op.node.selection_set.node.items[0].node else {
            panic!("field");
        };
        let args: Vec<String> = f
            .node
            .arguments
            .iter()
            .map(|(n, v)| format!("{}={}", n.node, v.node))
            .collect();
        format!("{defs:?} {args:?}")
    }

    /// R29: the spec's example `{ a: $var, b: 123 }` with `{}` is `{ b: 123 }`; a top-level
    /// argument goes; a provided variable, one with a default and a list item stay.
    #[test]
    fn r29_unprovided_variables_are_absent() {
        assert_eq!(
            stripped(
                "query($var: Int) { f(x: { a: $var, b: 123 }) }",
                serde_json::json!({})
            ),
            "[] [\"x={b: 123}\"]"
        );
        assert_eq!(
            stripped(
                "query($s: String, $t: String) { f(a: $s, b: $t) }",
                serde_json::json!({ "t": "x" })
            ),
            "[\"t\"] [\"b=$t\"]"
        );
        assert_eq!(
            stripped(
                "query($s: String = \"d\") { f(a: $s) }",
                serde_json::json!({})
            ),
            "[\"s\"] [\"a=$s\"]"
        );
        assert_eq!(
            stripped("query($s: String) { f(a: [$s]) }", serde_json::json!({})),
            "[\"s\"] [\"a=[$s]\"]"
        );
        // Never used: the definition stays for validation to refuse.
        assert_eq!(
            stripped(
                "query($s: String, $u: Int) { f(a: $s) }",
                serde_json::json!({})
            ),
            "[\"u\"] []"
        );
        // Explicit null is null, not absent.
        assert_eq!(
            stripped(
                "query($s: String) { f(a: $s) }",
                serde_json::json!({ "s": null })
            ),
            "[\"s\"] [\"a=$s\"]"
        );
    }
}
