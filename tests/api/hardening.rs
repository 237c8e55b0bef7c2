//! Production hardening: GraphQL over HTTP, CSRF, limits, persisted queries and caching, CORS,
//! introspection switch, metrics, request ids, hostile input.
use crate::db_test;
use crate::helpers::*;
use plejeoverblik::domain::access::Role;
use serde_json::{json, Value};
use std::sync::Arc;

fn url(app: &TestApp) -> String {
    format!("{}/graphql", app.addr)
}

db_test!(
    /// No state change via GET or via form-encoded / text/plain / multipart POSTs.
    csrf_only_json_posts_and_no_mutations_over_get,
    |app: TestApp| async move {
        let c = app.client();
        let body = r#"{"query":"mutation { createServiceleverance(input: {navn: \"x\"}) { id } }"}"#;
        for ct in ["application/x-www-form-urlencoded", "text/plain", "multipart/form-data; boundary=x"] {
            let r = c.post(url(&app)).header("content-type", ct).body(body).send().await.expect("post");
            assert_eq!(r.status(), 415, "{ct}");
            let v: Value = r.json().await.expect("json");
            assert_eq!(v["errors"][0]["extensions"]["code"], "UNSUPPORTED_MEDIA_TYPE");
        }
        let r = c.post(url(&app)).body(body).send().await.expect("post");
        assert_eq!(r.status(), 415, "no content type");
        let r = c.get(url(&app)).query(&[("query", "mutation { forceUnlockServiceleverance(id: \"x\") { id } }")]).send().await.expect("get");
        assert_eq!(r.status(), 405);
        assert_eq!(r.headers().get("allow").and_then(|v| v.to_str().ok()), Some("POST"));
    }
);

db_test!(
    /// GraphQL over HTTP: media types and status codes.
    graphql_over_http_media_types_and_status,
    |app: TestApp| async move {
        let c = app.client();
        let q = json!({ "query": "{ kommune(kode: \"0101\") { navn } }" });
        let r = c.post(url(&app)).header("accept", "application/graphql-response+json").json(&q).send().await.expect("post");
        assert_eq!(r.status(), 200);
        assert_eq!(r.headers()["content-type"], "application/graphql-response+json");
        let r = c.post(url(&app)).header("accept", "application/json").json(&q).send().await.expect("post");
        assert_eq!(r.headers()["content-type"], "application/json");
        // A validation error: 400 with graphql-response+json, 200 with legacy application/json.
        let bad = json!({ "query": "{ kommune(kode: \"0101\") { findesIkke } }" });
        let r = c.post(url(&app)).header("accept", "application/graphql-response+json").json(&bad).send().await.expect("post");
        assert_eq!(r.status(), 400);
        let v: Value = r.json().await.expect("json");
        assert_eq!(v["errors"][0]["extensions"]["code"], "GRAPHQL_VALIDATION_FAILED");
        let r = c.post(url(&app)).header("accept", "application/json").json(&bad).send().await.expect("post");
        assert_eq!(r.status(), 200);
        // A request error has no data entry at all.
        let r = c.post(url(&app)).header("accept", "application/graphql-response+json").json(&json!({ "query": "{ kommune(" })).send().await.expect("post");
        assert_eq!(r.status(), 400);
        let v: Value = r.json().await.expect("json");
        assert!(v.get("data").is_none(), "{v}");
        assert_eq!(v["errors"][0]["extensions"]["code"], "GRAPHQL_PARSE_FAILED");
        // Wildcards and no Accept header get application/json.
        for accept in ["*/*", "application/*"] {
            let r = c.post(url(&app)).header("accept", accept).json(&q).send().await.expect("post");
            assert_eq!(r.headers()["content-type"], "application/json", "{accept}");
        }
        let r = c.post(url(&app)).header("accept", "application/json, application/graphql-response+json").json(&q).send().await.expect("post");
        assert_eq!(r.headers()["content-type"], "application/graphql-response+json");
        let r = c.post(url(&app)).header("accept", "text/html").json(&q).send().await.expect("post");
        assert_eq!(r.status(), 406);
        // Malformed JSON and wrong parameter types are 400s with a code.
        let r = c.post(url(&app)).header("content-type", "application/json").body("{nope").send().await.expect("post");
        assert_eq!(r.status(), 400);
        let r = c.post(url(&app)).json(&json!({ "query": 1 })).send().await.expect("post");
        assert_eq!(r.status(), 400);
        let r = c.post(url(&app)).json(&json!({ "query": "{ __typename }", "variables": [] })).send().await.expect("post");
        assert_eq!(r.status(), 400);
        // Batches, bounded.
        let batch: Vec<Value> = (0..3).map(|_| json!({ "query": "{ __typename }" })).collect();
        let v: Value = c.post(url(&app)).json(&batch).send().await.expect("post").json().await.expect("json");
        assert_eq!(v.as_array().map(Vec::len), Some(3));
        let batch: Vec<Value> = (0..11).map(|_| json!({ "query": "{ __typename }" })).collect();
        let r = c.post(url(&app)).json(&batch).send().await.expect("post");
        assert_eq!(r.status(), 400);
        let v: Value = r.json().await.expect("json");
        assert_eq!(v["errors"][0]["extensions"]["code"], "LIMIT_EXCEEDED");
    }
);

