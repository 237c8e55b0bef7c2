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
//! Only documents that also passed async-graphql's validation are kept, weighed by the bytes
//! their syntax tree really holds (`weight.rs`).
//!
//! **A bounded pool for new documents.** A document not in the cache is parsed, checked and
//! validated on tokio's blocking threads, at most `validation_workers` at once (a semaphore;
//! the rest wait, within the request's timeout). The limits bound that work (`limits.rs`,
//! proven by `tests/gate_bound.rs`); the pool is the defence in depth: whatever a document
//! costs, the async workers stay free for health checks, cached answers and known documents,
//! and a request whose time is up is answered while its validation finishes behind it.
//! Validation needs async-graphql's own rules, which it runs only inside `Schema::execute`:
//! the pool runs a second schema whose one extension stops every request before execution.
use super::limits::{document_has_nul, limit_error, missing_variable, variables_have_nul, Limits};
use super::order::Plan;
use async_graphql::extensions::{Extension, ExtensionContext, ExtensionFactory, NextExecute};
use async_graphql::parser::types::{DocumentOperations, ExecutableDocument, OperationType};
use async_graphql::{Request, Response, ServerError, ServerResult, Value, Variables};
use quick_cache::sync::Cache;
use quick_cache::{OptionsBuilder, Weighter};
use sha2::{Digest, Sha256};
use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::sync::Semaphore;

/// A document that passed every check that depends on its text alone.
pub struct Checked {
    pub doc: ExecutableDocument,
    /// The heap bytes of `doc` (what the cache weighs).
    bytes: usize,
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
    fn weight(&self, k: &Arc<str>, v: &Arc<Checked>) -> u64 {
        // The key's text, the entry and the tree's own allocations (measured when inserted).
        (k.len() + v.bytes + std::mem::size_of::<Checked>() + 64) as u64
    }
}

/// The extension of the validating schema: every request stops after validation, before
/// anything executes (so a mutation sent to it changes nothing).
struct StopBeforeExecution;

impl ExtensionFactory for StopBeforeExecution {
    fn create(&self) -> Arc<dyn Extension> {
        Arc::new(StopBeforeExecution)
    }
}

#[async_trait::async_trait]
impl Extension for StopBeforeExecution {
    async fn execute(
        &self,
        _ctx: &ExtensionContext<'_>,
        _operation_name: Option<&str>,
        _next: NextExecute<'_>,
    ) -> Response {
        Response::new(Value::Null)
    }
}

/// The schema's validation alone: the schema (built like the served one, with the same limits)
/// and the extension that stops before execution.
pub fn validating(
    builder: async_graphql::SchemaBuilder<
        super::query::Query,
        super::mutation::Mutation,
        async_graphql::EmptySubscription,
    >,
) -> super::AppSchema {
    builder.extension(StopBeforeExecution).finish()
}

/// The checks and caches in front of the schema (one per service instance).
pub struct Gate {
    limits: Limits,
    /// Persisted-query hash (hex SHA-256) → document text.
    persisted: Cache<Arc<str>, Arc<str>, TextWeight>,
    documents: Cache<Arc<str>, Arc<Checked>, DocWeight>,
    /// Validates new documents (see the module's doc).
    validator: super::AppSchema,
    /// Permits to parse and validate a new document.
    pool: Arc<Semaphore>,
    /// How long a new document may wait for the pool and take there (the request timeout).
    wait: Duration,
}

/// What the pool found about a new document: its tree (when it parses and passes the
/// limits) and the errors of async-graphql's validation for this request.
struct Examined {
    doc: ExecutableDocument,
    bytes: usize,
    invalid: Vec<ServerError>,
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

/// The bytes the parsed-document cache may hold (trees, texts, entries).
pub const DOCUMENT_CACHE_BYTES: u64 = 16 << 20;
/// The bytes the persisted-query cache may hold (hashes and texts).
pub const PERSISTED_CACHE_BYTES: u64 = 8 << 20;

impl Gate {
    pub fn new(
        limits: Limits,
        validator: super::AppSchema,
        workers: usize,
        wait: Duration,
    ) -> Gate {
        Gate {
            limits,
            persisted: cache(2048, PERSISTED_CACHE_BYTES, TextWeight),
            documents: cache(1024, DOCUMENT_CACHE_BYTES, DocWeight),
            validator,
            pool: Arc::new(Semaphore::new(workers.max(1))),
            wait,
        }
    }

