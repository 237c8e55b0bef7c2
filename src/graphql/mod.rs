//! The GraphQL API: thin resolvers over the domain and the store. The schema is built once;
//! the viewer and the DataLoaders are made per request (`http.rs`).
pub mod admin_types;
pub mod loaders;
pub mod mutation;
pub mod query;
pub mod search;
pub mod types;

use crate::app::AppState;
use crate::domain::access::Viewer;
use crate::error::AppError;
use async_graphql::{Context, EmptySubscription, Schema};

pub type AppSchema = Schema<query::Query, mutation::Mutation, EmptySubscription>;

pub fn build_schema(
    state: Option<AppState>,
    introspection: bool,
    max_depth: usize,
    max_complexity: usize,
) -> AppSchema {
    let mut b = Schema::build(
        query::Query::default(),
        mutation::Mutation,
        EmptySubscription,
    )
    .limit_depth(max_depth)
    .limit_complexity(max_complexity);
    if !introspection {
        b = b.disable_introspection().disable_suggestions();
    }
    if let Some(s) = state {
        b = b.data(s);
    }
    b.finish()
}

/// The SDL of the schema, as committed in `schema.graphql`.
pub fn sdl() -> String {
    build_schema(None, true, usize::MAX, usize::MAX).sdl()
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