db_test!(
    /// Limits: depth, complexity, aliases, root fields, directives, document and body size.
    limits_give_clear_codes,
    |app: TestApp| async move {
        let limit = |q: String| {
            let app = &app;
            async move {
                let e = app.err(None, &q, json!({}), "LIMIT_EXCEEDED").await;
                assert!(e["message"].as_str().is_some_and(|m| !m.is_empty()));
            }
        };
        // Depth.
        let deep = format!("{{ __schema {{ types {{ {}name{} }} }} }}", "ofType { ".repeat(14), " }".repeat(14));
        limit(deep).await;
        // Complexity: lists weighted by first.
        let many: String = (0..12).map(|i| format!("s{i}: search(kommune: \"0101\", first: 100) {{ edges {{ node {{ navn kommune {{ navn }} tilbydesAf {{ navn }} }} }} }} ")).collect();
        limit(format!("{{ {many} }}")).await;
        // Aliases.
        let aliases: String = (0..31).map(|i| format!("a{i}: __typename ")).collect();
        limit(format!("{{ {aliases} }}")).await;
        // A refused document is refused again (only documents that pass are kept parsed).
        limit(format!("{{ {aliases} }}")).await;
        // Root fields.
        let roots: String = (0..21).map(|_| "__typename ".to_string()).collect();
        limit(format!("{{ {roots} }}")).await;
        // Directives on one field.
        limit("{ __typename @skip(if: false) @skip(if: false) @skip(if: false) @skip(if: false) @skip(if: false) @skip(if: false) }".into()).await;
        // Document size.
        limit(format!("{{ __typename }} # {}", "x".repeat(40_000))).await;
        // Body size.
        let r = app.client().post(url(&app)).json(&json!({ "query": "{ __typename }", "variables": { "x": "y".repeat(300_000) } })).send().await.expect("post");
        assert_eq!(r.status(), 413);
    }
);

fn sha256(s: &str) -> String {
    use sha2::Digest;
    format!("{:x}", sha2::Sha256::digest(s.as_bytes()))
}

