//! Plejeoverblik: the GraphQL service for the Danish care overview.
//!
//! Data flows one way: `http` -> `auth` (token -> Viewer) -> `graphql` (thin resolvers) ->
//! `domain` (pure rules) and `store` (persistence).
pub mod app;
pub mod auth;
pub mod config;
pub mod domain;
pub mod error;
pub mod graphql;
pub mod http;
pub mod import;
pub mod seed;
pub mod store;

pub use app::AppState;
pub use config::Config;
