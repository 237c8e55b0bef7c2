//! GraphQL over HTTP (the GraphQL-over-HTTP spec): POST with `application/json`, GET for
//! queries only, `application/graphql-response+json` and `application/json` responses, batches,
//! Apollo automatic persisted queries, the response cache of anonymous queries
//! (`response_cache`), cache headers with an ETag for anonymous GET queries (a matching
//! `If-None-Match` is answered 304 from the cache without executing anything), a per-request
//! timeout, and stable error codes on everything. Response bodies keep the keys in the order of
//! the selection set.
use super::rate_limit::Authenticated;
use super::response_cache::{self, Entry, Lookup, Parts};
use super::Http;
use crate::graphql::direct::{to_json_text, Cached, JsonText};
use crate::graphql::limits::limit_error;
use crate::graphql::{loaders, messages, nesting};
use async_graphql::{ErrorExtensionValues, Response as GqlResponse, ServerError, Variables};
use axum::body::Bytes;
use axum::extract::{Extension, RawQuery, State};
use axum::http::{header, HeaderMap, HeaderValue, Method, StatusCode};
use axum::response::{IntoResponse, Response};
use serde::Serialize;
use serde_json::{json, Value};
use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::{Duration, Instant};

const GRAPHQL_RESPONSE: &str = "application/graphql-response+json";
const JSON: &str = "application/json";

/// The media type of the response, from the Accept header.
#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug)]
pub(super) enum Media {
    GraphqlResponse,
    Json,
}

pub(super) fn negotiate(headers: &HeaderMap) -> Option<Media> {
    let Some(accept) = headers.get(header::ACCEPT).and_then(|v| v.to_str().ok()) else {
        return Some(Media::Json);
    };
    let mut best: Option<(f32, Media)> = None;
    for part in accept.split(',') {
        let mut it = part.split(';');
        let ty = it.next().unwrap_or("").trim().to_ascii_lowercase();
        let q = it
            .filter_map(|p| p.trim().strip_prefix("q="))
            .find_map(|q| q.trim().parse::<f32>().ok())
            .unwrap_or(1.0);
        if q <= 0.0 {
            continue;
        }
        let media = match ty.as_str() {
            GRAPHQL_RESPONSE => Media::GraphqlResponse,
            // Legacy clients, wildcards and no preference get application/json (GraphQL over HTTP).
            JSON | "application/*" | "*/*" => Media::Json,
            _ => continue,
        };
        if best.is_none_or(|(bq, bm)| {
            q > bq || (q == bq && bm == Media::Json && ty == GRAPHQL_RESPONSE)
        }) {
            best = Some((q, media));
        }
    }
    best.map(|(_, m)| m)
}

/// An error response outside GraphQL execution (bad HTTP request).
fn http_error(status: StatusCode, code: &str, message: &str, media: Media) -> Response {
    http_error_with(status, code, message, media, &[])
}

/// `http_error` with more entries in `extensions`.
pub(super) fn http_error_with(
    status: StatusCode,
    code: &str,
    message: &str,
    media: Media,
    extensions: &[(&str, Value)],
) -> Response {
    let mut ext = serde_json::Map::new();
    ext.insert("code".into(), code.into());
    for (k, v) in extensions {
        ext.insert((*k).into(), v.clone());
    }
    let body = json!({ "errors": [{ "message": message, "extensions": ext }] });
    let ct = match media {
        Media::GraphqlResponse => GRAPHQL_RESPONSE,
        Media::Json => JSON,
    };
    let mut resp = (status, [(header::CONTENT_TYPE, ct)], body.to_string()).into_response();
    if status == StatusCode::METHOD_NOT_ALLOWED {
        let allow = if message.starts_with("Brug GET") {
            "GET, POST"
        } else {
            "POST"
        };
        resp.headers_mut()
            .insert(header::ALLOW, HeaderValue::from_static(allow));
    }
    resp
}

fn internal(media: Media) -> Response {
    http_error(
        StatusCode::INTERNAL_SERVER_ERROR,
        "INTERNAL",
        "Der opstod en intern fejl.",
        media,
    )
}