db_test!(
    /// Automatic persisted queries over GET, with Cache-Control and an ETag that changes when
    /// the data changes; 304 on If-None-Match.
    persisted_queries_and_http_caching,
    |app: TestApp| async move {
        let c = app.client();
        let q = "query Roskilde { search(kommune: \"0265\") { totalCount edges { node { navn } } } }";
        let hash = sha256(q);
        let ext = json!({ "persistedQuery": { "version": 1, "sha256Hash": hash } }).to_string();
        // Unknown hash first.
        let v: Value = c.get(url(&app)).query(&[("extensions", ext.as_str())]).send().await.expect("get").json().await.expect("json");
        assert_eq!(v["errors"][0]["message"], "PersistedQueryNotFound");
        assert_eq!(v["errors"][0]["extensions"]["code"], "PERSISTED_QUERY_NOT_FOUND");
        // Register it, then GET by hash alone.
        let r = c.get(url(&app)).query(&[("query", q), ("extensions", ext.as_str())]).send().await.expect("get");
        assert_eq!(r.status(), 200);
        let r = c.get(url(&app)).query(&[("extensions", ext.as_str())]).send().await.expect("get");
        assert_eq!(r.status(), 200);
        assert_eq!(r.headers()["cache-control"], "public, no-cache");
        let etag1 = r.headers()["etag"].to_str().expect("etag").to_string();
        let v: Value = r.json().await.expect("json");
        assert_eq!(v["data"]["search"]["totalCount"], 0);
        let r = c.get(url(&app)).query(&[("extensions", ext.as_str())]).header("if-none-match", &etag1).send().await.expect("get");
        assert_eq!(r.status(), 304);
        // The data changes: so does the ETag.
        let e = create_enhed(&app, "PLEJEENHED", "Aldersro", "80000001", 55.64, 12.08).await;
        create_agreement(&app, ROSKILDE, &e, "DRIFTSOVERENSKOMST", "2026-01-01", None).await;
        let r = c.get(url(&app)).query(&[("extensions", ext.as_str())]).header("if-none-match", &etag1).send().await.expect("get");
        assert_eq!(r.status(), 200);
        assert_ne!(r.headers()["etag"].to_str().expect("etag"), etag1);
        // Authenticated responses are not cached.
        let t = app.token(Role::Redaktoer, "80000001", "r");
        let r = c.get(url(&app)).query(&[("query", q)]).bearer_auth(&t).send().await.expect("get");
        assert_eq!(r.headers()["cache-control"], "no-store");
        // A persisted mutation cannot be run over GET.
        let m = "mutation { forceUnlockServiceleverance(id: \"x\") { id } }";
        let mext = json!({ "persistedQuery": { "version": 1, "sha256Hash": sha256(m) } }).to_string();
        let admin = app.token(Role::Administrator, ADMIN_CVR, "a");
        c.post(url(&app)).bearer_auth(&admin).json(&json!({ "query": m, "extensions": { "persistedQuery": { "version": 1, "sha256Hash": sha256(m) } } })).send().await.expect("post");
        let r = c.get(url(&app)).query(&[("extensions", mext.as_str())]).bearer_auth(&admin).send().await.expect("get");
        assert_eq!(r.status(), 405);
    }
);

