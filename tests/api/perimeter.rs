//! The public perimeter (issue 8): no anonymous request can crash, stall or confuse the service.
//! Each test names the defect it guards against; all run on SQLite and PostgreSQL.
use crate::db_test;
use crate::helpers::*;
use plejeoverblik::domain::access::Role;
use serde_json::{json, Value};
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

fn url(app: &TestApp) -> String {
    format!("{}/graphql", app.addr)
}

async fn post_raw(app: &TestApp, body: Value) -> (u16, Value) {
    let r = app
        .client()
        .post(url(app))
        .header("accept", "application/graphql-response+json")
        .json(&body)
        .send()
        .await
        .expect("post");
    let status = r.status().as_u16();
    (status, r.json().await.expect("json body"))
}

fn code(v: &Value) -> String {
    v["errors"][0]["extensions"]["code"]
        .as_str()
        .unwrap_or("none")
        .to_string()
}

async fn alive(app: &TestApp) {
    let d = app.ok(None, "{ __typename }", json!({})).await;
    assert_eq!(d["__typename"], "Query");
}

/// Every nesting shape a recursive parser would descend into.
fn deep_documents() -> Vec<(&'static str, String)> {
    let n = 2_000;
    vec![
        (
            "list literal in an argument",
            format!(
                "{{ kommuner(filter: {}1{}) {{ kode }} }}",
                "[".repeat(n),
                "]".repeat(n)
            ),
        ),
        (
            "object literal in an argument",
            format!(
                "{{ kommuner(filter: {}1{}) {{ kode }} }}",
                "{a: ".repeat(1_500),
                "}".repeat(1_500)
            ),
        ),
        (
            "nested selection sets",
            format!("{{ {}__typename{} }}", "a { ".repeat(n), " }".repeat(n)),
        ),
        (
            "nested inline fragments",
            format!(
                "{{ {}__typename{} }}",
                "... on Query { ".repeat(n),
                " }".repeat(n)
            ),
        ),
        (
            "variable default value",
            format!(
                "query($v: [String] = {}1{}) {{ __typename }}",
                "[".repeat(n),
                "]".repeat(n)
            ),
        ),
        (
            "directive argument",
            format!(
                "{{ __typename @include(if: {}true{}) }}",
                "[".repeat(n),
                "]".repeat(n)
            ),
        ),
        (
            "nested parentheses",
            format!("{{ kommuner{}{} }}", "(".repeat(n), ")".repeat(n)),
        ),
    ]
}

