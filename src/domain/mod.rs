//! The domain: pure rules without I/O. Each file is one concept of `DOMAIN.md`.
pub mod access;
pub mod day;
pub mod enhed;
pub mod geo;
pub mod kommune;
pub mod lock;
pub mod search;
pub mod serviceleverance;
pub mod text;
