//! The parsed-document cache weighs what a tree really holds (issue 18, N3): the weight the
//! gate computes for a document (`graphql::weight::document_bytes`) is compared with the bytes
//! a counting allocator sees the parser keep. Before, a tree was weighed at 8x its text while
//! real trees are ~14x, so the cache's 16 MiB bound held about twice that.
//!
//! A test binary of its own: its global allocator counts every allocation of the process.
use plejeoverblik::graphql::weight::document_bytes;
use std::alloc::{GlobalAlloc, Layout, System};
use std::sync::atomic::{AtomicIsize, Ordering};

struct Counting;

static LIVE: AtomicIsize = AtomicIsize::new(0);

// SAFETY: every call is passed on to the system allocator unchanged; only a counter is kept.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        LIVE.fetch_add(layout.size() as isize, Ordering::Relaxed);
        unsafe { System.alloc(layout) }
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        LIVE.fetch_sub(layout.size() as isize, Ordering::Relaxed);
        unsafe { System.dealloc(ptr, layout) }
    }
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        LIVE.fetch_add(
            new_size as isize - layout.size() as isize,
            Ordering::Relaxed,
        );
        unsafe { System.realloc(ptr, layout, new_size) }
    }
}

#[global_allocator]
static GLOBAL: Counting = Counting;

/// GraphiQL's introspection query.
const INTROSPECTION: &str = r#"query IntrospectionQuery {
  __schema { queryType { name } mutationType { name } subscriptionType { name }
    types { ...FullType } directives { name description locations args { ...InputValue } } } }
fragment FullType on __Type { kind name description
  fields(includeDeprecated: true) { name description args { ...InputValue } type { ...TypeRef }
    isDeprecated deprecationReason }
  inputFields { ...InputValue } interfaces { ...TypeRef }
  enumValues(includeDeprecated: true) { name description isDeprecated deprecationReason }
  possibleTypes { ...TypeRef } }
fragment InputValue on __InputValue { name description type { ...TypeRef } defaultValue }
fragment TypeRef on __Type { kind name ofType { kind name ofType { kind name ofType { kind name
  ofType { kind name ofType { kind name ofType { kind name ofType { kind name } } } } } } } }"#;

/// Documents of the kinds the service gets: the playground's introspection query, the citizen
/// page's search, an admin mutation with variables, fragments and literals.
fn documents() -> Vec<String> {
    let mut docs = vec![
        INTROSPECTION.to_string(),
        include_str!("../playground/search-aarhus-naer.graphql").to_string(),
        include_str!("../playground/lock-update-checkin.graphql").to_string(),
        include_str!("../playground/serviceleverancer.graphql").to_string(),
        r#"query Soeg($kommune: String!, $efter: String, $near: KoordinatInput) {
             search(kommune: $kommune, first: 30, after: $efter, near: $near) {
               totalCount pageInfo { hasNextPage endCursor }
               edges { node { afstandKm enhed { id navn type boligtype antalBoliger
                 adresse { vejnavn husnummer postnummer by } kontakt { telefon email web }
                 koordinat { lat lon } } tilbud { type startdato slutdato beskrivelse } } }
             } }"#
            .to_string(),
        r#"mutation Gem($id: ID!, $input: ServiceleveranceInput!) {
             updateServiceleverance(id: $id, input: $input) { id revision aftaleidentifikation
               startdato slutdato issues { field severity message } } }"#
            .to_string(),
        r#"query { ...A ...B } fragment A on Query { kommuner { kode navn region }
             k: kommune(kode: "0101") { ...K } } fragment B on Query { x: kommune(kode: "0147") { ...K } }
             fragment K on Kommune { kode navn centroid { lat lon } }"#
            .to_string(),
    ];
    // Many small distinct documents, as a flood of distinct queries would send.
    for i in 0..50 {
        docs.push(format!(
            "query Q{i} {{ a{i}: kommune(kode: \"{:04}\") {{ kode navn }} kommuner(first: {i}) {{ kode }} }}",
            i * 7
        ));
    }
    docs
}

#[test]
fn the_weight_of_a_parsed_document_is_what_the_parser_keeps() {
    let docs = documents();
    let mut estimated = 0usize;
    let before = LIVE.load(Ordering::Relaxed);
    let mut kept = Vec::new();
    for text in &docs {
        let doc = async_graphql::parser::parse_query(text).expect("the document parses");
        estimated += document_bytes(&doc);
        kept.push(doc);
    }
    // The trees' own allocations: the growth less the Vec that holds them.
    let held = (LIVE.load(Ordering::Relaxed) - before) as usize
        - kept.capacity() * std::mem::size_of::<async_graphql::parser::types::ExecutableDocument>();
    let text: usize = docs.iter().map(String::len).sum();
    eprintln!(
        "{} documents, {text} bytes of text: the parser keeps {held} bytes ({:.1}x the text), the weight says {estimated} ({:.2}x of what is kept)",
        docs.len(),
        held as f64 / text as f64,
        estimated as f64 / held as f64
    );
    // The allocator's rounding is on top of the requested bytes, so the estimate may be above
    // them, but never below: an estimate below would let the cache hold more than its bound.
    assert!(
        estimated >= held,
        "the weight ({estimated}) is below what the trees hold ({held})"
    );
    assert!(
        estimated <= held * 3 / 2,
        "the weight ({estimated}) is over 1.5x what the trees hold ({held}): the cache would keep too few"
    );
    drop(kept);
}
