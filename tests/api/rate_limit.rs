//! Rate limits per client (issue 8): a token bucket per address (anonymous) and per token
//! subject (authenticated) on /graphql; 429 with Retry-After and a RATE_LIMITED body;
//! X-Forwarded-For only from trusted proxies. All run on SQLite and PostgreSQL.
//!
//! The smallest refill is one request per second, so a test that wants "refused now" exhausts a
//! bucket and asks again at once, and a test that counts allows one refill per second passed.
use crate::helpers::*;
use plejeoverblik::config::Config;
use plejeoverblik::domain::access::Role;
use serde_json::{json, Value};
use std::sync::Arc;
use std::time::{Duration, Instant};

const BURST: u32 = 3;

/// Small limits: 1 request/s, bursts of 3; 127.0.0.1 (the tests' own address) a trusted proxy.
fn small(c: &mut Config) {
    c.rate_limit_per_second = 1;
    c.rate_limit_burst = BURST;
    c.rate_limit_authenticated_per_second = 1;
    c.rate_limit_authenticated_burst = BURST;
    c.trusted_proxies = vec![plejeoverblik::http::parse_trusted_proxy("127.0.0.1").expect("net")];
}

/// Like `small`, but no proxy is trusted.
fn untrusted(c: &mut Config) {
    small(c);
    c.trusted_proxies = Vec::new();
}

fn off(c: &mut Config) {
    small(c);
    c.rate_limit_per_second = 0;
}

macro_rules! limit_test {
    ($(#[$meta:meta])* $name:ident, $configure:expr, $f:ident) => {
        $(#[$meta])*
        mod $name {
            use super::*;
            fn opts() -> Options {
                Options {
                    configure: Some(Arc::new($configure)),
                    ..Default::default()
                }
            }
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn sqlite() {
                $f(&TestApp::spawn(Db::Sqlite, opts()).await).await;
            }
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn postgres() {
                if let Some(app) = TestApp::spawn_postgres(opts()).await {
                    $f(&app).await;
                }
            }
        }
    };
}

/// Who sends a request.
#[derive(Clone, Copy, Default)]
struct Sender<'a> {
    xff: Option<&'a str>,
    token: Option<&'a str>,
    accept: Option<&'a str>,
}

async fn send(app: &TestApp, from: Sender<'_>) -> reqwest::Response {
    let mut r = app
        .client()
        .post(format!("{}/graphql", app.addr))
        .json(&json!({ "query": "{ __typename }" }));
    if let Some(x) = from.xff {
        r = r.header("x-forwarded-for", x);
    }
    if let Some(t) = from.token {
        r = r.bearer_auth(t);
    }
    if let Some(a) = from.accept {
        r = r.header("accept", a);
    }
    r.send().await.expect("request")
}

/// Sends until a request is refused (the bucket is empty now); returns the refusal.
async fn drain(app: &TestApp, from: Sender<'_>) -> reqwest::Response {
    for _ in 0..BURST + 20 {
        let r = send(app, from).await;
        if r.status() == 429 {
            return r;
        }
    }
    panic!("[{:?}] never refused", app.db_kind);
}

/// Sends until a request is refused; asserts that a fresh bucket gave at least `BURST`
/// requests and that the refusal came soon after. Returns the refusal.
async fn exhaust(app: &TestApp, from: Sender<'_>) -> reqwest::Response {
    for i in 0..BURST + 20 {
        let r = send(app, from).await;
        if r.status() == 429 {
            assert!(i >= BURST, "[{:?}] refused after {i} requests", app.db_kind);
            return r;
        }
        assert_eq!(r.status(), 200, "[{:?}]", app.db_kind);
    }
    panic!("[{:?}] never refused", app.db_kind);
}

/// Sends `n` requests at once; returns how many passed and how long it took.
async fn burst_of(app: &TestApp, n: usize, from: impl Fn(usize) -> String) -> (usize, Duration) {
    let start = Instant::now();
    let mut passed = 0;
    for i in 0..n {
        let x = from(i);
        let r = send(
            app,
            Sender {
                xff: Some(&x),
                ..Default::default()
            },
        )
        .await;
        match r.status().as_u16() {
            200 => passed += 1,
            429 => {}
            s => panic!("[{:?}] status {s}", app.db_kind),
        }
    }
    (passed, start.elapsed())
}

/// At most a bucket and one refill per second (begun) for `took`.
fn one_budget(took: Duration) -> usize {
    BURST as usize + took.as_secs() as usize + 1
}

fn retry_after(r: &reqwest::Response) -> u64 {
    r.headers()
        .get("retry-after")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse().ok())
        .expect("Retry-After in whole seconds")
}

