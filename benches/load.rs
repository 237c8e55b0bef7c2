//! Load benchmark (issue 10): the release server binary on a fresh SQLite database with generated
//! data at 1x and 10x (`PLEJEOVERBLIK_LOAD_SCALES`), driven over HTTP by its own load client with
//! 16 concurrent connections (`PLEJEOVERBLIK_LOAD_CONCURRENCY`), for a few seconds per scenario
//! (`PLEJEOVERBLIK_LOAD_SECONDS`). Prints req/s, p50, p99 and the server's CPU per request (from
//! /proc), each also as a ratio to the `{ __typename }` floor measured in the same run, and the
//! server's RSS; then how the cold pages grow with the data, in paired rounds that alternate
//! between the scales (`PLEJEOVERBLIK_LOAD_PAIRED_ROUNDS`, default 8).
//!
//! ```sh
//! cargo build --release && cargo bench --bench load
//! ```
//!
//! The data generator is the search benchmark's (`benches/search.rs`).
#[allow(dead_code)]
#[path = "search.rs"]
mod gen;
// Each bench uses part of it.
#[allow(dead_code)]
#[path = "server.rs"]
mod server;
use server::Server;

use plejeoverblik::auth::{make_dev_token, DevTokenRequest};
use plejeoverblik::config::{Config, DEFAULT_DEV_KEY};
use plejeoverblik::domain::access::Role;
use plejeoverblik::AppState;
use serde_json::{json, Value};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

const WARM: &str = r#"query { search(kommune: "0751", first: 30) { totalCount pageInfo { hasNextPage endCursor } edges { node { id navn adresse { vejnavn postnummer by } kommune { navn } } serviceleverance { type beskrivelse startdato slutdato } } } }"#;
const COLD_BY_NAME: &str = r#"query($k: String!, $d: Date!) { search(kommune: $k, date: $d, first: 20) { totalCount pageInfo { hasNextPage endCursor } edges { node { id navn adresse { vejnavn postnummer by } kommune { navn } } serviceleverance { type beskrivelse startdato slutdato } } } }"#;
const COLD: &str = r#"query($k: String!, $lat: Float!, $lon: Float!) { search(kommune: $k, near: {lat: $lat, lon: $lon}, first: 30) { totalCount pageInfo { hasNextPage endCursor } edges { distanceKm node { id navn adresse { vejnavn postnummer by } kommune { navn } } serviceleverance { type beskrivelse startdato slutdato } } } }"#;

/// The cold nearest-first page with issue 21's fields as well (R31's profile, R32's tilsyn):
/// compared with `COLD` in the same run.
const COLD_21: &str = r#"query($k: String!, $lat: Float!, $lon: Float!) { search(kommune: $k, near: {lat: $lat, lon: $lon}, first: 30) { totalCount pageInfo { hasNextPage endCursor } edges { distanceKm node { id navn adresse { vejnavn postnummer by } kommune { navn } profil { huslejeTekst parboliger demens dyr } tilsyn { seneste { dato vurdering } paabudForbud { type } } } serviceleverance { type beskrivelse startdato slutdato } } } }"#;

/// The cold pages: by name, nearest first with today's fields, and with issue 21's.
#[derive(Clone, Copy, PartialEq)]
enum Page {
    ByName = 0,
    Nearest = 1,
    Nearest21 = 2,
}

struct Result_ {
    name: &'static str,
    rps: f64,
    p50: f64,
    p99: f64,
    cpu_ms: f64,
}

