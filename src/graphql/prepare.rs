//! Everything that happens to a GraphQL request before async-graphql executes it: Apollo's
//! automatic persisted queries, the limits (`limits.rs`), the parsed-document cache, NUL
//! characters, missing variables and "no mutations over GET".
//!
//! **Why not async-graphql extensions.** With any extension registered, async-graphql resolves
//! *every field* through the extension chain: a `ResolveInfo` with two registry lookups and a
//! boxed future per extension, per field, per list item. In a 30-hit search that was the largest
//! single cost of the request. With no extension in the schema async-graphql takes its direct
//! path, so the work the extensions did is done here, once per request, and the response's key
//! order is restored afterwards from the plan kept with the document (`order.rs`).
//!
//! **Document cache.** Parsing (pest) and the limit checks cost more than executing a small
//! query from the read model; a public site sends the same few documents with different
//! variables. Documents that passed the checks are kept by their text (bounded in bytes,
//! `quick_cache`'s S3-FIFO), so a repeated document costs a hash lookup and a clone of its
//! syntax tree. A document that fails is not kept: refusing it again costs the same as before.
use super::limits::{document_has_nul, limit_error, missing_variable, variables_have_nul, Limits};
use super::order::Plan;
use async_graphql::parser::types::{DocumentOperations, ExecutableDocument, OperationType};
use async_graphql::{Request, ServerError, ServerResult, Value};
use quick_cache::sync::Cache;
use quick_cache::{OptionsBuilder, Weighter};
use sha2::{Digest, Sha256};
use std::collections::HashMap;
use std::sync::{Arc, Mutex};

/// A document that passed every check that depends on its text alone.
pub struct Checked {
    pub doc: ExecutableDocument,
    /// The response key order of each operation, built when first needed.
    plans: Mutex<HashMap<Option<String>, Arc<Plan>>>,
}

impl Checked {
    /// The key order of the operation that ran (`None`: the document's only one).
    pub fn plan(&self, operation: Option<&str>) -> Option<Arc<Plan>> {
        let key = operation.map(str::to_string);
        let mut plans = self.plans.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(p) = plans.get(&key) {
            return Some(p.clone());
        }
        let p = Arc::new(Plan::of(&self.doc, operation)?);
        plans.insert(key, p.clone());
        Some(p)
    }
}

/// A request ready for async-graphql (its parsed document set), with what the HTTP layer needs.
pub struct Prepared {
    pub request: Request,
    pub doc: Arc<Checked>,
    /// The name of the operation that runs, for the metrics.
    pub operation_name: Option<String>,
    /// The operation that runs is a query (the response cache stores nothing else).
    pub is_query: bool,
}

#[derive(Clone)]
struct TextWeight;

impl Weighter<Arc<str>, Arc<str>> for TextWeight {
    fn weight(&self, k: &Arc<str>, v: &Arc<str>) -> u64 {
        (k.len() + v.len()) as u64 + 64
    }
}

#[derive(Clone)]
struct DocWeight;

impl Weighter<Arc<str>, Arc<Checked>> for DocWeight {
    fn weight(&self, k: &Arc<str>, _: &Arc<Checked>) -> u64 {
        // A syntax tree takes several times its text.
        (k.len() as u64) * 8 + 256
    }
}

/// The checks and caches in front of the schema (one per service instance).
pub struct Gate {
    limits: Limits,
    /// Persisted-query hash (hex SHA-256) → document text.
    persisted: Cache<Arc<str>, Arc<str>, TextWeight>,
    documents: Cache<Arc<str>, Arc<Checked>, DocWeight>,
}

fn cache<V: Clone, W: Weighter<Arc<str>, V> + Clone>(
    items: usize,
    bytes: u64,
    w: W,
) -> Cache<Arc<str>, V, W> {
    let opts = OptionsBuilder::new()
        .estimated_items_capacity(items)
        .weight_capacity(bytes)
        .build();
    match opts {
        Ok(o) => Cache::with_options(o, w, Default::default(), Default::default()),
        // The options above are constants and always valid; this keeps a working cache anyway.
        Err(_) => Cache::with_weighter(items, bytes, w),
    }
}

impl Gate {
    pub fn new(limits: Limits) -> Gate {
        Gate {
            limits,
            persisted: cache(2048, 8 << 20, TextWeight),
            documents: cache(1024, 16 << 20, DocWeight),
        }
    }

