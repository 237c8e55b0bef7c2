//! The response cache (issue #10): the final bytes of successful anonymous queries, so that a
//! hot question (the kommuner list, a popular search) is answered without executing anything,
//! and a matching `If-None-Match` gets its 304 before anything runs.
//!
//! **Key.** The document (or, for a persisted query, its SHA-256 hash, which async-graphql has
//! checked against the document), the operation name, the variables as canonical JSON, the
//! response media type, the day in Copenhagen (answers depend on what is active today) and the
//! data version (`ChangeFeed::version`, which every committed write increments).
//!
//! **Invalidation.** An entry is only ever found under the version it was made for. The version
//! is read before executing, so an answer computed while a write commits is filed under the old
//! version and never served after it (R12: no stale answer after a save). When a request sees a
//! newer version than the cache has seen, everything is dropped at once.
//!
//! **Bound.** The entries' bytes (body, compressed variants, key and a fixed overhead per
//! entry) are bounded by `--response-cache-bytes` with `quick_cache`'s weigher (S3-FIFO
//! eviction). The cache is sharded; an answer larger than one shard's share of the bound is not
//! kept at all.
//!
//! **Who.** Only anonymous requests (no `Authorization` header) read or write it; only
//! `query` operations without errors are stored.
use bytes::Bytes;
use chrono::NaiveDate;
use quick_cache::sync::Cache;
use quick_cache::{OptionsBuilder, Weighter};
use serde_json::Value;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

/// Bytes counted per entry beyond its key and bodies (the map slot, the `Arc`, the header).
const ENTRY_OVERHEAD: u64 = 256;
/// Answers smaller than this are kept without compressed variants (the compression layer
/// compresses them on the way out if the client wants it; it is cheap at that size).
const COMPRESS_MIN: usize = 1024;
/// The average entry assumed for sizing the cache's shards.
const TYPICAL_ENTRY: u64 = 8 * 1024;
/// Brotli's quality for the kept variants: made once per entry and data version, so a little
/// better than the compression layer's 4 pays off.
const BROTLI_QUALITY: i32 = 6;

/// A content coding of a response body.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Coding {
    Identity,
    Gzip,
    Br,
}

impl Coding {
    pub(super) fn header(self) -> Option<&'static str> {
        match self {
            Coding::Identity => None,
            Coding::Gzip => Some("gzip"),
            Coding::Br => Some("br"),
        }
    }
}

/// The coding the client prefers among those the service sends, from `Accept-Encoding`, as
/// tower-http's `CompressionLayer` chooses (highest q-value; on a tie br, then gzip, then
/// identity). tower-http does not export its negotiation, hence this copy.
pub(super) fn preferred_coding(headers: &axum::http::HeaderMap) -> Coding {
    let rank = |c: Coding| match c {
        Coding::Identity => 0,
        Coding::Gzip => 1,
        Coding::Br => 2,
    };
    let mut best: Option<(u16, Coding)> = None;
    let values = headers
        .get_all(axum::http::header::ACCEPT_ENCODING)
        .iter()
        .filter_map(|v| v.to_str().ok());
    for item in values.flat_map(|v| v.split(',')) {
        let mut it = item.split(';');
        let name = it.next().unwrap_or("").trim();
        let coding = if name.eq_ignore_ascii_case("br") {
            Coding::Br
        } else if name.eq_ignore_ascii_case("gzip") || name.eq_ignore_ascii_case("x-gzip") {
            Coding::Gzip
        } else if name.eq_ignore_ascii_case("identity") {
            Coding::Identity
        } else {
            continue;
        };
        let q = match it.next() {
            None => 1000,
            Some(p) => match qvalue(p.trim()) {
                Some(q) => q,
                None => continue,
            },
        };
        if q == 0 {
            continue;
        }
        if best.is_none_or(|(bq, bc)| (q, rank(coding)) > (bq, rank(bc))) {
            best = Some((q, coding));
        }
    }
    best.map_or(Coding::Identity, |(_, c)| c)
}