db_test!(
    /// CORS allow-list; request ids; metrics.
    cors_request_ids_and_metrics,
    |app: TestApp| async move {
        let configure: Configure = Arc::new(|c| c.cors_origins = vec!["https://plejeoverblik.example".into()]);
        let app = TestApp::spawn(app.db_kind, Options { configure: Some(configure), ..Default::default() }).await;
        let c = app.client();
        let pre = |origin: &'static str| {
            c.request(reqwest::Method::OPTIONS, url(&app))
                .header("origin", origin)
                .header("access-control-request-method", "POST")
                .header("access-control-request-headers", "content-type")
                .send()
        };
        let r = pre("https://plejeoverblik.example").await.expect("preflight");
        assert_eq!(r.headers().get("access-control-allow-origin").and_then(|v| v.to_str().ok()), Some("https://plejeoverblik.example"));
        let r = pre("https://evil.example").await.expect("preflight");
        assert!(r.headers().get("access-control-allow-origin").is_none());
        // Request ids: given ones are echoed, otherwise one is made.
        let r = c.post(url(&app)).header("x-request-id", "abc-123").json(&json!({ "query": "query Ping { __typename }", "operationName": "Ping" })).send().await.expect("post");
        assert_eq!(r.headers()["x-request-id"], "abc-123");
        let r = c.get(format!("{}/healthz", app.addr)).send().await.expect("get");
        assert!(r.headers().get("x-request-id").is_some());
        // An id that could break a log line (too long, odd characters) is replaced by a new one.
        for insane in ["x".repeat(200), "a b;c".to_string()] {
            let r = c.get(format!("{}/healthz", app.addr)).header("x-request-id", &insane).send().await.expect("get");
            let id = r.headers()["x-request-id"].to_str().expect("id").to_string();
            assert!(id != insane && uuid::Uuid::parse_str(&id).is_ok(), "{id}");
        }
        app.err(None, "query Bad { search(kommune: \"Korsbæk\") { totalCount } }", json!({}), "VALIDATION").await;
        let m = c.get(format!("{}/metrics", app.addr)).send().await.expect("metrics").text().await.expect("text");
        assert!(m.contains("plejeoverblik_graphql_requests_total{operation=\"Ping\",outcome=\"ok\"} 1"), "{m}");
        assert!(m.contains("plejeoverblik_graphql_requests_total{operation=\"Bad\",outcome=\"VALIDATION\"} 1"));
        // (OpenMetrics text from prometheus-client: `le` first; label order carries no meaning.)
        assert!(m.contains("plejeoverblik_graphql_duration_seconds_bucket{le=\"+Inf\",operation=\"Ping\"} 1"), "{m}");
        assert!(m.trim_end().ends_with("# EOF"), "{m}");
        assert!(m.contains("plejeoverblik_db_pool_connections{state=\"open\"}"));
        assert!(m.contains("plejeoverblik_locks_active 0"));
        assert!(m.contains("plejeoverblik_db_up 1"));
    }
);

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn introspection_and_suggestions_can_be_switched_off() {
    let on = TestApp::spawn(Db::Sqlite, Default::default()).await;
    on.ok(None, "{ __schema { queryType { name } } }", json!({}))
        .await;
    let configure: Configure = Arc::new(|c| c.introspection = false);
    let off = TestApp::spawn(
        Db::Sqlite,
        Options {
            configure: Some(configure),
            ..Default::default()
        },
    )
    .await;
    let v = off
        .gql(None, "{ __schema { queryType { name } } }", json!({}))
        .await;
    assert!(
        v["errors"].is_array() || v["data"]["__schema"].is_null(),
        "{v}"
    );
    let v = off.gql(None, "{ kommunr { kode } }", json!({})).await;
    assert!(!v.to_string().contains("Did you mean"), "{v}");
    let v = on.gql(None, "{ kommunr { kode } }", json!({})).await;
    assert!(v.to_string().contains("Did you mean"));
}