fn nesting_refused(h: &Http, media: Media) -> Response {
    http_error(
        StatusCode::BAD_REQUEST,
        "LIMIT_EXCEEDED",
        &format!(
            "Variablerne er indlejret for dybt; højst {} niveauer er tilladt.",
            h.state.config.max_nesting
        ),
        media,
    )
}

fn bad_request(message: &str, media: Media) -> Response {
    http_error(StatusCode::BAD_REQUEST, "BAD_REQUEST", message, media)
}

/// One GraphQL request from its JSON parameters.
fn request_from_params(
    query: Option<&Value>,
    variables: Option<&Value>,
    operation_name: Option<&Value>,
    extensions: Option<&Value>,
) -> Result<async_graphql::Request, &'static str> {
    let extensions = match extensions {
        None | Some(Value::Null) => None,
        Some(Value::Object(m)) => Some(m.clone()),
        Some(_) => return Err("extensions skal være et objekt."),
    };
    let persisted = extensions
        .as_ref()
        .is_some_and(|e| e.contains_key("persistedQuery"));
    let query = match query {
        Some(Value::String(q)) => q.clone(),
        None | Some(Value::Null) if persisted => String::new(),
        None | Some(Value::Null) => return Err("Parameteren query mangler."),
        Some(_) => return Err("query skal være en streng."),
    };
    let mut req = async_graphql::Request::new(query);
    match variables {
        None | Some(Value::Null) => {}
        Some(v @ Value::Object(_)) => req = req.variables(Variables::from_json(v.clone())),
        Some(_) => return Err("variables skal være et objekt."),
    }
    match operation_name {
        None | Some(Value::Null) => {}
        Some(Value::String(n)) => req = req.operation_name(n.clone()),
        Some(_) => return Err("operationName skal være en streng."),
    }
    if let Some(ext) = extensions {
        for (k, v) in ext {
            if let Ok(val) = async_graphql::Value::from_json(v) {
                req.extensions.insert(k, val);
            }
        }
    }
    Ok(req)
}

fn is_json_content_type(headers: &HeaderMap) -> bool {
    headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .map(|v| {
            v.split(';')
                .next()
                .unwrap_or("")
                .trim()
                .to_ascii_lowercase()
        })
        .is_some_and(|t| t == JSON || t == GRAPHQL_RESPONSE)
}

/// Reads the whole body within the body-read timeout and the size limit. (A per-frame
/// timeout such as tower-http's would let a client trickle a byte at a time forever.)
///
/// A body over the limit is still read, and thrown away, for up to [`LINGER_BYTES`] more and
/// one second before the 413 goes out with `Connection: close`: closing a socket with unread
/// data makes the kernel reset the connection, and a client still sending would then see a
/// reset instead of the answer (nginx's `lingering_close` does the same).
async fn read_body(h: &Http, body: axum::body::Body, media: Media) -> Result<Bytes, Response> {
    use http_body_util::BodyExt;
    const LINGER_BYTES: usize = 4 << 20;
    let limit = h.state.config.max_body_bytes;
    let timeout = h.state.config.body_read_timeout;
    let mut deadline = tokio::time::Instant::now() + timeout;
    let mut body = body;
    let mut buf = bytes::BytesMut::new();
    let mut seen = 0usize;
    let mut timed_out = false;
    loop {
        match tokio::time::timeout_at(deadline, body.frame()).await {
            Err(_) => {
                timed_out = true;
                break;
            }
            Ok(None) => break,
            Ok(Some(Err(_))) if seen <= limit => {
                return Err(bad_request("Forespørgslens krop kunne ikke læses.", media))
            }
            Ok(Some(Err(_))) => break,
            Ok(Some(Ok(frame))) => {
                let Ok(data) = frame.into_data() else {
                    continue;
                };
                let before = seen;
                seen = seen.saturating_add(data.len());
                if seen <= limit {
                    buf.extend_from_slice(&data);
                } else if before <= limit {
                    // Over the limit: linger briefly, then answer 413.
                    deadline = deadline.min(tokio::time::Instant::now() + Duration::from_secs(1));
                } else if seen > limit + LINGER_BYTES {
                    break;
                }
            }
        }
    }
    if seen > limit {
        let mut r = http_error(
            StatusCode::PAYLOAD_TOO_LARGE,
            "PAYLOAD_TOO_LARGE",
            &format!("Forespørgslen er for stor; kroppen må højst være {limit} bytes."),
            media,
        );
        r.headers_mut()
            .insert(header::CONNECTION, HeaderValue::from_static("close"));
        return Err(r);
    }
    if timed_out {
        let mut r = http_error(
            StatusCode::REQUEST_TIMEOUT,
            "TIMEOUT",
            &format!(
                "Forespørgslens krop kom ikke inden for {} sekunder.",
                timeout.as_secs()
            ),
            media,
        );
        r.headers_mut()
            .insert(header::CONNECTION, HeaderValue::from_static("close"));
        return Err(r);
    }
    Ok(buf.freeze())
}

