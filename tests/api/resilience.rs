//! Faults: with the database down the service stays up, /readyz says not ready, requests fail
//! fast with UNAVAILABLE, and everything works again by itself once the database is back. A
//! database restart under load gives UNAVAILABLE, never INTERNAL.
use crate::helpers::*;
use plejeoverblik::config::Config;
use plejeoverblik::domain::access::Role;
use plejeoverblik::AppState;
use serde_json::{json, Value};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio::net::{TcpListener, TcpStream};
use tokio::task::JoinSet;

/// A TCP proxy to PostgreSQL that the test can take down and bring back on the same port.
struct Proxy {
    port: u16,
    tasks: Option<JoinSet<()>>,
}

impl Proxy {
    async fn start(port: u16) -> Proxy {
        let listener = TcpListener::bind(("127.0.0.1", port))
            .await
            .expect("bind proxy");
        let port = listener.local_addr().expect("addr").port();
        let mut tasks = JoinSet::new();
        tasks.spawn(async move {
            let mut conns = JoinSet::new();
            while let Ok((mut inbound, _)) = listener.accept().await {
                conns.spawn(async move {
                    if let Ok(mut outbound) = TcpStream::connect("127.0.0.1:5432").await {
                        let _ = tokio::io::copy_bidirectional(&mut inbound, &mut outbound).await;
                    }
                });
            }
        });
        Proxy {
            port,
            tasks: Some(tasks),
        }
    }

    /// Stops accepting and cuts every open connection.
    async fn down(&mut self) {
        if let Some(mut t) = self.tasks.take() {
            t.shutdown().await;
        }
    }
}

