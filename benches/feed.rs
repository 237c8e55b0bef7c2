//! Change-feed benchmark (issue 19, R30): the release server on a fresh SQLite database with
//! 10,000 graphql-sse subscribers and 1,000 graphql-transport-ws subscribers
//! (`PLEJEOVERBLIK_FEED_SSE`, `PLEJEOVERBLIK_FEED_WS`) on one instance. Prints the server's RSS
//! per subscriber and, over a series of commits (`PLEJEOVERBLIK_FEED_COMMITS`, one every 250
//! ms), how long after the commit each subscriber receives its event: p50, p99 and max over all
//! subscribers and commits. The clock starts when the mutation is sent, so the figures include
//! the commit itself.
//!
//! ```sh
//! cargo build --release && cargo bench --bench feed
//! ```
use anyhow::Context as _;
// Each bench uses part of it.
#[allow(dead_code)]
#[path = "server.rs"]
mod server;
use futures_util::{SinkExt, StreamExt};
use plejeoverblik::auth::{make_dev_token, DevTokenRequest};
use plejeoverblik::config::DEFAULT_DEV_KEY;
use plejeoverblik::domain::access::Role;
use serde_json::{json, Value};
use server::Server;
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio::sync::mpsc;

/// Dev tokens for the writes; no limit on requests or subscriptions from the one client.
const SERVE_FLAGS: &[&str] = &[
    "--no-demo-data",
    "--dev-tokens",
    "--rate-limit-per-second",
    "0",
    "--max-subscriptions",
    "100000",
    "--max-subscriptions-per-client",
    "100000",
];

const SUBSCRIBE: &str = "subscription { changes { cursor kind enhed { navn } } }";

fn token(role: Role, cvr: &str, who: &str) -> anyhow::Result<String> {
    let req = DevTokenRequest {
        roles: &[role],
        cvr,
        name: Some(who),
        subject: Some(who),
        valid_hours: 2,
    };
    make_dev_token(DEFAULT_DEV_KEY, &req, chrono::Utc::now())
}

async fn gql(
    c: &reqwest::Client,
    base: &str,
    tok: &str,
    q: &str,
    v: Value,
) -> anyhow::Result<Value> {
    let v: Value = c
        .post(format!("{base}/graphql"))
        .bearer_auth(tok)
        .json(&json!({ "query": q, "variables": v }))
        .send()
        .await?
        .json()
        .await?;
    anyhow::ensure!(v.get("errors").is_none(), "{v}");
    Ok(v["data"].clone())
}

async fn open_subscriptions(base: &str) -> anyhow::Result<usize> {
    let v: String = reqwest::get(format!("{base}/metrics"))
        .await?
        .text()
        .await?;
    Ok(v.lines()
        .find_map(|l| l.strip_prefix("plejeoverblik_subscriptions_open "))
        .and_then(|n| n.trim().parse().ok())
        .unwrap_or(0))
}

/// One SSE subscriber: sends (cursor, arrival) for every event. `c`: its own client (one HTTP/1
/// connection) or one shared by many (HTTP/2, one stream each).
async fn sse(base: String, tx: mpsc::UnboundedSender<(u64, Instant)>, c: reqwest::Client) {
    let Ok(mut resp) = c
        .post(format!("{base}/graphql/stream"))
        .header("accept", "text/event-stream")
        .json(&json!({ "query": SUBSCRIBE }))
        .send()
        .await
    else {
        return;
    };
    let mut buf = String::new();
    while let Ok(Some(chunk)) = resp.chunk().await {
        let at = Instant::now();
        buf.push_str(&String::from_utf8_lossy(&chunk));
        while let Some(i) = buf.find("\n\n") {
            let block: String = buf.drain(..i + 2).collect();
            if let Some(seq) = cursor_of(&block) {
                let _ = tx.send((seq, at));
            }
        }
    }
}

fn cursor_of(text: &str) -> Option<u64> {
    let i = text.find("\"cursor\":\"")? + 10;
    let rest = &text[i..];
    rest[..rest.find('"')?].parse().ok()
}

