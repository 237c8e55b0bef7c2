//! Plejeoverblik: the GraphQL service for the Danish care overview.
//!
//! Data flows one way: `http` -> `auth` (token -> Viewer) -> `graphql` (thin resolvers) ->
//! `service` (use cases: load, decide, write in one transaction with audit) -> `domain` (pure
//! rules and the access policy) and `store` (persistence).
pub mod app;
pub mod auth;
pub mod config;
pub mod domain;
pub mod error;
pub mod graphql;
pub mod http;
pub mod imaging;
pub mod import;
pub mod oidc;
pub mod readmodel;
pub mod seed;
pub mod service;
pub mod store;

pub use app::AppState;
pub use config::Config;
