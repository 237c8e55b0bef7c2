//! Query limits beyond async-graphql's own (depth, complexity, directives), checked before
//! async-graphql parses, validates or executes anything that could cost more than linear time:
//! the nesting of the text, the expanded size of the document (fragments counted once each,
//! memoised), fragment spreads and cycles, aliases, root fields, variables' nesting, NUL
//! characters and missing variables. Each refusal carries a stable code and a Danish message.
//! They are applied by `prepare.rs`, before async-graphql sees the request.
use super::nesting;
use async_graphql::parser::types::{
    Directive, DocumentOperations, ExecutableDocument, Selection, SelectionSet,
};
use async_graphql::Positioned;
use async_graphql::{ErrorExtensionValues, ServerError, ServerResult, Variables};
use std::collections::{HashMap, HashSet};

#[derive(Clone, Copy, Debug)]
pub struct Limits {
    pub max_aliases: usize,
    pub max_root_fields: usize,
    /// Nesting of `{ [ (` in the text and of selections through fragments; of variables' JSON.
    pub max_nesting: usize,
    /// Fields of the document with every fragment spread expanded.
    pub max_fields: usize,
    /// Fragment spreads written in the document.
    pub max_fragment_spreads: usize,
    /// Nodes of the document with every fragment spread expanded (see `Size::nodes`).
    pub max_nodes: usize,
}

pub fn limit_error(code: &str, message: String) -> ServerError {
    let mut e = ServerError::new(message, None);
    let mut ext = ErrorExtensionValues::default();
    ext.set("code", code);
    e.extensions = Some(ext);
    e
}

fn exceeded(message: String) -> ServerError {
    limit_error("LIMIT_EXCEEDED", message)
}

/// The size of a selection set with its fragments expanded.
#[derive(Clone, Copy, Default)]
struct Size {
    /// Every field, at every level.
    fields: usize,
    /// Fields at this level (through fragments): an operation's root fields.
    level: usize,
    /// Nesting below this set.
    depth: usize,
    /// The nodes async-graphql's walks visit with every fragment spread expanded: each
    /// selection (field, fragment spread, inline fragment), each directive and each value of
    /// an argument. Its recursion-depth check, its validation passes (the second of which runs
    /// even after the first found errors) and its executor each walk the expanded document
    /// once, without memoisation, so this count, not the fields alone, bounds their work.
    nodes: usize,
}

/// Values visited in an argument: the value itself and every item and field inside it.
fn value_nodes(v: &async_graphql_value::Value) -> usize {
    use async_graphql_value::Value as V;
    match v {
        V::List(l) => l
            .iter()
            .fold(1usize, |n, v| n.saturating_add(value_nodes(v))),
        V::Object(o) => o
            .values()
            .fold(1usize, |n, v| n.saturating_add(value_nodes(v))),
        _ => 1,
    }
}

fn arguments_nodes<'a>(args: impl Iterator<Item = &'a async_graphql_value::Value>) -> usize {
    args.fold(0usize, |n, v| n.saturating_add(value_nodes(v)))
}

fn directives_nodes(ds: &[Positioned<Directive>]) -> usize {
    ds.iter().fold(0usize, |n, d| {
        n.saturating_add(1).saturating_add(arguments_nodes(
            d.node.arguments.iter().map(|(_, v)| &v.node),
        ))
    })
}

/// Expands fragments once each (memoised), so a document whose fragments fan out 4x per level
/// costs linear time here instead of 4^n; refuses cycles, spreads of unknown fragments and
/// excessive depth on the way, which also bounds the recursion.
struct Expansion<'a> {
    doc: &'a ExecutableDocument,
    limits: &'a Limits,
    memo: HashMap<&'a str, Size>,
    visiting: HashSet<&'a str>,
}

fn too_deep(limits: &Limits) -> ServerError {
    exceeded(format!(
        "Forespørgslen er indlejret for dybt (med fragmenterne udfoldet); højst {} niveauer er tilladt.",
        limits.max_nesting
    ))
}

