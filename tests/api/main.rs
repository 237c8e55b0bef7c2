//! Integration tests: each starts the app on a random port with a fresh database and talks
//! GraphQL over HTTP. Every test runs on SQLite and, when `PLEJEOVERBLIK_TEST_POSTGRES_URL` is
//! set, on PostgreSQL (see `helpers.rs`).
mod helpers;

mod absent;
mod admin;
mod admin_console;
mod audit;
mod auth;
mod bounds;
mod casework;
mod cli;
mod copy_data;
mod disk_full;
mod enhed_contact;
mod failover;
mod feed;
mod foto;
mod foundation;
mod hardening;
mod hostile;
mod integrity;
mod language;
mod login;
mod perimeter;
mod playground;
mod preview_issues;
mod profil;
mod rate_limit;
mod read_model;
mod resilience;
mod response_cache;
mod search;
mod soeg;