    /// Checks the request and gives it its parsed document. `read_only`: it came over GET, so
    /// the operation that runs must be a query (also when it arrives as a persisted-query hash).
    pub fn prepare(&self, mut request: Request, read_only: bool) -> ServerResult<Prepared> {
        let text = self.persisted_query(&mut request)?;
        self.limits.check_variables(&request.variables)?;
        let doc = self.document(text)?;
        if variables_have_nul(&request.variables) {
            return Err(nul_refused());
        }
        let want = request.operation_name.as_deref();
        if let Some(e) = missing_variable(&doc.doc, &request.variables, want) {
            return Err(e);
        }
        // The operation async-graphql will run; anything else fails before it runs.
        let ty = super::order::operation(&doc.doc, want).map(|op| op.ty);
        if read_only {
            let mutation = match &doc.doc.operations {
                DocumentOperations::Single(op) => op.node.ty != OperationType::Query,
                DocumentOperations::Multiple(ops) => ops.iter().any(|(name, op)| {
                    want.is_none_or(|w| w == name.as_str()) && op.node.ty != OperationType::Query
                }),
            };
            if mutation {
                return Err(limit_error(
                    "METHOD_NOT_ALLOWED",
                    "Mutationer skal sendes med POST.".into(),
                ));
            }
        }
        let mut names = doc
            .doc
            .operations
            .iter()
            .filter_map(|(n, _)| n.map(|n| n.to_string()));
        let operation_name = match (names.next(), names.next()) {
            (Some(n), None) => Some(n),
            _ => None,
        };
        request.set_parsed_query(doc.doc.clone());
        Ok(Prepared {
            request,
            doc,
            operation_name,
            is_query: ty == Some(OperationType::Query),
        })
    }

    /// Apollo's automatic persisted queries (`extensions.persistedQuery`): a hash alone is
    /// looked up, a hash with its document registers it. The document text to run.
    fn persisted_query(&self, request: &mut Request) -> ServerResult<Arc<str>> {
        let Some(value) = request.extensions.remove("persistedQuery") else {
            return Ok(Arc::from(std::mem::take(&mut request.query)));
        };
        let invalid =
            || ServerError::new("Invalid \"PersistedQuery\" extension configuration.", None);
        let Value::Object(o) = value else {
            return Err(invalid());
        };
        let version = match o.get("version") {
            Some(Value::Number(n)) => n.as_i64().ok_or_else(invalid)?,
            _ => return Err(invalid()),
        };
        let Some(Value::String(hash)) = o.get("sha256Hash") else {
            return Err(invalid());
        };
        if version != 1 {
            return Err(ServerError::new(
                format!(
                    "Only the \"PersistedQuery\" extension of version \"1\" is supported, and the current version is \"{version}\"."
                ),
                None,
            ));
        }
        if request.query.is_empty() {
            return self
                .persisted
                .get(hash.as_str())
                .ok_or_else(|| ServerError::new("PersistedQueryNotFound", None));
        }
        let actual = format!("{:x}", Sha256::digest(request.query.as_bytes()));
        if *hash != actual {
            return Err(ServerError::new("provided sha does not match query", None));
        }
        let text: Arc<str> = Arc::from(std::mem::take(&mut request.query));
        // Only documents that pass the checks are registered.
        self.document(text.clone())?;
        self.persisted.insert(Arc::from(actual), text.clone());
        Ok(text)
    }

    /// The checked document of a text, from the cache or parsed and checked now.
    fn document(&self, text: Arc<str>) -> ServerResult<Arc<Checked>> {
        if let Some(d) = self.documents.get(&*text) {
            return Ok(d);
        }
        // Before any parser: the nesting of the text (the parser recurses).
        self.limits.check_text(&text)?;
        let doc = async_graphql::parser::parse_query(&*text)?;
        self.limits.check_document(&doc)?;
        if document_has_nul(&doc) {
            return Err(nul_refused());
        }
        let checked = Arc::new(Checked {
            doc,
            plans: Mutex::default(),
        });
        self.documents.insert(text, checked.clone());
        Ok(checked)
    }
}

fn nul_refused() -> ServerError {
    limit_error(
        "VALIDATION",
        "Tekst må ikke indeholde NUL-tegn (\\u0000).".into(),
    )
}