pub(super) async fn post(State(h): State<Http>, req: axum::extract::Request) -> Response {
    let (mut parts, body) = req.into_parts();
    let pre = parts.extensions.remove::<Authenticated>();
    let headers = parts.headers;
    let Some(media) = negotiate(&headers) else {
        return http_error(
            StatusCode::NOT_ACCEPTABLE,
            "NOT_ACCEPTABLE",
            "Svaret kan kun leveres som application/graphql-response+json eller application/json.",
            Media::Json,
        );
    };
    // No state change from form posts or text/plain: only JSON bodies (CSRF).
    if !is_json_content_type(&headers) {
        return http_error(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "UNSUPPORTED_MEDIA_TYPE",
            "Forespørgsler skal sendes som application/json.",
            media,
        );
    }
    let body = match read_body(&h, body, media).await {
        Ok(b) => b,
        Err(r) => return r,
    };
    // The JSON parser recurses too: bound the nesting first (a batch of operations with their
    // variables object is three levels above the variables' own nesting).
    if nesting::check_json(&body, h.state.config.max_nesting + 3).is_err() {
        return nesting_refused(&h, media);
    }
    let Ok(v) = serde_json::from_slice::<Value>(&body) else {
        return bad_request("Forespørgslen er ikke gyldig JSON.", media);
    };
    let params = |o: &Value| {
        request_from_params(
            o.get("query"),
            o.get("variables"),
            o.get("operationName"),
            o.get("extensions"),
        )
    };
    match v {
        Value::Object(_) => match params(&v) {
            Ok(req) => {
                let parts = cache_parts(&h, &headers, || {
                    Parts::from_params(
                        v.get("query"),
                        v.get("variables"),
                        v.get("operationName"),
                        v.get("extensions"),
                    )
                });
                execute_one(&h, &headers, pre, req, media, false, parts).await
            }
            Err(m) => bad_request(m, media),
        },
        Value::Array(items) => {
            if items.is_empty() || items.len() > h.state.config.max_batch {
                return http_error(
                    StatusCode::BAD_REQUEST,
                    "LIMIT_EXCEEDED",
                    &format!(
                        "En samlet forespørgsel må indeholde 1 til {} operationer.",
                        h.state.config.max_batch
                    ),
                    media,
                );
            }
            let mut reqs = Vec::with_capacity(items.len());
            for it in &items {
                match it {
                    Value::Object(_) => match params(it) {
                        Ok(r) => reqs.push(r),
                        Err(m) => return bad_request(m, media),
                    },
                    _ => return bad_request("Hver operation skal være et objekt.", media),
                }
            }
            execute_batch(&h, &headers, pre, reqs, media).await
        }
        _ => bad_request("Forespørgslen skal være et JSON-objekt.", media),
    }
}