db_test!(
    /// Hostile input: NUL bytes, huge strings, extreme numbers, invalid dates give VALIDATION
    /// (or a GraphQL validation error), never INTERNAL, the same on both databases.
    hostile_input_is_refused_cleanly,
    |app: TestApp| async move {
        let t = app.token(Role::Driftsoverenskomstansvarlig, &kommune_cvr(ROSKILDE), "u");
        let search = "query($k: String!, $t: String, $f: Int, $d: Date, $lat: Float!) { search(kommune: $k, text: $t, first: $f, date: $d, near: {lat: $lat, lon: 10}) { totalCount } }";
        let cases = vec![
            json!({ "k": "\u{0}", "lat": 56.0 }),
            json!({ "k": "x".repeat(100_000), "lat": 56.0 }),
            json!({ "k": "0751", "t": "a\u{0}b", "lat": 56.0 }),
            json!({ "k": "0751", "t": "æ".repeat(5_000), "lat": 56.0 }),
            json!({ "k": "0751", "f": 2_147_483_648_i64, "lat": 56.0 }),
            json!({ "k": "0751", "d": "2026-02-30", "lat": 56.0 }),
            json!({ "k": "0751", "d": "+275760-09-13", "lat": 56.0 }),
            json!({ "k": "0751", "lat": 1e308 }),
        ];
        for vars in cases {
            let v = app.gql(None, search, vars.clone()).await;
            let code = v["errors"][0]["extensions"]["code"].as_str().unwrap_or("none").to_string();
            assert!(["VALIDATION", "GRAPHQL_VALIDATION_FAILED"].contains(&code.as_str()), "{vars:.80}: {v}");
        }
        let create = "mutation($i: CreateServiceleveranceInput!) { createServiceleverance(input: $i) { id } }";
        for input in [
            json!({ "navn": "a\u{0}b" }),
            json!({ "navn": "ok", "aftaleidentifikation": "x".repeat(10_000) }),
            json!({ "navn": "ok", "startdato": "2026-13-01" }),
            json!({ "navn": "ok", "enhedId": "\u{0}" }),
            json!({ "navn": "ok", "type": "UKENDT" }),
        ] {
            let v = app.gql(Some(&t), create, json!({ "i": input })).await;
            let code = v["errors"][0]["extensions"]["code"].as_str().unwrap_or("none").to_string();
            assert!(["VALIDATION", "GRAPHQL_VALIDATION_FAILED"].contains(&code.as_str()), "{v}");
        }
        // NUL bytes anywhere (literals or variables, any argument) are VALIDATION on both databases.
        let admin = app.token(Role::Administrator, ADMIN_CVR, "a");
        for (tok, q) in [
            (None, "{ enhed(id: \"\\u0000\") { kind } }"),
            (None, "{ kommune(kode: \"a\\u0000b\") { kode } }"),
            (Some(&admin), "{ auditLog(entityType: \"x\\u0000\") { totalCount } }"),
            (Some(&admin), "mutation { lockEnhed(id: \"\\u0000\") { id } }"),
        ] {
            app.err(tok.map(|s| s.as_str()), q, json!({}), "VALIDATION").await;
        }
        app.err(Some(&admin), "query($a: String) { auditLog(actor: $a) { totalCount } }", json!({ "a": "x\u{0}" }), "VALIDATION").await;
        // Nothing was stored by the refused mutations.
        let d = app.ok(Some(&t), "{ serviceleverancer { totalCount } }", json!({})).await;
        assert_eq!(d["serviceleverancer"]["totalCount"], 0);
        let v = app.gql(Some(&t), "query($id: ID!) { serviceleverance(id: $id) { id } }", json!({ "id": "'; DROP TABLE serviceleverance; --" })).await;
        assert_eq!(v["errors"][0]["extensions"]["code"], "NOT_FOUND");
    }
);

db_test!(
    /// R27: an internal error reaches the client only as INTERNAL with a correlation id, never
    /// with its cause (here: a row that a broken import left with an unknown kind).
    internal_errors_do_not_leak,
    |app: TestApp| async move {
        use sea_orm::ConnectionTrait;
        let id = create_enhed(&app, "PLEJEENHED", "Skæv", "80000001", 56.15, 10.2).await;
        app.state.db.execute_unprepared("UPDATE enhed SET kind = 'UKENDT_SLAGS'").await.expect("corrupt");
        let v = app.gql(None, "query($id: String!) { enhed(id: $id) { navn kind } }", json!({ "id": id })).await;
        let e = &v["errors"][0];
        assert_eq!(e["extensions"]["code"], "INTERNAL");
        assert!(e["extensions"]["correlationId"].as_str().is_some_and(|c| c.len() >= 32));
        let text = v.to_string();
        assert!(!text.contains("UKENDT_SLAGS") && !text.contains("ukendt kind"), "{text}");
        assert!(e["message"].as_str().expect("msg").contains("fejl-id"));
    }
);

