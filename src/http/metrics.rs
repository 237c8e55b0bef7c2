//! `/metrics` for Prometheus: GraphQL requests by operation and outcome, latency histograms,
//! HTTP responses by path and status, rate limit refusals, response cache lookups and size,
//! database pool state and lock counts. Kept in a `prometheus-client` registry per instance
//! (the Prometheus project's client: its text encoder writes the OpenMetrics format, which
//! Prometheus reads) instead of a text format written by hand; the names are as before.
use super::rate_limit::Kind;
use super::response_cache::{Lookup, ResponseCache};
use crate::app::AppState;
use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::Histogram;
use prometheus_client::registry::Registry;
use std::collections::HashSet;
use std::sync::atomic::Ordering;
use std::sync::Mutex;

/// The content type of what `render` gives.
pub const CONTENT_TYPE: &str = "application/openmetrics-text; version=1.0.0; charset=utf-8";

const BUCKETS: [f64; 12] = [
    0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 10.0,
];
const MAX_OPERATIONS: usize = 200;

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct OperationOutcome {
    operation: String,
    outcome: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct Operation {
    operation: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct PathStatus {
    path: String,
    status: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct ClientKind {
    kind: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct Outcome {
    result: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct CacheName {
    cache: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct PoolState {
    state: String,
}

const LOOKUPS: [(Lookup, &str); 3] = [
    (Lookup::Hit, "hit"),
    (Lookup::Miss, "miss"),
    (Lookup::NotModified, "not_modified"),
];

fn latency_histogram() -> Histogram {
    Histogram::new(BUCKETS)
}

/// Values the HTTP layer reads for a scrape.
pub struct Now {
    pub subscriptions_open: u64,
    pub change_feed_head: u64,
}

pub struct Metrics {
    registry: Registry,
    requests: Family<OperationOutcome, Counter>,
    latency: Family<Operation, Histogram, fn() -> Histogram>,
    http: Family<PathStatus, Counter>,
    rate_limited: Family<ClientKind, Counter>,
    response_cache: Family<Outcome, Counter>,
    response_cache_bytes: Gauge,
    response_cache_entries: Gauge,
    cache_bytes: Family<CacheName, Gauge>,
    pool: Family<PoolState, Gauge>,
    statements: Counter,
    db_up: Gauge,
    locks_active: Gauge,
    subscriptions_open: Gauge,
    change_feed_head: Gauge,
    /// The operation names seen, bounded (`label`).
    operations: Mutex<HashSet<String>>,
}

impl Default for Metrics {
    fn default() -> Self {
        let mut r = Registry::default();
        let m = Metrics {
            requests: Family::default(),
            latency: Family::new_with_constructor(latency_histogram as fn() -> Histogram),
            http: Family::default(),
            rate_limited: Family::default(),
            response_cache: Family::default(),
            response_cache_bytes: Gauge::default(),
            response_cache_entries: Gauge::default(),
            cache_bytes: Family::default(),
            pool: Family::default(),
            statements: Counter::default(),
            db_up: Gauge::default(),
            locks_active: Gauge::default(),
            subscriptions_open: Gauge::default(),
            change_feed_head: Gauge::default(),
            operations: Mutex::default(),
            registry: Registry::default(),
        };
        // Counters are registered without `_total`: the encoder adds it.
        r.register(
            "plejeoverblik_graphql_requests",
            "GraphQL operations by operation name and outcome (ok or error code)",
            m.requests.clone(),
        );
        r.register(
            "plejeoverblik_graphql_duration_seconds",
            "GraphQL operation latency",
            m.latency.clone(),
        );
        r.register(
            "plejeoverblik_http_responses",
            "HTTP responses by path and status",
            m.http.clone(),
        );
        r.register(
            "plejeoverblik_rate_limited",
            "Requests refused by the rate limits (429), by the kind of client",
            m.rate_limited.clone(),
        );
        r.register(
            "plejeoverblik_response_cache",
            "Response cache lookups of anonymous queries: hit (answered from the cache), not_modified (304 from the cache), miss",
            m.response_cache.clone(),
        );
        r.register(
            "plejeoverblik_response_cache_bytes",
            "Bytes held by the response cache (answers, their compressed variants and keys)",
            m.response_cache_bytes.clone(),
        );
        r.register(
            "plejeoverblik_response_cache_entries",
            "Answers held by the response cache",
            m.response_cache_entries.clone(),
        );
        r.register(
            "plejeoverblik_cache_bytes",
            "Bytes held by the other bounded caches: parsed documents, persisted queries, open-data files, rendered search hits",
            m.cache_bytes.clone(),
        );
        r.register(
            "plejeoverblik_db_pool_connections",
            "Database pool connections",
            m.pool.clone(),
        );
        r.register(
            "plejeoverblik_db_statements",
            "SQL statements run",
            m.statements.clone(),
        );
        r.register(
            "plejeoverblik_db_up",
            "Whether the database answers",
            m.db_up.clone(),
        );
        r.register(
            "plejeoverblik_locks_active",
            "Serviceleverancer locked for editing now",
            m.locks_active.clone(),
        );
        r.register(
            "plejeoverblik_subscriptions_open",
            "Open subscriptions (WebSocket and SSE)",
            m.subscriptions_open.clone(),
        );
        r.register(
            "plejeoverblik_change_feed_head",
            "The last change-log sequence number fanned out",
            m.change_feed_head.clone(),
        );
        // Every series known from the start, as before: a dashboard sees zeros, not gaps.
        for kind in [Kind::Anonymous, Kind::Authenticated] {
            m.rate_limited
                .get_or_create(&ClientKind {
                    kind: kind.label().to_string(),
                })
                .inc_by(0);
        }
        for (_, result) in LOOKUPS {
            m.response_cache
                .get_or_create(&Outcome {
                    result: result.to_string(),
                })
                .inc_by(0);
        }
        Metrics { registry: r, ..m }
    }
}

impl Metrics {
    /// Operation names come from clients: keep them short and harmless, and their number bounded.
    fn label(&self, op: Option<&str>) -> String {
        let name: String = op
            .unwrap_or("")
            .chars()
            .filter(|c| c.is_ascii_alphanumeric() || *c == '_')
            .take(64)
            .collect();
        let name = if name.is_empty() {
            "anonymous".to_string()
        } else {
            name
        };
        let mut known = self.operations.lock().unwrap_or_else(|e| e.into_inner());
        if known.contains(&name) {
            name
        } else if known.len() < MAX_OPERATIONS {
            known.insert(name.clone());
            name
        } else {
            "other".to_string()
        }
    }

    pub fn graphql(&self, operation: Option<&str>, outcome: &str, seconds: f64) {
        let operation = self.label(operation);
        self.requests
            .get_or_create(&OperationOutcome {
                operation: operation.clone(),
                outcome: outcome.to_string(),
            })
            .inc();
        self.latency
            .get_or_create(&Operation { operation })
            .observe(seconds);
    }

    pub fn http(&self, path: &str, status: u16) {
        let path = match path {
            "/graphql" | "/" | "/healthz" | "/readyz" | "/metrics" => path,
            _ => "other",
        };
        self.http
            .get_or_create(&PathStatus {
                path: path.to_string(),
                status: status.to_string(),
            })
            .inc();
    }

    /// A request refused by the rate limits.
    pub(crate) fn rate_limited(&self, kind: Kind) {
        self.rate_limited
            .get_or_create(&ClientKind {
                kind: kind.label().to_string(),
            })
            .inc();
    }

    /// A lookup in the response cache.
    pub(crate) fn response_cache(&self, result: Lookup) {
        if let Some((_, label)) = LOOKUPS.iter().find(|(l, _)| *l == result) {
            self.response_cache
                .get_or_create(&Outcome {
                    result: label.to_string(),
                })
                .inc();
        }
    }

    /// `caches`: the other caches' names and the bytes they hold. The gauges are read now.
    pub(crate) async fn render(
        &self,
        st: &AppState,
        cache: Option<&ResponseCache>,
        caches: &[(&str, u64)],
        now: Now,
    ) -> String {
        let gauge = |n: u64| i64::try_from(n).unwrap_or(i64::MAX);
        self.subscriptions_open.set(gauge(now.subscriptions_open));
        self.change_feed_head.set(gauge(now.change_feed_head));
        let (bytes, entries) = cache.map_or((0, 0), |c| (c.bytes(), c.len()));
        self.response_cache_bytes.set(gauge(bytes));
        self.response_cache_entries.set(gauge(entries as u64));
        for (name, bytes) in caches {
            self.cache_bytes
                .get_or_create(&CacheName {
                    cache: (*name).to_string(),
                })
                .set(gauge(*bytes));
        }
        let (size, idle) = crate::store::pool_state(&st.db);
        for (state, n) in [("open", u64::from(size)), ("idle", idle as u64)] {
            self.pool
                .get_or_create(&PoolState {
                    state: state.to_string(),
                })
                .set(gauge(n));
        }
        self.statements
            .inner()
            .store(st.statements.get(), Ordering::Relaxed);
        let up = crate::store::ping(&st.db).await;
        self.db_up.set(i64::from(up));
        if up {
            if let Ok(n) =
                crate::store::serviceleverance::active_locks(&st.db, st.clock.now()).await
            {
                self.locks_active.set(gauge(n));
            }
        }
        let mut out = String::new();
        if prometheus_client::encoding::text::encode(&mut out, &self.registry).is_err() {
            tracing::error!("metrics: encoding failed");
        }
        out
    }
}