    /// Checks the request and gives it its parsed document. `read_only`: it came over GET, so
    /// the operation that runs must be a query (also when it arrives as a persisted-query hash).
    pub async fn prepare(
        &self,
        mut request: Request,
        read_only: bool,
    ) -> Result<Prepared, Vec<ServerError>> {
        let text = self.persisted_query(&mut request).await?;
        self.limits
            .check_variables(&request.variables)
            .map_err(one)?;
        let want = request.operation_name.clone();
        let (doc, invalid) = self
            .document(text, &request.variables, want.as_deref())
            .await?;
        let want = want.as_deref();
        if read_only {
            refuse_mutation(&doc.doc, want).map_err(one)?;
        }
        if variables_have_nul(&request.variables) {
            return Err(vec![nul_refused()]);
        }
        if !invalid.is_empty() {
            return Err(invalid);
        }
        if let Some(e) = missing_variable(&doc.doc, &request.variables, want) {
            return Err(vec![e]);
        }
        // The operation async-graphql will run; anything else fails before it runs.
        let ty = super::order::operation(&doc.doc, want).map(|op| op.ty);
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
    async fn persisted_query(&self, request: &mut Request) -> Result<Arc<str>, Vec<ServerError>> {
        let Some(value) = request.extensions.remove("persistedQuery") else {
            return Ok(Arc::from(std::mem::take(&mut request.query)));
        };
        let text = self.persisted_text(request, value).map_err(one)?;
        if let Some(text) = text.registers {
            // Only documents that pass the checks and validation are registered.
            let (_, invalid) = self
                .document(
                    text.text.clone(),
                    &request.variables,
                    request.operation_name.as_deref(),
                )
                .await?;
            if !invalid.is_empty() {
                return Err(invalid);
            }
            self.persisted.insert(text.hash, text.text.clone());
            return Ok(text.text);
        }
        Ok(text.found)
    }

    /// The text a persisted-query extension names: found by its hash, or sent with it to be
    /// registered once it passes.
    fn persisted_text(&self, request: &mut Request, value: Value) -> ServerResult<Persisted> {
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
            let found = self
                .persisted
                .get(hash.as_str())
                .ok_or_else(|| ServerError::new("PersistedQueryNotFound", None))?;
            return Ok(Persisted {
                found,
                registers: None,
            });
        }
        let actual = format!("{:x}", Sha256::digest(request.query.as_bytes()));
        if *hash != actual {
            return Err(ServerError::new("provided sha does not match query", None));
        }
        let text: Arc<str> = Arc::from(std::mem::take(&mut request.query));
        Ok(Persisted {
            found: text.clone(),
            registers: Some(Register {
                hash: Arc::from(actual),
                text,
            }),
        })
    }

