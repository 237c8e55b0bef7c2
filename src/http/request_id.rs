//! A request id on every request: taken from `X-Request-Id` when sane, else new; in the
//! tracing span of the request (so on every log line) and in the response headers. One log
//! line per request with method, path, status and duration: no tokens, no bodies.
use super::metrics::Metrics;
use axum::extract::{Request, State};
use axum::http::{HeaderName, HeaderValue};
use axum::middleware::Next;
use axum::response::Response;
use std::sync::Arc;
use std::time::Instant;
use tracing::Instrument;

pub const HEADER: &str = "x-request-id";

fn sane(v: &str) -> bool {
    !v.is_empty()
        && v.len() <= 128
        && v.bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b':'))
}

pub async fn layer(State(metrics): State<Arc<Metrics>>, req: Request, next: Next) -> Response {
    let id = req
        .headers()
        .get(HEADER)
        .and_then(|v| v.to_str().ok())
        .filter(|v| sane(v))
        .map(str::to_string)
        .unwrap_or_else(|| uuid::Uuid::new_v4().to_string());
    let method = req.method().clone();
    let path = req.uri().path().to_string();
    let span = tracing::info_span!("request", request_id = %id);
    let start = Instant::now();
    let mut resp = next.run(req).instrument(span.clone()).await;
    let elapsed = start.elapsed();
    metrics.http(&path, resp.status().as_u16());
    span.in_scope(|| {
        tracing::info!(method = %method, path = %path, status = resp.status().as_u16(), ms = elapsed.as_millis() as u64, "http");
    });
    if let Ok(v) = HeaderValue::from_str(&id) {
        resp.headers_mut()
            .insert(HeaderName::from_static(HEADER), v);
    }
    resp
}
