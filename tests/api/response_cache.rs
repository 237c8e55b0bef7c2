//! Issue 10: the response cache of anonymous queries (served without executing, 304 without
//! executing, invalidated by every save and by the day, never for authenticated requests,
//! bounded in bytes), HTTP compression, the revalidating cache policy and response keys in
//! the order of the selection set.
use crate::db_test;
use crate::helpers::*;
use chrono::Duration;
use plejeoverblik::domain::access::Role;
use serde_json::{json, Value};
use std::io::Read;
use std::sync::Arc;

fn url(app: &TestApp) -> String {
    format!("{}/graphql", app.addr)
}

/// An anonymous GET with extra headers.
async fn get(app: &TestApp, q: &str, headers: &[(&str, &str)]) -> reqwest::Response {
    let mut r = app.client().get(url(app)).query(&[("query", q)]);
    for (k, v) in headers {
        r = r.header(*k, *v);
    }
    r.send().await.expect("get")
}

/// A metric's value, 0 when absent.
async fn metric(app: &TestApp, name: &str) -> u64 {
    metric_value(app, name).await.unwrap_or(0)
}

const HIT: &str = "plejeoverblik_response_cache_total{result=\"hit\"}";
const MISS: &str = "plejeoverblik_response_cache_total{result=\"miss\"}";
const NOT_MODIFIED: &str = "plejeoverblik_response_cache_total{result=\"not_modified\"}";
const BYTES: &str = "plejeoverblik_response_cache_bytes";

fn header(r: &reqwest::Response, name: &str) -> String {
    r.headers()
        .get(name)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .to_string()
}

const ROSKILDE_Q: &str = "query Roskilde { search(kommune: \"0265\") { totalCount edges { node { navn } serviceleverance { type startdato } } } }";