db_test!(
    /// Defect 1 (critical): a document nested 2,000 deep, of any shape, over POST, GET and as a
    /// persisted query, is refused with LIMIT_EXCEEDED before any parser sees it; before the
    /// fix the parser overflowed the worker's stack and the whole process aborted.
    deep_nesting_of_every_shape_is_refused_and_the_process_lives,
    |app: TestApp| async move {
        for (what, doc) in deep_documents() {
            let (status, v) = post_raw(&app, json!({ "query": doc })).await;
            assert_eq!(status, 400, "{what}: {v}");
            assert_eq!(code(&v), "LIMIT_EXCEEDED", "{what}: {v}");
            let r = app
                .client()
                .get(url(&app))
                .query(&[("query", doc.as_str())])
                .send()
                .await
                .expect("get");
            let v: Value = r.json().await.expect("json");
            assert_eq!(code(&v), "LIMIT_EXCEEDED", "GET {what}: {v}");
            // As an automatic persisted query (hash and document).
            let hash = sha256(&doc);
            let (_, v) = post_raw(
                &app,
                json!({ "query": doc, "extensions": { "persistedQuery": { "version": 1, "sha256Hash": hash } } }),
            )
            .await;
            assert_eq!(code(&v), "LIMIT_EXCEEDED", "APQ {what}: {v}");
        }
        // Variables: nested JSON, as deep as JSON parsers allow and deeper.
        for depth in [100, 5_000] {
            let vars = format!("{}1{}", "[".repeat(depth), "]".repeat(depth));
            let body = format!(r#"{{"query":"query($v: JSON) {{ __typename }}","variables":{{"v":{vars}}}}}"#);
            let r = app
                .client()
                .post(url(&app))
                .header("content-type", "application/json")
                .body(body)
                .send()
                .await
                .expect("post");
            assert_eq!(r.status(), 400, "variables {depth}");
            let v: Value = r.json().await.expect("json");
            assert_eq!(code(&v), "LIMIT_EXCEEDED", "variables {depth}: {v}");
            let r = app
                .client()
                .get(url(&app))
                .query(&[("query", "query($v: JSON) { __typename }"), ("variables", &format!("{{\"v\":{vars}}}"))])
                .send()
                .await
                .expect("get");
            let v: Value = r.json().await.expect("json");
            assert_eq!(code(&v), "LIMIT_EXCEEDED", "GET variables {depth}: {v}");
        }
        // Nesting inside strings, block strings and comments is text, not nesting.
        let deep = "[".repeat(3_000);
        let d = app
            .ok(
                None,
                &format!("# {deep}\n{{ kommune(kode: \"{deep}\") {{ kode }} k2: kommune(kode: \"\"\"{deep}\"\"\") {{ kode }} }}"),
                json!({}),
            )
            .await;
        assert!(d["kommune"].is_null());
        // An ordinary deep-ish query (the standard introspection query) still works.
        let v = app
            .gql(None, INTROSPECTION, json!({}))
            .await;
        assert!(v["data"]["__schema"]["types"].is_array(), "{v:.300}");
        alive(&app).await;
    }
);

fn sha256(s: &str) -> String {
    use sha2::Digest;
    format!("{:x}", sha2::Sha256::digest(s.as_bytes()))
}

/// Fragments that fan out 4x per level: 4^13 selections when expanded, in 708 bytes.
fn fan_out(levels: usize) -> String {
    let mut q = "query { ...F0 }".to_string();
    for i in 0..levels {
        let n = i + 1;
        q.push_str(&format!(
            " fragment F{i} on Query {{ ...F{n} ...F{n} ...F{n} ...F{n} }}"
        ));
    }
    q.push_str(&format!(" fragment F{levels} on Query {{ __typename }}"));
    q
}

db_test!(
    /// Defect 2 (high): fragment fan-out is refused from its memoised expanded size before
    /// async-graphql validates it, cycles and too many spreads are refused too, and a simple
    /// query sent meanwhile is answered at once. Before the fix one such request held a core
    /// for about 9 s and two of them stalled every other client.
    fragment_fan_out_is_refused_before_validation,
    |app: TestApp| async move {
        let doc = fan_out(13);
        assert!(doc.len() < 800, "{}", doc.len());
        let app = Arc::new(app);
        let mut attackers = Vec::new();
        for _ in 0..4 {
            let app = app.clone();
            let doc = doc.clone();
            attackers.push(tokio::spawn(async move {
                post_raw(&app, json!({ "query": doc })).await
            }));
        }
        // Meanwhile a citizen's query is answered; generous bound (before the fix: many seconds).
        let t = Instant::now();
        alive(&app).await;
        assert!(t.elapsed() < Duration::from_secs(3), "{:?}", t.elapsed());
        for a in attackers {
            let (status, v) = a.await.expect("join");
            assert_eq!(status, 400, "{v}");
            assert_eq!(code(&v), "LIMIT_EXCEEDED", "{v}");
        }
        // A cycle of fragments that fans out is refused as invalid, not expanded 2^64 times.
        let (_, v) = post_raw(
            &app,
            json!({ "query": "query { ...A } fragment A on Query { ...B ...B __typename } fragment B on Query { ...A ...A }" }),
        )
        .await;
        assert_eq!(code(&v), "GRAPHQL_VALIDATION_FAILED", "{v}");
        // Too many spreads, even of a small fragment.
        let many = format!("query {{ {} }} fragment F on Query {{ __typename }}", "...F ".repeat(101));
        let (_, v) = post_raw(&app, json!({ "query": many })).await;
        assert_eq!(code(&v), "LIMIT_EXCEEDED", "{v}");
        // Root fields counted through fragments.
        let roots = format!("query {{ ...R }} fragment R on Query {{ {} }}", (0..21).map(|i| format!("a{i}: __typename")).collect::<Vec<_>>().join(" "));
        let (_, v) = post_raw(&app, json!({ "query": roots })).await;
        assert_eq!(code(&v), "LIMIT_EXCEEDED", "{v}");
        // Shallow fan-out within the limits still works.
        let ok = app.ok(None, &fan_out(2), json!({})).await;
        assert_eq!(ok["__typename"], "Query");
        alive(&app).await;
    }
);

const INTROSPECTION: &str = r#"query IntrospectionQuery { __schema { queryType { name } mutationType { name } subscriptionType { name } types { ...FullType } directives { name description locations args { ...InputValue } } } }
fragment FullType on __Type { kind name description fields(includeDeprecated: true) { name description args { ...InputValue } type { ...TypeRef } isDeprecated deprecationReason } inputFields { ...InputValue } interfaces { ...TypeRef } enumValues(includeDeprecated: true) { name description isDeprecated deprecationReason } possibleTypes { ...TypeRef } }
fragment InputValue on __InputValue { name description type { ...TypeRef } defaultValue }
fragment TypeRef on __Type { kind name ofType { kind name ofType { kind name ofType { kind name ofType { kind name ofType { kind name ofType { kind name ofType { kind name } } } } } } } }"#;

fn short_timeouts() -> Options {
    Options {
        configure: Some(Arc::new(|c: &mut plejeoverblik::config::Config| {
            c.header_read_timeout = Duration::from_secs(1);
            c.body_read_timeout = Duration::from_secs(1);
            c.idle_timeout = Duration::from_secs(2);
        })),
        ..Default::default()
    }
}

/// Reads until the server closes the connection (or `limit` passes); returns what came and
/// how long it took.
async fn until_closed(s: &mut TcpStream, limit: Duration) -> (String, Duration, bool) {
    let t = Instant::now();
    let mut out = Vec::new();
    let mut buf = [0u8; 4096];
    loop {
        match tokio::time::timeout(limit.saturating_sub(t.elapsed()), s.read(&mut buf)).await {
            Ok(Ok(0)) | Ok(Err(_)) => {
                return (String::from_utf8_lossy(&out).into(), t.elapsed(), true)
            }
            Ok(Ok(n)) => out.extend_from_slice(&buf[..n]),
            Err(_) => return (String::from_utf8_lossy(&out).into(), t.elapsed(), false),
        }
    }
}

fn host(app: &TestApp) -> String {
    app.addr.trim_start_matches("http://").to_string()
}

/// Defect 3: slow connections are closed. Headers trickled a byte at a time: closed after the
/// header-read timeout although bytes keep coming.
async fn header_trickle(app: TestApp) {
    let mut s = TcpStream::connect(host(&app)).await.expect("connect");
    s.write_all(b"POST /graphql HTTP/1.1\r\nHost: x\r\n")
        .await
        .expect("write");
    let t = Instant::now();
    let mut closed = false;
    for _ in 0..40 {
        if s.write_all(b"X").await.is_err() {
            closed = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
        let mut b = [0u8; 64];
        if let Ok(Ok(0)) = tokio::time::timeout(Duration::from_millis(1), s.read(&mut b)).await {
            closed = true;
            break;
        }
    }
    assert!(closed, "still open after {:?}", t.elapsed());
    assert!(t.elapsed() < Duration::from_secs(3), "{:?}", t.elapsed());
    alive(&app).await;
}

/// A body trickled a byte at a time: 408 with a GraphQL error after the body-read timeout,
/// and the connection closed.
async fn body_trickle(app: TestApp) {
    let s = TcpStream::connect(host(&app)).await.expect("connect");
    let (mut r, mut w) = s.into_split();
    w.write_all(b"POST /graphql HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 200\r\n\r\n{")
        .await
        .expect("write");
    let t = Instant::now();
    let writer = tokio::spawn(async move {
        for _ in 0..100 {
            if w.write_all(b" ").await.is_err() {
                break;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    });
    let mut out = Vec::new();
    let mut buf = [0u8; 4096];
    let closed = loop {
        match tokio::time::timeout(
            Duration::from_secs(6).saturating_sub(t.elapsed()),
            r.read(&mut buf),
        )
        .await
        {
            Ok(Ok(0)) | Ok(Err(_)) => break true,
            Ok(Ok(n)) => out.extend_from_slice(&buf[..n]),
            Err(_) => break false,
        }
    };
    writer.abort();
    let text = String::from_utf8_lossy(&out);
    assert!(
        closed,
        "the server kept reading a trickled body for {:?}",
        t.elapsed()
    );
    assert!(t.elapsed() < Duration::from_secs(4), "{:?}", t.elapsed());
    assert!(text.starts_with("HTTP/1.1 408"), "{text}");
    assert!(text.contains("\"TIMEOUT\""), "{text}");
    alive(&app).await;
}

/// An idle keep-alive connection is closed after the idle timeout, not before the header
/// timeout would have (idle is the longer bound).
async fn idle_keep_alive(app: TestApp) {
    let mut s = TcpStream::connect(host(&app)).await.expect("connect");
    let body = r#"{"query":"{ __typename }"}"#;
    s.write_all(
        format!(
            "POST /graphql HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\r\n{body}",
            body.len()
        )
        .as_bytes(),
    )
    .await
    .expect("write");
    let mut buf = [0u8; 4096];
    let n = s.read(&mut buf).await.expect("response");
    assert!(String::from_utf8_lossy(&buf[..n]).starts_with("HTTP/1.1 200"));
    let (_, took, closed) = until_closed(&mut s, Duration::from_secs(6)).await;
    assert!(closed, "idle connection still open after {took:?}");
    assert!(
        took >= Duration::from_millis(1_500),
        "closed too early: {took:?}"
    );
}

macro_rules! timeout_test {
    ($name:ident, $f:ident) => {
        mod $name {
            use super::*;
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn sqlite() {
                $f(TestApp::spawn(Db::Sqlite, short_timeouts()).await).await;
            }
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn postgres() {
                if let Some(app) = TestApp::spawn_postgres(short_timeouts()).await {
                    $f(app).await;
                }
            }
        }
    };
}

timeout_test!(header_read_timeout_closes_a_trickled_header, header_trickle);
timeout_test!(body_read_timeout_refuses_a_trickled_body, body_trickle);
timeout_test!(idle_keep_alive_connections_are_closed, idle_keep_alive);

db_test!(
    /// Defect 4: one strict `Date` scalar (YYYY-MM-DD, four-digit year, 1900..2999) wherever
    /// a date enters; before the fix "26-01-01" was stored as year 26 and a date before
    /// 4713 BC gave INTERNAL errors on PostgreSQL.
    dates_are_strict_everywhere,
    |app: TestApp| async move {
        let t = app.token(Role::Driftsoverenskomstansvarlig, &kommune_cvr(ROSKILDE), "u");
        let create = "mutation($i: CreateServiceleveranceInput!) { createServiceleverance(input: $i) { id startdato } }";
        for bad in ["26-01-01", "-5000-01-01", "2026-02-30", "1899-12-31", "3000-01-01", "2026-1-1", "2026-01-01T00:00:00Z", "+02026-01-01"] {
            let v = app.gql(Some(&t), create, json!({ "i": { "navn": "x", "startdato": bad } })).await;
            assert_eq!(code(&v), "VALIDATION", "{bad}: {v}");
            assert_eq!(v["errors"][0]["extensions"]["fields"], json!(["input.startdato"]), "{bad}: {v}");
            let msg = v["errors"][0]["message"].as_str().unwrap_or("");
            assert!(msg.contains("input.startdato") && msg.contains("ÅÅÅÅ-MM-DD"), "{msg}");
            // Literals too.
            let v = app
                .gql(Some(&t), &format!("mutation {{ createServiceleverance(input: {{navn: \"x\", startdato: \"{bad}\"}}) {{ id }} }}"), json!({}))
                .await;
            assert_eq!(code(&v), "VALIDATION", "literal {bad}: {v}");
        }
        // Anonymous, on the public search and a kommune's offers: VALIDATION, never INTERNAL.
        for q in [
            "{ kommune(kode: \"0265\") { tilbud(dato: \"-5000-01-01\") { kode } } }",
            "{ search(kommune: \"Aarhus\", date: \"-5000-01-01\") { totalCount } }",
            "{ search(kommune: \"Aarhus\", date: \"26-01-01\") { totalCount } }",
        ] {
            let v = app.gql(None, q, json!({})).await;
            assert_eq!(code(&v), "VALIDATION", "{q}: {v}");
        }
        // Good dates still work and come back as written.
        let v = app.ok(Some(&t), create, json!({ "i": { "navn": "x", "startdato": "2026-01-31" } })).await;
        assert_eq!(v["createServiceleverance"]["startdato"], "2026-01-31");
        let d = app.ok(None, "{ search(kommune: \"Aarhus\", date: \"2999-12-31\") { totalCount } }", json!({})).await;
        assert!(d["search"]["totalCount"].is_number());
        // The schema names the scalar Date, specified by RFC 3339; no Rust type names.
        let d = app
            .ok(None, "{ d: __type(name: \"Date\") { kind specifiedByURL } n: __type(name: \"NaiveDate\") { name } }", json!({}))
            .await;
        assert_eq!(d["d"]["kind"], "SCALAR");
        assert!(d["d"]["specifiedByURL"].as_str().unwrap_or("").contains("rfc3339"));
        assert!(d["n"].is_null());
        let sdl = plejeoverblik::graphql::sdl();
        assert!(!sdl.contains("NaiveDate") && !sdl.contains("<Utc>"), "Rust type names in the schema");
    }
);

/// English words that async-graphql's messages are made of.
const ENGLISH: &[&str] = &[
    "Unknown",
    "Invalid",
    "expected",
    "Failed",
    "required",
    "Did you mean",
    "Operation name",
    "not defined",
    "must have",
    "Variable ",
    "Field ",
    "argument ",
    "Query is",
];

db_test!(
    /// Defect 5: every message a client reads is Danish and names the field or argument and
    /// what is expected; the English original is in extensions.detail.
    every_error_message_is_danish,
    |app: TestApp| async move {
        let t = app.token(Role::Driftsoverenskomstansvarlig, &kommune_cvr(ROSKILDE), "u");
        let cases: Vec<(Option<&str>, &str, Value, &str, &str)> = vec![
            (Some(&t), "mutation($i: CreateServiceleveranceInput!) { createServiceleverance(input: $i) { id } }", json!({ "i": { "navn": "x", "type": "FOO" } }), "VALIDATION", "input.type"),
            (None, "{ kommuner { nav } }", json!({}), "GRAPHQL_VALIDATION_FAILED", "\"nav\""),
            (None, "query A { __typename } query B { __typename }", json!({}), "GRAPHQL_VALIDATION_FAILED", "operationName"),
            (None, "{ kommune(", json!({}), "GRAPHQL_PARSE_FAILED", "linje 1"),
            (None, "{ kommune(kode: \"0101\") }", json!({}), "GRAPHQL_VALIDATION_FAILED", "\"kommune\""),
            (None, "{ search(kommune: 5) { totalCount } }", json!({}), "VALIDATION", "\"kommune\""),
            (None, "query($k: String!) { search(kommune: $k) { totalCount } }", json!({}), "VALIDATION", "$k"),
            (None, "query($k: String!) { search(kommune: $k) { totalCount } }", json!({ "k": 5 }), "VALIDATION", "\"kommune\""),
            (None, "{ search(kommune: \"x\", first: 99999999999) { totalCount } }", json!({}), "VALIDATION", "heltal"),
            (None, "query($x: Int) { __typename }", json!({}), "GRAPHQL_VALIDATION_FAILED", "$x"),
            (None, "{ kommuner @gem { kode } }", json!({}), "GRAPHQL_VALIDATION_FAILED", "\"gem\""),
        ];
        for (tok, q, vars, want, names) in cases {
            let v = app.gql(tok, q, vars).await;
            let e = &v["errors"][0];
            let msg = e["message"].as_str().unwrap_or("");
            assert_eq!(e["extensions"]["code"], want, "{q}: {v}");
            assert!(msg.contains(names), "{q}: message should name {names}: {msg}");
            for w in ENGLISH {
                assert!(!msg.contains(w), "{q}: English in {msg:?}");
            }
            assert!(e["extensions"]["detail"].is_string(), "{q}: {v}");
        }
        // HTTP-level refusals are GraphQL-shaped JSON with codes and Danish messages.
        let r = app.client().post(url(&app)).header("content-type", "application/json").body(vec![b' '; 300 * 1024]).send().await.expect("post");
        assert_eq!(r.status(), 413);
        let v: Value = r.json().await.expect("413 is JSON");
        assert_eq!(code(&v), "PAYLOAD_TOO_LARGE");
        assert!(v["errors"][0]["message"].as_str().unwrap_or("").contains("bytes"));
        let r = app.client().post(url(&app)).header("content-type", "text/plain").body("{}").send().await.expect("post");
        assert_eq!(r.status(), 415);
        let v: Value = r.json().await.expect("415 is JSON");
        assert_eq!(code(&v), "UNSUPPORTED_MEDIA_TYPE");
        let r = app.client().put(url(&app)).send().await.expect("put");
        assert_eq!(r.status(), 405);
        let v: Value = r.json().await.expect("405 is JSON");
        assert_eq!(code(&v), "METHOD_NOT_ALLOWED");
    }
);