impl<'a> Expansion<'a> {
    fn size(&mut self, set: &'a SelectionSet, at: usize) -> ServerResult<Size> {
        if at > self.limits.max_nesting {
            return Err(too_deep(self.limits));
        }
        let mut s = Size::default();
        for item in &set.items {
            // The selection itself and its directives, then what it holds.
            let own = 1usize.saturating_add(directives_nodes(item.node.directives()));
            let (child, own_field, own) = match &item.node {
                Selection::Field(f) => {
                    let args = arguments_nodes(f.node.arguments.iter().map(|(_, v)| &v.node));
                    (
                        self.size(&f.node.selection_set.node, at + 1)?,
                        true,
                        own.saturating_add(args),
                    )
                }
                Selection::InlineFragment(i) => {
                    (self.size(&i.node.selection_set.node, at + 1)?, false, own)
                }
                Selection::FragmentSpread(sp) => {
                    let name = sp.node.fragment_name.node.as_str();
                    (self.fragment(name, at + 1)?, false, own)
                }
            };
            s.depth = s.depth.max(child.depth + 1);
            s.nodes = s.nodes.saturating_add(own).saturating_add(child.nodes);
            if own_field {
                s.fields = s.fields.saturating_add(1).saturating_add(child.fields);
                s.level = s.level.saturating_add(1);
            } else {
                s.fields = s.fields.saturating_add(child.fields);
                s.level = s.level.saturating_add(child.level);
            }
            self.within(&s)?;
        }
        Ok(s)
    }

    /// The bounds on a size, checked as it grows (so no count runs far past them).
    fn within(&self, s: &Size) -> ServerResult<()> {
        if s.fields > self.limits.max_fields {
            return Err(exceeded(format!(
                "Forespørgslen er for stor: med fragmenterne udfoldet har den over {} felter.",
                self.limits.max_fields
            )));
        }
        if s.nodes > self.limits.max_nodes {
            return Err(exceeded(format!(
                "Forespørgslen er for stor: med fragmenterne udfoldet har den over {} dele (felter, fragmenter, direktiver og argumentværdier).",
                self.limits.max_nodes
            )));
        }
        Ok(())
    }

    fn fragment(&mut self, name: &'a str, at: usize) -> ServerResult<Size> {
        if let Some(s) = self.memo.get(name) {
            if at + s.depth > self.limits.max_nesting {
                return Err(too_deep(self.limits));
            }
            return Ok(*s);
        }
        // A spread of a fragment the document does not define is an error async-graphql's
        // validation reports too, but only after its walks have followed every path to it,
        // which a fan-out makes exponential (issue 18, N1): refused here, before them.
        let Some((key, frag)) = self.doc.fragments.get_key_value(name) else {
            return Err(limit_error(
                "GRAPHQL_VALIDATION_FAILED",
                format!("Fragmentet \"{name}\" findes ikke i dokumentet."),
            ));
        };
        let key = key.as_str();
        if !self.visiting.insert(key) {
            return Err(limit_error(
                "GRAPHQL_VALIDATION_FAILED",
                format!("Fragmentet \"{name}\" henviser til sig selv (direkte eller gennem andre fragmenter)."),
            ));
        }
        let s = self.size(&frag.node.selection_set.node, at)?;
        self.visiting.remove(key);
        self.memo.insert(key, s);
        Ok(s)
    }
}

fn count_spreads(set: &SelectionSet) -> usize {
    set.items
        .iter()
        .map(|s| match &s.node {
            Selection::Field(f) => count_spreads(&f.node.selection_set.node),
            Selection::InlineFragment(i) => count_spreads(&i.node.selection_set.node),
            Selection::FragmentSpread(_) => 1,
        })
        .sum()
}

fn count_aliases(set: &SelectionSet) -> usize {
    set.items
        .iter()
        .map(|s| match &s.node {
            Selection::Field(f) => {
                usize::from(f.node.alias.is_some()) + count_aliases(&f.node.selection_set.node)
            }
            Selection::InlineFragment(i) => count_aliases(&i.node.selection_set.node),
            Selection::FragmentSpread(_) => 0,
        })
        .sum()
}

fn has_nul(v: &async_graphql::Value) -> bool {
    match v {
        async_graphql::Value::String(s) => s.contains('\0'),
        async_graphql::Value::List(l) => l.iter().any(has_nul),
        async_graphql::Value::Object(o) => o.iter().any(|(k, v)| k.contains('\0') || has_nul(v)),
        _ => false,
    }
}

fn literal_has_nul(v: &async_graphql_value::Value) -> bool {
    use async_graphql_value::Value as V;
    match v {
        V::String(s) => s.contains('\0'),
        V::List(l) => l.iter().any(literal_has_nul),
        V::Object(o) => o.values().any(literal_has_nul),
        _ => false,
    }
}

fn selection_has_nul(set: &SelectionSet) -> bool {
    set.items.iter().any(|s| match &s.node {
        Selection::Field(f) => {
            f.node
                .arguments
                .iter()
                .any(|(_, v)| literal_has_nul(&v.node))
                || selection_has_nul(&f.node.selection_set.node)
        }
        Selection::InlineFragment(i) => selection_has_nul(&i.node.selection_set.node),
        Selection::FragmentSpread(_) => false,
    })
}

/// NUL characters are refused in every string of a request, the same on both databases
/// (PostgreSQL cannot store them; SQLite could): in the variables ...
pub(crate) fn variables_have_nul(variables: &Variables) -> bool {
    variables.iter().any(|(_, v)| has_nul(v))
}