/// A q-value (`q=0.5`) in thousandths; `None` when malformed (RFC 9110 12.4.2).
fn qvalue(p: &str) -> Option<u16> {
    let v = p
        .strip_prefix("q=")
        .or_else(|| p.strip_prefix("Q="))?
        .trim();
    let f: f32 = v.parse().ok()?;
    if !(0.0..=1.0).contains(&f) {
        return None;
    }
    Some((f * 1000.0).round() as u16)
}

/// The parts of the key that come from the request's parameters.
pub(super) struct Parts {
    document: String,
    operation: Option<String>,
    variables: String,
    /// The request carries a document and its persisted-query hash: it registers the hash, so it
    /// must run (it may still be stored).
    pub registers: bool,
}

impl Parts {
    /// From the parameters of one operation (already accepted by `request_from_params`);
    /// `None` when there is no document to key on.
    pub(super) fn from_params(
        query: Option<&Value>,
        variables: Option<&Value>,
        operation_name: Option<&Value>,
        extensions: Option<&Value>,
    ) -> Option<Parts> {
        let query = query.and_then(Value::as_str).unwrap_or("");
        let persisted = extensions.and_then(|e| e.get("persistedQuery"));
        let hash = persisted
            .and_then(|p| p.get("sha256Hash"))
            .and_then(Value::as_str);
        if persisted.is_some() && hash.is_none() {
            // A malformed persisted-query extension is the executor's to refuse, never a hit.
            return None;
        }
        if extensions.is_some_and(|e| {
            e.as_object()
                .is_some_and(|o| o.keys().any(|k| k != "persistedQuery"))
        }) {
            // Other extensions may change the answer: not keyed, not cached.
            return None;
        }
        let (document, registers) = match hash {
            Some(h) => (format!("sha256:{h}"), !query.is_empty()),
            None if !query.is_empty() => (query.to_string(), false),
            None => return None,
        };
        let mut vars = String::new();
        if let Some(v @ Value::Object(_)) = variables {
            canonical_json(v, &mut vars);
        }
        Some(Parts {
            document,
            operation: operation_name.and_then(Value::as_str).map(str::to_string),
            variables: vars,
            registers,
        })
    }

    pub(super) fn key(self, media: super::graphql::Media, day: NaiveDate, version: u64) -> Key {
        Key {
            document: self.document,
            operation: self.operation,
            variables: self.variables,
            media,
            day,
            version,
        }
    }
}

/// JSON with every object's keys sorted. serde_json sorts keys only while its
/// `preserve_order` feature is off, which any dependency could turn on; this is the few lines
/// that make the key independent of that. The nesting was bounded before (`--max-nesting`).
fn canonical_json(v: &Value, out: &mut String) {
    match v {
        Value::Object(m) => {
            let mut entries: Vec<_> = m.iter().collect();
            entries.sort_unstable_by(|a, b| a.0.cmp(b.0));
            out.push('{');
            for (i, (k, v)) in entries.into_iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                out.push_str(&Value::from(k.as_str()).to_string());
                out.push(':');
                canonical_json(v, out);
            }
            out.push('}');
        }
        Value::Array(a) => {
            out.push('[');
            for (i, v) in a.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                canonical_json(v, out);
            }
            out.push(']');
        }
        other => out.push_str(&other.to_string()),
    }
}

#[derive(PartialEq, Eq, Hash)]
pub(super) struct Key {
    document: String,
    operation: Option<String>,
    variables: String,
    media: super::graphql::Media,
    day: NaiveDate,
    version: u64,
}

impl Key {
    fn bytes(&self) -> u64 {
        (self.document.len()
            + self.operation.as_ref().map_or(0, String::len)
            + self.variables.len()) as u64
    }
}

