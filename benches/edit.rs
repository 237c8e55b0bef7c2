//! Benchmark: the edit cycle of the user guide (lock, save, check in) through the real HTTP
//! stack, on SQLite and (with `PLEJEOVERBLIK_BENCH_POSTGRES_URL`) PostgreSQL, against the
//! `{ __typename }` floor measured in the same run. Prints p50/p90 per cycle, the ratio to the
//! floor, and the SQL statements one cycle costs.
//!
//! ```sh
//! PLEJEOVERBLIK_BENCH_POSTGRES_URL=postgres://postgres@127.0.0.1:5432/postgres cargo bench --bench edit
//! ```
use plejeoverblik::auth::{make_dev_token, DevTokenRequest};
use plejeoverblik::config::{Config, DEFAULT_DEV_KEY};
use plejeoverblik::domain::access::Role;
use plejeoverblik::AppState;
use serde_json::{json, Value};
use std::time::{Duration, Instant};

const CYCLES: usize = 200;

fn pct(v: &mut [Duration], p: f64) -> f64 {
    v.sort();
    let i = ((v.len() as f64 - 1.0) * p).round() as usize;
    v[i].as_secs_f64() * 1000.0
}

async fn post(c: &reqwest::Client, url: &str, token: Option<&str>, q: &str, vars: Value) -> Value {
    let mut r = c.post(url).json(&json!({ "query": q, "variables": vars }));
    if let Some(t) = token {
        r = r.bearer_auth(t);
    }
    let v: Value = match r.send().await {
        Ok(r) => r.json().await.unwrap_or(Value::Null),
        Err(e) => panic!("request failed: {e}"),
    };
    assert!(v.get("errors").is_none(), "{v}");
    v
}

async fn run(label: &str, url: String) -> anyhow::Result<()> {
    let config = Config {
        database_url: url,
        dev_tokens: true,
        seed_if_empty: false,
        rate_limit_per_second: 0,
        ..Config::default()
    };
    let state = AppState::init(config, None).await?;
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let addr = format!("http://{}/graphql", listener.local_addr()?);
    let router = plejeoverblik::http::router(state.clone());
    tokio::spawn(async move { axum::serve(listener, router).await });
    let c = reqwest::Client::new();
    let cvr = plejeoverblik::store::kommune::reference_rows()?
        .into_iter()
        .find(|r| r.kode == "0265")
        .map(|r| r.cvr)
        .unwrap_or_default();
    let token = make_dev_token(
        DEFAULT_DEV_KEY,
        &DevTokenRequest {
            roles: &[Role::Driftsoverenskomstansvarlig],
            cvr: &cvr,
            name: Some("Bench"),
            subject: Some("bench"),
            valid_hours: 1,
        },
        chrono::Utc::now(),
    )?;
    let t = Some(token.as_str());
    let d = post(
        &c,
        &addr,
        t,
        "mutation { createServiceleverance(input: {navn: \"Bench\"}) { id } }",
        json!({}),
    )
    .await;
    let id = d["data"]["createServiceleverance"]["id"]
        .as_str()
        .unwrap_or("")
        .to_string();
    // Floor.
    let mut floor = Vec::with_capacity(CYCLES);
    for _ in 0..CYCLES {
        let s = Instant::now();
        post(&c, &addr, None, "{ __typename }", json!({})).await;
        floor.push(s.elapsed());
    }
    let mut cycles = Vec::with_capacity(CYCLES);
    let before = state.statements.get();
    for i in 0..CYCLES {
        let s = Instant::now();
        post(
            &c,
            &addr,
            t,
            "mutation($id: ID!) { lockServiceleverance(id: $id) { revision } }",
            json!({ "id": id }),
        )
        .await;
        post(&c, &addr, t, "mutation($id: ID!, $n: String!) { updateServiceleverance(id: $id, input: {navn: $n}) { revision } }", json!({ "id": id, "n": format!("Bench {i}") })).await;
        post(
            &c,
            &addr,
            t,
            "mutation($id: ID!) { checkInServiceleverance(id: $id) { version } }",
            json!({ "id": id }),
        )
        .await;
        cycles.push(s.elapsed());
    }
    let statements = (state.statements.get() - before) as f64 / CYCLES as f64;
    let f50 = pct(&mut floor, 0.5);
    let c50 = pct(&mut cycles, 0.5);
    let c90 = pct(&mut cycles, 0.9);
    println!(
        "{label:<10} edit cycle (lock + save + check-in): p50 {c50:.2} ms, p90 {c90:.2} ms, {statements:.1} SQL statements; floor {{ __typename }} p50 {f50:.3} ms; cycle = {:.1}x floor",
        c50 / f50
    );
    Ok(())
}

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() -> anyhow::Result<()> {
    let load = std::fs::read_to_string("/proc/loadavg").unwrap_or_default();
    println!(
        "edit-cycle benchmark, {CYCLES} cycles, one client, load average {}",
        load.split_whitespace()
            .take(3)
            .collect::<Vec<_>>()
            .join(" ")
    );
    let dir =
        std::env::temp_dir().join(format!("plejeoverblik-bench-edit-{}", uuid::Uuid::new_v4()));
    std::fs::create_dir_all(&dir)?;
    run(
        "SQLite",
        format!("sqlite://{}?mode=rwc", dir.join("b.db").display()),
    )
    .await?;
    let _ = std::fs::remove_dir_all(&dir);
    if let Ok(base) = std::env::var("PLEJEOVERBLIK_BENCH_POSTGRES_URL") {
        use sea_orm::ConnectionTrait;
        let name = format!("plejeoverblik_bench_{}", uuid::Uuid::new_v4().simple());
        let admin = sea_orm::Database::connect(&base).await?;
        admin
            .execute_unprepared(&format!("CREATE DATABASE {name}"))
            .await?;
        let root = base.rsplit_once('/').map(|(r, _)| r).unwrap_or(&base);
        let res = run("PostgreSQL", format!("{root}/{name}")).await;
        let _ = admin
            .execute_unprepared(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
            .await;
        res?;
    }
    Ok(())
}
