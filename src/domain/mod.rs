//! The domain: pure rules without I/O. Each file is one concept of `DOMAIN.md`.
pub mod access;
pub mod day;
pub mod diff;
pub mod enhed;
pub mod feed;
pub mod frit_valg;
pub mod geo;
pub mod kommune;
pub mod lock;
pub mod map;
pub mod profil;
pub mod search;
pub mod serviceleverance;
pub mod session;
pub mod sted;
pub mod text;
pub mod tilsyn;
pub mod worklist;

/// A small deterministic generator (xorshift64) for the unit tests' random data: each call
/// gives a number below `n`.
#[cfg(test)]
pub(crate) fn test_rng(seed: u64) -> impl FnMut(u64) -> u64 {
    let mut state = seed;
    move |n| {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        state % n
    }
}