async fn metric(app: &TestApp, kind: &str) -> u64 {
    let series = format!("plejeoverblik_rate_limited_total{{kind=\"{kind}\"}}");
    metric_value(app, &series)
        .await
        .unwrap_or_else(|| panic!("no {series} in /metrics"))
}

async fn refused_shape(app: &TestApp) {
    let a = Sender {
        xff: Some("203.0.113.1"),
        ..Default::default()
    };
    let r = exhaust(app, a).await;
    let secs = retry_after(&r);
    assert!(secs >= 1, "Retry-After {secs}");
    assert_eq!(
        r.headers()
            .get("content-type")
            .and_then(|v| v.to_str().ok()),
        Some("application/json")
    );
    let v: Value = r.json().await.expect("json");
    let e = &v["errors"][0];
    assert_eq!(e["extensions"]["code"], "RATE_LIMITED", "{v}");
    assert_eq!(e["extensions"]["retryAfter"], json!(secs), "{v}");
    let msg = e["message"].as_str().unwrap_or("");
    assert!(
        msg.starts_with("For mange forespørgsler") && msg.contains(&format!("om {secs} sekund")),
        "{msg}"
    );
    assert!(v.get("data").is_none(), "{v}");
    // The media type follows Accept, as for every other error.
    let r = send(
        app,
        Sender {
            accept: Some("application/graphql-response+json"),
            ..a
        },
    )
    .await;
    assert_eq!(r.status(), 429);
    assert_eq!(
        r.headers()
            .get("content-type")
            .and_then(|v| v.to_str().ok()),
        Some("application/graphql-response+json")
    );
    // GET /graphql uses the same bucket.
    let r = app
        .client()
        .get(format!("{}/graphql?query=%7B__typename%7D", app.addr))
        .header("x-forwarded-for", "203.0.113.1")
        .send()
        .await
        .expect("get");
    assert_eq!(r.status(), 429);
    // Another client behind the trusted proxy (127.0.0.1) has its own bucket, and the proxy's
    // own entry on the right is skipped.
    for xff in ["203.0.113.2", "198.51.100.9, 203.0.113.3, 127.0.0.1"] {
        let r = send(
            app,
            Sender {
                xff: Some(xff),
                ..Default::default()
            },
        )
        .await;
        assert_eq!(r.status(), 200, "[{:?}] {xff}", app.db_kind);
    }
    // So does the proxy itself (no X-Forwarded-For).
    assert_eq!(send(app, Sender::default()).await.status(), 200);
}

limit_test!(
    /// A burst above the limit from one client is refused with 429, Retry-After and a
    /// RATE_LIMITED body; other clients behind the trusted proxy are still served.
    a_burst_above_the_limit_is_refused_for_that_client_only,
    small,
    refused_shape
);

async fn spoofing(app: &TestApp) {
    // Every request claims another address; the peer (127.0.0.1) is not a trusted proxy, so
    // they all share 127.0.0.1's bucket.
    let n = BURST as usize + 12;
    let (passed, took) = burst_of(app, n, |i| format!("198.51.100.{i}")).await;
    assert!(
        passed <= one_budget(took),
        "[{:?}] {passed} of {n} passed in {took:?}",
        app.db_kind
    );
    assert!(metric(app, "anonymous").await >= (n - passed) as u64);
}

limit_test!(
    /// X-Forwarded-For from a peer that is not a trusted proxy is ignored: spoofing it does
    /// not give a new bucket.
    forwarded_for_from_an_untrusted_peer_is_ignored,
    untrusted,
    spoofing
);

async fn by_subject(app: &TestApp) {
    let anon = Sender::default();
    let refused_anonymous = exhaust(app, anon).await;
    assert_eq!(refused_anonymous.status(), 429);
    // The address is out of requests; a user's token requests are limited by subject.
    let anna = app.token(Role::Administrator, ADMIN_CVR, "anna");
    let bo = app.token(Role::Administrator, ADMIN_CVR, "bo");
    let as_anna = Sender {
        token: Some(&anna),
        ..Default::default()
    };
    let r = exhaust(app, as_anna).await;
    assert!(retry_after(&r) >= 1);
    // Another user from the same address still gets through, and is who the token says.
    let r = send(
        app,
        Sender {
            token: Some(&bo),
            ..Default::default()
        },
    )
    .await;
    assert_eq!(r.status(), 200);
    let d = app.ok(Some(&bo), "{ viewer { subject } }", json!({})).await;
    assert_eq!(d["viewer"]["subject"], "bo", "{d}");
    // A bad token is not a subject: it is charged to the address (emptied again just before,
    // as a second may have passed).
    let _ = drain(app, anon).await;
    let r = send(
        app,
        Sender {
            token: Some("not.a.token"),
            ..Default::default()
        },
    )
    .await;
    assert_eq!(r.status(), 429, "[{:?}]", app.db_kind);
    // Each refusal was counted under its kind.
    assert!(metric(app, "authenticated").await >= 1);
    assert!(metric(app, "anonymous").await >= 2);
}

