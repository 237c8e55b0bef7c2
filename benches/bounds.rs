//! Bounds benchmark (issue 18): the release server on a fresh SQLite database with the demo
//! data, its rate limits off (the worst case: an attacker with many addresses), everything else
//! at the default settings.
//!
//! 1. **Memory**: the server's RSS after floods of distinct anonymous queries, distinct
//!    open-data days (whole-country files) and distinct persisted queries, against a bound of
//!    200 MB.
//! 2. **The floor under attack**: `{ __typename }` (4 connections) alone, then while 4 other
//!    connections send, without pause, distinct copies of the costliest document the gate
//!    accepts (one kommune with fragments fanned out to ~770 fields and ~4,200 nodes, each new, so each goes
//!    through the validation pool). Printed as req/s and p99, and the ratio to the quiet run.
//!
//! ```sh
//! cargo build --release && cargo bench --bench bounds
//! ```
// Each bench uses part of it.
#[allow(dead_code)]
#[path = "server.rs"]
mod server;
use serde_json::{json, Value};
use server::Server;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

const RSS_BOUND_MB: f64 = 200.0;

/// `n` requests from `conc` connections; `make(i)` builds the i-th request.
async fn flood<F>(c: &reqwest::Client, conc: usize, n: usize, make: F) -> usize
where
    F: Fn(usize, &reqwest::Client) -> reqwest::RequestBuilder + Send + Sync + 'static,
{
    let next = Arc::new(AtomicUsize::new(0));
    let ok = Arc::new(AtomicUsize::new(0));
    let make = Arc::new(make);
    let mut tasks = Vec::new();
    for _ in 0..conc {
        let (c, next, ok, make) = (c.clone(), next.clone(), ok.clone(), make.clone());
        tasks.push(tokio::spawn(async move {
            loop {
                let i = next.fetch_add(1, Ordering::Relaxed);
                if i >= n {
                    break;
                }
                if let Ok(r) = make(i, &c).send().await {
                    if r.status().is_success() && r.bytes().await.is_ok() {
                        ok.fetch_add(1, Ordering::Relaxed);
                    }
                }
            }
        }));
    }
    for t in tasks {
        let _ = t.await;
    }
    ok.load(Ordering::Relaxed)
}

/// The costliest kind of document the gate lets through, made distinct by `i`.
fn worst(i: usize) -> String {
    let mut s = format!("query W{i} {{ kommune(kode: \"0101\") {{ ...F0 }} }}");
    for l in 0..4 {
        let n = l + 1;
        s.push_str(&format!(
            " fragment F{l} on Kommune {{ ...F{n} ...F{n} ...F{n} ...F{n} }}"
        ));
    }
    s.push_str(
        " fragment F4 on Kommune { kode @skip(if: false) @include(if: true) \
         navn @skip(if: false) @include(if: true) __typename @skip(if: false) @include(if: true) }",
    );
    s
}

struct Floor {
    per_sec: f64,
    p99_ms: f64,
}

