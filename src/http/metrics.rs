//! `/metrics` in the Prometheus text format: GraphQL requests by operation and outcome, latency
//! histograms, HTTP responses by path and status, rate limit refusals, response cache lookups
//! and size, database pool state and lock counts.
use super::rate_limit::Kind;
use super::response_cache::{Lookup, ResponseCache};
use crate::app::AppState;
use std::collections::BTreeMap;
use std::fmt::Write;
use std::sync::Mutex;

const BUCKETS: [f64; 12] = [
    0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 10.0,
];
const MAX_OPERATIONS: usize = 200;

#[derive(Default)]
struct Histogram {
    counts: [u64; BUCKETS.len()],
    sum: f64,
    count: u64,
}

#[derive(Default)]
struct Inner {
    requests: BTreeMap<(String, String), u64>,
    latency: BTreeMap<String, Histogram>,
    http: BTreeMap<(String, u16), u64>,
    /// Requests refused by the rate limits: anonymous, authenticated.
    rate_limited: [u64; 2],
    /// Response cache lookups: hit, miss, not_modified.
    response_cache: [u64; 3],
}

const LOOKUPS: [(Lookup, &str); 3] = [
    (Lookup::Hit, "hit"),
    (Lookup::Miss, "miss"),
    (Lookup::NotModified, "not_modified"),
];

#[derive(Default)]
pub struct Metrics(Mutex<Inner>);

/// Operation names come from clients: keep them short and harmless, and their number bounded.
fn label(op: Option<&str>, known: &BTreeMap<String, Histogram>) -> String {
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
    if known.contains_key(&name) || known.len() < MAX_OPERATIONS {
        name
    } else {
        "other".to_string()
    }
}

impl Metrics {
    pub fn graphql(&self, operation: Option<&str>, outcome: &str, seconds: f64) {
        let mut m = self.0.lock().unwrap_or_else(|e| e.into_inner());
        let op = label(operation, &m.latency);
        *m.requests
            .entry((op.clone(), outcome.to_string()))
            .or_default() += 1;
        let h = m.latency.entry(op).or_default();
        for (i, b) in BUCKETS.iter().enumerate() {
            if seconds <= *b {
                h.counts[i] += 1;
            }
        }
        h.sum += seconds;
        h.count += 1;
    }

    pub fn http(&self, path: &str, status: u16) {
        let path = match path {
            "/graphql" | "/" | "/healthz" | "/readyz" | "/metrics" => path,
            _ => "other",
        };
        let mut m = self.0.lock().unwrap_or_else(|e| e.into_inner());
        *m.http.entry((path.to_string(), status)).or_default() += 1;
    }

    /// A request refused by the rate limits.
    pub(crate) fn rate_limited(&self, kind: Kind) {
        let mut m = self.0.lock().unwrap_or_else(|e| e.into_inner());
        m.rate_limited[usize::from(kind == Kind::Authenticated)] += 1;
    }

    /// A lookup in the response cache.
    pub(crate) fn response_cache(&self, result: Lookup) {
        let mut m = self.0.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(i) = LOOKUPS.iter().position(|(l, _)| *l == result) {
            m.response_cache[i] += 1;
        }
    }