pub(super) async fn get(
    State(h): State<Http>,
    pre: Option<Extension<Authenticated>>,
    headers: HeaderMap,
    RawQuery(q): RawQuery,
) -> Response {
    let pre = pre.map(|Extension(a)| a);
    let Some(media) = negotiate(&headers) else {
        return http_error(
            StatusCode::NOT_ACCEPTABLE,
            "NOT_ACCEPTABLE",
            "Svaret kan kun leveres som application/graphql-response+json eller application/json.",
            Media::Json,
        );
    };
    let Some(pairs) = query_pairs(q.as_deref().unwrap_or("")) else {
        return bad_request(
            "Ugyldige parametre: brug %XX-kodning af UTF-8 (application/x-www-form-urlencoded).",
            media,
        );
    };
    let find = |k: &str| pairs.iter().find(|(n, _)| n == k).map(|(_, v)| v.clone());
    let max_json = h.state.config.max_nesting + 1;
    if ["variables", "extensions"]
        .iter()
        .filter_map(|k| find(k))
        .any(|v| nesting::check_json(v.as_bytes(), max_json).is_err())
    {
        return nesting_refused(&h, media);
    }
    let parse_json = |k: &str| -> Result<Option<Value>, ()> {
        match find(k) {
            None => Ok(None),
            Some(s) if s.is_empty() => Ok(None),
            Some(s) => serde_json::from_str(&s).map(Some).map_err(|_| ()),
        }
    };
    let (Ok(variables), Ok(extensions)) = (parse_json("variables"), parse_json("extensions"))
    else {
        return bad_request("variables og extensions skal være JSON.", media);
    };
    let query = find("query").map(Value::String);
    let op = find("operationName").map(Value::String);
    let req = match request_from_params(
        query.as_ref(),
        variables.as_ref(),
        op.as_ref(),
        extensions.as_ref(),
    ) {
        Ok(r) => r,
        Err(m) => return bad_request(m, media),
    };
    let parts = cache_parts(&h, &headers, || {
        Parts::from_params(
            query.as_ref(),
            variables.as_ref(),
            op.as_ref(),
            extensions.as_ref(),
        )
    });
    // No state change via GET: the gate refuses a selected mutation (also one sent as a
    // persisted-query hash) with METHOD_NOT_ALLOWED, answered as 405.
    execute_one(&h, &headers, pre, req, media, true, parts).await
}

/// An anonymous request (no `Authorization` header at all, no session cookie).
fn is_anonymous(headers: &HeaderMap) -> bool {
    headers.get(header::AUTHORIZATION).is_none() && super::login::session_cookie(headers).is_none()
}

/// The cache key's request parts, for anonymous requests while the response cache is on.
fn cache_parts(
    h: &Http,
    headers: &HeaderMap,
    parts: impl FnOnce() -> Option<Parts>,
) -> Option<Parts> {
    if h.cache.is_some() && is_anonymous(headers) {
        parts()
    } else {
        None
    }
}

/// The parameters of a query string (application/x-www-form-urlencoded), strictly: a `%` that
/// is not followed by two hex digits, or bytes that do not decode to UTF-8, make the whole query
/// string invalid. (The lenient decoders keep broken escapes as they are and replace bad bytes
/// with U+FFFD, which would run a different query from the one that was sent.)
pub(super) fn query_pairs(q: &str) -> Option<Vec<(String, String)>> {
    fn decode(s: &str) -> Option<String> {
        let b = s.as_bytes();
        let mut out = Vec::with_capacity(b.len());
        let mut i = 0;
        while i < b.len() {
            match b[i] {
                b'+' => out.push(b' '),
                b'%' => {
                    let hex = b.get(i + 1..i + 3)?;
                    if !hex.iter().all(u8::is_ascii_hexdigit) {
                        return None;
                    }
                    out.push(u8::from_str_radix(std::str::from_utf8(hex).ok()?, 16).ok()?);
                    i += 2;
                }
                c => out.push(c),
            }
            i += 1;
        }
        String::from_utf8(out).ok()
    }
    q.split('&')
        .filter(|p| !p.is_empty())
        .map(|p| {
            let (k, v) = p.split_once('=').unwrap_or((p, ""));
            Some((decode(k)?, decode(v)?))
        })
        .collect()
}

/// Any other method on /graphql.
pub(super) async fn other_method(headers: HeaderMap) -> Response {
    http_error(
        StatusCode::METHOD_NOT_ALLOWED,
        "METHOD_NOT_ALLOWED",
        "Brug GET (forespørgsler) eller POST (forespørgsler og mutationer) på /graphql.",
        negotiate(&headers).unwrap_or(Media::Json),
    )
}