/// A final response body with its validator and, when kept, compressed variants.
pub(super) struct Entry {
    pub body: Bytes,
    /// A weak ETag (`W/"<XXH3-128 of the body>"`): the same on every instance for the same
    /// answer, and weak because one validator stands for every content coding of it (a strong
    /// one would have to differ between the gzip, br and plain bytes, RFC 9110 8.8.1).
    pub etag: String,
    /// Whether compressed variants are kept, made the first time a client asks for them (most
    /// cold answers are never asked for again, so compressing every one up front would cost
    /// more than it saves).
    compress: bool,
    gzip: std::sync::OnceLock<Option<Bytes>>,
    br: std::sync::OnceLock<Option<Bytes>>,
}

/// `W/"<hex XXH3-128 of the body>"`. A validator needs no cryptographic hash (it tells apart
/// the answers to one question, which the service writes; nobody chooses their bytes), and
/// SHA-256 of a 10 KB page was 4 % of a cold search; XXH3 is a tenth of that. Hex written by
/// hand: `{:x}` goes through the formatting machinery once per byte.
fn weak_etag(body: &[u8]) -> String {
    const HEX: &[u8; 16] = b"0123456789abcdef";
    let digest = xxhash_rust::xxh3::xxh3_128(body).to_be_bytes();
    let mut s = String::with_capacity(4 + 2 * digest.len());
    s.push_str("W/\"");
    for b in digest {
        s.push(char::from(HEX[usize::from(b >> 4)]));
        s.push(char::from(HEX[usize::from(b & 0xf)]));
    }
    s.push('"');
    s
}

impl Entry {
    /// The entry of a body; with compressed variants when it goes into the cache.
    pub(super) fn new(body: Vec<u8>, compress: bool) -> Entry {
        let etag = weak_etag(&body);
        Entry {
            compress: compress && body.len() >= COMPRESS_MIN,
            body: Bytes::from(body),
            etag,
            gzip: std::sync::OnceLock::new(),
            br: std::sync::OnceLock::new(),
        }
    }

    /// The body in the coding the client prefers, if kept.
    pub(super) fn variant(&self, coding: Coding) -> Option<(&Bytes, &'static str)> {
        if !self.compress {
            return None;
        }
        let body = &self.body;
        let smaller = |c: Option<Vec<u8>>| c.filter(|c| c.len() < body.len()).map(Bytes::from);
        let v = match coding {
            Coding::Identity => None,
            Coding::Gzip => self.gzip.get_or_init(|| smaller(gzip(body))).as_ref(),
            Coding::Br => self.br.get_or_init(|| smaller(brotli(body))).as_ref(),
        }?;
        Some((v, coding.header()?))
    }

    fn bytes(&self) -> u64 {
        // The compressed variants are made later; counted at a third of the body each (JSON
        // answers compress to less than that), so the bound holds once they exist.
        let variants = if self.compress {
            2 * self.body.len() / 3
        } else {
            0
        };
        (self.body.len() + self.etag.len() + variants) as u64
    }
}

fn gzip(body: &[u8]) -> Option<Vec<u8>> {
    use std::io::Write;
    let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    e.write_all(body).ok()?;
    e.finish().ok()
}

fn brotli(body: &[u8]) -> Option<Vec<u8>> {
    let params = brotli::enc::BrotliEncoderParams {
        quality: BROTLI_QUALITY,
        size_hint: body.len(),
        ..Default::default()
    };
    let mut out = Vec::new();
    brotli::BrotliCompress(&mut &body[..], &mut out, &params).ok()?;
    Some(out)
}

#[derive(Clone)]
struct Weigh;

impl Weighter<Key, Arc<Entry>> for Weigh {
    fn weight(&self, key: &Key, entry: &Arc<Entry>) -> u64 {
        key.bytes() + entry.bytes() + ENTRY_OVERHEAD
    }
}

/// Outcome of a lookup (the `result` label of `plejeoverblik_response_cache_total`).
#[derive(Clone, Copy, Debug, PartialEq)]
pub(crate) enum Lookup {
    Hit,
    Miss,
    NotModified,
}