    /// `caches`: the other caches' names and the bytes they hold.
    pub(crate) async fn render(
        &self,
        st: &AppState,
        cache: Option<&ResponseCache>,
        caches: &[(&str, u64)],
    ) -> String {
        let mut out = String::new();
        {
            let m = self.0.lock().unwrap_or_else(|e| e.into_inner());
            out.push_str("# HELP plejeoverblik_graphql_requests_total GraphQL operations by operation name and outcome (ok or error code).\n# TYPE plejeoverblik_graphql_requests_total counter\n");
            for ((op, outcome), n) in &m.requests {
                let _ = writeln!(out, "plejeoverblik_graphql_requests_total{{operation=\"{op}\",outcome=\"{outcome}\"}} {n}");
            }
            out.push_str("# HELP plejeoverblik_graphql_duration_seconds GraphQL operation latency.\n# TYPE plejeoverblik_graphql_duration_seconds histogram\n");
            for (op, h) in &m.latency {
                for (i, b) in BUCKETS.iter().enumerate() {
                    let _ = writeln!(out, "plejeoverblik_graphql_duration_seconds_bucket{{operation=\"{op}\",le=\"{b}\"}} {}", h.counts[i]);
                }
                let _ = writeln!(out, "plejeoverblik_graphql_duration_seconds_bucket{{operation=\"{op}\",le=\"+Inf\"}} {}", h.count);
                let _ = writeln!(
                    out,
                    "plejeoverblik_graphql_duration_seconds_sum{{operation=\"{op}\"}} {}",
                    h.sum
                );
                let _ = writeln!(
                    out,
                    "plejeoverblik_graphql_duration_seconds_count{{operation=\"{op}\"}} {}",
                    h.count
                );
            }
            out.push_str("# HELP plejeoverblik_http_responses_total HTTP responses by path and status.\n# TYPE plejeoverblik_http_responses_total counter\n");
            for ((path, status), n) in &m.http {
                let _ = writeln!(
                    out,
                    "plejeoverblik_http_responses_total{{path=\"{path}\",status=\"{status}\"}} {n}"
                );
            }
            out.push_str("# HELP plejeoverblik_rate_limited_total Requests refused by the rate limits (429), by the kind of client.\n# TYPE plejeoverblik_rate_limited_total counter\n");
            for (kind, n) in [Kind::Anonymous, Kind::Authenticated]
                .iter()
                .zip(m.rate_limited)
            {
                let _ = writeln!(
                    out,
                    "plejeoverblik_rate_limited_total{{kind=\"{}\"}} {n}",
                    kind.label()
                );
            }
            out.push_str("# HELP plejeoverblik_response_cache_total Response cache lookups of anonymous queries: hit (answered from the cache), not_modified (304 from the cache), miss.\n# TYPE plejeoverblik_response_cache_total counter\n");
            for ((_, label), n) in LOOKUPS.iter().zip(m.response_cache) {
                let _ = writeln!(
                    out,
                    "plejeoverblik_response_cache_total{{result=\"{label}\"}} {n}"
                );
            }
        }
        let (bytes, entries) = cache.map_or((0, 0), |c| (c.bytes(), c.len()));
        out.push_str("# HELP plejeoverblik_response_cache_bytes Bytes held by the response cache (answers, their compressed variants and keys).\n# TYPE plejeoverblik_response_cache_bytes gauge\n");
        let _ = writeln!(out, "plejeoverblik_response_cache_bytes {bytes}");
        out.push_str("# HELP plejeoverblik_response_cache_entries Answers held by the response cache.\n# TYPE plejeoverblik_response_cache_entries gauge\n");
        let _ = writeln!(out, "plejeoverblik_response_cache_entries {entries}");
        out.push_str("# HELP plejeoverblik_cache_bytes Bytes held by the other bounded caches: parsed documents, persisted queries, open-data files.\n# TYPE plejeoverblik_cache_bytes gauge\n");
        for (name, bytes) in caches {
            let _ = writeln!(out, "plejeoverblik_cache_bytes{{cache=\"{name}\"}} {bytes}");
        }
        let (size, idle) = crate::store::pool_state(&st.db);
        out.push_str("# HELP plejeoverblik_db_pool_connections Database pool connections.\n# TYPE plejeoverblik_db_pool_connections gauge\n");
        let _ = writeln!(
            out,
            "plejeoverblik_db_pool_connections{{state=\"open\"}} {size}"
        );
        let _ = writeln!(
            out,
            "plejeoverblik_db_pool_connections{{state=\"idle\"}} {idle}"
        );
        out.push_str("# HELP plejeoverblik_db_statements_total SQL statements run.\n# TYPE plejeoverblik_db_statements_total counter\n");
        let _ = writeln!(
            out,
            "plejeoverblik_db_statements_total {}",
            st.statements.get()
        );
        let up = crate::store::ping(&st.db).await;
        out.push_str("# HELP plejeoverblik_db_up Whether the database answers.\n# TYPE plejeoverblik_db_up gauge\n");
        let _ = writeln!(out, "plejeoverblik_db_up {}", u8::from(up));
        if up {
            if let Ok(n) =
                crate::store::serviceleverance::active_locks(&st.db, st.clock.now()).await
            {
                out.push_str("# HELP plejeoverblik_locks_active Serviceleverancer locked for editing now.\n# TYPE plejeoverblik_locks_active gauge\n");
                let _ = writeln!(out, "plejeoverblik_locks_active {n}");
            }
        }
        out
    }
}