/// The outcome of authenticating the request: from the rate limit middleware, which has
/// authenticated it already, or (rate limiting off) done here.
/// The Authorization header as text. A header with bytes outside ASCII is no token either: it
/// is refused like any malformed one (the replacement characters make it so), never taken for
/// an anonymous request.
pub(super) fn authorization_header(headers: &HeaderMap) -> Option<String> {
    headers
        .get(header::AUTHORIZATION)
        .map(|v| String::from_utf8_lossy(v.as_bytes()).into_owned())
}

pub(super) async fn authentication(
    h: &Http,
    headers: &HeaderMap,
    pre: Option<Authenticated>,
    method: &Method,
) -> Authenticated {
    match pre {
        Some(a) => a,
        None => Authenticated(Arc::new(authenticate(h, headers, method).await)),
    }
}

/// Whether a request carries credentials: a bearer token or a console session's cookie.
pub(super) fn has_credentials(headers: &HeaderMap) -> bool {
    authorization_header(headers).is_some_and(|a| !a.trim().is_empty())
        || super::login::session_cookie(headers).is_some()
}

/// The viewer of a request: its bearer token, else the console session its cookie names (with
/// the CSRF check for a method that may change state, `login::viewer`), else anonymous. A
/// request with both is the token's: a program's header wins over a browser's cookie.
pub(super) async fn authenticate(
    h: &Http,
    headers: &HeaderMap,
    method: &Method,
) -> Result<crate::domain::access::Viewer, crate::error::AppError> {
    match authorization_header(headers).filter(|a| !a.trim().is_empty()) {
        Some(a) => h.state.auth.authenticate(Some(&a)).await,
        None => match super::login::session_cookie(headers) {
            Some(id) if h.state.oidc.is_some() => {
                super::login::viewer(h, &id, headers, method).await
            }
            _ => Ok(crate::domain::access::Viewer::anonymous()),
        },
    }
}

/// An executed operation.
struct Ran {
    resp: GqlResponse,
    /// The operation that ran is a query.
    query: bool,
}

/// Refuses a bad token, checks the document size and the limits (the gate), runs with the
/// timeout and puts the response's keys in selection order. `read_only`: the request came over
/// GET.
async fn run(
    h: &Http,
    headers: &HeaderMap,
    auth: &Authenticated,
    req: async_graphql::Request,
    read_only: bool,
) -> Result<Ran, Response> {
    let viewer = match auth.0.as_ref() {
        Ok(v) => v.clone(),
        Err(e) => {
            let media = negotiate(headers).unwrap_or(Media::Json);
            return Err(http_error(
                super::export::status_of(e),
                e.code(),
                &e.message(),
                media,
            ));
        }
    };
    if req.query.len() > h.state.config.max_document_bytes {
        return Ok(Ran {
            resp: GqlResponse::from_errors(vec![limit_error(
                "LIMIT_EXCEEDED",
                format!(
                    "Forespørgslen er for stor; højst {} bytes er tilladt.",
                    h.state.config.max_document_bytes
                ),
            )]),
            query: false,
        });
    }
    let start = Instant::now();
    let mut prepared = match h.gate.prepare(req, read_only).await {
        Ok(p) => p,
        Err(e) => {
            let mut resp = GqlResponse::from_errors(e);
            normalize_errors(&mut resp.errors, &h.state.config);
            let outcome = resp.errors.first().and_then(code_of);
            h.metrics.graphql(
                None,
                outcome.as_deref().unwrap_or("ok"),
                start.elapsed().as_secs_f64(),
            );
            return Ok(Ran { resp, query: false });
        }
    };
    let operation = prepared.request.operation_name.clone();
    let req = std::mem::replace(&mut prepared.request, async_graphql::Request::new(""));
    let cached = Cached {
        rendered: h.rendered.clone(),
        doc: prepared.doc.serial,
    };
    let req = loaders::per_request(&h.state.db, req.data(viewer).data(JsonText).data(cached));
    let mut resp = h.gate.execute(&h.schema, req, &prepared).await;
    // Nothing to order when nothing ran (a refusal, a timeout): the plan's walk is skipped.
    if resp.data != async_graphql::Value::Null {
        if let Some(plan) = prepared.doc.plan(operation.as_deref()) {
            plan.apply(&mut resp.data);
        }
    }
    // A write that failed for the storage, wherever in the use case: `/readyz` says so.
    for o in resp.errors.iter().filter_map(outage_of) {
        h.state.writes.mark(o, h.state.clock.now());
    }
    normalize_errors(&mut resp.errors, &h.state.config);
    let outcome = resp
        .errors
        .first()
        .and_then(code_of)
        .unwrap_or_else(|| "ok".to_string());
    h.metrics.graphql(
        prepared.operation_name.as_deref(),
        &outcome,
        start.elapsed().as_secs_f64(),
    );
    Ok(Ran {
        resp,
        query: prepared.is_query,
    })
}

