//! Test harness: a fresh database per test (a temporary SQLite file, or a new PostgreSQL
//! database that is dropped afterwards), the app on 127.0.0.1:0, a settable clock, and
//! helpers to send GraphQL over HTTP with development tokens.
use chrono::{DateTime, TimeZone, Utc};
use plejeoverblik::auth::{make_dev_token, DevTokenRequest};
use plejeoverblik::config::{Config, DEFAULT_DEV_KEY};
use plejeoverblik::domain::access::Role;
use plejeoverblik::domain::day::Clock;
use plejeoverblik::AppState;
use serde_json::{json, Value};
use std::sync::{Arc, Mutex};

/// Runs a test body on SQLite and, when configured, on PostgreSQL: `db_test!(name, |app| async move { ... })`.
#[macro_export]
macro_rules! db_test {
    ($(#[$meta:meta])* $name:ident, $body:expr) => {
        $(#[$meta])*
        mod $name {
            #[allow(unused_imports)]
            use super::*;
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn sqlite() {
                let app = $crate::helpers::TestApp::spawn(
                    $crate::helpers::Db::Sqlite,
                    Default::default(),
                )
                .await;
                ($body)(app).await;
            }
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn postgres() {
                let Some(app) = $crate::helpers::TestApp::spawn_postgres(Default::default()).await
                else {
                    return;
                };
                ($body)(app).await;
            }
        }
    };
}

#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Db {
    Sqlite,
    Postgres,
}

/// A clock the test moves.
pub struct TestClock(pub Mutex<DateTime<Utc>>);

impl Clock for TestClock {
    fn now(&self) -> DateTime<Utc> {
        *self.0.lock().unwrap_or_else(|e| e.into_inner())
    }
}

/// Changes to the configuration of one test app.
pub type Configure = Arc<dyn Fn(&mut Config) + Send + Sync>;

#[derive(Default, Clone)]
pub struct Options {
    pub seed_demo: bool,
    pub lock_ttl_minutes: Option<i64>,
    pub configure: Option<Configure>,
}

pub struct TestApp {
    pub addr: String,
    pub db_kind: Db,
    pub state: AppState,
    pub clock: Arc<TestClock>,
    http: reqwest::Client,
    _sqlite_dir: Option<TempDir>,
    pg_cleanup: Option<(String, String)>,
}

/// A temporary directory removed on drop.
pub struct TempDir(pub std::path::PathBuf);

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// Default "now" of the tests: 2026-06-15 10:00 Copenhagen summer time.
pub fn default_now() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 6, 15, 8, 0, 0)
        .single()
        .expect("valid time")
}

impl TestApp {
    pub async fn spawn(db: Db, opts: Options) -> TestApp {
        match db {
            Db::Sqlite => {
                let dir = std::env::temp_dir()
                    .join(format!("plejeoverblik-test-{}", uuid::Uuid::new_v4()));
                std::fs::create_dir_all(&dir).expect("temp dir");
                let url = format!("sqlite://{}?mode=rwc", dir.join("test.db").display());
                Self::start(url, Db::Sqlite, opts, Some(TempDir(dir)), None).await
            }
            Db::Postgres => Self::spawn_postgres(opts)
                .await
                .expect("PostgreSQL is not configured"),
        }
    }

    /// `None` (with a note) when PostgreSQL is not configured, unless it is required.
    pub async fn spawn_postgres(opts: Options) -> Option<TestApp> {
        let Ok(base) = std::env::var("PLEJEOVERBLIK_TEST_POSTGRES_URL") else {
            if std::env::var("PLEJEOVERBLIK_TEST_REQUIRE_POSTGRES").is_ok_and(|v| v == "1") {
                panic!("PLEJEOVERBLIK_TEST_REQUIRE_POSTGRES=1 but PLEJEOVERBLIK_TEST_POSTGRES_URL is not set");
            }
            eprintln!("note: PostgreSQL test skipped (set PLEJEOVERBLIK_TEST_POSTGRES_URL)");
            return None;
        };
        let name = format!("plejeoverblik_test_{}", uuid::Uuid::new_v4().simple());
        let admin = sea_orm::Database::connect(&base)
            .await
            .expect("connect to PostgreSQL");
        use sea_orm::ConnectionTrait;
        admin
            .execute_unprepared(&format!("CREATE DATABASE {name}"))
            .await
            .expect("create test database");
        let _ = admin.close().await;
        let url = replace_db(&base, &name);
        Some(Self::start(url, Db::Postgres, opts, None, Some((base, name))).await)
    }