    /// The checked document of a text, from the cache, or parsed, checked and validated on the
    /// pool now; with the errors of async-graphql's validation for this request (a document
    /// that has them is not kept).
    async fn document(
        &self,
        text: Arc<str>,
        variables: &Variables,
        operation: Option<&str>,
    ) -> Result<(Arc<Checked>, Vec<ServerError>), Vec<ServerError>> {
        if let Some(d) = self.documents.get(&*text) {
            return Ok((d, Vec::new()));
        }
        let work = {
            let limits = self.limits;
            let validator = self.validator.clone();
            let text = text.clone();
            let mut request = Request::new("").variables(variables.clone());
            if let Some(o) = operation {
                request = request.operation_name(o);
            }
            let pool = self.pool.clone();
            async move {
                let permit = pool.acquire_owned().await.map_err(|_| busy())?;
                let handle = tokio::runtime::Handle::current();
                let job = tokio::task::spawn_blocking(move || {
                    // Held until the work is done, also when the request stopped waiting.
                    let _permit = permit;
                    examine(&limits, &validator, &text, request, &handle)
                });
                job.await
                    .map_err(|_| limit_error("INTERNAL", "Der opstod en intern fejl.".into()))?
            }
        };
        let examined = match tokio::time::timeout(self.wait, work).await {
            Ok(r) => r.map_err(one)?,
            Err(_) => return Err(vec![busy()]),
        };
        let Examined {
            doc,
            bytes,
            invalid,
        } = examined;
        let checked = Arc::new(Checked {
            doc,
            bytes,
            plans: Mutex::default(),
        });
        if invalid.is_empty() {
            self.documents.insert(text, checked.clone());
        }
        Ok((checked, invalid))
    }

    /// The limits of the gate (for the benchmarks and tests that drive the checks directly).
    pub fn limits(&self) -> &Limits {
        &self.limits
    }

    /// The bytes the parsed-document and persisted-query caches hold (for `/metrics`).
    pub fn bytes(&self) -> (u64, u64) {
        (self.documents.weight(), self.persisted.weight())
    }
}

/// A persisted-query extension: the text it names, and the hash to register it under once it
/// passes (when the request sent the text).
struct Persisted {
    found: Arc<str>,
    registers: Option<Register>,
}

struct Register {
    hash: Arc<str>,
    text: Arc<str>,
}

/// Parses, checks and validates a new document: on the pool (a blocking thread), and in the
/// tests that prove the work bounded. Validation errors are returned with the tree.
fn examine(
    limits: &Limits,
    validator: &super::AppSchema,
    text: &str,
    mut request: Request,
    handle: &tokio::runtime::Handle,
) -> ServerResult<Examined> {
    let (doc, bytes) = check(limits, text)?;
    request.set_parsed_query(doc.clone());
    // Nothing here awaits anything but CPU work: the validating schema executes nothing.
    let resp = handle.block_on(validator.execute(request));
    Ok(Examined {
        doc,
        bytes,
        invalid: resp.errors,
    })
}

/// The checks on a document's text and tree, before async-graphql's: the nesting of the text
/// (before any parser, which recurses), the parse, the limits on the tree and NUL characters.
/// The tree with the bytes it holds.
pub fn check(limits: &Limits, text: &str) -> ServerResult<(ExecutableDocument, usize)> {
    limits.check_text(text)?;
    let doc = async_graphql::parser::parse_query(text)?;
    limits.check_document(&doc)?;
    if document_has_nul(&doc) {
        return Err(nul_refused());
    }
    let bytes = super::weight::document_bytes(&doc);
    Ok((doc, bytes))
}

/// The errors of async-graphql's validation (and of its checks before it) of a document that
/// passed [`check`], for this request; run on the calling thread. For the tests that prove
/// the gate's bound.
pub async fn validate(
    validator: &super::AppSchema,
    doc: ExecutableDocument,
    variables: Variables,
) -> Vec<ServerError> {
    let mut request = Request::new("").variables(variables);
    request.set_parsed_query(doc);
    validator.execute(request).await.errors
}

/// GET: the operation that runs must be a query.
fn refuse_mutation(doc: &ExecutableDocument, want: Option<&str>) -> ServerResult<()> {
    let mutation = match &doc.operations {
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
    Ok(())
}

fn one(e: ServerError) -> Vec<ServerError> {
    vec![e]
}

/// No permit within the request's time: the pool is busy with other new documents.
fn busy() -> ServerError {
    limit_error(
        "TIMEOUT",
        "Tjenesten har travlt med at kontrollere andre forespørgsler; prøv igen om lidt.".into(),
    )
}

fn nul_refused() -> ServerError {
    limit_error(
        "VALIDATION",
        "Tekst må ikke indeholde NUL-tegn (\\u0000).".into(),
    )
}
