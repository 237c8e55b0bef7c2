//! Faults: with the database down the service stays up, /readyz says not ready, requests fail
//! fast with UNAVAILABLE, and everything works again by itself once the database is back.
use plejeoverblik::config::Config;
use plejeoverblik::AppState;
use serde_json::{json, Value};
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