    async fn start(
        url: String,
        kind: Db,
        opts: Options,
        dir: Option<TempDir>,
        pg: Option<(String, String)>,
    ) -> TestApp {
        let mut config = Config {
            database_url: url,
            dev_tokens: true,
            seed_if_empty: opts.seed_demo,
            lock_ttl_minutes: opts.lock_ttl_minutes.unwrap_or(480),
            // The suites send many requests from 127.0.0.1 at once: limits far above what they
            // send, so the limiter (and its authentication) is on the path of every test without
            // refusing any. tests/api/rate_limit.rs sets small ones.
            rate_limit_per_second: 1_000_000,
            rate_limit_burst: 1_000_000,
            rate_limit_authenticated_per_second: 1_000_000,
            rate_limit_authenticated_burst: 1_000_000,
            ..Config::default()
        };
        if let Some(f) = &opts.configure {
            f(&mut config);
        }
        let clock = Arc::new(TestClock(Mutex::new(default_now())));
        let state = AppState::init(config, Some(clock.clone()))
            .await
            .expect("app state");
        if state.config.seed_if_empty {
            plejeoverblik::seed::if_empty(&state)
                .await
                .expect("demo data");
        }
        let router = plejeoverblik::http::router(state.clone());
        let timeouts = state.config.server_timeouts();
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind");
        let addr = format!("http://{}", listener.local_addr().expect("addr"));
        tokio::spawn(async move {
            let _ = plejeoverblik::http::server::serve(
                listener,
                router,
                timeouts,
                std::future::pending(),
            )
            .await;
        });
        TestApp {
            addr,
            db_kind: kind,
            state,
            clock,
            http: reqwest::Client::new(),
            _sqlite_dir: dir,
            pg_cleanup: pg,
        }
    }

    /// Another instance of the service on the same database (several instances behind a load
    /// balancer); the first one owns the database's clean-up.
    pub async fn second_instance(&self, opts: Options) -> TestApp {
        Self::start(
            self.state.config.database_url.clone(),
            self.db_kind,
            opts,
            None,
            None,
        )
        .await
    }

    /// An instance on a database the test made and cleans up itself (the failover test's).
    pub async fn on_url(url: String, kind: Db, opts: Options) -> TestApp {
        Self::start(url, kind, opts, None, None).await
    }

    pub fn set_now(&self, t: DateTime<Utc>) {
        *self.clock.0.lock().unwrap_or_else(|e| e.into_inner()) = t;
    }

    pub fn client(&self) -> &reqwest::Client {
        &self.http
    }

    /// POSTs an operation; returns the whole JSON response (data and errors).
    pub async fn gql(&self, token: Option<&str>, query: &str, variables: Value) -> Value {
        let mut req = self
            .http
            .post(format!("{}/graphql", self.addr))
            .json(&json!({ "query": query, "variables": variables }));
        if let Some(t) = token {
            req = req.bearer_auth(t);
        }
        let resp = req.send().await.expect("request");
        resp.json().await.expect("json response")
    }

    /// Like `gql` but asserts there are no errors and returns `data`.
    pub async fn ok(&self, token: Option<&str>, query: &str, variables: Value) -> Value {
        let v = self.gql(token, query, variables).await;
        assert!(
            v.get("errors").is_none_or(|e| e.is_null()),
            "[{:?}] unexpected errors: {v:#}",
            self.db_kind
        );
        v["data"].clone()
    }

    /// Asserts that the operation fails with this `extensions.code` and returns the error.
    pub async fn err(
        &self,
        token: Option<&str>,
        query: &str,
        variables: Value,
        code: &str,
    ) -> Value {
        let v = self.gql(token, query, variables).await;
        let e = v["errors"][0].clone();
        assert_eq!(
            e["extensions"]["code"], code,
            "[{:?}] expected {code}, got {v:#}",
            self.db_kind
        );
        e
    }

    pub fn token(&self, role: Role, cvr: &str, subject: &str) -> String {
        let req = DevTokenRequest {
            roles: &[role],
            cvr,
            name: Some(subject),
            subject: Some(subject),
            valid_hours: 1,
        };
        make_dev_token(DEFAULT_DEV_KEY, &req, Utc::now()).expect("token")
    }
}

fn replace_db(url: &str, name: &str) -> String {
    let (base, query) = url
        .split_once('?')
        .map(|(a, b)| (a, Some(b)))
        .unwrap_or((url, None));
    let root = match base.rfind('/') {
        Some(i)
            if base[..i].contains("://") && i > base.find("://").map(|j| j + 2).unwrap_or(0) =>
        {
            &base[..i]
        }
        _ => base,
    };
    match query {
        Some(q) => format!("{root}/{name}?{q}"),
        None => format!("{root}/{name}"),
    }
}

impl Drop for TestApp {
    fn drop(&mut self) {
        if let Some((base, name)) = self.pg_cleanup.take() {
            let db = self.state.db.clone();
            // Drop the test database from a separate thread with its own runtime.
            let _ = std::thread::spawn(move || {
                let Ok(rt) = tokio::runtime::Builder::new_current_thread()
                    .enable_all()
                    .build()
                else {
                    return;
                };
                rt.block_on(async move {
                    let _ = db.close().await;
                    if let Ok(admin) = sea_orm::Database::connect(&base).await {
                        use sea_orm::ConnectionTrait;
                        let _ = admin
                            .execute_unprepared(&format!(
                                "DROP DATABASE IF EXISTS {name} WITH (FORCE)"
                            ))
                            .await;
                        let _ = admin.close().await;
                    }
                });
            })
            .join();
        }
    }
}