fn outage_of(e: &ServerError) -> Option<crate::error::Outage> {
    match e.extensions.as_ref()?.get("reason")? {
        async_graphql::Value::String(r) => crate::error::Outage::of_reason(r),
        _ => None,
    }
}

fn code_of(e: &ServerError) -> Option<String> {
    e.extensions
        .as_ref()
        .and_then(|x| x.get("code"))
        .and_then(|v| match v {
            async_graphql::Value::String(s) => Some(s.clone()),
            async_graphql::Value::Enum(s) => Some(s.to_string()),
            _ => None,
        })
}

/// Gives every error a stable code and a Danish message: async-graphql's own parse,
/// validation, limit and input-coercion errors come without a code and in English. The English
/// original is kept in `extensions.detail` for developers.
fn normalize_errors(errors: &mut [ServerError], c: &crate::config::Config) {
    let limits = messages::LimitValues {
        max_depth: c.max_depth,
        max_complexity: c.max_complexity,
        max_directives: c.max_directives,
    };
    for e in errors.iter_mut() {
        // Apollo's persisted-query protocol: clients look for exactly this message.
        if e.message == "PersistedQueryNotFound" {
            let mut ext = e.extensions.take().unwrap_or_default();
            ext.set("code", "PERSISTED_QUERY_NOT_FOUND");
            e.extensions = Some(ext);
            continue;
        }
        if code_of(e).is_some() && !messages::is_english(&e.message) {
            continue;
        }
        if code_of(e).is_none() && !e.path.is_empty() && !messages::is_english(&e.message) {
            // A resolver error that did not go through AppError: never shown as such.
            let id = uuid::Uuid::new_v4().to_string();
            tracing::error!(correlation_id = %id, cause = %e.message, "intern fejl uden kode");
            e.message = format!("Der opstod en intern fejl. Oplys fejl-id {id} til supporten.");
            let mut ext = e.extensions.take().unwrap_or_default();
            ext.set("code", "INTERNAL");
            ext.set("correlationId", id);
            e.extensions = Some(ext);
            continue;
        }
        let d = messages::translate(&e.message, limits);
        let mut ext = e.extensions.take().unwrap_or_default();
        if code_of_ext(&ext).is_none() || d.code != "GRAPHQL_VALIDATION_FAILED" {
            ext.set("code", d.code);
        }
        ext.set("detail", std::mem::replace(&mut e.message, d.message));
        if let Some(f) = d.field {
            ext.set("fields", vec![f]);
        }
        e.extensions = Some(ext);
    }
}

fn code_of_ext(ext: &ErrorExtensionValues) -> Option<()> {
    ext.get("code").map(|_| ())
}

/// A response as it is sent: serialized straight from async-graphql's values (a directly
/// written list as the text it already is, `direct::JsonText`), whose objects
/// keep the order of the selection set (GraphQL spec 7.1: a response's keys SHOULD follow it;
/// a trip through `serde_json::Value` would sort them). A request error has no `data` entry at
/// all (GraphQL over HTTP).
#[derive(Serialize)]
struct Body<'a> {
    #[serde(skip_serializing_if = "Option::is_none")]
    data: Option<&'a async_graphql::Value>,
    #[serde(skip_serializing_if = "<[ServerError]>::is_empty")]
    errors: &'a [ServerError],
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    extensions: &'a BTreeMap<String, async_graphql::Value>,
}

