//! The HTTP surface: `/graphql` (POST, and GET for queries), the playground at `/`,
//! `/healthz` and `/readyz`.
use crate::app::AppState;
use crate::graphql::{build_schema, loaders, AppSchema};
use async_graphql_axum::{GraphQLRequest, GraphQLResponse};
use axum::extract::{DefaultBodyLimit, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{Html, IntoResponse, Response};
use axum::routing::get;
use axum::Router;
use std::time::Duration;

#[derive(Clone)]
struct Http {
    state: AppState,
    schema: AppSchema,
}

/// The example operations of `playground/`, offered as tabs in the playground.
pub const PLAYGROUND_OPERATIONS: &[(&str, &str)] = &[
    ("Kommuner", include_str!("../playground/kommuner.graphql")),
    (
        "Plejeboliger i Aarhus nær Aarhus C",
        include_str!("../playground/search-aarhus-naer.graphql"),
    ),
    (
        "Helhedspleje i Roskilde næste måned",
        include_str!("../playground/search-helhedspleje-naeste-maaned.graphql"),
    ),
    (
        "Et plejecenter",
        include_str!("../playground/enhed.graphql"),
    ),
    ("Hvem er jeg", include_str!("../playground/viewer.graphql")),
    (
        "Mine serviceleverancer",
        include_str!("../playground/serviceleverancer.graphql"),
    ),
    (
        "Opret serviceleverance",
        include_str!("../playground/create.graphql"),
    ),
    (
        "Lås, ret og tjek ind",
        include_str!("../playground/lock-update-checkin.graphql"),
    ),
];

pub fn router(state: AppState) -> Router {
    let c = &state.config;
    let schema = build_schema(
        Some(state.clone()),
        c.introspection,
        c.max_depth,
        c.max_complexity,
    );
    let body_limit = c.max_body_bytes;
    let timeout = Duration::from_secs(c.request_timeout_secs);
    Router::new()
        .route("/graphql", get(graphql_get).post(graphql_post))
        .route("/", get(playground))
        .route("/healthz", get(|| async { "ok" }))
        .route("/readyz", get(readyz))
        .layer(DefaultBodyLimit::max(body_limit))
        .layer(tower_http::timeout::TimeoutLayer::with_status_code(
            StatusCode::SERVICE_UNAVAILABLE,
            timeout,
        ))
        .with_state(Http { state, schema })
}

fn authorization(headers: &HeaderMap) -> Option<&str> {
    headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
}

async fn execute(h: &Http, headers: &HeaderMap, req: async_graphql::Request) -> Response {
    let viewer = match h.state.auth.authenticate(authorization(headers)) {
        Ok(v) => v,
        Err(e) => {
            let err = e
                .into_graphql()
                .into_server_error(async_graphql::Pos::default());
            let resp = async_graphql::Response::from_errors(vec![err]);
            return (StatusCode::UNAUTHORIZED, GraphQLResponse::from(resp)).into_response();
        }
    };
    let req = loaders::per_request(&h.state.db, req.data(viewer));
    GraphQLResponse::from(h.schema.execute(req).await).into_response()
}

async fn graphql_post(State(h): State<Http>, headers: HeaderMap, req: GraphQLRequest) -> Response {
    execute(&h, &headers, req.into_inner()).await
}

/// GET serves queries only (mutations over GET are refused with 405: no state change via GET).
async fn graphql_get(State(h): State<Http>, headers: HeaderMap, req: GraphQLRequest) -> Response {
    let req = req.into_inner();
    let is_mutation = async_graphql::parser::parse_query(&req.query).is_ok_and(|doc| {
        doc.operations.iter().any(|(name, op)| {
            let selected = match (&req.operation_name, name) {
                (Some(want), Some(n)) => want == n.as_str(),
                _ => true,
            };
            selected && op.node.ty != async_graphql::parser::types::OperationType::Query
        })
    });
    if is_mutation {
        let mut resp = (
            StatusCode::METHOD_NOT_ALLOWED,
            "Mutationer skal sendes med POST.",
        )
            .into_response();
        resp.headers_mut()
            .insert(header::ALLOW, header::HeaderValue::from_static("POST"));
        return resp;
    }
    execute(&h, &headers, req).await
}

async fn readyz(State(h): State<Http>) -> Response {
    if crate::store::ping(&h.state.db).await {
        (StatusCode::OK, "ready").into_response()
    } else {
        (StatusCode::SERVICE_UNAVAILABLE, "databasen svarer ikke").into_response()
    }
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
    include_str!("../playground/index.html").replace("/*TABS*/[]", &json)
}