/// Runs `c` concurrent clients for `secs`, each calling `one(client, worker, i)`.
async fn drive<F, Fut>(server: &Server, name: &'static str, c: usize, secs: f64, one: F) -> Result_
where
    F: Fn(reqwest::Client, usize, usize) -> Fut + Send + Sync + Clone + 'static,
    Fut: std::future::Future<Output = usize> + Send,
{
    if !wanted(name) {
        return Result_ {
            name,
            rps: f64::NAN,
            p50: f64::NAN,
            p99: f64::NAN,
            cpu_ms: f64::NAN,
        };
    }
    let client = reqwest::Client::builder()
        .pool_max_idle_per_host(c)
        .build()
        .unwrap_or_default();
    // Warm-up.
    for i in 0..20 {
        one(client.clone(), 0, i).await;
    }
    let stop = Instant::now() + Duration::from_secs_f64(secs);
    let count = Arc::new(AtomicUsize::new(0));
    let cpu0 = server.cpu();
    let t0 = Instant::now();
    let mut tasks = Vec::new();
    for w in 0..c {
        let (client, one, count) = (client.clone(), one.clone(), count.clone());
        tasks.push(tokio::spawn(async move {
            let mut lat = Vec::new();
            let mut i = 0;
            while Instant::now() < stop {
                let s = Instant::now();
                let n = one(client.clone(), w, i).await;
                lat.push(s.elapsed().as_secs_f64() * 1000.0);
                count.fetch_add(n, Ordering::Relaxed);
                i += 1;
            }
            lat
        }));
    }
    let mut all = Vec::new();
    for t in tasks {
        all.extend(t.await.unwrap_or_default());
    }
    let elapsed = t0.elapsed().as_secs_f64();
    let cpu = server.cpu() - cpu0;
    all.sort_by(|a, b| a.total_cmp(b));
    let pct = |p: f64| {
        all.get(((all.len() as f64 - 1.0) * p) as usize)
            .copied()
            .unwrap_or(0.0)
    };
    let n = count.load(Ordering::Relaxed).max(1) as f64;
    if (n as usize) < all.len() {
        eprintln!(
            "  {name}: {} of {} requests failed",
            all.len() - n as usize,
            all.len()
        );
    }
    Result_ {
        name,
        rps: n / elapsed,
        p50: pct(0.5),
        p99: pct(0.99),
        cpu_ms: cpu * 1000.0 / n,
    }
}

/// Whether a scenario runs: all by default; with `PLEJEOVERBLIK_LOAD_SCENARIOS` (words from
/// the scenarios' names, comma-separated, e.g. `by name` while profiling one) only those and
/// the floor, which every ratio needs.
fn wanted(name: &str) -> bool {
    name.starts_with("floor")
        || std::env::var("PLEJEOVERBLIK_LOAD_SCENARIOS").map_or(true, |v| {
            v.split(',')
                .any(|w| !w.trim().is_empty() && name.contains(w.trim()))
        })
}

/// 1 when the answer is a GraphQL result without errors, else 0 (counted as a failure). The
/// client reads every byte but does not parse the JSON: on a 2-core machine the load client's
/// own work would otherwise be what is measured.
fn ok(body: &[u8]) -> usize {
    let errors = body.windows(9).any(|w| w == b"\"errors\":");
    usize::from(body.starts_with(b"{\"data\":{") && !errors)
}

async fn post(c: &reqwest::Client, url: &str, token: Option<&str>, body: &Value) -> Vec<u8> {
    let mut r = c.post(url).json(body);
    if let Some(t) = token {
        r = r.bearer_auth(t);
    }
    match r.send().await {
        Ok(r) => r.bytes().await.map(|b| b.to_vec()).unwrap_or_default(),
        Err(_) => Vec::new(),
    }
}

fn data(body: &[u8]) -> Value {
    serde_json::from_slice(body).unwrap_or(Value::Null)
}

/// The cold requests of one server, numbered over the whole run (the tables and the paired
/// rounds), so that no two are alike and the response cache never answers one: the page by name
/// takes the kommuner in turn and moves a day on after each round of them; the nearest-first
/// page takes the kommuner in turn with a point moved a little further from the centre each
/// round. The document stays the same, as a site's would (the parsed-document cache answers).
struct Cold {
    koder: Vec<(String, f64, f64)>,
    today: chrono::NaiveDate,
    next: [AtomicUsize; 3],
}

impl Cold {
    fn new<'k>(ks: impl IntoIterator<Item = &'k gen::Kommune>) -> Cold {
        Cold {
            koder: ks
                .into_iter()
                .map(|k| (k.kode.clone(), k.centre.0, k.centre.1))
                .collect(),
            today: chrono::Utc::now().date_naive(),
            next: [
                AtomicUsize::new(0),
                AtomicUsize::new(0),
                AtomicUsize::new(0),
            ],
        }
    }

    fn next(&self, page: Page) -> Value {
        let n = self.next[page as usize].fetch_add(1, Ordering::Relaxed);
        let (k, lat, lon) = &self.koder[n % self.koder.len()];
        let round = n / self.koder.len();
        if page == Page::ByName {
            let d = self.today + chrono::Duration::days(round as i64);
            json!({ "query": COLD_BY_NAME, "variables": { "k": k, "d": d.format("%Y-%m-%d").to_string() } })
        } else {
            let jitter = round as f64 * 1e-6;
            let q = if page == Page::Nearest { COLD } else { COLD_21 };
            json!({ "query": q, "variables": { "k": k, "lat": lat + jitter, "lon": lon - jitter } })
        }
    }
}