db_test!(
    /// The second identical anonymous GET is answered from the cache without executing (no
    /// statement, no operation in the metrics); a matching If-None-Match is a 304 without
    /// executing; an anonymous POST of the same query uses the same entry but gets no cache
    /// headers; another media type is another entry.
    served_from_the_cache_without_executing,
    |app: TestApp| async move {
        let e = create_enhed(&app, "PLEJEENHED", "Aldersro", "80000001", 55.64, 12.08).await;
        create_agreement(&app, ROSKILDE, &e, "DRIFTSOVERENSKOMST", "2026-01-01", None).await;
        let r = get(&app, ROSKILDE_Q, &[]).await;
        assert_eq!(r.status(), 200);
        assert_eq!(header(&r, "cache-control"), "public, no-cache");
        assert!(header(&r, "vary").to_ascii_lowercase().contains("accept-encoding"));
        let etag = header(&r, "etag");
        assert!(etag.starts_with("W/\""), "{etag}");
        let first = r.text().await.expect("body");
        assert!(first.contains("Aldersro"), "{first}");
        assert_eq!((metric(&app, MISS).await, metric(&app, HIT).await), (1, 0));

        let before = app.state.statements.get();
        let r = get(&app, ROSKILDE_Q, &[]).await;
        assert_eq!(app.state.statements.get(), before, "a cached answer runs no statement");
        assert_eq!(r.status(), 200);
        assert_eq!(header(&r, "etag"), etag);
        assert_eq!(header(&r, "cache-control"), "public, no-cache");
        assert_eq!(r.text().await.expect("body"), first);
        assert_eq!(metric(&app, HIT).await, 1);
        let ran = "plejeoverblik_graphql_requests_total{operation=\"Roskilde\",outcome=\"ok\"}";
        assert_eq!(metric(&app, ran).await, 1, "executed once");

        // 304 at once, from the cache.
        let before = app.state.statements.get();
        let r = get(&app, ROSKILDE_Q, &[("if-none-match", &etag)]).await;
        assert_eq!(r.status(), 304);
        assert_eq!(app.state.statements.get(), before, "a 304 runs no statement");
        assert_eq!(header(&r, "etag"), etag);
        assert_eq!(header(&r, "cache-control"), "public, no-cache");
        assert!(r.bytes().await.expect("body").is_empty());
        assert_eq!(metric(&app, NOT_MODIFIED).await, 1);
        assert_eq!(metric(&app, ran).await, 1);

        // POST: the same entry, without cache headers.
        let r = app.client().post(url(&app)).json(&json!({ "query": ROSKILDE_Q })).send().await.expect("post");
        assert_eq!(header(&r, "cache-control"), "no-store");
        assert!(r.headers().get("etag").is_none());
        assert_eq!(r.text().await.expect("body"), first);
        assert_eq!(metric(&app, HIT).await, 2);
        assert_eq!(metric(&app, ran).await, 1);

        // Another media type is another entry.
        let r = get(&app, ROSKILDE_Q, &[("accept", "application/graphql-response+json")]).await;
        assert_eq!(header(&r, "content-type"), "application/graphql-response+json");
        assert_eq!(metric(&app, MISS).await, 2);
        assert_eq!(metric(&app, ran).await, 2);

        // Variables are part of the key, in any order of their keys.
        let q = "query K($k: String!, $d: Date) { search(kommune: $k, date: $d) { totalCount } }";
        let v1 = json!({ "k": "0265", "d": "2026-06-15" }).to_string();
        let v2 = r#"{"d":"2026-06-15","k":"0265"}"#;
        for v in [v1.as_str(), v2] {
            let r = app.client().get(url(&app)).query(&[("query", q), ("variables", v)]).send().await.expect("get");
            assert_eq!(r.status(), 200);
        }
        assert_eq!(metric(&app, HIT).await, 3);
        let r = app.client().get(url(&app)).query(&[("query", q), ("variables", r#"{"k":"0751","d":"2026-06-15"}"#)]).send().await.expect("get");
        let v: Value = r.json().await.expect("json");
        assert_eq!(v["data"]["search"]["totalCount"], 0);
        assert_eq!(metric(&app, MISS).await, 4);
    }
);

db_test!(
    /// R12: a save through the API (lock, update, check in as the kommune) changes the answer
    /// and the ETag at once; the old ETag no longer gets a 304.
    a_save_changes_the_answer_and_the_etag_at_once,
    |app: TestApp| async move {
        let e = create_enhed(&app, "PLEJEENHED", "Aldersro", "80000001", 55.64, 12.08).await;
        let id = create_agreement(&app, ROSKILDE, &e, "DRIFTSOVERENSKOMST", "2026-01-01", None).await;
        let r = get(&app, ROSKILDE_Q, &[]).await;
        let etag1 = header(&r, "etag");
        assert!(r.text().await.expect("body").contains("2026-01-01"));
        assert_eq!(get(&app, ROSKILDE_Q, &[("if-none-match", &etag1)]).await.status(), 304);

        let kommune = app.token(Role::Driftsoverenskomstansvarlig, &kommune_cvr(ROSKILDE), "anne");
        app.ok(Some(&kommune), "mutation($id: ID!) { lockServiceleverance(id: $id) { id } }", json!({ "id": id })).await;
        app.ok(
            Some(&kommune),
            "mutation($id: ID!, $i: UpdateServiceleveranceInput!) { updateServiceleverance(id: $id, input: $i) { id } }",
            json!({ "id": id, "i": { "startdato": "2026-03-01" } }),
        )
        .await;
        // Saved = published: the very next request sees it, with a new ETag.
        let r = get(&app, ROSKILDE_Q, &[("if-none-match", &etag1)]).await;
        assert_eq!(r.status(), 200, "no stale 304 after a save");
        let etag2 = header(&r, "etag");
        assert_ne!(etag2, etag1);
        let body = r.text().await.expect("body");
        assert!(body.contains("2026-03-01") && !body.contains("2026-01-01"), "{body}");

        app.ok(Some(&kommune), "mutation($id: ID!) { checkInServiceleverance(id: $id, kommentar: \"ok\") { id } }", json!({ "id": id })).await;
        // Checking in changes the data version; the answer is the same, and so is its ETag
        // (a hash of the bytes), so a revalidating client keeps its copy.
        let r = get(&app, ROSKILDE_Q, &[("if-none-match", &etag2)]).await;
        assert_eq!(r.status(), 304);
        assert_eq!(header(&r, "etag"), etag2);
        // Anonymous POSTs see the save at once too.
        let d = app.ok(None, ROSKILDE_Q, json!({})).await;
        assert_eq!(d["search"]["edges"][0]["serviceleverance"]["startdato"], "2026-03-01");
    }
);

db_test!(
    /// The day (Copenhagen) is part of the key: an agreement that ends today is gone from
    /// tomorrow's answer without any write.
    another_day_is_another_entry,
    |app: TestApp| async move {
        let e = create_enhed(&app, "PLEJEENHED", "Aldersro", "80000001", 55.64, 12.08).await;
        create_agreement(&app, ROSKILDE, &e, "DRIFTSOVERENSKOMST", "2026-01-01", Some("2026-06-15")).await;
        let total = |r: Value| r["data"]["search"]["totalCount"].as_i64().expect("totalCount");
        let r = get(&app, ROSKILDE_Q, &[]).await;
        assert_eq!(total(r.json().await.expect("json")), 1);
        let r = get(&app, ROSKILDE_Q, &[]).await;
        assert_eq!(total(r.json().await.expect("json")), 1);
        assert_eq!(metric(&app, HIT).await, 1);
        // 23:59 in Copenhagen is still today; 00:00 is tomorrow.
        app.set_now(default_now() + Duration::hours(13) + Duration::minutes(59));
        let r = get(&app, ROSKILDE_Q, &[]).await;
        assert_eq!(total(r.json().await.expect("json")), 1);
        assert_eq!(metric(&app, HIT).await, 2);
        app.set_now(default_now() + Duration::hours(14));
        let r = get(&app, ROSKILDE_Q, &[]).await;
        assert_eq!(total(r.json().await.expect("json")), 0);
        assert_eq!(metric(&app, HIT).await, 2);
        assert_eq!(metric(&app, MISS).await, 2);
    }
);

db_test!(
    /// Authenticated requests never read the cache nor write it, introspection included.
    authenticated_requests_never_use_the_cache,
    |app: TestApp| async move {
        let t = app.token(Role::Redaktoer, "80000001", "rikke");
        for q in ["query Intro { __schema { queryType { name } } }", "query K { kommune(kode: \"0265\") { navn } }"] {
            // Written by an authenticated request: not stored.
            let r = app.client().get(url(&app)).query(&[("query", q)]).bearer_auth(&t).send().await.expect("get");
            assert_eq!(r.status(), 200);
            assert_eq!(header(&r, "cache-control"), "no-store");
            assert!(r.headers().get("etag").is_none());
            let misses = metric(&app, MISS).await;
            get(&app, q, &[]).await;
            assert_eq!(metric(&app, MISS).await, misses + 1, "{q}: anonymous request finds nothing");
            // Stored by the anonymous request, not read by an authenticated one.
            let hits = metric(&app, HIT).await;
            let r = app.client().get(url(&app)).query(&[("query", q)]).bearer_auth(&t).send().await.expect("get");
            assert_eq!(header(&r, "cache-control"), "no-store");
            let r = app.client().post(url(&app)).json(&json!({ "query": q })).bearer_auth(&t).send().await.expect("post");
            assert_eq!(r.status(), 200);
            assert_eq!(metric(&app, HIT).await, hits);
            get(&app, q, &[]).await;
            assert_eq!(metric(&app, HIT).await, hits + 1);
        }
        // A bad token is not anonymous: 401, never a cached answer.
        let r = app.client().get(url(&app)).query(&[("query", "query K { kommune(kode: \"0265\") { navn } }")]).bearer_auth("x.y.z").send().await.expect("get");
        assert_eq!(r.status(), 401);
        // Errors and mutations are never stored.
        let bad = "{ search(kommune: \"Korsbæk\") { totalCount } }";
        get(&app, bad, &[]).await;
        let misses = metric(&app, MISS).await;
        get(&app, bad, &[]).await;
        assert_eq!(metric(&app, MISS).await, misses + 1);
    }
);

db_test!(
    /// The cache holds at most --response-cache-bytes: an answer larger than the bound is not
    /// kept, many small ones evict each other; 0 turns the cache off (ETag and 304 still work).
    the_byte_bound_holds,
    |app: TestApp| async move {
        const BOUND: u64 = 12_000;
        let configure: Configure = Arc::new(|c| c.response_cache_bytes = BOUND);
        let app = TestApp::spawn(app.db_kind, Options { configure: Some(configure), ..Default::default() }).await;
        let all = "{ kommuner { id kode navn region regionskode cvr } }";
        let r = get(&app, all, &[]).await;
        assert!(r.bytes().await.expect("body").len() as u64 > BOUND);
        get(&app, all, &[]).await;
        assert_eq!((metric(&app, MISS).await, metric(&app, HIT).await), (2, 0), "too large to keep");
        let d = app.ok(None, "{ kommuner { kode } }", json!({})).await;
        let codes: Vec<String> = d["kommuner"].as_array().expect("kommuner").iter().map(|k| k["kode"].as_str().expect("kode").to_string()).collect();
        let one = "query($k: String!) { kommune(kode: $k) { navn kode region regionskode cvr } }";
        for k in &codes {
            let vars = json!({ "k": k }).to_string();
            let r = app.client().get(url(&app)).query(&[("query", one), ("variables", vars.as_str())]).send().await.expect("get");
            assert_eq!(r.status(), 200);
            let bytes = metric(&app, BYTES).await;
            assert!(bytes > 0 && bytes <= BOUND, "{bytes} bytes held, bound {BOUND}");
        }
        let entries = metric(&app, "plejeoverblik_response_cache_entries").await;
        assert!(entries > 10 && entries < codes.len() as u64, "{entries} entries");

        // Off.
        let configure: Configure = Arc::new(|c| c.response_cache_bytes = 0);
        let off = TestApp::spawn(app.db_kind, Options { configure: Some(configure), ..Default::default() }).await;
        let r = get(&off, ROSKILDE_Q, &[]).await;
        let etag = header(&r, "etag");
        assert!(!etag.is_empty());
        assert_eq!(get(&off, ROSKILDE_Q, &[("if-none-match", &etag)]).await.status(), 304);
        assert_eq!(metric(&off, MISS).await + metric(&off, HIT).await, 0);
        assert_eq!(metric(&off, BYTES).await, 0);
    }
);

db_test!(
    /// The operator may allow shared caches to keep answers: --cache-max-age-secs N.
    cache_max_age_is_the_operators_choice,
    |app: TestApp| async move {
        let configure: Configure = Arc::new(|c| c.cache_max_age_secs = 120);
        let app = TestApp::spawn(app.db_kind, Options { configure: Some(configure), ..Default::default() }).await;
        let r = get(&app, ROSKILDE_Q, &[]).await;
        assert_eq!(header(&r, "cache-control"), "public, max-age=120");
        let etag = header(&r, "etag");
        let r = get(&app, ROSKILDE_Q, &[("if-none-match", &etag)]).await;
        assert_eq!(r.status(), 304);
        assert_eq!(header(&r, "cache-control"), "public, max-age=120");
    }
);

fn gunzip(b: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    flate2::read::GzDecoder::new(b)
        .read_to_end(&mut out)
        .expect("gzip");
    out
}

fn unbrotli(b: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    brotli::Decompressor::new(b, 4096)
        .read_to_end(&mut out)
        .expect("brotli");
    out
}

db_test!(
    /// gzip and brotli by Accept-Encoding, for cached answers (kept compressed), answers that
    /// are not cached (compressed on the way out) and other pages; none without
    /// Accept-Encoding; ETag and 304 across codings.
    compression,
    |app: TestApp| async move {
        let all = "{ kommuner { id kode navn region regionskode cvr } }";
        let r = get(&app, all, &[]).await;
        assert!(r.headers().get("content-encoding").is_none());
        let etag = header(&r, "etag");
        let plain = r.bytes().await.expect("body");
        let mut sizes = Vec::new();
        for (coding, decode) in [("br", unbrotli as fn(&[u8]) -> Vec<u8>), ("gzip", gunzip)] {
            // Twice: the first is compressed as it is stored, the second comes from the cache.
            for round in 0..2 {
                let r = get(&app, all, &[("accept-encoding", coding)]).await;
                assert_eq!(r.status(), 200);
                assert_eq!(header(&r, "content-encoding"), coding, "round {round}");
                assert!(header(&r, "vary").to_ascii_lowercase().contains("accept-encoding"));
                assert_eq!(header(&r, "etag"), etag, "one validator for every coding");
                let body = r.bytes().await.expect("body");
                assert_eq!(decode(&body), plain.to_vec());
                sizes.push((coding, body.len()));
            }
            // Revalidation in another coding.
            let r = get(&app, all, &[("accept-encoding", coding), ("if-none-match", &etag)]).await;
            assert_eq!(r.status(), 304);
            assert!(header(&r, "vary").to_ascii_lowercase().contains("accept-encoding"));
        }
        eprintln!("kommuner list: plain {} bytes, {:?}", plain.len(), sizes);
        assert!(plain.len() > 10_000, "{}", plain.len());
        for (coding, n) in &sizes {
            assert!(*n * 4 < plain.len(), "{coding}: {n} of {}", plain.len());
        }
        // Preference: br over gzip on equal q; q=0 refuses.
        let r = get(&app, all, &[("accept-encoding", "gzip, deflate, br, zstd")]).await;
        assert_eq!(header(&r, "content-encoding"), "br");
        let r = get(&app, all, &[("accept-encoding", "br;q=0, gzip")]).await;
        assert_eq!(header(&r, "content-encoding"), "gzip");
        let r = get(&app, all, &[("accept-encoding", "br;q=0")]).await;
        assert!(r.headers().get("content-encoding").is_none());

        // Not cached (authenticated): compressed on the way out.
        let t = app.token(Role::Redaktoer, "80000001", "rikke");
        let r = app.client().post(url(&app)).json(&json!({ "query": all })).bearer_auth(&t).header("accept-encoding", "gzip").send().await.expect("post");
        assert_eq!(header(&r, "content-encoding"), "gzip");
        let v: Value = serde_json::from_slice(&gunzip(&r.bytes().await.expect("body"))).expect("json");
        assert_eq!(v["data"]["kommuner"].as_array().map(Vec::len), Some(98));
        // Other pages too.
        let r = app.client().get(format!("{}/", app.addr)).header("accept-encoding", "br").send().await.expect("playground");
        assert_eq!(header(&r, "content-encoding"), "br");
        let r = app.client().get(format!("{}/", app.addr)).send().await.expect("playground");
        assert!(r.headers().get("content-encoding").is_none());
    }
);

db_test!(
    /// Response keys follow the selection set (GraphQL spec 7.1), in single and batched
    /// responses; a request error has no data entry.
    keys_in_selection_order,
    |app: TestApp| async move {
        let r = app.client().post(url(&app)).json(&json!({ "query": "{ kommune(kode: \"0101\") { navn kode } }" })).send().await.expect("post");
        let text = r.text().await.expect("body");
        assert_eq!(text, r#"{"data":{"kommune":{"navn":"København","kode":"0101"}}}"#);
        let text = get(&app, "{ b: kommune(kode: \"0101\") { kode navn } a: __typename }", &[]).await.text().await.expect("body");
        assert_eq!(text, r#"{"data":{"b":{"kode":"0101","navn":"København"},"a":"Query"}}"#);
        // The same documents again, executed (a token bypasses the response cache), from the
        // cache of parsed documents with the key order kept beside them; a fragment and
        // another variable value give the same order.
        let token = app.token(Role::Administrator, ADMIN_CVR, "orden");
        for _ in 0..2 {
            for k in ["0101", "0751"] {
                let r = app.client().post(url(&app)).bearer_auth(&token).json(&json!({
                    "query": "query($k: String!) { b: kommune(kode: $k) { ...F kode } a: __typename } fragment F on Kommune { navn region }",
                    "variables": { "k": k },
                })).send().await.expect("post");
                let text = r.text().await.expect("body");
                assert!(text.starts_with(r#"{"data":{"b":{"navn":"#), "{text}");
                let at = |k: &str| text.find(&format!("\"{k}\":")).unwrap_or(usize::MAX);
                assert!(at("navn") < at("region") && at("region") < at("kode"), "{text}");
                assert!(text.ends_with(&format!(r#""kode":"{k}"}},"a":"Query"}}}}"#)), "{text}");
            }
        }
        let r = app.client().post(url(&app)).json(&json!([
            { "query": "{ kommune(kode: \"0101\") { region navn } }" },
            { "query": "{ kommune(" },
        ])).send().await.expect("post");
        let text = r.text().await.expect("body");
        assert!(text.starts_with(r#"[{"data":{"kommune":{"region":"#), "{text}");
        let v: Value = serde_json::from_str(&text).expect("json");
        assert!(v[1].get("data").is_none(), "{text}");
        assert!(v[1]["errors"][0]["message"].is_string());
    }
);
