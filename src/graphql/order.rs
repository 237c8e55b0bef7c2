//! Response keys in the order of the selection set (GraphQL spec 7.1: a response's keys SHOULD
//! follow CollectFields). async-graphql 7 resolves a query's fields concurrently and inserts
//! each into the response object as it completes, so a field that waits (for the database)
//! lands after one that does not: `{ b: kommune(...) { navn } a: __typename }` comes out as
//! `a`, `b`. After execution every object's keys are put back in selection order, from a
//! [`Plan`] built once per document and operation (`prepare.rs` keeps it with the cached
//! document). No crate does this; it is a walk of the document (fragments and inline fragments
//! included) beside the response.
//!
//! Keys are ordered by their first appearance in the selection sets that apply to the object,
//! with every fragment taken into account whatever its type condition (a key the object does
//! not have is simply not there). A key that is not in the selection sets (none should be) keeps
//! its place after the others.
use async_graphql::indexmap::IndexMap;
use async_graphql::parser::types::{
    DocumentOperations, ExecutableDocument, FragmentDefinition, OperationDefinition, Selection,
    SelectionSet,
};
use async_graphql::{Name, Positioned, Value};
use std::collections::HashMap;

type Fragments = HashMap<Name, Positioned<FragmentDefinition>>;

/// The response keys of an object in order, each with the plan of its value. Its size is that
/// of the document with fragments expanded, which the limits bound (`--max-fields`). A list,
/// searched from where the previous key was found: objects have a handful of keys, mostly
/// already in order, so this is a comparison or two per key where a map would hash each.
#[derive(Debug, Default)]
pub struct Plan(Vec<(Name, Plan)>);

impl Plan {
    /// The plan of an operation of a document (`None`: no such operation).
    pub fn of(doc: &ExecutableDocument, operation: Option<&str>) -> Option<Plan> {
        let op = self::operation(doc, operation)?;
        Some(Plan::build(&[&op.selection_set.node], &doc.fragments))
    }

    fn build(sets: &[&SelectionSet], fragments: &Fragments) -> Plan {
        Plan(
            collect_keys(sets, fragments)
                .into_iter()
                .map(|(k, below)| (k.clone(), Plan::build(&below, fragments)))
                .collect(),
        )
    }

    /// The position of a key in the plan, looked for from `from` on first.
    fn position(&self, key: &str, from: usize) -> Option<usize> {
        let keys = &self.0;
        (from..keys.len())
            .chain(0..from.min(keys.len()))
            .find(|&i| keys[i].0.as_str() == key)
    }

    /// Puts the keys of `v` (and of everything below it) in the plan's order.
    pub fn apply(&self, v: &mut Value) {
        match v {
            Value::Object(map) => {
                let mut next = 0;
                let mut sorted = true;
                for (k, child) in map.iter_mut() {
                    match self.position(k.as_str(), next) {
                        Some(i) => {
                            sorted &= i >= next;
                            next = i + 1;
                            self.0[i].1.apply(child);
                        }
                        None => sorted = false,
                    }
                }
                if !sorted {
                    // Stable: keys outside the plan keep their order, after the others.
                    map.sort_by_cached_key(|k, _| {
                        self.position(k.as_str(), 0).unwrap_or(usize::MAX)
                    });
                }
            }
            Value::List(items) => {
                for item in items {
                    self.apply(item);
                }
            }
            _ => {}
        }
    }
}

/// The operation of a document that runs for an operation name (none: the only one).
pub(crate) fn operation<'d>(
    doc: &'d ExecutableDocument,
    name: Option<&str>,
) -> Option<&'d OperationDefinition> {
    match (&doc.operations, name) {
        (DocumentOperations::Single(op), _) => Some(&op.node),
        (DocumentOperations::Multiple(ops), Some(n)) => ops
            .iter()
            .find(|(k, _)| k.as_str() == n)
            .map(|(_, op)| &op.node),
        (DocumentOperations::Multiple(ops), None) if ops.len() == 1 => {
            ops.values().next().map(|op| &op.node)
        }
        _ => None,
    }
}

/// The response keys of selection sets in order, each with the selection sets below it.
fn collect_keys<'d>(
    sets: &[&'d SelectionSet],
    fragments: &'d Fragments,
) -> IndexMap<&'d Name, Vec<&'d SelectionSet>> {
    fn collect<'d>(
        set: &'d SelectionSet,
        fragments: &'d Fragments,
        out: &mut IndexMap<&'d Name, Vec<&'d SelectionSet>>,
    ) {
        for sel in &set.items {
            match &sel.node {
                Selection::Field(f) => out
                    .entry(&f.node.response_key().node)
                    .or_default()
                    .push(&f.node.selection_set.node),
                // The limits have refused fragment cycles before anything executes.
                Selection::FragmentSpread(s) => {
                    if let Some(fd) = fragments.get(s.node.fragment_name.node.as_str()) {
                        collect(&fd.node.selection_set.node, fragments, out);
                    }
                }
                Selection::InlineFragment(i) => {
                    collect(&i.node.selection_set.node, fragments, out);
                }
            }
        }
    }
    let mut out = IndexMap::new();
    for s in sets {
        collect(s, fragments, &mut out);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn keys(v: &Value) -> Vec<String> {
        match v {
            Value::Object(m) => m.keys().map(|k| k.to_string()).collect(),
            _ => Vec::new(),
        }
    }

    #[test]
    fn orders_by_first_appearance_through_fragments() {
        let doc = async_graphql::parser::parse_query(
            "query { b: x { ...F z } a ... on Query { c } } fragment F on X { y w: v }",
        )
        .expect("parse");
        let mut data = Value::from_json(serde_json::json!({
            "c": 1, "a": 2, "b": [{ "z": 1, "w": 2, "y": 3 }, { "y": 1, "z": 2, "w": 3 }]
        }))
        .expect("value");
        Plan::of(&doc, None).expect("op").apply(&mut data);
        assert_eq!(keys(&data), ["b", "a", "c"]);
        let Value::Object(m) = &data else {
            panic!("object")
        };
        let Some(Value::List(items)) = m.get("b") else {
            panic!("list")
        };
        for it in items {
            assert_eq!(keys(it), ["y", "w", "z"]);
        }
    }
}