/// `{ __typename }` from 4 connections for `secs`.
async fn floor(c: &reqwest::Client, base: &str, secs: f64) -> Floor {
    let until = Instant::now() + Duration::from_secs_f64(secs);
    let mut tasks = Vec::new();
    for _ in 0..4 {
        let (c, url) = (c.clone(), format!("{base}/graphql"));
        tasks.push(tokio::spawn(async move {
            let mut lat = Vec::new();
            while Instant::now() < until {
                let t = Instant::now();
                let r = c
                    .post(&url)
                    .json(&json!({ "query": "{ __typename }" }))
                    .send()
                    .await;
                if let Ok(r) = r {
                    if r.bytes().await.is_ok() {
                        lat.push(t.elapsed().as_secs_f64() * 1000.0);
                    }
                }
            }
            lat
        }));
    }
    let mut all = Vec::new();
    for t in tasks {
        all.extend(t.await.unwrap_or_default());
    }
    all.sort_by(f64::total_cmp);
    let p99 = all
        .get((all.len() as f64 * 0.99) as usize)
        .copied()
        .unwrap_or(f64::NAN);
    Floor {
        per_sec: all.len() as f64 / secs,
        p99_ms: p99,
    }
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let bin = server::release_bin()?;
    let dir = std::env::temp_dir().join(format!("plejeoverblik-bounds-{}", std::process::id()));
    std::fs::create_dir_all(&dir)?;
    let url = format!("sqlite://{}?mode=rwc", dir.join("b.db").display());
    let server = Server::start(
        &bin,
        &url,
        &[
            "--rate-limit-per-second",
            "0",
            "--rate-limit-authenticated-per-second",
            "0",
        ],
    )?;
    let base = server.base.clone();
    let c = reqwest::Client::new();
    println!(
        "bounds: {} cores, load average {}, demo data, rate limits off",
        std::thread::available_parallelism().map_or(0, |n| n.get()),
        server::load_average()
    );
    println!("RSS at start: {:.0} MB", server.rss_mb());

    // 1. Memory under floods.
    let g = format!("{base}/graphql");
    let t = Instant::now();
    let n = flood(&c, 8, 5000, move |i, c| {
        let fields = " kode navn".repeat(90);
        c.post(&g).json(&json!({
            "query": format!("query Q{i} {{ kommune(kode: \"0101\") {{{fields} }} }}")
        }))
    })
    .await;
    println!(
        "5,000 distinct 2 KB queries ({n} answered, {:.1} s): RSS {:.0} MB",
        t.elapsed().as_secs_f64(),
        server.rss_mb()
    );
    let d = format!("{base}/data/tilbud.json");
    let t = Instant::now();
    let n = flood(&c, 4, 1500, move |i, c| {
        let day = chrono::NaiveDate::from_ymd_opt(2020, 1, 1).unwrap_or_default()
            + chrono::Duration::days(i as i64);
        c.get(format!("{d}?dato={day}"))
    })
    .await;
    println!(
        "1,500 distinct open-data days ({n} answered, {:.1} s): RSS {:.0} MB",
        t.elapsed().as_secs_f64(),
        server.rss_mb()
    );
    let g = format!("{base}/graphql");
    let t = Instant::now();
    let n = flood(&c, 8, 5000, move |i, c| {
        use sha2::Digest;
        let fields = " kode navn".repeat(90);
        let q = format!("query P{i} {{ kommune(kode: \"0101\") {{{fields} }} }}");
        let hash = format!("{:x}", sha2::Sha256::digest(q.as_bytes()));
        c.post(&g).json(&json!({
            "query": q,
            "extensions": { "persistedQuery": { "version": 1, "sha256Hash": hash } }
        }))
    })
    .await;
    let rss = server.rss_mb();
    println!(
        "5,000 distinct persisted queries ({n} registered, {:.1} s): RSS {rss:.0} MB (bound {RSS_BOUND_MB:.0} MB: {})",
        t.elapsed().as_secs_f64(),
        if rss <= RSS_BOUND_MB { "within" } else { "OVER" }
    );

    // 2. The floor, quiet and under the costliest accepted documents.
    let quiet = floor(&c, &base, 4.0).await;
    let stop = Arc::new(AtomicBool::new(false));
    let sent = Arc::new(AtomicUsize::new(0));
    let mut attackers = Vec::new();
    for a in 0..4 {
        let (c, url, stop, sent) = (
            c.clone(),
            format!("{base}/graphql"),
            stop.clone(),
            sent.clone(),
        );
        attackers.push(tokio::spawn(async move {
            let mut i = a * 1_000_000;
            while !stop.load(Ordering::Relaxed) {
                let r = c
                    .post(&url)
                    .json(&json!({ "query": worst(i) }))
                    .send()
                    .await;
                if let Ok(r) = r {
                    let v: Value = r.json().await.unwrap_or(Value::Null);
                    if v.get("data").is_some() {
                        sent.fetch_add(1, Ordering::Relaxed);
                    }
                }
                i += 1;
            }
        }));
    }
    tokio::time::sleep(Duration::from_millis(500)).await;
    let attacked = floor(&c, &base, 4.0).await;
    stop.store(true, Ordering::Relaxed);
    for a in attackers {
        let _ = a.await;
    }
    println!(
        "floor quiet: {:.0} req/s, p99 {:.2} ms; under attack ({} costliest documents answered): {:.0} req/s, p99 {:.2} ms; ratio {:.2} (target >= 0.50)",
        quiet.per_sec,
        quiet.p99_ms,
        sent.load(Ordering::Relaxed),
        attacked.per_sec,
        attacked.p99_ms,
        attacked.per_sec / quiet.per_sec
    );
    println!("RSS at the end: {:.0} MB", server.rss_mb());
    drop(server);
    let _ = std::fs::remove_dir_all(&dir);
    Ok(())
}
