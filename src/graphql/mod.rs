//! The GraphQL API: thin resolvers over the domain and the store. The schema is built once;
//! the viewer and the DataLoaders are made per request (`http.rs`).
pub mod absent;
pub mod admin_types;
pub mod casework;
mod connection;
pub mod direct;
pub mod enums;
pub mod feed;
pub mod guards;
pub mod limits;
pub mod loaders;
pub mod messages;
pub mod mutation;
pub mod nesting;
pub mod node;
pub mod order;
pub mod prepare;
pub mod query;
pub mod scalars;
pub mod search;
pub mod tilsyn;
pub mod types;
pub mod weight;

use crate::app::AppState;
use crate::config::Config;
use crate::domain::access::Viewer;
use crate::error::AppError;
use async_graphql::{Context, Schema};

pub type AppSchema = Schema<query::Query, mutation::Mutation, feed::Subscription>;

/// Builds the schema with async-graphql's own limits from the configuration. It has no
/// extensions on purpose (they would cost on every field): persisted queries, the other limits
/// and the key order are applied around it by [`gate`] and `order.rs`.
pub fn build_schema(state: Option<AppState>, c: &Config) -> AppSchema {
    let mut b = builder(c);
    if let Some(s) = state {
        b = b.data(s);
    }
    b.finish()
}

/// The schema with async-graphql's limits and introspection as configured, before its data.
fn builder(
    c: &Config,
) -> async_graphql::SchemaBuilder<query::Query, mutation::Mutation, feed::Subscription> {
    let mut b = Schema::build(
        query::Query::default(),
        mutation::Mutation::default(),
        feed::Subscription,
    )
    .limit_depth(c.max_depth)
    .limit_complexity(c.max_complexity)
    .limit_directives(c.max_directives)
    .limit_recursive_depth(64);
    if !c.introspection {
        b = b.disable_introspection().disable_suggestions();
    }
    b
}

/// The checks and caches in front of the schema, with the limits of the configuration.
pub fn gate(c: &Config) -> prepare::Gate {
    prepare::Gate::new(
        limits(c),
        c.validation_workers,
        std::time::Duration::from_secs(c.request_timeout_secs),
    )
}

/// The gate's limits of the configuration.
pub fn limits(c: &Config) -> limits::Limits {
    limits::Limits {
        max_aliases: c.max_aliases,
        max_root_fields: c.max_root_fields,
        max_nesting: c.max_nesting,
        max_fields: c.max_fields,
        max_fragment_spreads: c.max_fragment_spreads,
        max_nodes: c.max_expanded_nodes,
    }
}

/// The schema that validates and stops before execution (`tests/gate_bound.rs` proves the
/// gate's bound with it).
pub fn validating_schema(c: &Config) -> AppSchema {
    prepare::validating(builder(c))
}

/// The SDL of the schema, as committed in `schema.graphql`.
pub fn sdl() -> String {
    build_schema(None, &Config::default()).sdl()
}

pub(crate) fn state<'a>(ctx: &Context<'a>) -> &'a AppState {
    ctx.data_unchecked::<AppState>()
}

pub(crate) fn viewer<'a>(ctx: &Context<'a>) -> &'a Viewer {
    static ANON: std::sync::OnceLock<Viewer> = std::sync::OnceLock::new();
    ctx.data_opt::<Viewer>()
        .unwrap_or_else(|| ANON.get_or_init(Viewer::anonymous))
}

pub(crate) fn db_err(e: std::sync::Arc<sea_orm::DbErr>) -> AppError {
    AppError::from((*e).clone())
}
