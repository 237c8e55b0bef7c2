//! A request id on every request and one access-log line per request, through tower-http's
//! `request-id` and `trace` layers: the id is taken from `X-Request-Id` when sane, else a new
//! UUID (`SetRequestId`), given back in the response (`PropagateRequestId`), and is a field of
//! the request's span, so every log line of the request carries it (`TraceLayer`). The log line
//! has method, path, status and duration: no tokens, no bodies. What is ours: dropping an
//! incoming id that is not sane (tower-http keeps any), and counting responses for `/metrics`.
use super::metrics::Metrics;
use axum::extract::{Request, State};
use axum::http::HeaderName;
use axum::middleware::Next;
use axum::response::Response;
use std::sync::Arc;
use std::time::Duration;
use tower_http::request_id::{MakeRequestUuid, PropagateRequestIdLayer, SetRequestIdLayer};
use tower_http::trace::TraceLayer;
use tracing::Span;

pub const HEADER: &str = "x-request-id";

fn sane(v: &[u8]) -> bool {
    !v.is_empty()
        && v.len() <= 128
        && v.iter()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b':'))
}

/// An id a client sent that could break a log line or a header is replaced by a new one.
pub async fn drop_insane(mut req: Request, next: Next) -> Response {
    let name = HeaderName::from_static(HEADER);
    if req
        .headers()
        .get(&name)
        .is_some_and(|v| !sane(v.as_bytes()))
    {
        req.headers_mut().remove(&name);
    }
    next.run(req).await
}

/// HTTP responses by path and status (`/metrics`).
pub async fn count(State(metrics): State<Arc<Metrics>>, req: Request, next: Next) -> Response {
    let path = req.uri().path().to_string();
    let resp = next.run(req).await;
    metrics.http(&path, resp.status().as_u16());
    resp
}

pub fn set() -> SetRequestIdLayer<MakeRequestUuid> {
    SetRequestIdLayer::new(HeaderName::from_static(HEADER), MakeRequestUuid)
}

pub fn propagate() -> PropagateRequestIdLayer {
    PropagateRequestIdLayer::new(HeaderName::from_static(HEADER))
}

/// The request's span (with its id, method and path) and the access-log line.
#[allow(clippy::type_complexity)]
pub fn trace() -> TraceLayer<
    tower_http::classify::SharedClassifier<tower_http::classify::ServerErrorsAsFailures>,
    fn(&Request) -> Span,
    (),
    fn(&Response, Duration, &Span),
> {
    fn span(req: &Request) -> Span {
        let id = req
            .headers()
            .get(HEADER)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("");
        tracing::info_span!("request", request_id = %id, method = %req.method(), path = %req.uri().path())
    }
    fn logged(resp: &Response, latency: Duration, _span: &Span) {
        tracing::info!(
            status = resp.status().as_u16(),
            ms = latency.as_millis() as u64,
            "http"
        );
    }
    TraceLayer::new_for_http()
        .make_span_with(span as fn(&Request) -> Span)
        .on_request(())
        .on_response(logged as fn(&Response, Duration, &Span))
}