async fn gql(client: &reqwest::Client, addr: &str, q: &str) -> Value {
    client
        .post(format!("{addr}/graphql"))
        .json(&json!({ "query": q }))
        .send()
        .await
        .expect("request")
        .json()
        .await
        .expect("json")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn database_down_and_back_postgres() {
    let Ok(base) = std::env::var("PLEJEOVERBLIK_TEST_POSTGRES_URL") else {
        if std::env::var("PLEJEOVERBLIK_TEST_REQUIRE_POSTGRES").is_ok_and(|v| v == "1") {
            panic!("PostgreSQL required");
        }
        eprintln!("note: PostgreSQL test skipped");
        return;
    };
    use sea_orm::ConnectionTrait;
    let name = format!("plejeoverblik_test_{}", uuid::Uuid::new_v4().simple());
    let admin = sea_orm::Database::connect(&base).await.expect("connect");
    admin
        .execute_unprepared(&format!("CREATE DATABASE {name}"))
        .await
        .expect("create");

    let mut proxy = Proxy::start(0).await;
    let url = format!("postgres://postgres@127.0.0.1:{}/{name}", proxy.port);
    let config = Config {
        database_url: url,
        seed_if_empty: false,
        dev_tokens: true,
        // Database outages, not rate limits (served without ConnectInfo: one shared bucket).
        rate_limit_per_second: 0,
        ..Config::default()
    };
    let state = AppState::init(config, None).await.expect("init");
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let addr = format!("http://{}", listener.local_addr().expect("addr"));
    let router = plejeoverblik::http::router(state.clone());
    tokio::spawn(async move {
        let _ = axum::serve(listener, router).await;
    });
    let c = reqwest::Client::new();
    let q = "{ kommuner { kode } }";
    assert_eq!(
        gql(&c, &addr, q).await["data"]["kommuner"]
            .as_array()
            .map(Vec::len),
        Some(98)
    );

    proxy.down().await;
    // An anonymous answer already in the response cache is still served (nothing can have
    // been written meanwhile); anything else fails fast.
    assert_eq!(
        gql(&c, &addr, q).await["data"]["kommuner"]
            .as_array()
            .map(Vec::len),
        Some(98)
    );
    let q = "{ kommuner { kode navn } }";
    let start = Instant::now();
    let v = gql(&c, &addr, q).await;
    assert_eq!(v["errors"][0]["extensions"]["code"], "UNAVAILABLE", "{v}");
    assert!(
        start.elapsed() < Duration::from_secs(10),
        "fails fast: {:?}",
        start.elapsed()
    );
    let r = c
        .get(format!("{addr}/readyz"))
        .send()
        .await
        .expect("readyz");
    assert_eq!(r.status(), 503);
    // Issue 9, defect 4: a write whose database is down is UNAVAILABLE, not CONFLICT ("CVR
    // already used") as setKommuneCvr used to answer for every database error.
    let admin_token = plejeoverblik::auth::make_dev_token(
        plejeoverblik::config::DEFAULT_DEV_KEY,
        &plejeoverblik::auth::DevTokenRequest {
            roles: &[plejeoverblik::domain::access::Role::Administrator],
            cvr: "12345678",
            name: Some("admin"),
            subject: Some("admin"),
            valid_hours: 1,
        },
        chrono::Utc::now(),
    )
    .expect("token");
    let v: Value = c
        .post(format!("{addr}/graphql"))
        .bearer_auth(&admin_token)
        .json(&json!({ "query": "mutation { setKommuneCvr(kode: \"0265\", cvr: \"11111111\") { cvr } }" }))
        .send()
        .await
        .expect("post")
        .json()
        .await
        .expect("json");
    assert_eq!(v["errors"][0]["extensions"]["code"], "UNAVAILABLE", "{v}");
    let r = c
        .get(format!("{addr}/healthz"))
        .send()
        .await
        .expect("healthz");
    assert_eq!(r.status(), 200, "the process stays up");

    let _proxy = Proxy::start(proxy.port).await;
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let v = gql(&c, &addr, q).await;
        if v["data"]["kommuner"].as_array().map(Vec::len) == Some(98) {
            break;
        }
        assert!(Instant::now() < deadline, "did not recover: {v}");
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    let r = c
        .get(format!("{addr}/readyz"))
        .send()
        .await
        .expect("readyz");
    assert_eq!(r.status(), 200);

    let _ = state.db.clone().close().await;
    let _ = admin
        .execute_unprepared(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
        .await;
}

/// A PostgreSQL restart under load. Every session of the test database is terminated, again and
/// again, from an admin connection while readers and writers run: `pg_terminate_backend` ends a
/// session exactly as a restart does (SQLSTATE 57P01 "terminating connection due to
/// administrator command", then a closed socket), without stopping the server other tests share.
/// Every error a client sees must be UNAVAILABLE, never INTERNAL, and afterwards the service
/// serves again by itself.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn terminated_sessions_are_unavailable_not_internal_postgres() {
    use sea_orm::{ConnectionTrait, DbBackend, Statement};
    let Some(app) = TestApp::spawn_postgres(Options {
        seed_demo: true,
        ..Default::default()
    })
    .await
    else {
        return;
    };
    let app = Arc::new(app);
    let db_name = app
        .state
        .config
        .database_url
        .rsplit('/')
        .next()
        .and_then(|s| s.split('?').next())
        .expect("database name")
        .to_string();
    let base = std::env::var("PLEJEOVERBLIK_TEST_POSTGRES_URL").expect("postgres url");
    let admin = sea_orm::Database::connect(&base).await.expect("admin");

    let stop = Arc::new(AtomicBool::new(false));
    let admin_token = app.token(Role::Administrator, ADMIN_CVR, "admin");
    let mut load = JoinSet::new();
    for worker in 0..6 {
        let (app, stop, token) = (app.clone(), stop.clone(), admin_token.clone());
        load.spawn(async move {
            let (mut ok, mut codes) = (0usize, Vec::<String>::new());
            let mut i = 0;
            while !stop.load(Ordering::SeqCst) {
                i += 1;
                let v = match worker % 3 {
                    0 => app.gql(None, "query($k: String!) { search(kommune: $k, first: 50) { totalCount edges { node { navn kommune { navn } } } } }", json!({ "k": AARHUS })).await,
                    1 => app.gql(None, "{ kommuner { kode navn tilbud { plejeenheder helhedsplejeenheder } } }", json!({})).await,
                    _ => app.gql(
                        Some(&token),
                        "mutation($i: EnhedInput!) { createEnhed(input: $i) { id } }",
                        json!({ "i": { "kind": "PLEJEENHED", "navn": format!("Last {worker}-{i}"), "ejerCvr": "90000001", "lat": 56.15, "lon": 10.2 } }),
                    ).await,
                };
                match v["errors"].as_array() {
                    Some(errs) if !errs.is_empty() => codes.extend(errs.iter().map(|e| {
                        e["extensions"]["code"].as_str().unwrap_or("(no code)").to_string()
                    })),
                    _ => ok += 1,
                }
            }
            (ok, codes)
        });
    }
    let kill = format!(
        "SELECT pg_terminate_backend(pid) FROM pg_stat_activity \
         WHERE datname = '{db_name}' AND pid <> pg_backend_pid()"
    );
    let mut terminated = 0;
    for _ in 0..30 {
        tokio::time::sleep(Duration::from_millis(100)).await;
        terminated += admin
            .query_all_raw(Statement::from_string(DbBackend::Postgres, kill.clone()))
            .await
            .expect("terminate")
            .len();
    }
    stop.store(true, Ordering::SeqCst);
    let (mut ok, mut codes) = (0, Vec::new());
    while let Some(r) = load.join_next().await {
        let (o, c) = r.expect("load task");
        ok += o;
        codes.extend(c);
    }
    let _ = admin.close().await;
    let mut by_code = std::collections::BTreeMap::<String, usize>::new();
    for c in codes {
        *by_code.entry(c).or_default() += 1;
    }
    eprintln!(
        "restart under load: {terminated} sessions terminated, {ok} requests ok, errors {by_code:?}"
    );
    assert!(terminated > 0, "no session was terminated");
    assert!(
        by_code.get("UNAVAILABLE").is_some_and(|n| *n > 0),
        "requests in flight were hit: {by_code:?}"
    );
    assert!(
        by_code.keys().all(|c| c == "UNAVAILABLE"),
        "only UNAVAILABLE, got {by_code:?}"
    );

    // Serves again without intervention.
    let deadline = Instant::now() + Duration::from_secs(15);
    loop {
        let v = app.gql(None, "{ kommuner { kode } }", json!({})).await;
        if v["data"]["kommuner"].as_array().map(Vec::len) == Some(98) {
            break;
        }
        assert!(Instant::now() < deadline, "did not recover: {v}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let d = app
        .ok(
            Some(&admin_token),
            "mutation($i: EnhedInput!) { createEnhed(input: $i) { id } }",
            json!({ "i": { "kind": "PLEJEENHED", "navn": "Efter genstart", "ejerCvr": "90000001", "lat": 56.15, "lon": 10.2 } }),
        )
        .await;
    assert!(d["createEnhed"]["id"].is_string());
}
