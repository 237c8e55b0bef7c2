//! Query limits beyond async-graphql's own (depth, complexity, directives): the number of
//! aliases and of root fields, and "no mutations over GET" for documents that arrive as
//! persisted-query hashes. Each refusal carries a stable code.
use async_graphql::extensions::{Extension, ExtensionContext, ExtensionFactory, NextParseQuery};
use async_graphql::parser::types::{ExecutableDocument, OperationType, Selection, SelectionSet};
use async_graphql::{ErrorExtensionValues, ServerError, ServerResult, Variables};
use std::sync::Arc;

/// Marks a request that came over GET: it may only run queries.
pub struct ReadOnlyRequest;

/// Filled in with the operation's name once the document is parsed (metrics).
#[derive(Default, Clone)]
pub struct OperationName(pub Arc<std::sync::Mutex<Option<String>>>);

#[derive(Clone, Copy)]
pub struct Limits {
    pub max_aliases: usize,
    pub max_root_fields: usize,
}

impl ExtensionFactory for Limits {
    fn create(&self) -> Arc<dyn Extension> {
        Arc::new(*self)
    }
}

pub fn limit_error(code: &str, message: String) -> ServerError {
    let mut e = ServerError::new(message, None);
    let mut ext = ErrorExtensionValues::default();
    ext.set("code", code);
    e.extensions = Some(ext);
    e
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

fn count_fields(set: &SelectionSet, doc: &ExecutableDocument, depth: usize) -> usize {
    if depth > 16 {
        return 0;
    }
    set.items
        .iter()
        .map(|s| match &s.node {
            Selection::Field(_) => 1,
            Selection::InlineFragment(i) => {
                count_fields(&i.node.selection_set.node, doc, depth + 1)
            }
            Selection::FragmentSpread(f) => doc
                .fragments
                .get(&f.node.fragment_name.node)
                .map_or(0, |fr| {
                    count_fields(&fr.node.selection_set.node, doc, depth + 1)
                }),
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
/// (PostgreSQL cannot store them; SQLite could).
fn request_has_nul(doc: &ExecutableDocument, variables: &Variables) -> bool {
    variables.iter().any(|(_, v)| has_nul(v))
        || doc
            .operations
            .iter()
            .any(|(_, op)| selection_has_nul(&op.node.selection_set.node))
        || doc
            .fragments
            .values()
            .any(|f| selection_has_nul(&f.node.selection_set.node))
}

#[async_trait::async_trait]
impl Extension for Limits {
    async fn parse_query(
        &self,
        ctx: &ExtensionContext<'_>,
        query: &str,
        variables: &Variables,
        next: NextParseQuery<'_>,
    ) -> ServerResult<ExecutableDocument> {
        let doc = next.run(ctx, query, variables).await?;
        if request_has_nul(&doc, variables) {
            let mut e = limit_error(
                "VALIDATION",
                "Tekst må ikke indeholde NUL-tegn (\\u0000).".into(),
            );
            e.message = "Tekst må ikke indeholde NUL-tegn (\\u0000).".into();
            return Err(e);
        }
        if let Some(slot) = ctx.data_opt::<OperationName>() {
            let mut names = doc
                .operations
                .iter()
                .filter_map(|(n, _)| n.map(|n| n.to_string()));
            if let (Some(n), None) = (names.next(), names.next()) {
                *slot.0.lock().unwrap_or_else(|e| e.into_inner()) = Some(n);
            }
        }
        let mut aliases: usize = doc
            .fragments
            .values()
            .map(|f| count_aliases(&f.node.selection_set.node))
            .sum();
        for (_, op) in doc.operations.iter() {
            aliases += count_aliases(&op.node.selection_set.node);
            let roots = count_fields(&op.node.selection_set.node, &doc, 0);
            if roots > self.max_root_fields {
                return Err(limit_error(
                    "LIMIT_EXCEEDED",
                    format!(
                        "Forespørgslen har {roots} felter på øverste niveau; højst {} er tilladt.",
                        self.max_root_fields
                    ),
                ));
            }
            if op.node.ty != OperationType::Query && ctx.data_opt::<ReadOnlyRequest>().is_some() {
                return Err(limit_error(
                    "METHOD_NOT_ALLOWED",
                    "Mutationer skal sendes med POST.".into(),
                ));
            }
        }
        if aliases > self.max_aliases {
            return Err(limit_error(
                "LIMIT_EXCEEDED",
                format!(
                    "Forespørgslen bruger {aliases} aliaser; højst {} er tilladt.",
                    self.max_aliases
                ),
            ));
        }
        Ok(doc)
    }
}
