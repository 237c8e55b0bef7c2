//! The heap bytes a parsed document holds, for the parsed-document cache's weigher (issue 18,
//! N3: weighing a tree at 8x its text let real trees, ~14x, take twice the cache's bound).
//!
//! Written by hand because no crate measures async-graphql's parser types (`deepsize` and
//! `get-size` need derives on them). The walk counts every allocation the parser makes: each
//! `Vec`'s capacity, each `Name` (an `Arc<str>`: two counters and the text), each string, list
//! and object of a value and the two maps of the document, with the allocator's rounding.
//! `tests/document_weight.rs` compares it with what a counting allocator sees while parsing.
use async_graphql::parser::types::{
    BaseType, Directive, DocumentOperations, ExecutableDocument, OperationDefinition, Selection,
    SelectionSet, Type, VariableDefinition,
};
use async_graphql::{Name, Positioned};
use async_graphql_value::{ConstValue, Value};
use std::mem::size_of;

/// One allocation of `n` bytes as the allocator rounds it: small sizes to 16 bytes, larger
/// ones to size classes about 1/8 apart (mimalloc's, and close to glibc's overhead).
fn alloc(n: usize) -> usize {
    match n {
        0 => 0,
        n if n <= 128 => n.div_ceil(16) * 16,
        n => n + n / 8,
    }
}

fn vec<T>(v: &Vec<T>) -> usize {
    alloc(v.capacity() * size_of::<T>())
}

fn name(n: &Name) -> usize {
    // `Name` is an `Arc<str>`: strong and weak counts before the text.
    alloc(2 * size_of::<usize>() + n.as_str().len())
}

/// A hash table of `len` entries of `entry` bytes (hashbrown: buckets a power of two at least
/// 8/7 of the entries, one control byte each plus a group).
fn table(len: usize, entry: usize) -> usize {
    if len == 0 {
        return 0;
    }
    let buckets = (len * 8).div_ceil(7).next_power_of_two().max(4);
    alloc(buckets * entry + buckets + 16)
}

fn value(v: &Value) -> usize {
    match v {
        Value::Variable(n) | Value::Enum(n) => name(n),
        Value::String(s) => alloc(s.capacity()),
        Value::Binary(b) => alloc(b.len()),
        Value::List(l) => vec(l) + l.iter().map(value).sum::<usize>(),
        Value::Object(o) => {
            // An IndexMap: its entries (hash, key, value) and a table of indices.
            alloc(o.capacity() * (size_of::<u64>() + size_of::<Name>() + size_of::<Value>()))
                + table(o.len(), size_of::<usize>())
                + o.iter().map(|(k, v)| name(k) + value(v)).sum::<usize>()
        }
        Value::Null | Value::Number(_) | Value::Boolean(_) => 0,
    }
}

fn const_value(v: &ConstValue) -> usize {
    match v {
        ConstValue::Enum(n) => name(n),
        ConstValue::String(s) => alloc(s.capacity()),
        ConstValue::Binary(b) => alloc(b.len()),
        ConstValue::List(l) => vec(l) + l.iter().map(const_value).sum::<usize>(),
        ConstValue::Object(o) => {
            alloc(o.capacity() * (size_of::<u64>() + size_of::<Name>() + size_of::<ConstValue>()))
                + table(o.len(), size_of::<usize>())
                + o.iter()
                    .map(|(k, v)| name(k) + const_value(v))
                    .sum::<usize>()
        }
        ConstValue::Null | ConstValue::Number(_) | ConstValue::Boolean(_) => 0,
    }
}

fn directives(ds: &Vec<Positioned<Directive>>) -> usize {
    vec(ds)
        + ds.iter()
            .map(|d| {
                name(&d.node.name.node)
                    + vec(&d.node.arguments)
                    + d.node
                        .arguments
                        .iter()
                        .map(|(n, v)| name(&n.node) + value(&v.node))
                        .sum::<usize>()
            })
            .sum::<usize>()
}

fn selection_set(s: &SelectionSet) -> usize {
    vec(&s.items)
        + s.items
            .iter()
            .map(|i| match &i.node {
                Selection::Field(f) => {
                    let f = &f.node;
                    f.alias.as_ref().map_or(0, |a| name(&a.node))
                        + name(&f.name.node)
                        + vec(&f.arguments)
                        + f.arguments
                            .iter()
                            .map(|(n, v)| name(&n.node) + value(&v.node))
                            .sum::<usize>()
                        + directives(&f.directives)
                        + selection_set(&f.selection_set.node)
                }
                Selection::FragmentSpread(sp) => {
                    name(&sp.node.fragment_name.node) + directives(&sp.node.directives)
                }
                Selection::InlineFragment(inl) => {
                    inl.node
                        .type_condition
                        .as_ref()
                        .map_or(0, |c| name(&c.node.on.node))
                        + directives(&inl.node.directives)
                        + selection_set(&inl.node.selection_set.node)
                }
            })
            .sum::<usize>()
}

fn ty(t: &Type) -> usize {
    match &t.base {
        BaseType::Named(n) => name(n),
        BaseType::List(inner) => alloc(size_of::<Type>()) + ty(inner),
    }
}

fn variable(v: &VariableDefinition) -> usize {
    name(&v.name.node)
        + ty(&v.var_type.node)
        + directives(&v.directives)
        + v.default_value.as_ref().map_or(0, |d| const_value(&d.node))
}

fn operation(op: &OperationDefinition) -> usize {
    vec(&op.variable_definitions)
        + op.variable_definitions
            .iter()
            .map(|v| variable(&v.node))
            .sum::<usize>()
        + directives(&op.directives)
        + selection_set(&op.selection_set.node)
}

/// The heap bytes of a parsed document (not counting the document value itself).
pub fn document_bytes(doc: &ExecutableDocument) -> usize {
    let ops = match &doc.operations {
        DocumentOperations::Single(op) => operation(&op.node),
        DocumentOperations::Multiple(ops) => {
            table(
                ops.len(),
                size_of::<Name>() + size_of::<Positioned<OperationDefinition>>(),
            ) + ops
                .iter()
                .map(|(n, op)| name(n) + operation(&op.node))
                .sum::<usize>()
        }
    };
    let fragments = table(
        doc.fragments.len(),
        size_of::<Name>()
            + size_of::<Positioned<async_graphql::parser::types::FragmentDefinition>>(),
    ) + doc
        .fragments
        .iter()
        .map(|(n, f)| {
            name(n)
                + name(&f.node.type_condition.node.on.node)
                + directives(&f.node.directives)
                + selection_set(&f.node.selection_set.node)
        })
        .sum::<usize>();
    ops + fragments
}