/// One graphql-transport-ws subscriber.
async fn ws(base: String, tx: mpsc::UnboundedSender<(u64, Instant)>) {
    use tokio_tungstenite::tungstenite::{client::IntoClientRequest, Message};
    let Ok(mut req) =
        format!("{}/graphql/ws", base.replace("http://", "ws://")).into_client_request()
    else {
        return;
    };
    if let Ok(v) = "graphql-transport-ws".parse() {
        req.headers_mut().insert("sec-websocket-protocol", v);
    }
    let Ok((mut s, _)) = tokio_tungstenite::connect_async(req).await else {
        return;
    };
    let init = json!({ "type": "connection_init" }).to_string();
    let sub =
        json!({ "id": "1", "type": "subscribe", "payload": { "query": SUBSCRIBE } }).to_string();
    if s.send(Message::text(init)).await.is_err() || s.send(Message::text(sub)).await.is_err() {
        return;
    }
    while let Some(Ok(m)) = s.next().await {
        let at = Instant::now();
        if let Message::Text(t) = m {
            if t.contains("\"ping\"") {
                let _ = s
                    .send(Message::text(json!({ "type": "pong" }).to_string()))
                    .await;
            } else if let Some(seq) = cursor_of(&t) {
                let _ = tx.send((seq, at));
            }
        }
    }
}

