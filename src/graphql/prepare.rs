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
//! **A bounded pool for new documents.** A document not in the cache is parsed and checked,
//! then validated and executed (async-graphql validates only inside `Schema::execute`), on
//! tokio's blocking threads, at most `validation_workers` jobs at once (a semaphore; the rest
//! wait, within the request's timeout). The limits bound that work (`limits.rs`, proven by
//! `tests/gate_bound.rs` with [`validating`], a schema that stops before execution); the pool
//! is the defence in depth: whatever a new document costs, the async workers stay free for
//! health checks, cached answers and known documents, and a request whose time is up is
//! answered while its work finishes behind it. A known document, validated before, runs on the
//! async workers as usual.
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
    /// Names this document for the texts kept of its objects (`direct::Rendered`): unique in
    /// the process, where an address could be reused once the document is dropped.
    pub serial: u64,
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
    /// A document not seen before: it is validated and executed on the pool, and kept (and
    /// registered as a persisted query) when it passes validation.
    fresh: Option<Fresh>,
}

struct Fresh {
    text: Arc<str>,
    /// Small enough to run on the async workers (`SMALL_NODES`).
    small: bool,
    /// The persisted-query hash to register the text under.
    register: Option<Arc<str>>,
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
/// and the extension that stops before execution. The proof of the gate's bound runs it.
pub fn validating(
    builder: async_graphql::SchemaBuilder<
        super::query::Query,
        super::mutation::Mutation,
        super::feed::Subscription,
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
    /// Permits to parse, validate and run a new document.
    pool: Arc<Semaphore>,
    /// How long a new document may wait for the pool and take there (the request timeout).
    wait: Duration,
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
    pub fn new(limits: Limits, workers: usize, wait: Duration) -> Gate {
        Gate {
            limits,
            persisted: cache(2048, PERSISTED_CACHE_BYTES, TextWeight),
            documents: cache(1024, DOCUMENT_CACHE_BYTES, DocWeight),
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
        let (text, register) = self.persisted_query(&mut request).map_err(one)?;
        self.limits
            .check_variables(&request.variables)
            .map_err(one)?;
        let (doc, fresh) = match self.documents.get(&*text) {
            Some(d) => (d, None),
            None => {
                let (doc, small) = self.parse(text.clone()).await.map_err(one)?;
                (
                    doc,
                    Some(Fresh {
                        text,
                        small,
                        register,
                    }),
                )
            }
        };
        let want = request.operation_name.clone();
        let want = want.as_deref();
        if read_only {
            refuse_mutation(&doc.doc, want).map_err(one)?;
        }
        if variables_have_nul(&request.variables) {
            return Err(vec![nul_refused()]);
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
        // R29: the request's copy of the document, with unprovided variables made absent.
        let mut parsed = doc.doc.clone();
        super::absent::strip(&mut parsed, &request.variables, want);
        request.set_parsed_query(parsed);
        Ok(Prepared {
            request,
            doc,
            operation_name,
            is_query: ty == Some(OperationType::Query),
            fresh,
        })
    }

    /// Executes a prepared request within the request timeout: a known document on the async
    /// workers, a new one on the pool (async-graphql validates it there, then runs it), where
    /// it is kept for next time when it passed validation.
    pub async fn execute(
        &self,
        schema: &super::AppSchema,
        request: Request,
        prepared: &Prepared,
    ) -> Response {
        let inline = |request| async move {
            match tokio::time::timeout(self.wait, schema.execute(request)).await {
                Ok(r) => r,
                Err(_) => Response::from_errors(vec![timed_out()]),
            }
        };
        let fresh = match &prepared.fresh {
            None => return inline(request).await,
            Some(f) => f,
        };
        let resp = if fresh.small {
            inline(request).await
        } else {
            let schema = schema.clone();
            // The deadline also holds inside the job: a write cut off by it is rolled back,
            // not finished after its client was told TIMEOUT.
            let deadline = tokio::time::Instant::now() + self.wait;
            let ran = self
                .on_pool(move |handle| {
                    handle.block_on(tokio::time::timeout_at(deadline, schema.execute(request)))
                })
                .await;
            match ran {
                Ok(Ok(r)) => r,
                Ok(Err(_)) => return Response::from_errors(vec![timed_out()]),
                Err(e) => return Response::from_errors(vec![e]),
            }
        };
        // Validation failed when nothing ran: no data, and errors that belong to no field.
        let invalid = matches!(resp.data, Value::Null)
            && !resp.errors.is_empty()
            && resp.errors.iter().all(|e| e.path.is_empty());
        if !invalid {
            self.documents
                .insert(fresh.text.clone(), prepared.doc.clone());
            if let Some(hash) = &fresh.register {
                self.persisted.insert(hash.clone(), fresh.text.clone());
            }
        }
        resp
    }

    /// Parses and checks a new document: a small text at once, a larger one on the pool.
    /// Whether it is small enough to run on the async workers too.
    async fn parse(&self, text: Arc<str>) -> ServerResult<(Arc<Checked>, bool)> {
        let limits = self.limits;
        let (doc, bytes, nodes) = if text.len() <= SMALL_TEXT {
            check_counted(&limits, &text)?
        } else {
            self.on_pool(move |_| check_counted(&limits, &text))
                .await??
        };
        static SERIAL: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(1);
        let checked = Arc::new(Checked {
            doc,
            bytes,
            plans: Mutex::default(),
            serial: SERIAL.fetch_add(1, std::sync::atomic::Ordering::Relaxed),
        });
        Ok((checked, nodes <= SMALL_NODES))
    }

    /// Runs `job` on a blocking thread once a permit of the pool is free, within the request
    /// timeout. The permit is held until the job is done, also when the request stopped waiting
    /// for it, so no more than `validation_workers` jobs ever run at once.
    async fn on_pool<T: Send + 'static>(
        &self,
        job: impl FnOnce(&tokio::runtime::Handle) -> T + Send + 'static,
    ) -> ServerResult<T> {
        let pool = self.pool.clone();
        let work = async move {
            let permit = pool.acquire_owned().await.map_err(|_| timed_out())?;
            let handle = tokio::runtime::Handle::current();
            tokio::task::spawn_blocking(move || {
                let _permit = permit;
                job(&handle)
            })
            .await
            .map_err(|_| limit_error("INTERNAL", "Der opstod en intern fejl.".into()))
        };
        match tokio::time::timeout(self.wait, work).await {
            Ok(r) => r,
            Err(_) => Err(timed_out()),
        }
    }

    /// Apollo's automatic persisted queries (`extensions.persistedQuery`): a hash alone is
    /// looked up, a hash with its document registers it once it passes validation. The
    /// document text to run, and the hash to register it under.
    fn persisted_query(&self, request: &mut Request) -> ServerResult<(Arc<str>, Option<Arc<str>>)> {
        let Some(value) = request.extensions.remove("persistedQuery") else {
            return Ok((Arc::from(std::mem::take(&mut request.query)), None));
        };
        let p = self.persisted_text(request, value)?;
        Ok((p.found, p.registers))
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
            registers: Some(Arc::from(actual)),
        })
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
    /// The hash to register `found` under.
    registers: Option<Arc<str>>,
}

/// The checks on a document's text and tree, before async-graphql's: the nesting of the text
/// (before any parser, which recurses), the parse, the limits on the tree and NUL characters.
/// The tree with the bytes it holds.
pub fn check(limits: &Limits, text: &str) -> ServerResult<(ExecutableDocument, usize)> {
    check_counted(limits, text).map(|(doc, bytes, _)| (doc, bytes))
}

/// [`check`], with the document's expanded nodes.
fn check_counted(limits: &Limits, text: &str) -> ServerResult<(ExecutableDocument, usize, usize)> {
    limits.check_text(text)?;
    let doc = async_graphql::parser::parse_query(text)?;
    let nodes = limits.check_document(&doc)?;
    if document_has_nul(&doc) {
        return Err(nul_refused());
    }
    let bytes = super::weight::document_bytes(&doc);
    Ok((doc, bytes, nodes))
}

/// A new document's text this short is parsed on the async worker, and one with this few
/// nodes is validated and run there, like a known one: that costs microseconds, less than a
/// trip to the pool, and a small query must not wait behind large new documents.
const SMALL_TEXT: usize = 1024;
const SMALL_NODES: usize = 200;

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

/// The request's time ran out: waiting for the pool, or running.
fn timed_out() -> ServerError {
    limit_error(
        "TIMEOUT",
        "Forespørgslen tog for lang tid og blev afbrudt.".into(),
    )
}

fn nul_refused() -> ServerError {
    limit_error(
        "VALIDATION",
        "Tekst må ikke indeholde NUL-tegn (\\u0000).".into(),
    )
}

impl Gate {
    /// A subscription's document (graphql-transport-ws, graphql-sse): the same checks as any
    /// new document, and the operation that runs must be a subscription (queries and mutations
    /// go to `/graphql`, with its cache, persisted queries and authentication). Subscription
    /// documents are small and rare, so they are checked on the calling thread.
    pub fn check_subscription(
        &self,
        text: &str,
        operation: Option<&str>,
        variables: &Variables,
    ) -> ServerResult<ExecutableDocument> {
        self.limits.check_variables(variables)?;
        let (mut doc, _) = check(&self.limits, text)?;
        super::absent::strip(&mut doc, variables, operation);
        let op = super::order::operation(&doc, operation).map(|op| op.ty);
        match op {
            Some(OperationType::Subscription) => Ok(doc),
            Some(_) => Err(limit_error(
                "OPERATION_NOT_SUPPORTED",
                "Her kan kun sendes en subscription; send forespørgsler og mutationer til /graphql.".into(),
            )),
            None => Err(limit_error(
                "VALIDATION",
                "operationName skal navngive en af dokumentets operationer.".into(),
            )),
        }
    }
}