/// How many hits today a kommune must have, by name and nearest first, to be asked for a cold
/// page: a full page of 20 or 30 also on the days the run asks for, which lie further ahead
/// (fewer agreements are active then).
const FULL: u64 = 40;

/// The kommuner with at least [`FULL`] hits today, by name and nearest first from their centre.
async fn full_kommuner<'k>(url: &str, ks: &'k [gen::Kommune]) -> Vec<&'k gen::Kommune> {
    let cl = reqwest::Client::new();
    let mut full = Vec::new();
    for k in ks {
        let body = json!({
            "query": "query($k: String!, $lat: Float!, $lon: Float!) { a: search(kommune: $k) { totalCount } b: search(kommune: $k, near: {lat: $lat, lon: $lon}) { totalCount } }",
            "variables": { "k": k.kode, "lat": k.centre.0, "lon": k.centre.1 }
        });
        let v = data(&post(&cl, url, None, &body).await);
        let n = |a: &str| v["data"][a]["totalCount"].as_u64().unwrap_or(0);
        if n("a") >= FULL && n("b") >= FULL {
            full.push(k);
        }
    }
    full
}

/// One scale's database and server, kept up for the whole run (the paired rounds at the end
/// go back to each).
struct Prepared {
    scale: usize,
    server: Server,
    cold: Arc<Cold>,
    idle_rss: f64,
    /// Removed when dropped, after the server.
    _db: gen::TempDatabase,
}

async fn prepare(bin: &str, ks: &[gen::Kommune], scale: usize) -> anyhow::Result<Prepared> {
    let db = gen::TempDatabase::sqlite()?;
    let now = chrono::Utc::now();
    {
        let state = AppState::init(
            Config {
                database_url: db.url.clone(),
                seed_if_empty: false,
                ..Config::default()
            },
            None,
        )
        .await?;
        let g = gen::generate(&state, ks, scale, now).await?;
        eprintln!(
            "{scale}x: {} enheder, {} aftaler",
            g.plejeenheder + g.helhedsplejeenheder,
            g.aftaler
        );
        state.db.close().await?;
    }
    let server = Server::start(
        bin,
        &db.url,
        &[
            "--no-demo-data",
            "--dev-tokens",
            "--rate-limit-per-second",
            "0",
        ],
    )?;
    let idle_rss = server.rss_mb();
    Ok(Prepared {
        scale,
        server,
        cold: Arc::new(Cold::new(ks)),
        idle_rss,
        _db: db,
    })
}