fn pct(sorted: &[f64], p: f64) -> f64 {
    if sorted.is_empty() {
        return f64::NAN;
    }
    sorted[((sorted.len() as f64 - 1.0) * p).round() as usize]
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let bin = server::release_bin()?;
    let n_sse: usize = server::env_or("PLEJEOVERBLIK_FEED_SSE", 10_000);
    let n_ws: usize = server::env_or("PLEJEOVERBLIK_FEED_WS", 1_000);
    let commits: usize = server::env_or("PLEJEOVERBLIK_FEED_COMMITS", 20);
    println!(
        "feed benchmark: {} CPUs, load average before {}; {n_sse} SSE + {n_ws} WebSocket subscribers, {commits} commits",
        std::thread::available_parallelism().map_or(0, |n| n.get()),
        server::load_average()
    );
    let dir = std::env::temp_dir().join(format!("plejeoverblik-feed-{}", std::process::id()));
    std::fs::create_dir_all(&dir)?;
    let server = Server::start(
        &bin,
        &format!("sqlite://{}?mode=rwc", dir.join("f.db").display()),
        SERVE_FLAGS,
    )?;
    let base = server.base.clone();
    let c = reqwest::Client::new();
    let admin = token(Role::Administrator, "12345678", "bench-admin")?;
    let doa = token(
        Role::Driftsoverenskomstansvarlig,
        "55133018",
        "bench-aarhus",
    )?;
    let e = gql(&c, &base, &admin, "mutation { createEnhed(input: {kind: PLEJEENHED, navn: \"Benchhjemmet\", ejerCvr: \"80000007\", lat: 56.16, lon: 10.2}) { enhedId } }", json!({})).await?;
    let enhed = e["createEnhed"]["enhedId"]
        .as_str()
        .context("enhed")?
        .to_string();
    tokio::time::sleep(Duration::from_millis(500)).await;
    let rss0 = server.rss_kb();

    let (tx, mut rx) = mpsc::unbounded_channel();
    let t_open = Instant::now();
    let mut tasks = Vec::with_capacity(n_sse + n_ws);
    // PLEJEOVERBLIK_FEED_H2=N: the SSE subscribers share N HTTP/2 connections (h2c), as behind
    // a proxy that speaks HTTP/2 to the service; otherwise one HTTP/1 connection each.
    let h2: Option<Vec<reqwest::Client>> = match std::env::var("PLEJEOVERBLIK_FEED_H2")
        .ok()
        .and_then(|v| v.parse::<usize>().ok())
    {
        Some(n) if n > 0 => Some(
            (0..n)
                .map(|_| reqwest::Client::builder().http2_prior_knowledge().build())
                .collect::<Result<_, _>>()?,
        ),
        _ => None,
    };
    if let Some(pool) = &h2 {
        println!("SSE subscribers over {} HTTP/2 connections", pool.len());
    }
    for (kind, n, upto) in [("SSE", n_sse, n_sse), ("WebSocket", n_ws, n_sse + n_ws)] {
        let before = server.rss_kb();
        for i in 0..n {
            let (b, t) = (base.clone(), tx.clone());
            tasks.push(if kind == "SSE" {
                let c = match &h2 {
                    Some(pool) => pool[i % pool.len()].clone(),
                    None => reqwest::Client::new(),
                };
                tokio::spawn(sse(b, t, c))
            } else {
                tokio::spawn(ws(b, t))
            });
            if i % 200 == 199 {
                tokio::time::sleep(Duration::from_millis(20)).await;
            }
        }
        loop {
            let open = open_subscriptions(&base).await?;
            if open >= upto {
                break;
            }
            anyhow::ensure!(
                t_open.elapsed() < Duration::from_secs(120),
                "only {open} of {upto} subscribed"
            );
            tokio::time::sleep(Duration::from_millis(250)).await;
        }
        // Let the WebSocket handshakes (connection_init, subscribe) finish.
        tokio::time::sleep(Duration::from_secs(2)).await;
        if n > 0 {
            println!(
                "{n} {kind} subscribers: {:.1} KB each",
                (server.rss_kb() - before) / n as f64
            );
        }
    }
    drop(tx);
    let want = n_sse + n_ws;
    let rss1 = server.rss_kb();
    println!(
        "subscribed in {:.1} s; server RSS {:.0} MB before, {:.0} MB with {want} subscribers: {:.1} KB per subscriber",
        t_open.elapsed().as_secs_f64(),
        rss0 / 1024.0,
        rss1 / 1024.0,
        (rss1 - rss0) / want as f64
    );

    // Commits, each an ADDED event that every subscriber receives.
    let mut sent: Vec<Instant> = Vec::new();
    let received = Arc::new(std::sync::Mutex::new(Vec::<(u64, Instant)>::new()));
    let collector = {
        let received = received.clone();
        tokio::spawn(async move {
            while let Some(ev) = rx.recv().await {
                received.lock().unwrap_or_else(|e| e.into_inner()).push(ev);
            }
        })
    };
    let mut first_seq = None;
    for i in 0..commits {
        let t = Instant::now();
        gql(&c, &base, &doa, "mutation($e: String, $n: String!) { createServiceleverance(input: {navn: $n, enhedId: $e, type: DRIFTSOVERENSKOMST, startdato: \"2020-01-01\"}) { id } }", json!({ "e": enhed, "n": format!("Bench {i}") })).await?;
        sent.push(t);
        if first_seq.is_none() {
            // An enhed alone is no event: the first agreement is the log's first event.
            first_seq = Some(1u64);
        }
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
    tokio::time::sleep(Duration::from_secs(3)).await;
    let rss2 = server.rss_kb();
    let got = received.lock().unwrap_or_else(|e| e.into_inner()).clone();
    collector.abort();
    let base_seq = first_seq.unwrap_or(1);
    let mut lat: Vec<f64> = Vec::new();
    let mut per_commit = vec![0usize; commits];
    for (seq, at) in got {
        let Some(i) = seq
            .checked_sub(base_seq)
            .map(|i| i as usize)
            .filter(|i| *i < commits)
        else {
            continue;
        };
        per_commit[i] += 1;
        lat.push(at.duration_since(sent[i]).as_secs_f64() * 1000.0);
    }
    lat.sort_by(|a, b| a.total_cmp(b));
    let delivered: usize = per_commit.iter().sum();
    println!(
        "delivered {delivered} of {} events ({} per commit at least); from sending the mutation to arrival: p50 {:.0} ms, p99 {:.0} ms, max {:.0} ms",
        want * commits,
        per_commit.iter().min().copied().unwrap_or(0),
        pct(&lat, 0.5),
        pct(&lat, 0.99),
        lat.last().copied().unwrap_or(f64::NAN)
    );
    println!("server RSS after the commits {:.0} MB", rss2 / 1024.0);
    for t in tasks {
        t.abort();
    }
    tokio::time::sleep(Duration::from_secs(1)).await;
    // The baseline of the same run, on a fresh server: as many idle keep-alive connections
    // that each sent one `{ __typename }`, what any HTTP/1 client costs while it stays
    // connected.
    let fresh = Server::start(
        &bin,
        &format!("sqlite://{}?mode=rwc", dir.join("idle.db").display()),
        SERVE_FLAGS,
    )?;
    tokio::time::sleep(Duration::from_millis(500)).await;
    let rss_before_idle = fresh.rss_kb();
    let idle_n = n_sse + n_ws;
    let mut idle = Vec::with_capacity(idle_n);
    let addr = fresh.base.trim_start_matches("http://").to_string();
    for _ in 0..idle_n {
        let mut s = tokio::net::TcpStream::connect(&addr).await?;
        let body = r#"{"query":"{ __typename }"}"#;
        let req = format!(
            "POST /graphql HTTP/1.1\r\nHost: {addr}\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\r\n{body}",
            body.len()
        );
        use tokio::io::{AsyncReadExt, AsyncWriteExt};
        s.write_all(req.as_bytes()).await?;
        let mut buf = [0u8; 1024];
        let _ = s.read(&mut buf).await?;
        idle.push(s);
    }
    tokio::time::sleep(Duration::from_millis(500)).await;
    let rss_idle = fresh.rss_kb();
    let per_idle = (rss_idle - rss_before_idle) / idle_n as f64;
    println!(
        "baseline: {idle_n} idle keep-alive connections after one request: {per_idle:.1} KB each; a subscriber costs {:.2}x that",
        (rss1 - rss0) / want as f64 / per_idle.max(0.001)
    );
    drop(idle);
    drop(fresh);

    println!("load average after {}", server::load_average());
    drop(server);
    let _ = std::fs::remove_dir_all(&dir);
    Ok(())
}