limit_test!(
    /// An authenticated user is limited by the token's subject, independently of the
    /// address's anonymous bucket; a bad token counts as anonymous.
    authenticated_users_are_limited_by_subject,
    small,
    by_subject
);

async fn refills(app: &TestApp) {
    let a = Sender {
        xff: Some("203.0.113.7"),
        ..Default::default()
    };
    let r = exhaust(app, a).await;
    let secs = retry_after(&r);
    tokio::time::sleep(Duration::from_secs(secs) + Duration::from_millis(50)).await;
    let r = send(app, a).await;
    assert_eq!(r.status(), 200, "[{:?}] after {secs} s", app.db_kind);
}

limit_test!(
    /// The bucket refills: after Retry-After seconds the client is served again.
    the_bucket_refills_after_retry_after,
    small,
    refills
);

async fn counted(app: &TestApp) {
    assert_eq!(metric(app, "anonymous").await, 0);
    assert_eq!(metric(app, "authenticated").await, 0);
    let _ = exhaust(
        app,
        Sender {
            xff: Some("203.0.113.8"),
            ..Default::default()
        },
    )
    .await;
    // One more refusal, at once.
    let mut refused = 1;
    let r = send(
        app,
        Sender {
            xff: Some("203.0.113.8"),
            ..Default::default()
        },
    )
    .await;
    if r.status() == 429 {
        refused += 1;
    }
    assert_eq!(metric(app, "anonymous").await, refused);
    let t = app.token(Role::Administrator, ADMIN_CVR, "carl");
    let _ = exhaust(
        app,
        Sender {
            token: Some(&t),
            ..Default::default()
        },
    )
    .await;
    assert_eq!(metric(app, "authenticated").await, 1);
    assert_eq!(metric(app, "anonymous").await, refused);
}

limit_test!(
    /// plejeoverblik_rate_limited_total counts the refusals by kind.
    refusals_are_counted_by_kind,
    small,
    counted
);

async fn all_through(app: &TestApp) {
    let (passed, _) = burst_of(app, 100, |i| format!("198.51.100.{i}")).await;
    assert_eq!(passed, 100);
    let (passed, _) = burst_of(app, 100, |_| "198.51.100.1".into()).await;
    assert_eq!(passed, 100);
    let t = app.token(Role::Administrator, ADMIN_CVR, "dorte");
    for _ in 0..50 {
        let r = send(
            app,
            Sender {
                token: Some(&t),
                ..Default::default()
            },
        )
        .await;
        assert_eq!(r.status(), 200);
    }
    assert_eq!(metric(app, "anonymous").await, 0);
}

limit_test!(
    /// --rate-limit-per-second 0 turns rate limiting off.
    zero_turns_rate_limiting_off,
    off,
    all_through
);

async fn health_unlimited(app: &TestApp) {
    let _ = exhaust(app, Sender::default()).await;
    for _ in 0..30 {
        for path in ["/healthz", "/readyz", "/metrics", "/"] {
            let r = app
                .client()
                .get(format!("{}{path}", app.addr))
                .send()
                .await
                .expect("get");
            assert_eq!(r.status(), 200, "[{:?}] {path}", app.db_kind);
        }
    }
}

limit_test!(
    /// /healthz, /readyz, /metrics and the playground are never limited.
    health_and_metrics_are_never_limited,
    small,
    health_unlimited
);

limit_test!(
    /// The open-data files share the client's bucket with `/graphql` (issue 18, N2): a client
    /// that spent its burst on files is refused there and on `/graphql` alike.
    open_data_files_are_rate_limited,
    small,
    open_data_limited
);

async fn open_data_limited(app: &TestApp) {
    let get = |i: u32| {
        app.client()
            .get(format!(
                "{}/data/tilbud.json?dato=2026-01-{:02}",
                app.addr,
                i + 1
            ))
            .header("x-forwarded-for", "203.0.113.77")
            .send()
    };
    let mut statuses = Vec::new();
    for i in 0..BURST + 5 {
        statuses.push(get(i).await.expect("file").status().as_u16());
    }
    assert!(
        statuses.iter().take(BURST as usize).all(|s| *s == 200),
        "{statuses:?}"
    );
    assert_eq!(statuses.last(), Some(&429), "{statuses:?}");
    let r = send(
        app,
        Sender {
            xff: Some("203.0.113.77"),
            token: None,
            accept: None,
        },
    )
    .await;
    assert_eq!(r.status(), 429, "the same client's /graphql");
}
