//! The HTTP surface: `/graphql` (GraphQL over HTTP: POST, and GET for queries), the
//! playground at `/` and the citizen search at `/soeg` (their assets under `/assets/`, `page`),
//! the admin console at `/admin` (its assets under `/admin/assets/`), the open-data files under
//! `/data/`, `/healthz`, `/readyz` and `/metrics`. `/graphql` and `/data` are rate limited per
//! client (`rate_limit`); anonymous queries are answered from the response cache when they can
//! be (`response_cache`). Every response is compressed (gzip or brotli) when the client accepts
//! it.
pub mod admin;
mod enhed_page;
mod enhed_profil;
mod export;
mod foto;
mod graphql;
mod login;
pub mod metrics;
pub mod open_data;
pub mod page;
pub mod playground;
mod rate_limit;
mod request_id;
mod response_cache;
pub mod server;
pub mod soeg;
mod subscriptions;

pub use playground::{playground_html, PLAYGROUND_OPERATIONS};

use crate::app::AppState;
use crate::graphql::{build_schema, AppSchema};
use axum::extract::{DefaultBodyLimit, State};
use axum::http::{header, HeaderValue, Method, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::Router;
use std::sync::Arc;
use tower_http::compression::CompressionLayer;
use tower_http::cors::{AllowOrigin, CorsLayer};

/// What every handler gets. Behind one `Arc`: axum clones the state for every request and
/// every middleware, and a clone of the fields (a dozen reference counts, the database
/// handle) and its drop were a fifth of the CPU of a `{ __typename }` request.
#[derive(Clone)]
pub(crate) struct Http(Arc<HttpState>);

impl std::ops::Deref for Http {
    type Target = HttpState;
    fn deref(&self) -> &HttpState {
        &self.0
    }
}

pub(crate) struct HttpState {
    pub state: AppState,
    pub schema: AppSchema,
    /// Persisted queries, limits and parsed documents in front of the schema.
    pub gate: Arc<crate::graphql::prepare::Gate>,
    pub metrics: Arc<metrics::Metrics>,
    /// The open-data files of the current data version.
    pub files: Arc<open_data::FileCache>,
    /// `None`: rate limiting is off.
    pub rate_limits: Option<Arc<rate_limit::RateLimits>>,
    /// `None`: the response cache is off.
    pub cache: Option<Arc<response_cache::ResponseCache>>,
    /// Open subscriptions, per client and in total.
    pub subscriptions: Arc<subscriptions::Subscriptions>,
    /// Live SSE subscriptions that share an execution.
    pub shared: Arc<subscriptions::Shared>,
    /// The texts of search hits' enheder written before (`graphql::direct`).
    pub rendered: Arc<crate::graphql::direct::Rendered>,
}

pub use rate_limit::parse_trusted_proxy;

pub fn router(state: AppState) -> Router {
    let c = state.config.clone();
    let schema = build_schema(Some(state.clone()), &c);
    // Keeps the read model and the change feed current with other instances' commits, and
    // records each day's start and end of offers (need the runtime, which every caller of
    // `router` has).
    crate::readmodel::spawn_sync(
        state.db.clone(),
        state.read_model.clone(),
        c.version_check_interval,
    );
    crate::service::feed::spawn_day_changes(
        state.db.clone(),
        state.clock.clone(),
        state.read_model.clone(),
        c.change_log_retention_days,
        c.audit_retention_days,
    );
    let metrics = Arc::new(metrics::Metrics::default());
    let h = Http(Arc::new(HttpState {
        state,
        schema,
        gate: Arc::new(crate::graphql::gate(&c)),
        metrics: metrics.clone(),
        rate_limits: rate_limit::RateLimits::from_config(&c),
        files: Arc::default(),
        cache: response_cache::ResponseCache::new(c.response_cache_bytes).map(Arc::new),
        subscriptions: subscriptions::Subscriptions::new(
            c.max_subscriptions,
            c.max_subscriptions_per_client,
        ),
        shared: Arc::default(),
        rendered: Arc::new(crate::graphql::direct::Rendered::new(
            crate::graphql::direct::RENDERED_CACHE_BYTES,
        )),
    }));
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
        .route("/data/{file}", get(open_data::tilbud))
        .route(
            "/export/serviceleverancer.csv",
            get(export::serviceleverancer),
        )
        .route("/export/{file}", get(export::log))
        .route(
            "/graphql/stream",
            get(subscriptions::sse_get).post(subscriptions::sse_post),
        )
        .route("/graphql/ws", get(subscriptions::ws))
        .route("/enhed/{id}/fotos", axum::routing::put(foto::upload))
        .merge(login::routes())
        .route_layer(axum::middleware::from_fn_with_state(
            h.clone(),
            rate_limit::layer,
        ));
    Router::new()
        .merge(limited)
        .route("/", get(playground::page))
        .route("/soeg", get(soeg::page))
        .route("/soeg/tilgaengelighed", get(soeg::accessibility))
        .route("/soeg/enhed/{id}", get(enhed_page::page_of))
        .route("/soeg/sammenlign", get(enhed_page::compare))
        .route("/assets/{*path}", get(page::asset))
        .route("/foto/{enhed}/{file}", get(foto::get))
        .merge(admin::routes(c.dev_tokens))
        .route("/healthz", get(|| async { "ok" }))
        .route("/readyz", get(readyz))
        .route("/metrics", get(metrics_endpoint))
        .layer(DefaultBodyLimit::max(c.max_body_bytes))
        .layer(cors)
        .layer(axum::middleware::from_fn_with_state(
            metrics,
            request_id::count,
        ))
        // Outermost first for a request: an insane id dropped, an id set (kept or new), the
        // span and access log with it, and the id given back in the response.
        .layer(request_id::propagate())
        .layer(request_id::trace())
        .layer(request_id::set())
        .layer(axum::middleware::from_fn(request_id::drop_insane))
        // gzip or brotli by Accept-Encoding, with `Vary: Accept-Encoding`; leaves alone the
        // cached answers that already carry their Content-Encoding, and 304s (no body).
        .layer(CompressionLayer::new())
        .with_state(h)
}

/// Ready: the database answers, and writes do not fail for a full or failing disk (while they
/// do, a committed write of its own at most once a second finds when they work again).
async fn readyz(State(h): State<Http>) -> Response {
    let st = &h.state;
    if !crate::store::ping(&st.db).await {
        return (
            StatusCode::SERVICE_UNAVAILABLE,
            "ikke klar: databasen svarer ikke",
        )
            .into_response();
    }
    if st.writes.probe_due() {
        match crate::store::probe_commit(&st.db, &st.config.database_url).await {
            Ok(()) => st.writes.succeeded(),
            Err(sea_orm::DbErr::Custom(_)) => {}
            Err(e) => st.writes.failed(&e, st.clock.now()),
        }
    }
    match st.writes.fault() {
        Some(f) => (
            StatusCode::SERVICE_UNAVAILABLE,
            format!(
                "ikke klar: {} (siden {})",
                f.outage.of_writes().unwrap_or("skrivninger fejler"),
                crate::error::local_time(f.since)
            ),
        )
            .into_response(),
        None => (StatusCode::OK, "ready").into_response(),
    }
}

async fn metrics_endpoint(State(h): State<Http>) -> Response {
    let (documents, persisted) = h.gate.bytes();
    let caches = [
        ("documents", documents),
        ("persisted_queries", persisted),
        ("open_data", h.files.bytes()),
        ("rendered_hits", h.rendered.bytes()),
    ];
    let now = metrics::Now {
        subscriptions_open: h.subscriptions.open() as u64,
        change_feed_head: h.state.read_model.feed.head() as u64,
    };
    let body = h
        .metrics
        .render(&h.state, h.cache.as_deref(), &caches, now)
        .await;
    ([(header::CONTENT_TYPE, metrics::CONTENT_TYPE)], body).into_response()
}