/// ... and in the document's literals.
pub(crate) fn document_has_nul(doc: &ExecutableDocument) -> bool {
    doc.operations
        .iter()
        .any(|(_, op)| selection_has_nul(&op.node.selection_set.node))
        || doc
            .fragments
            .values()
            .any(|f| selection_has_nul(&f.node.selection_set.node))
}

/// A required variable (non-null, no default) of the operation to run that the request does not
/// give: a request error before anything runs (GraphQL's CoerceVariableValues), answered 400
/// like any other variable that cannot be coerced. async-graphql finds it only when the field
/// that uses it runs, as a field error. The error is async-graphql's own English one, so the
/// Danish message comes from the one place that has it (`messages.rs`, via `normalize_errors`).
pub(crate) fn missing_variable(
    doc: &ExecutableDocument,
    variables: &Variables,
    want: Option<&str>,
) -> Option<ServerError> {
    let op = match (&doc.operations, want) {
        (DocumentOperations::Single(op), _) => op,
        (DocumentOperations::Multiple(ops), Some(w)) => ops.get(w)?,
        // Several operations and none chosen: validation refuses the document.
        (DocumentOperations::Multiple(_), None) => return None,
    };
    op.node
        .variable_definitions
        .iter()
        .find(|d| variables.get(&d.node.name.node).is_none() && d.node.default_value().is_none())
        .map(|d| {
            ServerError::new(
                format!("Variable {} is not defined.", d.node.name.node),
                Some(d.pos),
            )
        })
}

impl Limits {
    /// The checks on the text, before any parser sees it.
    pub fn check_text(&self, query: &str) -> ServerResult<()> {
        nesting::check_graphql(query, self.max_nesting).map_err(|_| {
            exceeded(format!(
                "Forespørgslen er indlejret for dybt; højst {} niveauer af {{ }}, [ ] og ( ) er tilladt.",
                self.max_nesting
            ))
        })
    }

    pub fn check_variables(&self, variables: &Variables) -> ServerResult<()> {
        // The variables object itself is one level.
        let depth = variables
            .values()
            .map(nesting::value_depth)
            .max()
            .unwrap_or(0);
        if depth + 1 > self.max_nesting {
            return Err(exceeded(format!(
                "Variablerne er indlejret for dybt; højst {} niveauer er tilladt.",
                self.max_nesting
            )));
        }
        Ok(())
    }

    /// The checks on the parsed document, in time linear in its size, before async-graphql's
    /// own checks and validation (which expand fragments without memoisation).
    /// The document's nodes with every spread expanded, as counted (see `Size::nodes`).
    pub fn check_document(&self, doc: &ExecutableDocument) -> ServerResult<usize> {
        let spreads: usize = doc
            .operations
            .iter()
            .map(|(_, op)| count_spreads(&op.node.selection_set.node))
            .chain(
                doc.fragments
                    .values()
                    .map(|f| count_spreads(&f.node.selection_set.node)),
            )
            .sum();
        if spreads > self.max_fragment_spreads {
            return Err(exceeded(format!(
                "Forespørgslen bruger {spreads} fragmenter (...); højst {} er tilladt.",
                self.max_fragment_spreads
            )));
        }
        let mut ex = Expansion {
            doc,
            limits: self,
            memo: HashMap::new(),
            visiting: HashSet::new(),
        };
        let mut total = 0usize;
        let mut nodes = 0usize;
        for (_, op) in doc.operations.iter() {
            let s = ex.size(&op.node.selection_set.node, 1)?;
            if s.level > self.max_root_fields {
                return Err(exceeded(format!(
                    "Forespørgslen har {} felter på øverste niveau; højst {} er tilladt.",
                    s.level, self.max_root_fields
                )));
            }
            total = total.saturating_add(s.fields);
            nodes = nodes.saturating_add(s.nodes);
        }
        // Fragments no operation uses are refused by validation; they must not cost more either.
        for name in doc.fragments.keys() {
            ex.fragment(name.as_str(), 1)?;
        }
        ex.within(&Size {
            fields: total,
            nodes,
            ..Size::default()
        })?;
        let aliases: usize = doc
            .fragments
            .values()
            .map(|f| count_aliases(&f.node.selection_set.node))
            .chain(
                doc.operations
                    .iter()
                    .map(|(_, op)| count_aliases(&op.node.selection_set.node)),
            )
            .sum();
        if aliases > self.max_aliases {
            return Err(exceeded(format!(
                "Forespørgslen bruger {aliases} aliaser; højst {} er tilladt.",
                self.max_aliases
            )));
        }
        Ok(nodes)
    }
}
