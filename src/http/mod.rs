//! The HTTP surface: `/graphql` (GraphQL over HTTP: POST, and GET for queries), the
//! playground at `/`, `/healthz`, `/readyz` and `/metrics`. `/graphql` is rate limited per
//! client (`rate_limit`); anonymous queries are answered from the response cache when they can
//! be (`response_cache`). Every response is compressed (gzip or brotli) when the client accepts
//! it.
mod graphql;
pub mod metrics;
mod rate_limit;
mod request_id;
mod response_cache;
pub mod server;

use crate::app::AppState;
use crate::graphql::{build_schema, AppSchema};
use axum::extract::{DefaultBodyLimit, State};
use axum::http::{header, HeaderValue, Method, StatusCode};
use axum::response::{Html, IntoResponse, Response};
use axum::routing::get;
use axum::Router;
use std::sync::Arc;
use tower_http::compression::CompressionLayer;
use tower_http::cors::{AllowOrigin, CorsLayer};

#[derive(Clone)]
pub(crate) struct Http {
    pub state: AppState,
    pub schema: AppSchema,
    pub metrics: Arc<metrics::Metrics>,
    /// `None`: rate limiting is off.
    pub rate_limits: Option<Arc<rate_limit::RateLimits>>,
    /// `None`: the response cache is off.
    pub cache: Option<Arc<response_cache::ResponseCache>>,
}

pub use rate_limit::parse_trusted_proxy;

/// The example operations of `playground/`, offered as tabs in the playground.
pub const PLAYGROUND_OPERATIONS: &[(&str, &str)] = &[
    (
        "Kommuner",
        include_str!("../../playground/kommuner.graphql"),
    ),
    (
        "Plejeboliger i Aarhus nær Aarhus C",
        include_str!("../../playground/search-aarhus-naer.graphql"),
    ),
    (
        "Helhedspleje i Roskilde næste måned",
        include_str!("../../playground/search-helhedspleje-naeste-maaned.graphql"),
    ),
    (
        "Et plejecenter",
        include_str!("../../playground/enhed.graphql"),
    ),
    (
        "Hvem er jeg",
        include_str!("../../playground/viewer.graphql"),
    ),
    (
        "Mine serviceleverancer",
        include_str!("../../playground/serviceleverancer.graphql"),
    ),
    (
        "Opret serviceleverance",
        include_str!("../../playground/create.graphql"),
    ),
    (
        "Lås, ret og tjek ind",
        include_str!("../../playground/lock-update-checkin.graphql"),
    ),
];

pub fn router(state: AppState) -> Router {
    let c = state.config.clone();
    let schema = build_schema(Some(state.clone()), &c);
    let metrics = Arc::new(metrics::Metrics::default());
    let h = Http {
        state,
        schema,
        metrics: metrics.clone(),
        rate_limits: rate_limit::RateLimits::from_config(&c),
        cache: response_cache::ResponseCache::new(c.response_cache_bytes).map(Arc::new),
    };
    let origins: Vec<HeaderValue> = c
        .cors_origins
        .iter()
        .filter_map(|o| HeaderValue::from_str(o.trim()).ok())
        .collect();
    let cors = CorsLayer::new()
        .allow_origin(AllowOrigin::list(origins))
        .allow_methods([Method::GET, Method::POST])
        .allow_headers([
            header::CONTENT_TYPE,
            header::AUTHORIZATION,
            header::ACCEPT,
            header::IF_NONE_MATCH,
        ])
        .expose_headers([
            header::ETAG,
            header::HeaderName::from_static("x-request-id"),
        ])
        .max_age(std::time::Duration::from_secs(600));
    // Everything a client can make work: rate limited (the /data endpoints belong here too).
    let limited = Router::new()
        .route(
            "/graphql",
            get(graphql::get)
                .post(graphql::post)
                .fallback(graphql::other_method),
        )
        .route_layer(axum::middleware::from_fn_with_state(
            h.clone(),
            rate_limit::layer,
        ));
    Router::new()
        .merge(limited)
        .route("/", get(playground))
        .route("/healthz", get(|| async { "ok" }))
        .route("/readyz", get(readyz))
        .route("/metrics", get(metrics_endpoint))
        .layer(DefaultBodyLimit::max(c.max_body_bytes))
        .layer(cors)
        .layer(axum::middleware::from_fn_with_state(
            metrics,
            request_id::layer,
        ))
        // gzip or brotli by Accept-Encoding, with `Vary: Accept-Encoding`; leaves alone the
        // cached answers that already carry their Content-Encoding, and 304s (no body).
        .layer(CompressionLayer::new())
        .with_state(h)
}

async fn readyz(State(h): State<Http>) -> Response {
    if crate::store::ping(&h.state.db).await {
        (StatusCode::OK, "ready").into_response()
    } else {
        (
            StatusCode::SERVICE_UNAVAILABLE,
            "ikke klar: databasen svarer ikke",
        )
            .into_response()
    }
}

async fn metrics_endpoint(State(h): State<Http>) -> Response {
    let body = h.metrics.render(&h.state, h.cache.as_deref()).await;
    (
        [(
            header::CONTENT_TYPE,
            "text/plain; version=0.0.4; charset=utf-8",
        )],
        body,
    )
        .into_response()
}

async fn playground() -> impl IntoResponse {
    Html(playground_html())
}

/// The playground page with the example operations as tabs.
pub fn playground_html() -> String {
    let tabs: Vec<serde_json::Value> = PLAYGROUND_OPERATIONS
        .iter()
        .map(|(_, q)| serde_json::json!({ "query": q, "headers": "{\n  \"Authorization\": \"Bearer <token>\"\n}" }))
        .collect();
    let json = serde_json::Value::Array(tabs)
        .to_string()
        .replace("</", "<\\/");
    include_str!("../../playground/index.html").replace("/*TABS*/[]", &json)
}
