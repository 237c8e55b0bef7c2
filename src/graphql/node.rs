//! Relay: global ids and `node(id:)` for the public types (Kommune, Enhed).
use super::types::{Enhed, Kommune};
use async_graphql::{Interface, ID};
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;

/// An object with a global id that `node(id:)` finds again.
#[derive(Interface)]
#[graphql(field(
    name = "id",
    ty = "ID",
    desc = "Global id (opaque); `node(id:)` finds the object again."
))]
pub enum Node {
    Kommune(Kommune),
    Enhed(Enhed),
}

pub fn global_id(kind: &str, raw: &str) -> ID {
    // Concatenated by hand: `format!` costs more than the encoding, once per enhed of a page.
    let mut s = String::with_capacity(kind.len() + 1 + raw.len());
    s.push_str(kind);
    s.push(':');
    s.push_str(raw);
    ID(URL_SAFE_NO_PAD.encode(s))
}

/// `(kind, raw id)` of a global id.
pub fn decode(id: &str) -> Option<(String, String)> {
    let s = String::from_utf8(URL_SAFE_NO_PAD.decode(id.trim()).ok()?).ok()?;
    let (k, r) = s.split_once(':')?;
    matches!(k, "Kommune" | "Enhed").then(|| (k.to_string(), r.to_string()))
}

/// An enhed reference as clients send it: its global id or the register's id.
pub fn enhed_key(input: &str) -> String {
    match decode(input) {
        Some((k, raw)) if k == "Enhed" => raw,
        _ => input.trim().to_string(),
    }
}