pub(crate) struct ResponseCache {
    cache: Cache<Key, Arc<Entry>, Weigh>,
    /// The newest data version a request has seen here; entries of older ones are dropped.
    version: AtomicU64,
}

impl ResponseCache {
    /// A cache of at most `bytes`; `None` when `bytes` is 0 (off).
    pub(crate) fn new(bytes: u64) -> Option<ResponseCache> {
        if bytes == 0 {
            return None;
        }
        let items = usize::try_from(bytes / TYPICAL_ENTRY)
            .unwrap_or(usize::MAX)
            .max(1);
        let options = OptionsBuilder::new()
            .estimated_items_capacity(items)
            .weight_capacity(bytes)
            .build()
            .ok()?;
        Some(ResponseCache {
            cache: Cache::with_options(options, Weigh, Default::default(), Default::default()),
            version: AtomicU64::new(0),
        })
    }

    /// Drops everything when `version` is newer than any seen before.
    fn observe(&self, version: u64) {
        if self.version.fetch_max(version, Ordering::AcqRel) < version {
            self.cache.clear();
        }
    }

    pub(super) fn get(&self, key: &Key) -> Option<Arc<Entry>> {
        self.observe(key.version);
        self.cache.get(key)
    }

    pub(super) fn insert(&self, key: Key, entry: Arc<Entry>) {
        self.observe(key.version);
        // Made under a version that has been superseded meanwhile: it would never be found.
        if key.version < self.version.load(Ordering::Acquire) {
            return;
        }
        self.cache.insert(key, entry);
    }

    /// Bytes held (as weighed).
    pub(crate) fn bytes(&self) -> u64 {
        self.cache.weight()
    }

    pub(crate) fn len(&self) -> usize {
        self.cache.len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::{HeaderMap, HeaderValue};

    fn accept(v: &str) -> Coding {
        let mut h = HeaderMap::new();
        h.insert(
            axum::http::header::ACCEPT_ENCODING,
            HeaderValue::from_str(v).expect("header"),
        );
        preferred_coding(&h)
    }

    #[test]
    fn negotiation() {
        assert_eq!(preferred_coding(&HeaderMap::new()), Coding::Identity);
        assert_eq!(accept("gzip, deflate, br, zstd"), Coding::Br);
        assert_eq!(accept("gzip"), Coding::Gzip);
        assert_eq!(accept("br;q=0.5, gzip"), Coding::Gzip);
        assert_eq!(accept("br;q=0, gzip;q=0"), Coding::Identity);
        assert_eq!(accept("identity"), Coding::Identity);
        assert_eq!(accept("deflate"), Coding::Identity);
    }

    #[test]
    fn canonical_variables() {
        let a = serde_json::json!({ "b": [1, { "y": 2, "x": 1 }], "a": "é\"" });
        let mut s = String::new();
        canonical_json(&a, &mut s);
        assert_eq!(s, r#"{"a":"é\"","b":[1,{"x":1,"y":2}]}"#);
    }

    #[test]
    fn weak_etag_comparison() {
        use axum::http::{header, HeaderMap, HeaderValue};
        let e = Entry::new(b"{\"data\":{}}".to_vec(), false);
        assert!(e.etag.starts_with("W/\""));
        let asks = |values: &[&str]| {
            let mut h = HeaderMap::new();
            for v in values {
                h.append(
                    header::IF_NONE_MATCH,
                    HeaderValue::from_str(v).expect("value"),
                );
            }
            crate::http::page::not_modified(&h, &e.etag)
        };
        assert!(asks(&[&e.etag]));
        assert!(asks(&[e.etag.trim_start_matches("W/")]));
        assert!(asks(&[&format!("\"x\", {}", e.etag)]));
        assert!(
            asks(&["\"x\"", &e.etag]),
            "a second If-None-Match header counts too"
        );
        assert!(asks(&["*"]));
        assert!(!asks(&["\"x\""]));
        assert!(!asks(&[]));
    }
}