async fn scale_run(p: &Prepared, c: usize, secs: f64) -> anyhow::Result<Vec<Result_>> {
    let (scale, server, idle_rss) = (p.scale, &p.server, p.idle_rss);
    let url = server.graphql_url().clone();
    let mut results = Vec::new();
    let u = url.clone();
    results.push(
        drive(server, "floor { __typename }", c, secs, move |cl, _, _| {
            let u = u.clone();
            async move { ok(&post(&cl, &u, None, &json!({ "query": "{ __typename }" })).await) }
        })
        .await,
    );
    let u = url.clone();
    results.push(
        drive(
            server,
            "warm search (same 30-hit query)",
            c,
            secs,
            move |cl, _, _| {
                let u = u.clone();
                async move {
                    post(&cl, &u, None, &json!({ "query": WARM })).await;
                    1
                }
            },
        )
        .await,
    );
    // The two cold pages: every request new to the response cache (`Cold`).
    for (name, page) in [
        ("cold search (new kommune/point)", Page::Nearest),
        (
            "cold search, issue 21 fields (new kommune/point)",
            Page::Nearest21,
        ),
        ("cold 20-hit page by name (new kommune/day)", Page::ByName),
    ] {
        let (u, cold) = (url.clone(), p.cold.clone());
        results.push(
            drive(server, name, c, secs, move |cl, _, _| {
                let (u, body) = (u.clone(), cold.next(page));
                async move { ok(&post(&cl, &u, None, &body).await) }
            })
            .await,
        );
    }
    // Issue 21's photos: one of Aarhus's, served from memory, and revalidated (304).
    let d = data(
        &post(
            &reqwest::Client::new(),
            &url,
            None,
            &json!({ "query": "{ search(kommune: \"0751\", first: 100) { nodes { profil { fotos { url } } } } }" }),
        )
        .await,
    );
    let photo = d["data"]["search"]["nodes"]
        .as_array()
        .into_iter()
        .flatten()
        .find_map(|n| n["profil"]["fotos"][0]["url"].as_str())
        .map(str::to_string);
    if let Some(photo) = photo {
        let base = url.trim_end_matches("/graphql").to_string();
        let photo_url = format!("{base}{photo}");
        let tag = reqwest::get(&photo_url)
            .await?
            .headers()
            .get("etag")
            .and_then(|v| v.to_str().ok())
            .unwrap_or("")
            .to_string();
        for (name, revalidate) in [
            ("photo (GET, from memory)", false),
            ("photo 304 (GET + If-None-Match)", true),
        ] {
            let (pu, tag) = (photo_url.clone(), tag.clone());
            results.push(
                drive(server, name, c, secs, move |cl, _, _| {
                    let (pu, tag) = (pu.clone(), tag.clone());
                    async move {
                        let mut req = cl.get(&pu);
                        if revalidate {
                            req = req.header("if-none-match", &tag);
                        }
                        match req.send().await {
                            Ok(r) if r.status().is_success() || r.status().as_u16() == 304 => {
                                let _ = r.bytes().await;
                                1
                            }
                            _ => 0,
                        }
                    }
                })
                .await,
            );
        }
    } else {
        eprintln!("  no photo found in Aarhus: the photo scenarios are left out");
    }
    // 304: GET with the ETag of the warm query.
    let get_url = format!("{url}?query={}", urlencode(WARM));
    let etag = reqwest::get(&get_url)
        .await?
        .headers()
        .get("etag")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .to_string();
    let gu = get_url.clone();
    results.push(
        drive(
            server,
            "304 revalidation (GET + If-None-Match)",
            c,
            secs,
            move |cl, _, _| {
                let (gu, etag) = (gu.clone(), etag.clone());
                async move {
                    let _ = cl.get(&gu).header("if-none-match", &etag).send().await;
                    1
                }
            },
        )
        .await,
    );
    // Edit cycle: each client its own agreement; lock + save + check-in = 1 cycle.
    let cvr = plejeoverblik::store::kommune::reference_rows()?
        .into_iter()
        .find(|r| r.kode == "0751")
        .map(|r| r.cvr)
        .unwrap_or_default();
    let token = make_dev_token(
        DEFAULT_DEV_KEY,
        &DevTokenRequest {
            roles: &[Role::Driftsoverenskomstansvarlig],
            cvr: &cvr,
            name: Some("Load"),
            subject: Some("load"),
            valid_hours: 1,
        },
        chrono::Utc::now(),
    )?;
    let cl = reqwest::Client::new();
    let mut ids = Vec::new();
    for w in 0..c {
        let v = post(&cl, &url, Some(&token), &json!({ "query": format!("mutation {{ createServiceleverance(input: {{navn: \"Load {w}\"}}) {{ id }} }}") })).await;
        ids.push(
            data(&v)["data"]["createServiceleverance"]["id"]
                .as_str()
                .unwrap_or("")
                .to_string(),
        );
    }
    let ids = Arc::new(ids);
    let (u, t) = (url.clone(), token.clone());
    let mut edit = drive(server, "edit cycle (lock+save+check-in)", c, secs, move |cl, w, i| {
        let (u, t, ids) = (u.clone(), t.clone(), ids.clone());
        async move {
            let id = ids[w % ids.len()].clone();
            post(&cl, &u, Some(&t), &json!({ "query": "mutation($id: ID!) { lockServiceleverance(id: $id) { revision } }", "variables": { "id": id } })).await;
            post(&cl, &u, Some(&t), &json!({ "query": "mutation($id: ID!, $n: String!) { updateServiceleverance(id: $id, input: {navn: $n}) { revision } }", "variables": { "id": id, "n": format!("Load {w} {i}") } })).await;
            ok(&post(&cl, &u, Some(&t), &json!({ "query": "mutation($id: ID!) { checkInServiceleverance(id: $id) { version } }", "variables": { "id": id } })).await)
        }
    })
    .await;
    edit.name = "edit cycle (lock+save+check-in)";
    results.push(edit);
    results.retain(|r| !r.rps.is_nan());
    let floor = (results[0].rps, results[0].cpu_ms);
    println!(
        "\n## {scale}x data, SQLite, c={c}, {secs} s per scenario; server RSS {:.0} MB when ready, {:.0} MB after the run (peak {:.0} MB)",
        idle_rss,
        server.rss_mb(),
        server.peak_rss_mb()
    );
    println!(
        "| scenario | req/s | of floor | p50 ms | p99 ms | server CPU ms/req | CPU vs floor |"
    );
    println!("|---|---:|---:|---:|---:|---:|---:|");
    for r in &results {
        println!(
            "| {} | {:.0} | {:.0} % | {:.2} | {:.2} | {:.3} | {:.1}x |",
            r.name,
            r.rps,
            100.0 * r.rps / floor.0.max(1e-9),
            r.p50,
            r.p99,
            r.cpu_ms,
            r.cpu_ms / floor.1.max(1e-9)
        );
    }
    Ok(results)
}

