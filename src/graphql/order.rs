//! Response keys in the order of the selection set (GraphQL spec 7.1: a response's keys SHOULD
//! follow CollectFields). async-graphql 7 resolves a query's fields concurrently and inserts
//! each into the response object as it completes, so a field that waits (for the database)
//! lands after one that does not: `{ b: kommune(...) { navn } a: __typename }` comes out as
//! `a`, `b`. This extension keeps the executed document and, after execution, puts every
//! object's keys back in selection order. No crate does this; it is a walk of the document
//! (fragments and inline fragments included) beside the response.
//!
//! Keys are ordered by their first appearance in the selection sets that apply to the object,
//! with every fragment taken into account whatever its type condition (a key the object does
//! not have is simply not there). A key that is not in the selection sets (none should be) keeps
//! its place after the others.
use async_graphql::extensions::{
    Extension, ExtensionContext, ExtensionFactory, NextExecute, NextParseQuery,
};
use async_graphql::indexmap::IndexMap;
use async_graphql::parser::types::{
    DocumentOperations, ExecutableDocument, FragmentDefinition, OperationDefinition, Selection,
    SelectionSet,
};
use async_graphql::{Name, Positioned, Response, ServerResult, Value, Variables};
use std::collections::HashMap;
use std::sync::{Arc, Mutex};

type Fragments = HashMap<Name, Positioned<FragmentDefinition>>;

/// The extension (one per schema; an instance per request holds that request's document).
pub struct SelectionOrder;

impl ExtensionFactory for SelectionOrder {
    fn create(&self) -> Arc<dyn Extension> {
        Arc::new(Ordering::default())
    }
}

#[derive(Default)]
struct Ordering {
    doc: Mutex<Option<ExecutableDocument>>,
}

#[async_trait::async_trait]
impl Extension for Ordering {
    async fn parse_query(
        &self,
        ctx: &ExtensionContext<'_>,
        query: &str,
        variables: &Variables,
        next: NextParseQuery<'_>,
    ) -> ServerResult<ExecutableDocument> {
        let doc = next.run(ctx, query, variables).await?;
        *self.doc.lock().unwrap_or_else(|e| e.into_inner()) = Some(doc.clone());
        Ok(doc)
    }

    async fn execute(
        &self,
        ctx: &ExtensionContext<'_>,
        operation_name: Option<&str>,
        next: NextExecute<'_>,
    ) -> Response {
        let mut resp = next.run(ctx, operation_name).await;
        let doc = self.doc.lock().unwrap_or_else(|e| e.into_inner()).take();
        if let Some(doc) = doc {
            if let Some(op) = operation(&doc, operation_name) {
                order(&mut resp.data, &[&op.selection_set.node], &doc.fragments);
            }
        }
        resp
    }
}

/// The operation that ran.
fn operation<'d>(
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
fn plan<'d>(
    sets: &[&'d SelectionSet],
    fragments: &'d Fragments,
) -> IndexMap<&'d str, Vec<&'d SelectionSet>> {
    fn collect<'d>(
        set: &'d SelectionSet,
        fragments: &'d Fragments,
        out: &mut IndexMap<&'d str, Vec<&'d SelectionSet>>,
    ) {
        for sel in &set.items {
            match &sel.node {
                Selection::Field(f) => out
                    .entry(f.node.response_key().node.as_str())
                    .or_default()
                    .push(&f.node.selection_set.node),
                // Validation has refused fragment cycles before anything executes.
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

/// Puts the keys of `v` (and of everything below it) in the order of `sets`.
fn order(v: &mut Value, sets: &[&SelectionSet], fragments: &Fragments) {
    match v {
        Value::Object(map) => {
            let plan = plan(sets, fragments);
            let mut rest = std::mem::take(map);
            let mut ordered = IndexMap::with_capacity(rest.len());
            for (key, below) in &plan {
                if let Some((k, mut child)) = rest.swap_remove_entry(*key) {
                    order(&mut child, below, fragments);
                    ordered.insert(k, child);
                }
            }
            ordered.extend(rest);
            *map = ordered;
        }
        Value::List(items) => {
            for item in items {
                order(item, sets, fragments);
            }
        }
        _ => {}
    }
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
        let op = operation(&doc, None).expect("op");
        order(&mut data, &[&op.selection_set.node], &doc.fragments);
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