impl<'a> Body<'a> {
    fn of(resp: &'a GqlResponse) -> Body<'a> {
        Body {
            data: (!is_request_error(resp)).then_some(&resp.data),
            errors: &resp.errors,
            extensions: &resp.extensions,
        }
    }
}

fn response_body(resp: &GqlResponse) -> serde_json::Result<Vec<u8>> {
    to_json_text(&Body::of(resp))
}

/// A request error: nothing was executed (parse, validation, limits).
fn is_request_error(r: &GqlResponse) -> bool {
    matches!(r.data, async_graphql::Value::Null)
        && !r.errors.is_empty()
        && r.errors.iter().all(|e| e.path.is_empty())
}

fn content_type(media: Media) -> HeaderValue {
    HeaderValue::from_static(match media {
        Media::GraphqlResponse => GRAPHQL_RESPONSE,
        Media::Json => JSON,
    })
}

/// `Cache-Control` of anonymous GET query responses: revalidate every time unless the operator
/// chose a max-age (`--cache-max-age-secs`).
fn cache_control(h: &Http) -> HeaderValue {
    match h.state.config.cache_max_age_secs {
        0 => HeaderValue::from_static("public, no-cache"),
        n => HeaderValue::from_str(&format!("public, max-age={n}"))
            .unwrap_or(HeaderValue::from_static("public, no-cache")),
    }
}

/// What the answer of an anonymous GET query varies with.
const VARY: &str = "Accept, Authorization, Accept-Encoding";

/// A successful answer from its entry: for GET with the cache headers (304 when
/// `If-None-Match` matches), in the client's preferred coding when a variant is kept.
fn answer(h: &Http, headers: &HeaderMap, entry: &Entry, media: Media, is_get: bool) -> Response {
    if is_get && not_modified(headers, entry) {
        return not_modified_response(h, entry);
    }
    let coding = response_cache::preferred_coding(headers);
    let mut out = match entry.variant(coding) {
        Some((bytes, name)) => {
            let mut r = (StatusCode::OK, bytes.clone()).into_response();
            r.headers_mut()
                .insert(header::CONTENT_ENCODING, HeaderValue::from_static(name));
            r
        }
        None => (StatusCode::OK, entry.body.clone()).into_response(),
    };
    let hs = out.headers_mut();
    hs.insert(header::CONTENT_TYPE, content_type(media));
    if is_get {
        hs.insert(header::CACHE_CONTROL, cache_control(h));
        hs.insert(header::VARY, HeaderValue::from_static(VARY));
        if let Ok(v) = HeaderValue::from_str(&entry.etag) {
            hs.insert(header::ETAG, v);
        }
    } else {
        hs.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
        if hs.contains_key(header::CONTENT_ENCODING) {
            hs.insert(header::VARY, HeaderValue::from_static("Accept-Encoding"));
        }
    }
    out
}

fn not_modified(headers: &HeaderMap, entry: &Entry) -> bool {
    super::page::not_modified(headers, &entry.etag)
}

fn not_modified_response(h: &Http, entry: &Entry) -> Response {
    let mut nm = StatusCode::NOT_MODIFIED.into_response();
    let hs = nm.headers_mut();
    hs.insert(header::CACHE_CONTROL, cache_control(h));
    hs.insert(header::VARY, HeaderValue::from_static(VARY));
    if let Ok(v) = HeaderValue::from_str(&entry.etag) {
        hs.insert(header::ETAG, v);
    }
    nm
}

async fn execute_one(
    h: &Http,
    headers: &HeaderMap,
    pre: Option<Authenticated>,
    req: async_graphql::Request,
    media: Media,
    is_get: bool,
    parts: Option<Parts>,
) -> Response {
    let anonymous = is_anonymous(headers);
    // The moment the answer is for, read before executing: an answer computed while a write
    // commits is filed under the version before it and never served after it.
    let cache = h.cache.as_deref().filter(|_| anonymous);
    let key = match (cache, parts) {
        (Some(_), Some(p)) => {
            let registers = p.registers;
            let day = crate::domain::day::copenhagen_day(h.state.clock.now());
            Some((p.key(media, day, h.state.read_model.moment()), registers))
        }
        _ => None,
    };
    if let (Some(cache), Some((key, false))) = (cache, &key) {
        match cache.get(key) {
            Some(entry) => {
                let out = answer(h, headers, &entry, media, is_get);
                h.metrics
                    .response_cache(if out.status() == StatusCode::NOT_MODIFIED {
                        Lookup::NotModified
                    } else {
                        Lookup::Hit
                    });
                return out;
            }
            None => h.metrics.response_cache(Lookup::Miss),
        }
    }
    let method = if is_get { Method::GET } else { Method::POST };
    let auth = authentication(h, headers, pre, &method).await;
    let Ran { resp, query } = match run(h, headers, &auth, req, is_get).await {
        Ok(r) => r,
        Err(http) => return http,
    };
    let method_refused = resp
        .errors
        .iter()
        .any(|e| code_of(e).as_deref() == Some("METHOD_NOT_ALLOWED"));
    // A timeout (also one before execution: no place on the validation pool in time) is the
    // server's, not a bad request.
    let status = if method_refused {
        StatusCode::METHOD_NOT_ALLOWED
    } else if resp
        .errors
        .iter()
        .any(|e| code_of(e).as_deref() == Some("TIMEOUT"))
    {
        StatusCode::SERVICE_UNAVAILABLE
    } else if media == Media::GraphqlResponse && is_request_error(&resp) {
        StatusCode::BAD_REQUEST
    } else {
        StatusCode::OK
    };
    let body = match response_body(&resp) {
        Ok(b) => b,
        Err(_) => return internal(media),
    };
    let success = status == StatusCode::OK && resp.errors.is_empty();
    let store = success && query && key.is_some();
    if success && (store || (is_get && anonymous)) {
        let entry = Arc::new(Entry::new(body, store));
        if let (Some(cache), Some((key, _))) = (cache, key) {
            if store {
                cache.insert(key, entry.clone());
            }
        }
        return answer(h, headers, &entry, media, is_get);
    }
    let mut out = (status, body).into_response();
    let hs = out.headers_mut();
    hs.insert(header::CONTENT_TYPE, content_type(media));
    if status == StatusCode::METHOD_NOT_ALLOWED {
        hs.insert(header::ALLOW, HeaderValue::from_static("POST"));
    }
    hs.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    out
}

async fn execute_batch(
    h: &Http,
    headers: &HeaderMap,
    pre: Option<Authenticated>,
    reqs: Vec<async_graphql::Request>,
    media: Media,
) -> Response {
    let auth = authentication(h, headers, pre, &Method::POST).await;
    let mut out = Vec::with_capacity(reqs.len());
    for r in reqs {
        match run(h, headers, &auth, r, false).await {
            Ok(ran) => out.push(ran.resp),
            Err(http) => return http,
        }
    }
    let bodies: Vec<Body<'_>> = out.iter().map(Body::of).collect();
    let body = match to_json_text(&bodies) {
        Ok(b) => b,
        Err(_) => return internal(media),
    };
    let mut resp = (StatusCode::OK, body).into_response();
    resp.headers_mut()
        .insert(header::CONTENT_TYPE, content_type(media));
    resp.headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    resp
}

#[cfg(test)]
mod tests {
    use super::query_pairs;

    #[test]
    fn query_strings_are_decoded_strictly() {
        let p = |k: &str, v: &str| (k.to_string(), v.to_string());
        assert_eq!(
            query_pairs("query=%7B+__typename%7D&&operationName=A%C3%A6&x"),
            Some(vec![
                p("query", "{ __typename}"),
                p("operationName", "Aæ"),
                p("x", "")
            ])
        );
        assert_eq!(query_pairs(""), Some(vec![]));
        for bad in [
            "query=%FF",
            "%FF=1",
            "query=%",
            "query=%7",
            "query=%zz",
            "query=%+1",
            "q=%C3",
        ] {
            assert_eq!(query_pairs(bad), None, "{bad}");
        }
    }
}