fn urlencode(s: &str) -> String {
    s.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                (b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() -> anyhow::Result<()> {
    let bin = server::release_bin()?;
    let scales: Vec<usize> = std::env::var("PLEJEOVERBLIK_LOAD_SCALES")
        .unwrap_or_else(|_| "1,10,100".into())
        .split(',')
        .filter_map(|s| s.trim().parse().ok())
        .collect();
    let c: usize = server::env_or("PLEJEOVERBLIK_LOAD_CONCURRENCY", 16);
    let secs: f64 = server::env_or("PLEJEOVERBLIK_LOAD_SECONDS", 5.0);
    println!(
        "load benchmark: {} CPUs, load average before {}",
        std::thread::available_parallelism().map_or(0, |n| n.get()),
        server::load_average()
    );
    let rounds: usize = server::env_or("PLEJEOVERBLIK_LOAD_PAIRED_ROUNDS", 8);
    let ks = gen::kommuner()?;
    let mut prepared = Vec::new();
    for s in scales {
        prepared.push(prepare(&bin, &ks, s).await?);
    }
    // The cold pages ask only kommuner with a full page at the smallest scale, so that a page
    // has as many hits at every scale and the growth is the data's, not the page's.
    if let Some(smallest) = prepared.first() {
        let full = full_kommuner(&smallest.server.graphql_url(), &ks).await;
        println!(
            "cold pages: the {} of {} kommuner with {FULL} or more hits by name and nearest first today at {}x",
            full.len(),
            ks.len(),
            smallest.scale
        );
        for p in &mut prepared {
            p.cold = Arc::new(Cold::new(full.iter().copied()));
        }
    }
    for p in &prepared {
        scale_run(p, c, secs).await?;
    }
    // How the cold pages grow with the data.
    if prepared.len() > 1 && rounds > 0 {
        paired(&prepared, c, rounds).await;
    }
    println!("\nload average after {}", server::load_average());
    Ok(())
}

/// The cold pages at every scale in alternating rounds of 2 s (1x, 10x, 100x, 1x, ...), each
/// round's CPU per request divided by the first scale's in the same round. The servers of all
/// scales stay up; only the one being driven gets requests. The machine's speed drifts by up to
/// half over the minutes between one scale's table and the next, so a ratio of two tables
/// measured minutes apart mixes that drift into the growth; rounds seconds apart do not.
async fn paired(prepared: &[Prepared], c: usize, rounds: usize) {
    const ROUND_SECS: f64 = 2.0;
    let names = [
        "cold 20-hit page by name (new kommune/day)",
        "cold search (new kommune/point)",
        "cold search, issue 21 fields (new kommune/point)",
    ];
    let pages = [Page::ByName, Page::Nearest, Page::Nearest21];
    // cpu[scenario][scale][round]
    let mut cpu = vec![vec![Vec::new(); prepared.len()]; names.len()];
    for _ in 0..rounds {
        for (si, name) in names.iter().enumerate().filter(|(_, n)| wanted(n)) {
            for (pi, p) in prepared.iter().enumerate() {
                let (u, cold, page) = (p.server.graphql_url().clone(), p.cold.clone(), pages[si]);
                let r = drive(&p.server, name, c, ROUND_SECS, move |cl, _, _| {
                    let (u, body) = (u.clone(), cold.next(page));
                    async move { ok(&post(&cl, &u, None, &body).await) }
                })
                .await;
                cpu[si][pi].push(r.cpu_ms);
            }
        }
    }
    println!(
        "\n## Paired rounds: {rounds} rounds of {ROUND_SECS} s per scale, alternating (server CPU per request, ratio to {}x in the same round: median, range)",
        prepared[0].scale
    );
    println!(
        "| scenario | {} |",
        prepared
            .iter()
            .map(|p| format!("{}x", p.scale))
            .collect::<Vec<_>>()
            .join(" | ")
    );
    println!("|---|{}", "---:|".repeat(prepared.len()));
    for (si, name) in names.iter().enumerate().filter(|(_, n)| wanted(n)) {
        let cells: Vec<String> = prepared
            .iter()
            .enumerate()
            .map(|(pi, _)| {
                let ms = median(cpu[si][pi].clone());
                let mut ratios: Vec<f64> = cpu[si][pi]
                    .iter()
                    .zip(&cpu[si][0])
                    .map(|(a, b)| a / b.max(1e-9))
                    .collect();
                ratios.sort_by(f64::total_cmp);
                format!(
                    "{ms:.3} ms, **{:.2}x** ({:.2}-{:.2})",
                    median(ratios.clone()),
                    ratios.first().copied().unwrap_or(f64::NAN),
                    ratios.last().copied().unwrap_or(f64::NAN)
                )
            })
            .collect();
        println!("| {name} | {} |", cells.join(" | "));
    }
    // Issue 21: the page with the profile and tilsyn against today's field set, round by round
    // on each scale (the two ran seconds apart).
    if wanted(names[1]) && wanted(names[2]) {
        let cells: Vec<String> = prepared
            .iter()
            .enumerate()
            .map(|(pi, p)| {
                let mut r: Vec<f64> = cpu[2][pi]
                    .iter()
                    .zip(&cpu[1][pi])
                    .map(|(a, b)| a / b.max(1e-9))
                    .collect();
                r.sort_by(f64::total_cmp);
                format!(
                    "{}x: **{:.2}x** ({:.2}-{:.2})",
                    p.scale,
                    median(r.clone()),
                    r.first().copied().unwrap_or(f64::NAN),
                    r.last().copied().unwrap_or(f64::NAN)
                )
            })
            .collect();
        println!(
            "\nIssue 21 fields vs today's field set (30-hit page nearest first, same rounds): {}",
            cells.join(", ")
        );
    }
}

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(f64::total_cmp);
    match v.len() {
        0 => f64::NAN,
        n if n % 2 == 1 => v[n / 2],
        n => (v[n / 2 - 1] + v[n / 2]) / 2.0,
    }
}