// Well-known CVRs of the reference data (kommuner.csv).
pub const ROSKILDE: &str = "0265";
pub const LEJRE: &str = "0350";
pub const AARHUS: &str = "0751";

/// The CVR of a kommune from the shipped reference data.
pub fn kommune_cvr(kode: &str) -> String {
    plejeoverblik::store::kommune::reference_rows()
        .expect("csv")
        .into_iter()
        .find(|r| r.kode == kode)
        .map(|r| r.cvr)
        .expect("kommune")
}

pub const ADMIN_CVR: &str = "12345678";

/// An enhed created through the admin API.
pub async fn create_enhed(
    app: &TestApp,
    kind: &str,
    navn: &str,
    ejer_cvr: &str,
    lat: f64,
    lon: f64,
) -> String {
    let admin = app.token(Role::Administrator, ADMIN_CVR, "admin");
    let d = app
        .ok(
            Some(&admin),
            "mutation($i: EnhedInput!) { createEnhed(input: $i) { id } }",
            json!({ "i": { "kind": kind, "navn": navn, "ejerCvr": ejer_cvr, "lat": lat, "lon": lon } }),
        )
        .await;
    d["createEnhed"]["id"].as_str().expect("id").to_string()
}

/// A serviceleverance created with `input` (CreateServiceleveranceInput) by the token's holder;
/// its id.
pub async fn create_serviceleverance(app: &TestApp, token: &str, input: Value) -> String {
    let d = app
        .ok(
            Some(token),
            "mutation($i: CreateServiceleveranceInput!) { createServiceleverance(input: $i) { id } }",
            json!({ "i": input }),
        )
        .await;
    d["createServiceleverance"]["id"]
        .as_str()
        .expect("id")
        .to_string()
}

/// An agreement created by the kommune, filled in, and checked in: public unless it has errors.
pub async fn create_agreement(
    app: &TestApp,
    kommune: &str,
    enhed_id: &str,
    sl_type: &str,
    start: &str,
    slut: Option<&str>,
) -> String {
    let t = app.token(
        Role::Driftsoverenskomstansvarlig,
        &kommune_cvr(kommune),
        &format!("doa-{kommune}"),
    );
    let admin = app.token(Role::Administrator, ADMIN_CVR, "admin");
    let tok = if sl_type == "FRIPLEJEBOLIG" {
        &admin
    } else {
        &t
    };
    let mut input = json!({ "navn": format!("Aftale {kommune}"), "enhedId": enhed_id, "type": sl_type, "startdato": start, "slutdato": slut });
    if sl_type == "FRIPLEJEBOLIG" {
        input["aftalepartKode"] = json!(kommune);
    }
    create_serviceleverance(app, tok, input).await
}

// What the page tests (playground, /soeg, /admin) check responses and HTML with.

pub fn header<'a>(r: &'a reqwest::Response, name: &str) -> &'a str {
    r.headers()
        .get(name)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
}

/// The values of `attr="..."` in `html`.
pub fn attribute_values<'a>(html: &'a str, attr: &str) -> Vec<&'a str> {
    let pat = format!(" {attr}=\"");
    html.match_indices(&pat)
        .filter_map(|(i, _)| {
            let rest = &html[i + pat.len()..];
            rest.find('"').map(|end| &rest[..end])
        })
        .collect()
}

/// Does `text` name a host: `scheme://` followed by a host name, or a protocol-relative `//host`
/// in an attribute, `url()` or `@import`?
pub fn names_a_host(text: &str) -> bool {
    let after_slashes = |i: usize| {
        text[i + 2..]
            .chars()
            .next()
            .is_some_and(|c| c.is_ascii_alphanumeric())
    };
    text.match_indices("//").any(|(i, _)| {
        let before = &text[..i];
        (before.ends_with(':') && after_slashes(i))
            || ((before.ends_with('"') || before.ends_with('(') || before.ends_with('\''))
                && after_slashes(i))
    }) || text.contains("@import")
        || text.contains("url(")
}

/// The value of a series of `/metrics` (its name with labels, e.g.
/// `plejeoverblik_cache_bytes{cache="documents"}`), if present.
pub async fn metric_value(app: &TestApp, series: &str) -> Option<u64> {
    let text = app
        .client()
        .get(format!("{}/metrics", app.addr))
        .send()
        .await
        .expect("metrics")
        .text()
        .await
        .expect("text");
    text.lines()
        .find_map(|l| l.strip_prefix(series).and_then(|r| r.strip_prefix(' ')))
        .and_then(|v| v.trim().parse().ok())
}