db_test!(
    /// The per-request timeout: a write that waits for a lock the test holds (a row lock on
    /// PostgreSQL, the write lock on SQLite; the service's own SQLite busy timeout is 10 s) is
    /// cut off after `request_timeout_secs` with 503 and code TIMEOUT, writes nothing, and the
    /// same write succeeds once the lock is gone.
    request_timeout_gives_timeout_503,
    |app: TestApp| async move {
        use sea_orm::{ConnectionTrait, TransactionTrait};
        let configure: Configure = Arc::new(|c| c.request_timeout_secs = 1);
        let app = TestApp::spawn(app.db_kind, Options { configure: Some(configure), ..Default::default() }).await;
        let admin = app.token(Role::Administrator, ADMIN_CVR, "admin");
        let m = "mutation { setKommuneCvr(kode: \"0751\", cvr: \"11111111\") { cvr } }";
        let holder = app.state.db.begin().await.expect("begin");
        holder.execute_unprepared("UPDATE kommune SET cvr = cvr WHERE kode = '0751'").await.expect("hold the lock");
        let t = std::time::Instant::now();
        let r = app.client().post(url(&app)).bearer_auth(&admin).json(&json!({ "query": m })).send().await.expect("post");
        let took = t.elapsed();
        let status = r.status();
        let v: Value = r.json().await.expect("json");
        assert_eq!(status, 503, "[{:?}] after {took:?}: {v}", app.db_kind);
        assert_eq!(v["errors"][0]["extensions"]["code"], "TIMEOUT", "{v}");
        assert!(v["errors"][0]["message"].as_str().expect("message").contains("for lang tid"), "{v}");
        assert!(took >= std::time::Duration::from_millis(900) && took < std::time::Duration::from_secs(5), "{took:?}");
        holder.rollback().await.expect("rollback");
        let d = app.ok(None, "{ kommune(kode: \"0751\") { cvr } }", json!({})).await;
        assert_eq!(d["kommune"]["cvr"], kommune_cvr(AARHUS), "the cut-off write wrote nothing");
        let d = app.ok(Some(&admin), m, json!({})).await;
        assert_eq!(d["setKommuneCvr"]["cvr"], "11111111");
    }
);

db_test!(
    /// Operation names come from clients, so the metrics keep at most 200 of them and count the
    /// rest under `other`: 250 distinct names give at most 201 labels.
    metrics_keep_at_most_200_operation_names,
    |app: TestApp| async move {
        for i in 0..250 {
            let op = format!("Op{i:03}");
            let r = app.client().post(url(&app)).json(&json!({ "query": format!("query {op} {{ __typename }}"), "operationName": op })).send().await.expect("post");
            assert_eq!(r.status(), 200);
        }
        let m = app.client().get(format!("{}/metrics", app.addr)).send().await.expect("metrics").text().await.expect("text");
        let mut labels = std::collections::BTreeMap::<String, u64>::new();
        for line in m.lines().filter(|l| l.starts_with("plejeoverblik_graphql_requests_total{")) {
            let op = line.split("operation=\"").nth(1).and_then(|s| s.split('"').next()).expect("operation label");
            let n: u64 = line.rsplit(' ').next().and_then(|n| n.parse().ok()).expect("count");
            *labels.entry(op.to_string()).or_default() += n;
        }
        assert_eq!(labels.len(), 201, "200 names and the overflow label: {:?}", labels.keys().collect::<Vec<_>>());
        assert_eq!(labels.get("other"), Some(&50), "the 50 names over the limit");
        assert_eq!(labels.values().sum::<u64>(), 250);
        assert_eq!(labels.get("Op000"), Some(&1));
        let histograms = m.lines().filter(|l| l.starts_with("plejeoverblik_graphql_duration_seconds_count{")).count();
        assert_eq!(histograms, 201);
    }
);
